"""A signed-in technician's tool calls go to ConnectWise with their own API keys, when they have set some.

ConnectWise attributes a note or a time entry to the API member whose keys made the request, so a technician
who ran `psa-copilot users set-keys` writes as themselves; without keys, the server's CW_* keys are used (the
API member). The middleware looks the keys up per call (SQLite and a Fernet decryption, in a worker thread),
leases that key pair's provider from the pool in the lifespan state (psa/connectwise/pool.py) and makes it
the provider `tools.common.provider_of` returns for the rest of that call.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import anyio
from mcp_types import CallToolResult, TextContent

from identity.context import identity_of
from psa.provider import KeyedProviders, PSAProvider, neutral
from settings import one_line

if TYPE_CHECKING:
    from identity.keys import ConnectWiseKeys

SIGNED_IN = frozenset({"tokens", "oidc", "slack"})
"""The sign-ins that name a technician of the key store; stdio and `none` are the server operator."""

_acting: ContextVar[PSAProvider | None] = ContextVar("psa_copilot_acting_provider", default=None)


def acting_provider() -> PSAProvider | None:
    """The provider leased for the tool call being served; None outside one, and for a technician without keys."""
    return _acting.get()


def stored_keys(email: str) -> ConnectWiseKeys | None:
    """The technician's own key pair from the key store, decrypted; None when they set none."""
    from identity.technicians import keys_for  # sqlite and Fernet load on the first signed-in call

    return keys_for(email)


class ActingMember:
    """Server middleware: a tools/call from a signed-in technician with keys runs on their pooled provider.

    Placed after the readiness gate, so the server's provider (and with it the pool) is open. No pool in the
    lifespan state (a caller-supplied provider, as in process): every call uses that provider.
    """

    def __init__(self, keys_for: Callable[[str], ConnectWiseKeys | None] = stored_keys) -> None:
        self.keys_for = keys_for

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        pool: KeyedProviders | None = getattr(getattr(ctx, "lifespan_context", None), "pool", None)
        if getattr(ctx, "method", None) != "tools/call" or pool is None:
            return await call_next(ctx)
        identity = identity_of(ctx)
        if identity.via not in SIGNED_IN:
            return await call_next(ctx)
        try:
            keys = await anyio.to_thread.run_sync(self.keys_for, identity.user)
        except (ValueError, OSError) as exc:
            # KeysUnreadable, a bad COPILOT_SECRET_KEY, an unreadable database: acting as the API member instead
            # would put someone else's name on the technician's work, so the call is refused.
            message = f"your ConnectWise keys could not be read: {one_line(exc)}"
            return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)
        if keys is None:
            return await call_next(ctx)
        async with pool.lease(keys) as provider:
            token = _acting.set(neutral(provider))
            try:
                return await call_next(ctx)
            finally:
                _acting.reset(token)
