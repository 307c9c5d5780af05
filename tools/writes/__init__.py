"""The guarded write tools, one module each: its arguments, what it checks on every product, and what a failure
in flight means, side by side. The product plans the exact request and sends it (psa.writes); the way there
(policy, consent, re-check, audit) is guardrails/write.py's, shared by all of them.

No `from __future__ import annotations` in the tool modules: the SDK reads their signatures to build schemas.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult

from guardrails.plan import PlanRefused, PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from guardrails.write import Build, Perform, guarded_write
from psa.errors import PSANotFoundError
from psa.models import Ticket
from psa.provider import PSAProvider
from psa.writes import AlreadyDone, PlannedWrite, WriteNotPlanned
from tools.common import provider_of, structured

NOTHING = "Nothing was written."


async def run_write(
    ctx: Context, tool: str, ticket_id: int | None, build: Build, perform: Perform
) -> CallToolResult | InputRequiredResult:
    """A write tool's whole body: the guarded write, its outcome as a compact structured result."""
    outcome = await guarded_write(ctx, provider_of(ctx), tool, ticket_id, build, perform)
    return outcome if isinstance(outcome, InputRequiredResult) else structured(outcome)


async def load_ticket(provider: PSAProvider, policy: Policy, tool: str, ticket_id: int) -> Ticket:
    """The ticket a write targets, refused when it does not exist or its board is outside COPILOT_WRITE_BOARDS."""
    try:
        ticket = await provider.get_ticket(ticket_id)
    except PSANotFoundError as exc:
        raise PlanRefused(f"Ticket #{ticket_id} was not found. {NOTHING}") from exc
    denial = policy.board_denial(tool, ticket.board.name if ticket.board else None)
    if denial is not None:
        raise PlanRefused(denial.message(), "denied")
    return ticket


@contextmanager
def product_refusals() -> Iterator[None]:
    """A write the product will not plan, refused in its words: already as asked (nothing to send), or not
    possible (and why)."""
    try:
        yield
    except AlreadyDone as exc:
        raise PlanRefused(f"{exc} {NOTHING}", "not_written") from exc
    except WriteNotPlanned as exc:
        raise PlanRefused(f"{exc} {NOTHING}") from exc


def write_plan(
    tool: str,
    planned: PlannedWrite,
    policy: Policy,
    *,
    ticket: Ticket | None = None,
    first: Sequence[PreviewField] = (),
    last: Sequence[PreviewField] = (),
    plan_type: type[WritePlan] = WritePlan,
    **extra: Any,
) -> WritePlan:
    """The guard rails' plan of what the product planned: every board it puts a ticket on judged by
    COPILOT_WRITE_BOARDS, its lines between the tool's own `first` and `last`."""
    for board in planned.boards:
        denial = policy.board_denial(tool, board)
        if denial is not None:
            raise PlanRefused(denial.message(), "denied")
    return plan_type(
        tool=tool,
        action=planned.action,
        ticket=TicketState.of(ticket) if ticket is not None else None,
        request=planned.request,
        body=planned.body,
        fields=(*first, *planned.shown, *last),
        **extra,
    )
