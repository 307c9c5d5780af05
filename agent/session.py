"""The agent's MCP session: our own server in process (the default) or a remote one, with the human on the
elicitation line.

The agent is an ordinary MCP client, so it sees exactly the tools, schemas and guard rails an IDE sees. When a
write tool asks for confirmation (MCP elicitation: the server's preview and a form with one boolean `confirm`),
`HumanConfirm` hands the preview to the front-end's `confirm(message, schema)` and answers for the human. The
model never sees the question and has no tool that answers it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult

if TYPE_CHECKING:
    from guardrails.guard import WriteGuard

log = logging.getLogger("psa_copilot.agent")

ConfirmFn = Callable[[str, dict[str, Any]], Awaitable[bool]]
"""The front-end's question to its human: (the server's preview, the form's JSON schema) -> confirmed?"""

CONFIRM_FIELD = "confirm"


class HumanConfirm:
    """The elicitation callback. Also lets the agent stop its tool-call clock while a human reads a preview:
    a tool timeout is for a hung server, not for a technician who takes a minute to decide."""

    def __init__(self, confirm: ConfirmFn) -> None:
        self._confirm = confirm
        self._deadlines: set[anyio.CancelScope] = set()

    @asynccontextmanager
    async def paused_while_asking(self, scope: anyio.CancelScope) -> AsyncIterator[None]:
        """Register `scope` (a tool call's timeout) so time spent asking the human is added to its deadline."""
        self._deadlines.add(scope)
        try:
            yield
        finally:
            self._deadlines.discard(scope)

    async def __call__(self, _ctx: Any, params: ElicitRequestParams) -> ElicitResult:
        if not isinstance(params, ElicitRequestFormParams):
            # A URL elicitation sends the human to a web page; a terminal cannot, and it is never a yes.
            return ElicitResult(action="decline")
        schema = dict(params.requested_schema) if params.requested_schema else {}
        if CONFIRM_FIELD not in (schema.get("properties") or {}):
            log.warning("declined an elicitation without a %r field: %s", CONFIRM_FIELD, params.message[:200])
            return ElicitResult(action="decline")
        paused = {scope: scope.deadline for scope in self._deadlines}
        for scope in paused:
            scope.deadline = math.inf
        started = anyio.current_time()
        try:
            confirmed = await self._confirm(params.message, schema)
        except Exception:  # noqa: BLE001 - a question that could not be asked is a no, never a yes
            log.exception("the confirmation prompt failed; declining")
            confirmed = False
        finally:
            waited = anyio.current_time() - started
            for scope, deadline in paused.items():
                scope.deadline = deadline + waited
        return ElicitResult(action="accept", content={CONFIRM_FIELD: True}) if confirmed else ElicitResult(action="decline")


def agent_guard() -> WriteGuard:
    """The write guard our front-ends run with: the environment's policy, but always in elicit mode unless
    writes are off: the agent's human confirms in the front-end, and two_step's confirm_write would be a tool
    the model could call. Raises PolicyError/ValueError on bad settings."""
    from guardrails.guard import WriteGuard
    from guardrails.policy import Policy
    from psa.connectwise.settings import ConnectWiseSettings
    from server import autosync_from_env

    # As `run_server` does: bad settings fail here, not in the server's lifespan at the first request.
    if (os.environ.get("CW_SITE") or "").strip():
        ConnectWiseSettings.from_env()
    autosync_from_env(embedded=False)
    policy = Policy.from_env()
    if policy.write_mode == "two_step":
        policy = dataclasses.replace(policy, write_mode="elicit")
    return WriteGuard.from_env(policy)


def agent_server() -> MCPServer:
    """Our server as `server.py` builds it from the environment (the embedded sandbox when CW_SITE is unset),
    with `agent_guard`'s policy."""
    from server import build_server

    guard = agent_guard()
    return build_server(policy=guard.policy, guard=guard)


@asynccontextmanager
async def open_session(
    *, server_url: str | None = None, confirm: ConfirmFn, server: MCPServer | None = None
) -> AsyncIterator[Client]:
    """An open MCP client: `server` in process, else a streamable-HTTP `server_url` (e.g.
    http://127.0.0.1:8000/mcp), else our server built from the environment (see `agent_server`)."""
    if server is not None and server_url is not None:
        raise ValueError("open_session: pass server or server_url, not both")
    target: MCPServer | str = server if server is not None else server_url or agent_server()
    async with Client(target, elicitation_callback=HumanConfirm(confirm)) as client:
        yield client
