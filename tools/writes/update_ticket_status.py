"""update_ticket_status: move a ticket to another status, by name. The product plans the exact request (a
ConnectWise PATCH of the status on the ticket's board; the helpdesk's close, or its update with the status id)
and sends it (psa.writes.StatusWriter); this module turns the plan into the preview and the outcome."""

from typing import Annotated, Protocol

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from guardrails.plan import PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from psa.errors import PSAError
from psa.provider import PSAProvider
from psa.writes import StatusWriter
from tools.tickets import TicketIdArg
from tools.writes import load_ticket, product_refusals, run_write

TOOL = "update_ticket_status"


class Product(PSAProvider, StatusWriter, Protocol):
    pass


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


async def plan(provider: Product, policy: Policy, ticket_id: int, status: str) -> WritePlan:
    ticket = await load_ticket(provider, policy, TOOL, ticket_id)
    with product_refusals():
        change = await provider.plan_status_change(ticket_id, status)
    fields = [PreviewField(label="Status change", value=f"{change.current or '(none)'} -> {change.target}")]
    fields += [PreviewField(label="Effect", value=effect) for effect in change.effects]
    return WritePlan(
        tool=TOOL,
        action=f"Change the status of ticket #{ticket_id} from {change.current!r} to {change.target!r}",
        ticket=TicketState.of(ticket),
        request=change.request,
        body=change.body,
        fields=tuple(fields),
    )


async def perform(provider: Product, plan: WritePlan) -> Performed:
    ticket_id = plan.ticket_id
    assert ticket_id is not None
    target = provider.status_sent(plan.body)
    try:
        ticket = await provider.change_status(ticket_id, plan.request, plan.body)
    except IN_FLIGHT as exc:
        # Setting a fixed status is idempotent to check: read the ticket instead of sending it again.
        try:
            ticket = await provider.get_ticket(ticket_id)
        except PSAError as check:
            return unverified("status change", exc, check)
        done = ticket.closed if target is None else bool(ticket.status and ticket.status.id == target)
        if not done:
            return Performed(
                "not_written", None, f"{exc.product} did not answer ({why(exc)}) and the status is unchanged: nothing was written."
            )
    name = ticket.status.name if ticket.status else str(target)
    return Performed("written", ticket_id, f"Ticket #{ticket_id} now has status {name!r}.")
