"""One in-process MCP server for the whole bot, a client per turn acting for that turn's technician.

An in-process `Client` enters the server's lifespan each time it opens, and ours opens ConnectWise (or starts
the embedded sandbox) and the knowledge index: far too much per Slack message. So the bot opens that state once
(`server.open_state`) and builds the server on it; each turn's client shares it. The identity is set before the client opens because the
server's request handling runs in tasks started then, which copy the context (identity/context.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer

from guardrails.guard import WriteGuard

from agent.session import ConfirmFn, open_session
from identity.context import acting_as
from identity.models import Identity
from products import configured_product


class SharedServer:
    def __init__(self, server: MCPServer, state: Any) -> None:
        self.server = server
        self.state = state

    @property
    def site(self) -> str | None:
        """The ConnectWise site ticket links point at (the sandbox's loopback URL on the embedded default). None on
        another product: the helpdesk's API contract gives no ticket page to link to."""
        if configured_product().name != "connectwise":
            return None
        return getattr(self.state, "site", None)

    @asynccontextmanager
    async def session(self, identity: Identity, confirm: ConfirmFn) -> AsyncIterator[Client]:
        with acting_as(identity):
            async with open_session(server=self.server, confirm=confirm) as client:
                yield client


@asynccontextmanager
async def shared(guard: WriteGuard) -> AsyncIterator[SharedServer]:
    """Our server on one opened state, for as long as the bot runs."""
    from server import build_server, open_state

    async with open_state(guard.policy, guard) as state:
        yield SharedServer(build_server(policy=guard.policy, guard=guard, state=state), state)
