"""log_time_entry: time against a ticket, as hours (ending when the user confirms) or as start and end."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from guardrails.plan import PlanRefused, PreviewField, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified
from identity.context import identity_of
from psa.provider import PSAProvider
from psa.writes import TimeDraft, TimeWriter
from tools.tickets import TicketIdArg
from tools.writes import NOTHING, load_ticket, product_refusals, run_write, write_plan

TOOL = "log_time_entry"
TIME_NOTES_MAX = 4_000
MAX_HOURS = 24.0


class Product(PSAProvider, TimeWriter, Protocol):
    pass


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
    provider: Product,
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
        raise PlanRefused(f"The time entry notes are empty. {NOTHING}")
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
        raise PlanRefused(f"Give hours, or start and end, or start and hours. {NOTHING}")
    if end is not None and start is not None and not timedelta(0) < end - start <= timedelta(hours=MAX_HOURS):
        raise PlanRefused(f"A time entry must end after it starts and last at most {MAX_HOURS:g} h. {NOTHING}")
    ticket = await load_ticket(provider, policy, TOOL, ticket_id)
    draft = TimeDraft(ticket_id=ticket_id, notes=notes, start=start, end=end, hours=None if end else hours,
                      member=member, billable=billable)
    with product_refusals():
        planned = await provider.plan_time(draft)
    return write_plan(TOOL, planned, policy, ticket=ticket, first=[PreviewField(label="Time", value=when)],
                      last=[PreviewField(label="Notes", value=notes, block=True)])


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def perform(provider: Product, plan: WritePlan) -> Performed:
    try:
        entry = await provider.log_time(plan.request, plan.body, datetime.now(UTC))
    except IN_FLIGHT as exc:
        # No cheap, exact way to find "this" entry among a ticket's time entries: say so rather than guess.
        return unverified("time entry", exc)
    return Performed("written", entry.id, f"Time entry #{entry.id} logged on ticket #{plan.ticket_id} ({entry.hours} h).")
