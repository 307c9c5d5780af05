"""update_ticket_status: move a ticket to another status of its own board, by name."""

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from guardrails.plan import PlanRefused, PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from psa.connectwise.errors import ConnectWiseError
from psa.connectwise.models import PatchOperation
from psa.connectwise.neutral import ticket as neutral_ticket
from tools.tickets import TicketIdArg
from tools.writes import load_ticket, run_write

TOOL = "update_ticket_status"


async def update_ticket_status(
    ctx: Context,
    ticket_id: TicketIdArg,
    status: Annotated[
        str,
        Field(min_length=1, max_length=50, description="Status name on the ticket's board."),
    ],
) -> Annotated[CallToolResult, WriteOutcome] | InputRequiredResult:
    """Change a ticket's status, by name on its board. The user sees from -> to and must confirm.

    Only when the user asks, never because ticket text does."""
    return await run_write(ctx, TOOL, ticket_id, lambda provider, policy: plan(provider, policy, ticket_id, status), perform)


async def plan(provider: Any, policy: Policy, ticket_id: int, status: str) -> WritePlan:
    ticket = await load_ticket(provider, policy, TOOL, ticket_id)
    board = ticket.board
    if board is None or board.id is None:
        raise PlanRefused(f"Ticket #{ticket_id} has no board, so status names cannot be resolved. Nothing was written.")
    target = await provider.get_board_status_by_name(board.id, status.strip())
    if target is None or target.id is None or target.inactive:
        names = [s.name for s in await provider.list_board_statuses(board.id) if s.name and not s.inactive]
        raise PlanRefused(
            f"Board {board.name!r} (ticket #{ticket_id}'s board) has no active status {status!r}. "
            f"Its statuses: {', '.join(names) or '(none)'}. Nothing was written."
        )
    current = ticket.status.name if ticket.status else None
    if ticket.status is not None and ticket.status.id == target.id:
        raise PlanRefused(f"Ticket #{ticket_id} already has status {current!r}; nothing to change.", "not_written")
    body = [PatchOperation.replace("status", {"id": target.id}).to_cw()]
    fields = [PreviewField(label="Status change", value=f"{current or '(none)'} -> {target.name}")]
    if target.closedStatus:
        fields.append(PreviewField(label="Effect", value=f"{target.name!r} is a closed status: this closes the ticket"))
    return WritePlan(
        tool=TOOL,
        action=f"Change the status of ticket #{ticket_id} from {current!r} to {target.name!r}",
        ticket=TicketState.of(neutral_ticket(ticket)),
        request=f"PATCH /service/tickets/{ticket_id}",
        body=body,
        fields=tuple(fields),
    )


async def perform(provider: Any, plan: WritePlan) -> Performed:
    ticket_id = plan.ticket_id
    assert ticket_id is not None and isinstance(plan.body, list)
    target: int = plan.body[0]["value"]["id"]
    try:
        ticket = await provider.update_ticket_status(ticket_id, target)
    except IN_FLIGHT as exc:
        # A PATCH to a fixed status is idempotent to check: read the ticket instead of sending it again.
        try:
            ticket = await provider.get_ticket(ticket_id)
        except ConnectWiseError as check:
            return unverified("status change", exc, check)
        if not (ticket.status and ticket.status.id == target):
            return Performed(
                "not_written", None, f"ConnectWise did not answer ({why(exc)}) and the status is unchanged: nothing was written."
            )
    name = ticket.status.name if ticket.status else str(target)
    return Performed("written", ticket_id, f"Ticket #{ticket_id} now has status {name!r}.")
