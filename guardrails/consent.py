"""Asking the human: MCP form elicitation with the exact preview, and a strict reading of the answer.

Only `action == "accept"` with content exactly `{"confirm": true}` (the JSON boolean) is a yes. A string, a
number, a missing field, extra fields or no content at all are not: they write nothing and say why. The SDK's
resolver would turn those into an internal error before our code ran (and never audit them), so the question is
asked from here on both protocol revisions:

- before 2026-07-28, mid-call: an `elicitation/create` request while the tool call waits. Progress
  notifications keep clients that honour them (the TypeScript SDK's resetTimeoutOnProgress) from timing the call
  out; no answer within the confirmation TTL is a no; a client that gives up is recorded as such.
- from 2026-07-28, in rounds: the call returns `InputRequiredResult` with the question; the client asks its
  human and calls again with the answer and our `request_state`, a single-use token of `guard.asks` bound to
  the previewed plan. An answer after the TTL, or to a preview of a ticket that has changed since, writes
  nothing (the changed ticket is asked about again).

Every question has an audit row written before it is asked (`pending`, confirmation `asked`); the answer's row
names it as its attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import is_version_at_least

from guardrails.guard import Caller, WriteGuard
from guardrails.plan import WritePlan
from guardrails.preview import render_preview
from guardrails.tokens import TokenRefused

Answer = Literal[
    "accepted", "declined", "cancelled", "rejected", "invalid", "timeout", "client_gone", "late", "error"
]

QUESTION_KEY = "confirm_write"
"""The key of our one question in `input_requests` / `input_responses`."""

CONFIRM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confirm": {"type": "boolean", "description": "true writes exactly what is shown above; false writes nothing."}
    },
    "required": ["confirm"],
}

NO_ELICITATION = (
    "{tool} needs your confirmation, but this MCP client does not support elicitation (form input), so it "
    "cannot ask you. Nothing was written. Set COPILOT_WRITE_MODE=two_step in the server's environment: writes "
    "then return a preview and a token, and confirm_write(token) performs them after you approve that call."
)

_INPUT_REQUIRED_VERSION = "2026-07-28"
_KEEPALIVE_SECONDS = 10.0


@dataclass(frozen=True)
class Consent:
    """The human's answer as judged here. `attempt` is the audit row of the question."""

    answer: Answer
    reason: str
    attempt: int | None

    @property
    def accepted(self) -> bool:
        return self.answer == "accepted"


def judge(result: ElicitResult | None) -> tuple[Answer, str]:
    """A client's elicitation result, read strictly: only accept + {"confirm": true} is a yes."""
    if result is None:
        return "invalid", "The client sent no answer to the confirmation."
    if result.action == "decline":
        return "declined", "The user declined."
    if result.action != "accept":
        return "cancelled", "The user cancelled (dismissed the confirmation)."
    content = result.content
    if content is None:
        return "invalid", "The client answered 'accept' without the confirm field."
    extra = sorted(set(content) - {"confirm"})
    if extra:
        return "invalid", f"The answer carried fields other than confirm ({', '.join(extra)})."
    if "confirm" not in content:
        return "invalid", "The client answered 'accept' without the confirm field."
    value = content["confirm"]
    if value is True:
        return "accepted", "The user confirmed."
    if value is False:
        return "rejected", "The user answered confirm=false."
    return "invalid", f"confirm was {value!r} ({type(value).__name__}), not the JSON boolean true."


def client_can_elicit(ctx: Context) -> bool:
    """Form elicitation declared by the client (a bare `elicitation: {}` means form, per the spec)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def uses_rounds(ctx: Context) -> bool:
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, _INPUT_REQUIRED_VERSION)


async def refuse_unsupported(ctx: Context, guard: WriteGuard, caller: Caller, plan: WritePlan) -> None:
    """Checked here rather than left to the SDK, whose error names a capability, not the setting that helps."""
    message = NO_ELICITATION.format(tool=plan.tool)
    await guard.audit(caller, plan.tool, "not_written", "unsupported", plan=plan, error=message)
    raise ToolError(message)


async def ask_mid_call(ctx: Context, guard: WriteGuard, caller: Caller, plan: WritePlan) -> Consent:
    """Protocol revisions before 2026-07-28: ask now and wait for the answer, up to the confirmation TTL."""
    if not client_can_elicit(ctx):
        await refuse_unsupported(ctx, guard, caller, plan)
    attempt = await guard.audit(caller, plan.tool, "pending", "asked", plan=plan)
    session = ctx.request_context.session
    result: ElicitResult | None = None
    failure: Exception | None = None
    try:
        with anyio.fail_after(guard.ttl_seconds):
            async with anyio.create_task_group() as keepalive:
                keepalive.start_soon(_keep_alive, ctx)
                try:
                    result = await session.elicit_form(
                        message=render_preview(plan, guard.policy.writes_to), requested_schema=CONFIRM_SCHEMA,
                        related_request_id=ctx.request_id,
                    )
                except Exception as exc:  # noqa: BLE001 - an elicitation the client failed is a no, whatever the failure
                    failure = exc
                keepalive.cancel_scope.cancel()
    except TimeoutError:
        return Consent("timeout", f"No answer within {guard.ttl_seconds} s.", attempt)
    except anyio.get_cancelled_exc_class():
        # The client gave up on the call (its own timeout, or the user stopped it) while the human was asked.
        await guard.audit(
            caller,
            plan.tool,
            "not_written",
            "client_gone",
            plan=plan,
            attempt=attempt,
            error="The client cancelled the call while the user was being asked. Nothing was written.",
        )
        raise
    if failure is not None:
        return Consent("error", f"The client could not ask the user ({failure}).", attempt)
    answer, reason = judge(result)
    return Consent(answer, reason, attempt)


async def _keep_alive(ctx: Context) -> None:
    """Progress notifications while the human reads (a no-op when the client sent no progress token)."""
    beats = 0
    while True:
        await anyio.sleep(_KEEPALIVE_SECONDS)
        beats += 1
        try:
            await ctx.report_progress(beats, None, "waiting for the user to confirm the write")
        except Exception:  # noqa: BLE001 - a lost notification must not end the wait
            return


def question(guard: WriteGuard, caller: Caller, plan: WritePlan, attempt: int) -> InputRequiredResult:
    """Round one from 2026-07-28: the question, and a single-use token for the answer to come back with (only
    the person asked can bring it back)."""
    issued = guard.asks.issue(plan, attempt, caller.user)  # type: ignore[union-attr]  # set in WriteGuard.__post_init__
    preview = render_preview(plan, guard.policy.writes_to)
    request = ElicitRequest(params=ElicitRequestFormParams(message=preview, requested_schema=CONFIRM_SCHEMA))
    return InputRequiredResult(input_requests={QUESTION_KEY: request}, request_state=issued.token)


async def ask_in_rounds(
    ctx: Context, guard: WriteGuard, caller: Caller, plan: WritePlan
) -> Consent | InputRequiredResult:
    """From 2026-07-28: the question (first round), or the answer judged (the round that carries it)."""
    state = ctx.request_state
    if state is None:
        if not client_can_elicit(ctx):
            await refuse_unsupported(ctx, guard, caller, plan)
        return question(guard, caller, plan, await guard.audit(caller, plan.tool, "pending", "asked", plan=plan))
    try:
        asked = guard.asks.take(state, caller.user)  # type: ignore[union-attr]
    except TokenRefused as exc:
        answer: Answer = "late" if exc.kind == "expired" else "invalid"
        reason = (
            f"The answer came after the {guard.ttl_seconds} s the preview was valid for."
            if exc.kind == "expired"
            else f"The answer does not belong to a question this server asked ({exc.kind})."
        )
        return Consent(answer, reason, exc.attempt)
    if asked.plan.payload_hash() != plan.payload_hash() or asked.plan.ticket != plan.ticket:
        # The ticket (or the request) changed between the rounds: that answer was about something else.
        await guard.audit(
            caller,
            plan.tool,
            "stale",
            "asked_again",
            plan=asked.plan,
            attempt=asked.attempt,
            error="The ticket changed between the preview and the answer; the user is asked again.",
        )
        return question(guard, caller, plan, await guard.audit(caller, plan.tool, "pending", "asked", plan=plan))
    responses = ctx.input_responses or {}
    response = responses.get(QUESTION_KEY)
    answer, reason = judge(response if isinstance(response, ElicitResult) else None)
    return Consent(answer, reason, asked.attempt)
