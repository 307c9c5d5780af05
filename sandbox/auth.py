"""ConnectWise authentication: Basic `companyId+publicKey:privateKey` plus a `clientId` header.

Two kinds of keys open the sandbox, both for company `sandbox` with clientId `sandbox-client`:

- the sandbox's API keys, `sandbox-public` / `sandbox-private`: requests act as the API member (`SandboxAPI`);
- a member's own keys, `<identifier>-public` / `<identifier>-private` for every seeded member (e.g.
  `kbrooks-public` / `kbrooks-private`): requests act as that member, as ConnectWise does for keys generated
  on a member's record. A note created with them has that member as `member` and `createdBy`; a time entry's
  `member` defaults to them (sandbox/resources.py reads the acting member).
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.errors import ApiError, error_response, unauthorized
from sandbox.resources import acting_member
from sandbox.store import Doc, Store

COMPANY_ID = "sandbox"
PUBLIC_KEY = "sandbox-public"
PRIVATE_KEY = "sandbox-private"
CLIENT_ID = "sandbox-client"
MEMBER_PUBLIC_SUFFIX = "-public"
MEMBER_PRIVATE_SUFFIX = "-private"

_INCORRECT = "The supplied authentication is incorrect"


def check(authorization: str | None, client_id: str | None) -> str | None:
    """None for the sandbox's API keys, the member identifier a member's keys name (not yet checked against the
    members); a 401 ApiError for anything else."""
    if not client_id or not hmac.compare_digest(client_id, CLIENT_ID):
        raise unauthorized("A valid clientId header is required")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not token:
        raise unauthorized("Basic authentication is required")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("Malformed Basic credentials") from None
    # Company ids are case-insensitive on CW; keys are not.
    user, _, password = decoded.partition(":")
    company, _, public = user.partition("+")
    identifier = public.removesuffix(MEMBER_PUBLIC_SUFFIX)
    if public == PUBLIC_KEY or identifier == public or not identifier:
        identifier, expected = None, f"{COMPANY_ID}+{PUBLIC_KEY}:{PRIVATE_KEY}"
    else:
        expected = f"{COMPANY_ID}+{public}:{identifier}{MEMBER_PRIVATE_SUFFIX}"
    given = f"{company.lower()}+{public}:{password}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise unauthorized(_INCORRECT)
    return identifier


def member_named(store: Store, identifier: str) -> Doc:
    """The seeded member whose keys these are (identifiers match exactly, as keys do); 401 when none is."""
    member = store.find_one("members", "identifier", identifier)
    if member is None or member.get("identifier") != identifier:
        raise unauthorized(_INCORRECT)
    return member


class AuthMiddleware:
    """Rejects unauthenticated requests under the API prefix before any route runs, and runs the rest of the
    request as the member the keys belong to (None: the API member)."""

    def __init__(self, app: ASGIApp, prefix: str, store: Store) -> None:
        self.app = app
        self.prefix = prefix
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            identifier = check(headers.get("authorization"), headers.get("clientid"))
            # In the thread pool: the store's lock may be held by a write in progress.
            member = None if identifier is None else await run_in_threadpool(member_named, self.store, identifier)
        except ApiError as exc:
            await error_response(exc.status, exc.body, exc.headers)(scope, receive, send)
            return
        # A context variable, not request.state: the resource rules run in the thread pool without the request,
        # and the pool's threads run in a copy of this context.
        token = acting_member.set(member)
        try:
            await self.app(scope, receive, send)
        finally:
            acting_member.reset(token)
