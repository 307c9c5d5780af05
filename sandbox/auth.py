"""ConnectWise authentication: Basic `companyId+publicKey:privateKey` plus a `clientId` header."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.errors import ApiError, error_response, unauthorized

COMPANY_ID = "sandbox"
PUBLIC_KEY = "sandbox-public"
PRIVATE_KEY = "sandbox-private"
CLIENT_ID = "sandbox-client"


def check(authorization: str | None, client_id: str | None) -> None:
    """Raise a 401 ApiError unless both the Basic credentials and the clientId are the sandbox's."""
    if not client_id or not hmac.compare_digest(client_id, CLIENT_ID):
        raise unauthorized("A valid clientId header is required")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not token:
        raise unauthorized("Basic authentication is required")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("Malformed Basic credentials") from None
    expected = f"{COMPANY_ID}+{PUBLIC_KEY}:{PRIVATE_KEY}"
    # Company ids are case-insensitive on CW; keys are not.
    user, _, password = decoded.partition(":")
    company, _, public = user.partition("+")
    given = f"{company.lower()}+{public}:{password}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise unauthorized("The supplied authentication is incorrect")


class AuthMiddleware:
    """Rejects unauthenticated requests under the API prefix before any route runs."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            try:
                check(headers.get("authorization"), headers.get("clientid"))
            except ApiError as exc:
                await error_response(exc.status, exc.body, exc.headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)
