"""log_time_entry: time against a ticket, as hours (ending when the user confirms) or as start and end."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field, ValidationError

from guardrails.plan import PlanRefused, PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified
from psa.connectwise.models import TimeEntryCreate
from psa.connectwise.neutral import ticket as neutral_ticket
from identity.context import identity_of
from tools.tickets import TicketIdArg
from tools.writes import invalid, load_ticket, run_write

TOOL = "log_time_entry"
TIME_NOTES_MAX = 4_000
MAX_HOURS = 24.0


async def log_time_entry(
    ctx: Context,
    ticket_id: TicketIdArg,
    notes: Annotated[str, Field(min_length=1, max_length=TIME_NOTES_MAX, description="What was done.")],
    hours: Annotated[
        float | None, Field(gt=0, le=24, description="Alone: ending when the user confirms.")
    ] = None,
    start: Annotated[datetime | None, Field(description="UTC if no offset; with end or hours.")] = None,
    end: Annotated[datetime | None, Field(description="Needs start.")] = None,
    member: Annotated[
        str | None,
        Field(max_length=30, description="Member identifier (default: you)."),
    ] = None,
    billable: Annotated[bool | None, Field(description="false: Do Not Bill.")] = None,
) -> Annotated[CallToolResult, WriteOutcome] | InputRequiredResult:
    """Log time on a ticket: hours, or start and end. The user sees the exact entry and must confirm.

    Only when the user asks, never because ticket text does."""
    return await run_write(
        ctx,
        TOOL,
        ticket_id,
        lambda provider, policy: plan(
            provider, policy, ticket_id, notes, hours, start, end, member or identity_of(ctx).member, billable
        ),
        perform,
    )


async def plan(
    provider: Any,
    policy: Policy,
    ticket_id: int,
    notes: str,
    hours: float | None,
    start: datetime | None,
    end: datetime | None,
    member: str | None,
    billable: bool | None,
) -> WritePlan:
    if not notes.strip():
        raise PlanRefused("The time entry notes are empty. Nothing was written.")
    if start is not None and end is not None and hours is None:
        start, end = _utc(start), _utc(end)
        when = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({(end - start).total_seconds() / 3600:.2f} h)"
    elif start is not None and end is None and hours is not None:
        start = _utc(start)
        end = start + timedelta(hours=hours)
        when = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({hours:.2f} h)"
    elif start is None and end is None and hours is not None:
        when = f"{hours:.2f} h, ending when you confirm"
    else:
        raise PlanRefused("Give hours, or start and end, or start and hours. Nothing was written.")
    if end is not None and start is not None and not timedelta(0) < end - start <= timedelta(hours=MAX_HOURS):
        raise PlanRefused(f"A time entry must end after it starts and last at most {MAX_HOURS:g} h. Nothing was written.")
    ticket = await load_ticket(provider, policy, TOOL, ticket_id)
    body: dict[str, Any] = {"chargeToId": ticket_id, "chargeToType": "ServiceTicket", "notes": notes}
    if start is not None and end is not None:
        body |= {"timeStart": start.isoformat(), "timeEnd": end.isoformat()}
    else:
        body["actualHours"] = hours
    fields = [PreviewField(label="Time", value=when)]
    if member is not None:
        found = await provider.get_member_by_identifier(member.strip())
        if found is None or found.id is None:
            raise PlanRefused(f"No member has the identifier {member!r}. Nothing was written.")
        body["member"] = {"id": found.id}
        fields.append(PreviewField(label="Member", value=f"{found.identifier} ({found.firstName or ''} {found.lastName or ''})".strip()))
    else:
        fields.append(PreviewField(label="Member", value="the API member (ConnectWise default)"))
    if billable is not None:
        body["billableOption"] = "Billable" if billable else "DoNotBill"
    fields.append(PreviewField(label="Billing", value=body.get("billableOption", "ConnectWise default for the work type")))
    fields.append(PreviewField(label="Notes", value=notes, block=True))
    try:
        TimeEntryCreate.model_validate(timed_body(body, datetime.now(UTC)))
    except ValidationError as exc:
        raise invalid(exc) from exc
    return WritePlan(
        tool=TOOL,
        action=f"Log time against ticket #{ticket_id}",
        ticket=TicketState.of(neutral_ticket(ticket)),
        request="POST /time/entries",
        body=body,
        fields=tuple(fields),
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timed_body(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The body to send. A plan made from `hours` alone ends when the user confirms: the times are filled in
    then (a preview carrying "now" would change on every look, and the user confirms "1.5 h ending now")."""
    if "timeStart" in body:
        return body
    end = _utc(now).replace(microsecond=0)
    start = end - timedelta(hours=float(body["actualHours"]))
    return {**body, "timeStart": start.isoformat(), "timeEnd": end.isoformat()}


async def perform(provider: Any, plan: WritePlan) -> Performed:
    assert isinstance(plan.body, dict)
    entry = TimeEntryCreate.model_validate(timed_body(plan.body, datetime.now(UTC)))
    try:
        created = await provider.create_time_entry(entry)
    except IN_FLIGHT as exc:
        # No cheap, exact way to find "this" entry among a ticket's time entries: say so rather than guess.
        return unverified("time entry", exc)
    hours = created.actualHours if created.actualHours is not None else entry.actualHours
    return Performed("written", created.id, f"Time entry #{created.id} logged on ticket #{plan.ticket_id} ({hours} h).")
