"""The last steps of every guarded write, whatever confirmed it: re-check, send once, audit, report.

The tool-specific part (which provider call, and how to tell whether a failed call landed) is the `perform`
callable the tool passes in; everything a write must go through on the way is here, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field

from guardrails.guard import WriteGuard, connection_of
from guardrails.plan import WritePlan
from guardrails.recheck import StaleTicket, recheck
from psa.connectwise.errors import ConnectWiseError

WriteStatus = Literal["written", "not_written", "pending_confirmation", "unknown"]


class WriteOutcome(BaseModel):
    """What a write tool (or confirm_write) did."""

    model_config = ConfigDict(extra="forbid")

    status: WriteStatus = Field(
        description="written; not_written (declined, cancelled, or verified absent after a failure); "
        "pending_confirmation (two_step: show the preview to the user, then call confirm_write); unknown "
        "(ConnectWise did not confirm and it could not be verified: check before repeating)."
    )
    tool: str
    ticket_id: int | None = None
    message: str
    created_id: int | None = Field(None, description="Id of the record created (or ticket changed) in ConnectWise.")
    confirmation: str = Field(description="How the write was confirmed, or why not.")
    preview: str | None = Field(None, description="two_step: the exact write, to show the user before confirming.")
    token: str | None = Field(None, description="two_step: pass to confirm_write once the user has approved.")
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Performed:
    status: Literal["written", "not_written", "unknown"]
    cw_id: int | None
    message: str


Perform = Callable[[Any, WritePlan], Awaitable[Performed]]
"""(provider, plan) -> what happened. A perform catches the failures that leave the outcome open (timeouts,
dropped connections, 5xx, an unreadable 2xx) and reports written / not_written / unknown after checking; a
ConnectWiseError it lets through means ConnectWise refused the write, so nothing was stored."""


async def execute(
    ctx: Context, guard: WriteGuard, provider: Any, plan: WritePlan, confirmation: str, perform: Perform
) -> WriteOutcome:
    connection = connection_of(ctx)
    if plan.ticket is not None:
        try:
            fresh = await recheck(provider, plan.ticket)
        except StaleTicket as exc:
            message = f"{exc} Nothing was written; call {plan.tool} again to preview the current ticket."
            await guard.audit(connection, plan.tool, "stale", confirmation, plan=plan, error=message)
            raise ToolError(message) from exc
        except ConnectWiseError as exc:
            await guard.audit(connection, plan.tool, "failed", confirmation, plan=plan, error=str(exc))
            raise ToolError(f"Could not re-read ticket #{plan.ticket.id} before writing; nothing was written. {exc}") from exc
        denial = guard.policy.board_denial(plan.tool, fresh.board)
        if denial is not None:
            await guard.audit(connection, plan.tool, "denied", confirmation, plan=plan, error=denial.message())
            raise ToolError(denial.message())
    try:
        performed = await perform(provider, plan)
    except (ConnectWiseError, ValueError) as exc:
        await guard.audit(connection, plan.tool, "failed", confirmation, plan=plan, error=str(exc))
        raise ToolError(f"{plan.tool} was refused; nothing was written. {exc}") from exc
    await guard.audit(
        connection,
        plan.tool,
        performed.status,
        confirmation,
        plan=plan,
        cw_id=performed.cw_id,
        error=None if performed.status == "written" else performed.message,
    )
    return WriteOutcome(
        status=performed.status,
        tool=plan.tool,
        ticket_id=plan.ticket_id,
        message=performed.message,
        created_id=performed.cw_id,
        confirmation=confirmation,
    )
