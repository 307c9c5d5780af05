"""From a planned write to its outcome, per write mode.

- elicit: the confirmation resolver already asked the human; accept with confirm=true executes, anything else
  writes nothing and says so.
- two_step: nothing is asked; a token bound to the plan is issued, and `redeem` (the confirm_write tool)
  executes the plan once the human has approved that call.
"""

from __future__ import annotations

from collections.abc import Mapping

from mcp.server.mcpserver import Context, ElicitationResult
from mcp.server.mcpserver.exceptions import ToolError

from guardrails.confirm import ConfirmForm, TwoStep, outcome_of, render_preview
from guardrails.execute import Perform, WriteOutcome, execute
from guardrails.guard import WriteGuard, connection_of
from guardrails.plan import WritePlan
from guardrails.policy import CONFIRM_TOOL
from guardrails.tokens import TokenRefused
from tools.registry import registry

_NOT_WRITTEN = {
    "declined": "The user declined. Nothing was written.",
    "cancelled": "The user cancelled (dismissed the confirmation). Nothing was written.",
    "rejected": "The user answered confirm=false. Nothing was written.",
}


async def complete_write(
    ctx: Context,
    guard: WriteGuard,
    provider: object,
    plan: WritePlan,
    confirmation: ElicitationResult[ConfirmForm],
    perform: Perform,
) -> WriteOutcome:
    connection = connection_of(ctx)
    if isinstance(getattr(confirmation, "data", None), TwoStep):
        issued = guard.tokens.issue(plan)
        await guard.audit(connection, plan.tool, "pending", "token_issued", plan=plan)
        return WriteOutcome(
            status="pending_confirmation",
            tool=plan.tool,
            ticket_id=plan.ticket_id,
            message=(
                "Nothing is written yet. Show the user the preview; only if they approve, call "
                f"{CONFIRM_TOOL} with this token (single use, expires {issued.expires_at:%Y-%m-%d %H:%M:%S} UTC)."
            ),
            confirmation="token_issued",
            preview=render_preview(plan),
            token=issued.token,
            expires_at=issued.expires_at,
        )
    answer = outcome_of(confirmation)
    if answer != "accepted":
        message = _NOT_WRITTEN[answer]
        await guard.audit(connection, plan.tool, "not_written", answer, plan=plan)
        return WriteOutcome(
            status="not_written", tool=plan.tool, ticket_id=plan.ticket_id, message=message, confirmation=answer
        )
    return await execute(ctx, guard, provider, plan, "accepted", perform)


async def redeem(
    ctx: Context, guard: WriteGuard, provider: object, token: str, performers: Mapping[str, Perform]
) -> WriteOutcome:
    connection = connection_of(ctx)
    try:
        plan = guard.tokens.redeem(token)
    except TokenRefused as exc:
        await guard.audit(
            connection,
            exc.plan.tool if exc.plan else CONFIRM_TOOL,
            "refused",
            f"token_{exc.kind}",
            plan=exc.plan,
            payload=None if exc.plan else {"token": token[:40]},
            error=str(exc),
        )
        raise ToolError(str(exc)) from exc
    # The policy is fixed per process, but checked again so a token can never reach a tool the policy hides.
    spec = registry().get(plan.tool)
    denial = guard.policy.denial(spec) if spec is not None else None
    if spec is None or denial is not None or plan.tool not in performers:
        message = denial.message() if denial else f"{plan.tool} cannot be confirmed here."
        await guard.audit(connection, plan.tool, "denied", "token", plan=plan, error=message)
        raise ToolError(message)
    return await execute(ctx, guard, provider, plan, "token", performers[plan.tool])
