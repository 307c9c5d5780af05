"""The guarded write tools, one module each: its arguments, its plan (what exactly will be sent) and how it is
performed (sent once, and checked when the request failed in flight), side by side. The way there (policy,
consent, re-check, audit) is guardrails/write.py's, shared by all of them.

No `from __future__ import annotations` in the tool modules: the SDK reads their signatures to build schemas.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import ValidationError

from guardrails.plan import PlanRefused
from guardrails.policy import Policy
from guardrails.write import Build, Perform, guarded_write
from psa.errors import PSANotFoundError
from tools.common import wire_provider_of, structured

async def run_write(
    ctx: Context, tool: str, ticket_id: int | None, build: Build, perform: Perform
) -> CallToolResult | InputRequiredResult:
    """A write tool's whole body: the guarded write, its outcome as a compact structured result."""
    outcome = await guarded_write(ctx, wire_provider_of(ctx), tool, ticket_id, build, perform)
    return outcome if isinstance(outcome, InputRequiredResult) else structured(outcome)


async def load_ticket(provider: Any, policy: Policy, tool: str, ticket_id: int) -> Any:
    """The ticket a write targets (as `provider` returns it: the neutral ticket, or ConnectWise's own for the
    writes that still plan ConnectWise requests), refused when it does not exist or its board is outside
    COPILOT_WRITE_BOARDS."""
    try:
        ticket = await provider.get_ticket(ticket_id)
    except PSANotFoundError as exc:
        raise PlanRefused(f"Ticket #{ticket_id} was not found. Nothing was written.") from exc
    denial = policy.board_denial(tool, ticket.board.name if ticket.board else None)
    if denial is not None:
        raise PlanRefused(denial.message(), "denied")
    return ticket


def invalid(exc: ValidationError) -> PlanRefused:
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
    return PlanRefused(f"Invalid write: {problems}. Nothing was written.")
