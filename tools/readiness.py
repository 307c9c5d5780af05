"""Tool calls wait until what they use has opened.

The server answers `initialize` and `tools/list` at once and opens the PSA connection (on the embedded default,
the sandbox it starts) and the knowledge index in the background. A `tools/call` that arrives before what it
uses is open waits for it, up to `STARTUP_WAIT_S`, then answers with one line: still starting, or why opening
failed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import anyio
from mcp_types import CallToolResult, TextContent

STARTUP_WAIT_S = 30.0
"""Longer than a first start takes (seeding the 2,000-ticket sandbox and opening the index: a few seconds),
shorter than an MCP client's usual tool timeout, so the client gets our message rather than its own."""


class Readiness:
    """What the server is still opening (parts by key, each with the name a user reads), and the one-line
    reason if opening failed."""

    def __init__(self, parts: Mapping[str, str]) -> None:
        self._names = dict(parts)
        self._open = {key: anyio.Event() for key in parts}
        self.error: str | None = None

    def opened(self, key: str) -> None:
        self._open[key].set()

    def fail(self, error: str) -> None:
        """Opening failed: every call answers `error` from now on."""
        self.error = error
        for event in self._open.values():
            event.set()

    async def wait(self, timeout_s: float, needs: Collection[str] | None = None) -> str | None:
        """None once the parts in `needs` (None: all) are open; otherwise what a tool call answers instead."""
        keys = [key for key in self._open if needs is None or key in needs]
        with anyio.move_on_after(timeout_s):
            for key in keys:
                await self._open[key].wait()
        if self.error is not None:
            return self.error
        pending = [self._names[key] for key in keys if not self._open[key].is_set()]
        if pending:
            verb = "are" if len(pending) > 1 else "is"
            return f"{' and '.join(pending)} {verb} still starting; try again in a moment"
        return None


class ReadinessGate:
    """Server middleware: a tools/call waits for the parts of the lifespan state's `readiness` that the tool
    needs (`needs(tool name)`; None: all). No readiness in the state: nothing to wait for."""

    def __init__(self, needs: Callable[[str], Collection[str] | None], timeout_s: float = STARTUP_WAIT_S) -> None:
        self.needs = needs
        self.timeout_s = timeout_s

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        readiness = getattr(getattr(ctx, "lifespan_context", None), "readiness", None)
        if getattr(ctx, "method", None) == "tools/call" and isinstance(readiness, Readiness):
            params = getattr(ctx, "params", None) or {}
            name = params.get("name") if isinstance(params, Mapping) else None
            problem = await readiness.wait(self.timeout_s, self.needs(name) if isinstance(name, str) else None)
            if problem is not None:
                return CallToolResult(content=[TextContent(type="text", text=problem)], is_error=True)
        return await call_next(ctx)
