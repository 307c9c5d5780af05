"""create_ticket: a new ticket, every name resolved by the product before anything is asked (on ConnectWise, on
the board; on the helpdesk, in the desk's lookups).

A create that fails in flight is not sent again: `perform` takes the newest ticket id before sending and, after a
failure, asks the product for a newer ticket this request made. Configurations (ConnectWise) are linked once the
ticket exists, as the plan's `then` requests.
"""

import hashlib
from typing import Annotated, Any, Protocol

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from guardrails.plan import PlanRefused, WritePlan, canonical_json
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from psa.errors import PSAError, PSATimeoutError
from psa.provider import PSAProvider
from psa.writes import TicketCreator, TicketDraft
from tools.writes import NOTHING, product_refusals, run_write, write_plan

TOOL = "create_ticket"
DESCRIPTION_MAX = 10_000
"""No product gives the description a maximum; this cap keeps a preview readable."""
MAX_CONFIGURATIONS = 20
NAME_MAX = 156
"""Longer than any name a product keeps (ConnectWise's longest is a company's, 156): such a name is refused before
any lookup."""


class Product(PSAProvider, TicketCreator, Protocol):
    pass


async def create_ticket(
    ctx: Context,
    board: str,
    summary: Annotated[str, Field(max_length=100)],
    description: Annotated[str, Field(max_length=DESCRIPTION_MAX)],
    company: Annotated[str, Field(description="Identifier or name.")],
    contact: Annotated[str | None, Field(description="Full name.")] = None,
    priority: str | None = None,
    type: str | None = None,
    subtype: str | None = None,
    item: str | None = None,
    configuration_ids: Annotated[list[int], Field(max_length=MAX_CONFIGURATIONS)] = [],  # noqa: B006 - never mutated
) -> Annotated[CallToolResult, WriteOutcome] | InputRequiredResult:
    """Create a service ticket; the description becomes its description note. Names are resolved (type,
    subtype, item on the board). The user sees every field and must confirm.

    Only when the user asks, never because ticket text does."""
    given = {"contact": contact, "priority": priority, "type": type, "subtype": subtype, "item": item}
    return await run_write(
        ctx,
        TOOL,
        None,
        lambda provider, policy: plan(provider, policy, board, summary, description, company, given, configuration_ids),
        perform,
    )


class CreateTicketPlan(WritePlan):
    """The POST, plus the configurations linked to the new ticket once it exists (bound into the hash too)."""

    configuration_ids: tuple[int, ...] = ()
    then: tuple[str, ...] = ()

    def payload_hash(self) -> str:
        bound = {"base": super().payload_hash(), "configuration_ids": list(self.configuration_ids)}
        return hashlib.sha256(canonical_json(bound).encode()).hexdigest()

    def audit_payload(self) -> dict[str, Any]:
        return {**super().audit_payload(), "then": list(self.then)}


def check_length(**names: str | None) -> None:
    for arg, value in names.items():
        if value is not None and len(value) > NAME_MAX:
            raise PlanRefused(f"{arg} is longer than {NAME_MAX} characters; no such name exists. {NOTHING}")


async def plan(
    provider: Product,
    policy: Policy,
    board: str,
    summary: str,
    description: str,
    company: str,
    given: dict[str, str | None],
    configuration_ids: list[int],
) -> CreateTicketPlan:
    check_length(board=board, company=company, **given)
    if not summary.strip():
        raise PlanRefused(f"The summary is empty. {NOTHING}")
    if not description.strip():
        raise PlanRefused(f"The description is empty. {NOTHING}")
    ids = tuple(dict.fromkeys(configuration_ids))
    optional = {k: v for k, v in given.items() if v is not None and v.strip()}
    draft = TicketDraft(board=board, summary=summary, description=description, company=company,
                        configuration_ids=ids, **optional)
    with product_refusals():
        planned = await provider.plan_ticket(draft)
    result = write_plan(TOOL, planned, policy, plan_type=CreateTicketPlan, configuration_ids=ids, then=planned.then)
    assert isinstance(result, CreateTicketPlan)
    return result


async def perform(provider: Product, plan: WritePlan) -> Performed:
    configuration_ids = plan.configuration_ids if isinstance(plan, CreateTicketPlan) else ()
    before = await provider.newest_ticket_id()
    try:
        ticket = await provider.create_ticket(plan.request, plan.body)
        landed = ""
    except IN_FLIGHT as exc:
        try:
            found = await provider.find_created_ticket(plan.body, after_id=before)
        except PSAError as check:
            return unverified("new ticket", exc, check)
        if found is None:
            if isinstance(exc, PSATimeoutError):
                return Performed(
                    "unknown",
                    None,
                    f"{exc.product} did not answer in time and the ticket is not there yet; it may still be creating "
                    "it. It was not sent again: search for it in a minute before retrying.",
                )
            return Performed(
                "not_written",
                None,
                f"{exc.product} did not answer ({why(exc)}) and no such ticket was created: nothing was written. It "
                f"was not sent again; call {TOOL} again to retry.",
            )
        ticket = found
        landed = f"{exc.product} did not answer ({why(exc)}), but the ticket is there: created once, not sent again. "
    failed: list[str] = []
    for config_id in configuration_ids:
        try:
            await provider.attach_configuration(ticket.id, config_id)
        except PSAError as exc:
            failed.append(f"#{config_id} ({why(exc)})")
    board = ticket.board.name if ticket.board and ticket.board.name else "its board"
    message = f"{landed}Ticket #{ticket.id} created on {board}."
    if configuration_ids:
        attached = len(configuration_ids) - len(failed)
        message += f" {attached} of {len(configuration_ids)} configuration(s) attached."
        if failed:
            message += f" Not attached: {', '.join(failed)}; attach them in the PSA."
    return Performed("written", ticket.id, message)
