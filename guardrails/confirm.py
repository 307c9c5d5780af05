"""Human confirmation through MCP elicitation: the preview, the form, and the resolver that asks.

A write tool declares two resolved parameters: the plan (built from its arguments) and the confirmation, whose
resolver depends on the plan and returns `Elicit(preview, ConfirmForm)`. The SDK asks the client (standalone
request before 2026-07-28, `InputRequiredResult` from it on) and hands the tool the whole outcome. The model never
sees the question and cannot answer it: the client asks its human.

No `from __future__ import annotations`: the SDK reads the resolver's annotations at registration, and the
closure's `Resolve(plan_fn)` must be a real object, not a string naming a local.
"""

import json
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    ElicitationResult,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from guardrails.guard import connection_of, guard_of
from guardrails.plan import WritePlan

ConfirmationOutcome = Literal["accepted", "declined", "cancelled", "rejected"]
NO_ELICITATION = (
    "{tool} needs your confirmation, but this MCP client does not support elicitation (form input), so it "
    "cannot ask you. Nothing was written. Set COPILOT_WRITE_MODE=two_step in the server's environment: writes "
    "then return a preview and a token, and confirm_write(token) performs them after you approve that call."
)
_SUMMARY_CHARS = 120


class ConfirmForm(BaseModel):
    confirm: bool = Field(description="true writes exactly what is shown above; false writes nothing.")


class TwoStep:
    """The confirmation resolver's answer in two_step mode: nothing asked; the tool issues a token instead."""


TWO_STEP = TwoStep()


def visible(text: str) -> str:
    """`text` with control and format characters (escape sequences, bidi overrides, zero-width marks) shown as
    \\uXXXX, so ticket text cannot restyle or reorder the preview a human reads. Newlines and tabs stay."""
    return "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf") else f"\\u{ord(ch):04x}" for ch in text
    )


def _one_line(text: str | None, limit: int | None = None) -> str:
    flat = " ".join(visible(text or "").split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


def render_preview(plan: WritePlan) -> str:
    lines = [
        "psa-copilot asks to WRITE to ConnectWise. Nothing is written unless you confirm.",
        "",
        f"Action: {plan.action}",
    ]
    if plan.ticket is not None:
        t = plan.ticket
        lines.append(
            f'Ticket: #{t.id} "{_one_line(t.summary, _SUMMARY_CHARS)}" | board: {_one_line(t.board) or "-"} | '
            f"company: {_one_line(t.company) or '-'} | status: {_one_line(t.status) or '-'} | "
            f"last updated: {t.last_updated or '-'}"
        )
    shown: set[str] = set()
    for f in plan.fields:
        if f.block:
            shown.add(f.value)
            lines += ["", f"{f.label} (exact, {len(f.value)} characters, between the lines):", "-" * 40]
            lines += [visible(f.value), "-" * 40]
        else:
            lines.append(f"{f.label}: {_one_line(f.value)}")
    # The exact body, with long texts already shown above referred to rather than repeated.
    body = plan.body
    if isinstance(body, dict):
        body = {k: ("<shown above>" if isinstance(v, str) and v in shown else v) for k, v in body.items()}
    lines += ["", f"Exact request: {plan.request}", visible(json.dumps(body, ensure_ascii=False, sort_keys=True))]
    return "\n".join(lines)


def client_can_elicit(ctx: Context) -> bool:
    """Form elicitation declared by the client (a bare `elicitation: {}` means form, per the spec)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def confirmation_resolver(
    plan_fn: Callable[..., Awaitable[WritePlan]],
) -> Callable[..., Awaitable[Elicit[ConfirmForm] | TwoStep]]:
    """The resolver for one write tool's confirmation parameter, depending on that tool's plan resolver."""

    async def ask_confirmation(
        plan: Annotated[WritePlan, Resolve(plan_fn)], ctx: Context
    ) -> Elicit[ConfirmForm] | TwoStep:
        guard = guard_of(ctx)
        if guard.policy.write_mode == "two_step":
            return TWO_STEP
        if not client_can_elicit(ctx):
            # Checked here rather than left to the SDK, whose error names a capability, not the setting that helps.
            message = NO_ELICITATION.format(tool=plan.tool)
            await guard.audit(connection_of(ctx), plan.tool, "not_written", "unsupported", plan=plan, error=message)
            raise ToolError(message)
        return Elicit(render_preview(plan), ConfirmForm)

    ask_confirmation.__qualname__ = f"ask_confirmation[{plan_fn.__name__}]"
    return ask_confirmation


def outcome_of(result: ElicitationResult[ConfirmForm]) -> ConfirmationOutcome:
    if isinstance(result, AcceptedElicitation):
        data: Any = result.data
        return "accepted" if isinstance(data, ConfirmForm) and data.confirm is True else "rejected"
    if isinstance(result, DeclinedElicitation):
        return "declined"
    # Cancelled, or anything the SDK might add later: never read as a yes.
    return "cancelled"
