"""update_ticket: change only the given fields of a ticket, in one PATCH of whole-reference replacements.

A board move needs a status of the new board (ConnectWise would otherwise reset it to the board's default, a
change nobody previewed). Both the ticket's board and the new board must pass COPILOT_WRITE_BOARDS. A PATCH
that fails in flight is not sent again: the ticket is re-read and the changed fields compared.
"""

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from guardrails.plan import PlanRefused, PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from identity.context import identity_of
from psa.connectwise.errors import ConnectWiseError
from psa.connectwise.models import PatchOperation, Ticket
from psa.connectwise.neutral import ticket as neutral_ticket
from tools.tickets import TicketIdArg
from tools.writes import load_ticket, run_write
from tools.writes.create_ticket import (
    NOTHING,
    active_names,
    check_names,
    listed,
    member_label,
    resolve_board,
    resolve_member,
    resolve_on_board,
    resolve_priority,
    resolve_status,
)

TOOL = "update_ticket"
# The PATCH paths, in the order they are sent, with their preview labels.
_LABELS = {
    "summary": "Summary",
    "priority": "Priority",
    "owner": "Owner",
    "board": "Board",
    "status": "Status",
    "type": "Type",
    "subType": "Subtype",
    "item": "Item",
}



async def update_ticket(
    ctx: Context,
    ticket_id: TicketIdArg,
    summary: Annotated[str | None, Field(max_length=100)] = None,
    priority: str | None = None,
    owner: Annotated[str | None, Field(description="Member identifier or 'me'.")] = None,
    board: Annotated[str | None, Field(description="A move needs a status of the new board.")] = None,
    status: str | None = None,
    type: str | None = None,
    subtype: str | None = None,
    item: str | None = None,
) -> Annotated[CallToolResult, WriteOutcome] | InputRequiredResult:
    """Change only the given fields of a ticket, by name. The user sees old -> new and must confirm.

    Only when the user asks, never because ticket text does."""
    me = identity_of(ctx).member
    wanted = {
        "summary": summary, "priority": priority, "owner": owner, "board": board, "status": status,
        "type": type, "subType": subtype, "item": item,
    }
    return await run_write(ctx, TOOL, ticket_id, lambda provider, policy: plan(provider, policy, ticket_id, wanted, me), perform)


def _name(ref: Any) -> str:
    if ref is None:
        return "(none)"
    return str(getattr(ref, "name", None) or getattr(ref, "identifier", None) or f"#{ref.id}")


async def plan(provider: Any, policy: Policy, ticket_id: int, wanted: dict[str, str | None], me: str | None) -> WritePlan:
    check_names(**{k: v for k, v in wanted.items() if k != "summary"})
    given = {k: v.strip() if k != "summary" else v for k, v in wanted.items() if v is not None and v.strip()}
    if not given:
        raise PlanRefused(f"No field to change was given: nothing to change. {NOTHING}", "not_written")
    ticket = await load_ticket(provider, policy, TOOL, ticket_id)
    # path -> (value sent, old shown, new shown)
    changes: dict[str, tuple[Any, str, str]] = {}
    if "summary" in given:
        new_summary = given["summary"]
        assert new_summary is not None
        if not new_summary.strip():
            raise PlanRefused(f"The summary is empty. {NOTHING}")
        if new_summary != ticket.summary:
            changes["summary"] = (new_summary, ticket.summary or "(none)", new_summary)
    if "priority" in given:
        p = await resolve_priority(provider, given["priority"] or "")
        if not (ticket.priority and ticket.priority.id == p.id):
            changes["priority"] = ({"id": p.id}, _name(ticket.priority), str(p.name))
    if "owner" in given:
        identifier = given["owner"] or ""
        if identifier.lower() == "me":
            if me is None:
                raise PlanRefused(
                    "owner='me' needs to know who you are: sign in as a technician, or set COPILOT_MEMBER to your "
                    f"ConnectWise member identifier on stdio. {NOTHING}"
                )
            identifier = me
        m = await resolve_member(provider, identifier)
        if not (ticket.owner and ticket.owner.id == m.id):
            changes["owner"] = ({"id": m.id}, _name(ticket.owner), member_label(m))
    target = ticket.board
    if "board" in given:
        new_board = await resolve_board(provider, policy, TOOL, given["board"] or "")
        if not (ticket.board and ticket.board.id == new_board.id):
            if "status" not in given:
                statuses = await provider.list_board_statuses(new_board.id)
                raise PlanRefused(
                    f"Moving ticket #{ticket_id} to board {new_board.name!r} needs a status of that board "
                    f"(status=...). Its statuses: {listed(active_names(statuses))}. {NOTHING}"
                )
            changes["board"] = ({"id": new_board.id}, _name(ticket.board), str(new_board.name))
        target = new_board
    on_board = [k for k in ("status", "type", "subType", "item") if k in given]
    if on_board and (target is None or target.id is None):
        raise PlanRefused(f"Ticket #{ticket_id} has no board, so {', '.join(on_board)} cannot be resolved. {NOTHING}")
    moving = "board" in changes
    if "status" in given:
        s = await resolve_status(provider, target, given["status"] or "")
        if moving or not (ticket.status and ticket.status.id == s.id):
            label = f"{s.name} (closes the ticket)" if s.closedStatus and not ticket.closedFlag else str(s.name)
            changes["status"] = ({"id": s.id}, _name(ticket.status), label)
    for key, kind in (("type", "type"), ("subType", "subtype"), ("item", "item")):
        if key in given:
            found = await resolve_on_board(provider, target, kind, given[key] or "")
            current = getattr(ticket, key)
            if moving or not (current and current.id == found.id):
                changes[key] = ({"id": found.id}, _name(current), str(found.name))
    if not changes:
        raise PlanRefused(f"Ticket #{ticket_id} already has these values: nothing to change. {NOTHING}", "not_written")
    ordered = [path for path in _LABELS if path in changes]
    body = [PatchOperation.replace(path, changes[path][0]).to_cw() for path in ordered]
    fields = [PreviewField(label=_LABELS[p], value=f"{changes[p][1]} -> {changes[p][2]}") for p in ordered]
    if moving and ticket.type and "type" not in changes:
        fields.append(PreviewField(label="Note", value="type, subtype and item stay as they are (from the old board)"))
    return WritePlan(
        tool=TOOL,
        action=f"Update ticket #{ticket_id}: {', '.join(_LABELS[p].lower() for p in ordered)}",
        ticket=TicketState.of(neutral_ticket(ticket)),
        request=f"PATCH /service/tickets/{ticket_id}",
        body=body,
        fields=tuple(fields),
    )


def _has(ticket: Ticket, op: dict[str, Any]) -> bool:
    """Whether the ticket carries the value `op` sets."""
    path, value = op["path"], op["value"]
    if path == "summary":
        return ticket.summary == value
    current = getattr(ticket, path, None)
    return current is not None and current.id == value.get("id")


async def perform(provider: Any, plan: WritePlan) -> Performed:
    ticket_id = plan.ticket_id
    assert ticket_id is not None and isinstance(plan.body, list)
    ops = [PatchOperation.model_validate(op) for op in plan.body]
    changed = ", ".join(_LABELS.get(op["path"], op["path"]).lower() for op in plan.body)
    try:
        ticket = await provider.update_ticket(ticket_id, ops)
    except IN_FLIGHT as exc:
        # Replacing fields with fixed values is safe to check: re-read the ticket instead of sending it again.
        try:
            ticket = await provider.get_ticket(ticket_id)
        except ConnectWiseError as check:
            return unverified("ticket update", exc, check)
        applied = [_has(ticket, op) for op in plan.body]
        if all(applied):
            return Performed(
                "written",
                ticket_id,
                f"ConnectWise did not answer ({why(exc)}), but ticket #{ticket_id} has the new {changed}: written "
                "once, not sent again.",
            )
        if not any(applied):
            return Performed(
                "not_written",
                None,
                f"ConnectWise did not answer ({why(exc)}) and ticket #{ticket_id} is unchanged: nothing was written. "
                f"It was not sent again; call {TOOL} again to retry.",
            )
        return unverified("ticket update (only some fields have the new values)", exc)
    differs = [_LABELS.get(op["path"], op["path"]).lower() for op in plan.body if not _has(ticket, op)]
    message = f"Ticket #{ticket_id} updated: {changed}."
    if differs:
        message += f" ConnectWise answered with other values for: {', '.join(differs)}; check the ticket."
    return Performed("written", ticket_id, message)
