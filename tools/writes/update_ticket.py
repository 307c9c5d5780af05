"""update_ticket: change only the given fields of a ticket, by name, in one request the product plans (a
ConnectWise PATCH of whole-reference replacements; the helpdesk's update form).

Both the ticket's board and a new board must pass COPILOT_WRITE_BOARDS. A request that fails in flight is not sent
again: replacing fields with fixed values is safe to check, so the ticket is re-read and the fields compared.
"""

from typing import Annotated, Protocol

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from guardrails.plan import PlanRefused, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from identity.context import identity_of
from psa.errors import PSAError
from psa.provider import PSAProvider
from psa.writes import TicketChanges, TicketUpdater
from tools.tickets import TicketIdArg
from tools.writes import NOTHING, load_ticket, product_refusals, run_write, write_plan
from tools.writes.create_ticket import check_length

TOOL = "update_ticket"


class Product(PSAProvider, TicketUpdater, Protocol):
    pass


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
        "type": type, "subtype": subtype, "item": item,
    }
    return await run_write(ctx, TOOL, ticket_id, lambda provider, policy: plan(provider, policy, ticket_id, wanted, me), perform)


async def plan(provider: Product, policy: Policy, ticket_id: int, wanted: dict[str, str | None], me: str | None) -> WritePlan:
    check_length(**{k: v for k, v in wanted.items() if k != "summary"})
    given = {k: v if k == "summary" else v.strip() for k, v in wanted.items() if v is not None and v.strip()}
    if not given:
        raise PlanRefused(f"No field to change was given: nothing to change. {NOTHING}", "not_written")
    if given.get("owner", "").lower() == "me":
        if me is None:
            raise PlanRefused(
                "owner='me' needs to know who you are: sign in as a technician, or set COPILOT_MEMBER to your "
                f"login on the PSA (a ConnectWise member identifier) on stdio. {NOTHING}"
            )
        given["owner"] = me
    ticket = await load_ticket(provider, policy, TOOL, ticket_id)
    with product_refusals():
        planned = await provider.plan_update(ticket_id, TicketChanges(**given))
    return write_plan(TOOL, planned, policy, ticket=ticket)


async def perform(provider: Product, plan: WritePlan) -> Performed:
    ticket_id = plan.ticket_id
    assert ticket_id is not None
    try:
        sent = await provider.apply_update(ticket_id, plan.request, plan.body)
    except IN_FLIGHT as exc:
        try:
            landed = await provider.update_landed(ticket_id, plan.body)
        except PSAError as check:
            return unverified("ticket update", exc, check)
        changed = ", ".join(label.lower() for label in landed.changed)
        if not landed.differs:
            return Performed(
                "written",
                ticket_id,
                f"{exc.product} did not answer ({why(exc)}), but ticket #{ticket_id} has the new {changed}: written "
                "once, not sent again.",
            )
        if set(landed.differs) == set(landed.changed):
            return Performed(
                "not_written",
                None,
                f"{exc.product} did not answer ({why(exc)}) and ticket #{ticket_id} is unchanged: nothing was "
                f"written. It was not sent again; call {TOOL} again to retry.",
            )
        return unverified("ticket update (only some fields have the new values)", exc)
    message = f"Ticket #{ticket_id} updated: {', '.join(label.lower() for label in sent.changed)}."
    if sent.differs:
        message += (
            f" The product answered with other values for: {', '.join(label.lower() for label in sent.differs)}; "
            "check the ticket."
        )
    return Performed("written", ticket_id, message)
