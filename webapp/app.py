"""The HTTP app around the MCP endpoint, as one ASGI callable:

    GET /health                                  200 {"status": "ok"}, always open (load balancers, probes)
    every other request                          Host and Origin checked (421 / 403), on every bind address
    /.well-known/oauth-protected-resource[/mcp]  RFC 9728 metadata naming the issuer (oidc mode)
    POST /connectwise/callbacks                  ConnectWise's callbacks: no bearer token (ConnectWise cannot send
                                                 one), the payload's signature instead (callbacks/receiver.py)
    everything else                              a signed-in technician (401 with WWW-Authenticate / 403;
                                                 503 when the OIDC issuer cannot be reached), then the MCP app
                                                 with the Identity on the request's state
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from callbacks.receiver import CALLBACK_PATH
from identity.context import STATE_KEY
from webapp.auth import Authenticator, NotATechnician, NotSignedIn, SignInUnavailable, bearer_of
from webapp.settings import HttpSettings

log = logging.getLogger("psa_copilot.http")

HEALTH_PATH = "/health"
METADATA_PATH = "/.well-known/oauth-protected-resource"
REALM = "psa-copilot"


def transport_security(http: HttpSettings) -> TransportSecuritySettings:
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(http.allowed_hosts),
        allowed_origins=list(http.allowed_origins),
    )


class CopilotHttpApp:
    def __init__(self, mcp_app: ASGIApp, http: HttpSettings, auth: Authenticator, mcp_path: str = "/mcp", *,
                 callbacks: Callable[[Request], Awaitable[Response]] | None = None) -> None:
        self.mcp_app = mcp_app
        self.callbacks = callbacks
        self.auth = auth
        self.mcp_path = mcp_path
        self._origin_check = TransportSecurityMiddleware(transport_security(http))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.mcp_app(scope, receive, send)  # lifespan: the MCP session manager starts and stops there
            return
        request = Request(scope, receive)
        if scope["path"] == HEALTH_PATH and request.method in ("GET", "HEAD"):
            await JSONResponse({"status": "ok"})(scope, receive, send)
            return
        refused = await self._origin_check.validate_request(request, is_post=False)
        if refused is not None:
            await refused(scope, receive, send)
            return
        if scope["path"] == CALLBACK_PATH and self.callbacks is not None:
            if request.method != "POST":
                await JSONResponse({"error": "POST a ConnectWise callback here"}, status_code=405,
                                   headers={"Allow": "POST"})(scope, receive, send)
                return
            await (await self.callbacks(request))(scope, receive, send)
            return
        if scope["path"] in (METADATA_PATH, METADATA_PATH + self.mcp_path):
            await self._metadata(request)(scope, receive, send)
            return
        try:
            signed_in = await self.auth.sign_in(bearer_of(request.headers.get("authorization")))
        except NotSignedIn as exc:
            await self._unauthorized(request, str(exc))(scope, receive, send)
            return
        except NotATechnician as exc:
            await JSONResponse({"error": "forbidden", "error_description": str(exc)}, status_code=403)(
                scope, receive, send
            )
            return
        except SignInUnavailable as exc:
            body = {"error": "temporarily_unavailable", "error_description": str(exc)}
            await JSONResponse(body, status_code=503, headers={"Retry-After": "30"})(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = signed_in.identity
        await self.mcp_app(scope, receive, send)

    def _resource_url(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + self.mcp_path

    def _metadata_url(self, request: Request) -> str:
        return str(request.base_url).rstrip("/") + METADATA_PATH + self.mcp_path

    def _metadata(self, request: Request) -> Response:
        if self.auth.mode != "oidc":
            return JSONResponse({"error": "not_found", "error_description": "sign-in here uses no OAuth issuer"}, 404)
        from identity.oidc import protected_resource_metadata

        settings = self.auth.settings  # type: ignore[attr-defined]  # OidcAuth
        return JSONResponse(protected_resource_metadata(self._resource_url(request), settings.issuer, settings.scopes))

    def _unauthorized(self, request: Request, reason: str) -> Response:
        params = [f'realm="{REALM}"']
        if bearer_of(request.headers.get("authorization")):
            params += ['error="invalid_token"', f"error_description={json.dumps(reason)}"]
        if self.auth.mode == "oidc":
            params.append(f'resource_metadata="{self._metadata_url(request)}"')
            scopes = self.auth.settings.scopes  # type: ignore[attr-defined]  # OidcAuth
            if scopes:
                # Without it, a client signing in to Entra asks for no scope of this API and gets a Graph token.
                params.append(f'scope="{" ".join(scopes)}"')
        body: dict[str, Any] = {"error": "unauthorized", "error_description": reason}
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer " + ", ".join(params)})
