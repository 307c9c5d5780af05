"""`WriteGuard`: the per-server bundle the write tools consult (policy, consent books, audit log).

One guard per server, made in `server.build_server` and handed to tools through the lifespan state, so the
token secrets and the sets of used tokens live exactly as long as the server process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from storage.audit import AuditEntry, AuditLog, AuditUnavailable, Outcome
from guardrails.plan import WritePlan
from guardrails.policy import Denial, Policy
from guardrails.tokens import TokenBook, ttl_from_env
from identity.context import identity_of

log = logging.getLogger("psa_copilot.guardrails")


@dataclass
class WriteGuard:
    policy: Policy
    tokens: TokenBook = field(default_factory=TokenBook)
    """two_step tokens, redeemed by confirm_write."""
    audit_log: AuditLog = field(default_factory=AuditLog)
    asks: TokenBook | None = None
    """Questions out to a human in input_required rounds (2026-07-28), carried as request_state. A separate
    book with its own secret, so a question can never be redeemed as a two-step token or the other way round.
    None: one with the same TTL and clock as `tokens`."""

    def __post_init__(self) -> None:
        if self.asks is None:
            self.asks = TokenBook(ttl_seconds=self.tokens.ttl_seconds, clock=self.tokens.clock)

    @property
    def ttl_seconds(self) -> int:
        """How long a human has to answer, and a two-step token lives (COPILOT_CONFIRM_TTL_SECONDS)."""
        return self.tokens.ttl_seconds

    @classmethod
    def from_env(cls, policy: Policy, env: Mapping[str, str] | None = None) -> WriteGuard:
        env = os.environ if env is None else env
        return cls(policy=policy, tokens=TokenBook(ttl_seconds=ttl_from_env(env.get("COPILOT_CONFIRM_TTL_SECONDS"))))

    async def audit(
        self,
        caller: Caller,
        tool: str,
        outcome: Outcome,
        confirmation: str,
        *,
        plan: WritePlan | None = None,
        ticket_id: int | None = None,
        payload: Any = None,
        cw_id: int | None = None,
        error: str | None = None,
        attempt: int | None = None,
    ) -> int:
        """Append one row; its id. Raises AuditUnavailable when it cannot be stored: callers stop there, so
        nothing goes out unrecorded. Shielded from cancellation: a client that gives up mid-write still leaves
        its row."""
        entry = AuditEntry(
            connection=caller.connection,
            user=caller.user,
            member=caller.member,
            tool=tool,
            ticket_id=plan.ticket_id if plan is not None else ticket_id,
            payload=plan.audit_payload() if plan is not None else payload,
            outcome=outcome,
            confirmation=confirmation,
            cw_id=cw_id,
            error=error,
            attempt=attempt,
        )
        # sqlite3 blocks; keep the event loop free for other sessions.
        with anyio.CancelScope(shield=True):
            return await anyio.to_thread.run_sync(self.audit_log.record, entry)

    async def audit_denied_call(self, ctx: Any, denial: Denial, arguments: Mapping[str, Any]) -> None:
        """PolicyGuard's hook: a call to a hidden write tool, refused before the tool ran."""
        ticket_id = arguments.get("ticket_id")
        try:
            await self.audit(
                caller_of(ctx),
                denial.tool,
                "denied",
                "none",
                ticket_id=ticket_id if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) else None,
                payload={"arguments": dict(arguments)},
                error=denial.message(),
            )
        except AuditUnavailable as exc:
            # The call is refused either way; the refusal must not turn into a server error.
            log.warning("a denied call to %s was not audited: %s", denial.tool, exc)


def guard_of(ctx: Context) -> WriteGuard:
    guard = getattr(ctx.request_context.lifespan_context, "guard", None)
    if not isinstance(guard, WriteGuard):
        # Fail closed: without a guard there is no policy, confirmation or audit, so no write.
        raise ToolError("This server has no write guard configured; writes are disabled.")
    return guard


class Caller(BaseModel):
    """Who a write attempt is for, as the audit log records it: the MCP connection and the person."""

    model_config = ConfigDict(frozen=True)

    connection: str
    user: str
    member: str | None = None


def caller_of(ctx: Any) -> Caller:
    identity = identity_of(ctx)
    return Caller(connection=connection_of(ctx), user=identity.user, member=identity.member)


def connection_of(ctx: Any) -> str:
    """Who is asking, as far as MCP tells us: the HTTP session id, else 'local' (stdio, in-process)."""
    request_context = getattr(ctx, "request_context", ctx)
    headers = getattr(getattr(request_context, "request", None), "headers", None)
    session_id = headers.get("mcp-session-id") if headers is not None else None
    return f"http:{session_id}" if session_id else "local"
