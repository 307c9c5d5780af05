"""The guarded write: the one path every write tool takes from its arguments to the PSA product.

    plan (validate, fix the exact body)  ->  consent (elicit, or a two-step token)  ->  re-check the ticket
    ->  intent row in the audit log  ->  perform, once  ->  outcome row

A write tool supplies two things (see tools/writes/): `build`, which makes the plan from the provider and the
policy, and `perform`, which sends a confirmed plan and, when the request failed in flight, looks whether it
landed. Everything else is here, once. If the audit log cannot take a row, the write stops at that row:
nothing reaches a human or the product unrecorded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import InputRequiredResult
from pydantic import BaseModel, ConfigDict, Field

from catalog import CATALOG, CONFIRM_TOOL
from storage.audit import AuditUnavailable
from guardrails.consent import Consent, ask_in_rounds, ask_mid_call, uses_rounds
from guardrails.guard import Caller, WriteGuard, caller_of, guard_of
from guardrails.plan import PlanRefused, StaleTicket, WritePlan, recheck
from guardrails.preview import render_preview
from guardrails.tokens import TokenRefused
from psa.errors import PSAConnectionError, PSAError, PSAResponseError, PSAServerError, PSATimeoutError
from psa.provider import PSAProvider

log = logging.getLogger("psa_copilot.guardrails")

WriteStatus = Literal["written", "not_written", "pending_confirmation", "unknown"]

IN_FLIGHT = (PSATimeoutError, PSAConnectionError, PSAServerError, PSAResponseError)
"""Failures after which the request may or may not have been stored: a perform checks, it never resends."""


class WriteOutcome(BaseModel):
    """What a write tool (or confirm_write) did."""

    model_config = ConfigDict(extra="forbid")

    status: WriteStatus = Field(
        description="pending_confirmation: show the preview, then confirm_write; unknown: check the PSA "
        "before repeating."
    )
    tool: str
    ticket_id: int | None = None
    message: str
    created_id: int | None = Field(None, description="The PSA's id of the record created or changed.")
    confirmation: str
    preview: str | None = Field(None, description="two_step: the exact write, for the user.")
    token: str | None = Field(None, description="two_step: for confirm_write, once the user approved.")
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Performed:
    status: Literal["written", "not_written", "unknown"]
    record_id: int | None
    message: str


Perform = Callable[[Any, WritePlan], Awaitable[Performed]]
"""(provider, plan) -> what happened. A perform catches the failures that leave the outcome open (IN_FLIGHT)
and reports written / not_written / unknown after checking; a PSAError it lets through means
the product refused the write, so nothing was stored."""

Build = Callable[[Any, Any], Awaitable[WritePlan]]
"""(provider, policy) -> the plan, or PlanRefused."""


def why(exc: PSAError) -> str:
    return str(exc).splitlines()[0]


def unverified(what: str, exc: PSAError, check: PSAError | None = None) -> Performed:
    checked = f"; checking failed too ({why(check)})" if check else ""
    return Performed(
        "unknown",
        None,
        f"{exc.product} did not confirm the {what} ({why(exc)}){checked}. It may or may not have been stored: "
        "look at the ticket there before trying again.",
    )


_NOT_WRITTEN = {
    "declined": "The user declined. Nothing was written.",
    "cancelled": "The user cancelled (dismissed the confirmation). Nothing was written.",
    "rejected": "The user answered confirm=false. Nothing was written.",
}


async def guarded_write(
    ctx: Context, provider: PSAProvider, tool: str, ticket_id: int | None, build: Build, perform: Perform
) -> WriteOutcome | InputRequiredResult:
    """One write tool call, whatever the write mode and protocol revision."""
    guard = guard_of(ctx)
    caller = caller_of(ctx)
    try:
        plan = await _plan(guard, caller, provider, tool, ticket_id, build)
        if guard.policy.write_mode == "two_step":
            return await _issue_token(guard, caller, plan)
        consent = await (ask_in_rounds if uses_rounds(ctx) else ask_mid_call)(ctx, guard, caller, plan)
        if isinstance(consent, InputRequiredResult):
            return consent
        if not consent.accepted:
            return await _not_consented(guard, caller, plan, consent)
        return await _execute(guard, caller, provider, plan, "accepted", perform, consent.attempt)
    except AuditUnavailable as exc:
        raise ToolError(f"{tool} refused: {exc}. Nothing was sent to {guard.policy.writes_to}.") from exc


async def redeem(ctx: Context, provider: PSAProvider, token: str, performers: Mapping[str, Perform]) -> WriteOutcome:
    """confirm_write: perform the plan a two-step token confirms."""
    guard = guard_of(ctx)
    caller = caller_of(ctx)
    try:
        try:
            redeemed = guard.tokens.take(token, caller.user)
        except TokenRefused as exc:
            await guard.audit(
                caller,
                exc.plan.tool if exc.plan else CONFIRM_TOOL,
                "refused",
                f"token_{exc.kind}",
                plan=exc.plan,
                payload=None if exc.plan else {"token": token[:40]},
                error=str(exc),
                attempt=exc.attempt,
            )
            raise ToolError(str(exc)) from exc
        plan = redeemed.plan
        # The policy is fixed per process, but checked again so a token can never reach a tool the policy hides.
        spec = CATALOG.get(plan.tool)
        denial = guard.policy.denial(spec) if spec is not None else None
        if spec is None or denial is not None or plan.tool not in performers:
            message = denial.message() if denial else f"{plan.tool} cannot be confirmed here."
            await guard.audit(caller, plan.tool, "denied", "token", plan=plan, error=message, attempt=redeemed.attempt)
            raise ToolError(message)
        return await _execute(guard, caller, provider, plan, "token", performers[plan.tool], redeemed.attempt)
    except AuditUnavailable as exc:
        raise ToolError(f"{CONFIRM_TOOL} refused: {exc}. Nothing was sent to {guard.policy.writes_to}.") from exc


async def _plan(
    guard: WriteGuard, caller: Caller, provider: PSAProvider, tool: str, ticket_id: int | None, build: Build
) -> WritePlan:
    """Run the tool's planner; a refusal is a write attempt too, so it is audited before it is reported."""
    try:
        return await build(provider, guard.policy)
    except PlanRefused as exc:
        await guard.audit(caller, tool, exc.outcome, "none", ticket_id=ticket_id, error=str(exc))
        raise ToolError(str(exc)) from exc
    except PSAError as exc:
        await guard.audit(caller, tool, "failed", "none", ticket_id=ticket_id, error=str(exc))
        raise ToolError(f"Could not prepare {tool}; nothing was written. {exc}") from exc


async def _issue_token(guard: WriteGuard, caller: Caller, plan: WritePlan) -> WriteOutcome:
    attempt = await guard.audit(caller, plan.tool, "pending", "token_issued", plan=plan)
    issued = guard.tokens.issue(plan, attempt, caller.user)
    return WriteOutcome(
        status="pending_confirmation",
        tool=plan.tool,
        ticket_id=plan.ticket_id,
        message=(
            "Nothing is written yet. Show the user the preview; only if they approve, call "
            f"{CONFIRM_TOOL} with this token (single use, expires {issued.expires_at:%Y-%m-%d %H:%M:%S} UTC)."
        ),
        confirmation="token_issued",
        preview=render_preview(plan, guard.policy.writes_to),
        token=issued.token,
        expires_at=issued.expires_at,
    )


async def _not_consented(guard: WriteGuard, caller: Caller, plan: WritePlan, consent: Consent) -> WriteOutcome:
    message = _NOT_WRITTEN.get(consent.answer) or f"{consent.reason} Nothing was written."
    if consent.answer == "late":
        message += f" Call {plan.tool} again for a fresh preview."
    await guard.audit(
        caller, plan.tool, "not_written", consent.answer, plan=plan, attempt=consent.attempt,
        error=None if consent.answer in _NOT_WRITTEN else message,
    )
    return WriteOutcome(
        status="not_written", tool=plan.tool, ticket_id=plan.ticket_id, message=message, confirmation=consent.answer
    )


async def _execute(
    guard: WriteGuard,
    caller: Caller,
    provider: PSAProvider,
    plan: WritePlan,
    confirmation: str,
    perform: Perform,
    attempt: int | None,
) -> WriteOutcome:
    """Re-check, record the intent, send once, record the outcome."""
    if plan.ticket is not None:
        try:
            fresh = await recheck(provider, plan.ticket)
        except StaleTicket as exc:
            message = f"{exc} Nothing was written; call {plan.tool} again to preview the current ticket."
            await guard.audit(caller, plan.tool, "stale", confirmation, plan=plan, error=message, attempt=attempt)
            raise ToolError(message) from exc
        except PSAError as exc:
            await guard.audit(caller, plan.tool, "failed", confirmation, plan=plan, error=str(exc), attempt=attempt)
            raise ToolError(f"Could not re-read ticket #{plan.ticket.id} before writing; nothing was written. {exc}") from exc
        denial = guard.policy.board_denial(plan.tool, fresh.board)
        if denial is not None:
            await guard.audit(
                caller, plan.tool, "denied", confirmation, plan=plan, error=denial.message(), attempt=attempt
            )
            raise ToolError(denial.message())
    intent = await guard.audit(caller, plan.tool, "sending", confirmation, plan=plan, attempt=attempt)
    attempt = attempt if attempt is not None else intent
    try:
        performed = await perform(provider, plan)
    except (PSAError, ValueError) as exc:
        await _record_outcome(guard, caller, plan, "failed", confirmation, None, str(exc), attempt)
        raise ToolError(f"{plan.tool} was refused; nothing was written. {exc}") from exc
    message = performed.message
    error = None if performed.status == "written" else performed.message
    if not await _record_outcome(guard, caller, plan, performed.status, confirmation, performed.record_id, error, attempt):
        message += " (The audit log could not record this outcome; its intent row is there.)"
    return WriteOutcome(
        status=performed.status,
        tool=plan.tool,
        ticket_id=plan.ticket_id,
        message=message,
        created_id=performed.record_id,
        confirmation=confirmation,
    )


async def _record_outcome(
    guard: WriteGuard,
    caller: Caller,
    plan: WritePlan,
    outcome: Any,
    confirmation: str,
    record_id: int | None,
    error: str | None,
    attempt: int,
) -> bool:
    """The outcome row, after the request went out: a failure here must not hide what the product did."""
    try:
        await guard.audit(caller, plan.tool, outcome, confirmation, plan=plan, cw_id=record_id, error=error, attempt=attempt)
    except AuditUnavailable as exc:
        log.error("%s: outcome %s (record id %s) not audited: %s", plan.tool, outcome, record_id, exc)
        return False
    return True
