"""The identity of the request a tool or guard is serving.

Over HTTP the sign-in middleware (webapp/auth.py) puts it on the request's state. A front-end that drives our
server in process for several people (the Slack bot) says whom it acts for with `acting_as`. Otherwise (stdio, a
terminal) COPILOT_USER / COPILOT_MEMBER name the one person at the keyboard (else `local`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from identity.models import Identity

STATE_KEY = "identity"
"""Where webapp/auth.py leaves the Identity: `request.state.identity` (the ASGI scope's `state`)."""

_ACTING: ContextVar[Identity | None] = ContextVar("psa_copilot_acting_as", default=None)


@contextmanager
def acting_as(identity: Identity) -> Iterator[None]:
    """In-process calls made inside this block (and tasks started in it) act for `identity`."""
    token = _ACTING.set(identity)
    try:
        yield
    finally:
        _ACTING.reset(token)


def identity_of(ctx: Any) -> Identity:
    """`ctx`: a tool's Context or a middleware's request context."""
    request_context = getattr(ctx, "request_context", ctx)
    request = getattr(request_context, "request", None)
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, dict) else None
    found = state.get(STATE_KEY) if isinstance(state, dict) else None
    if isinstance(found, Identity):
        return found
    acting = _ACTING.get()
    if acting is not None and request is None:
        return acting
    return local_identity(via="none" if request is not None else "stdio")


def local_identity(via: Any = "stdio") -> Identity:
    user = (os.environ.get("COPILOT_USER") or "").strip() or "local"
    member = (os.environ.get("COPILOT_MEMBER") or "").strip() or None
    return Identity(user=user, member=member, via=via)
