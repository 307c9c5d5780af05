"""A real OIDC issuer for tests: OpenID discovery and a JWKS served over loopback HTTP (Starlette on a uvicorn
thread, like sandbox/runner.py), RSA keys made and tokens signed by authlib's jose, key rotation, and a log of
the paths asked for, so tests can count what a verifier fetched.

    with OidcIssuer() as issuer:
        token = issuer.issue({"email": "kim@example.com"})
        settings = OidcSettings(issuer=issuer.url, audience=AUDIENCE)
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn
from authlib.deprecate import AuthlibDeprecationWarning
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

with warnings.catch_warnings():
    # authlib 1.x warns that authlib.jose will move to joserfc in 2.0; the pin keeps it, and the warning is noise.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken

AUDIENCE = "api://psa-copilot-tests"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"
_START_TIMEOUT = 30.0


def new_key(kid: str) -> Any:
    """A fresh 2048-bit RSA private key (authlib RSAKey) carrying `kid`."""
    return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})


def unused_url() -> str:
    """An http URL on loopback where nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class OidcIssuer:
    """Started by `with`; `url` is the issuer (what COPILOT_OIDC_ISSUER is set to). The first key is `k1`.

    Knobs tests turn while it runs: `down` (every request answers 503), `discovery_issuer` (the `issuer` the
    discovery document claims, to play a mistyped tenant)."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[str] = []
        self.down = False
        self.discovery_issuer: str | None = None
        self._keys: dict[str, Any] = {}
        self._declares_alg: dict[str, bool] = {}
        self._signing_kid = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.rotate("k1")

    def rotate(self, kid: str | None = None, *, declare_alg: bool = True) -> str:
        """Publish a new key and sign with it from now on; the old ones stay published (as issuers do during a
        rotation). `declare_alg=False` publishes it without `alg`, as Entra ID does."""
        kid = kid or f"k{len(self._keys) + 1}"
        self._keys[kid] = new_key(kid)
        self._declares_alg[kid] = declare_alg
        self._signing_kid = kid
        return kid

    def withdraw(self, kid: str) -> None:
        """Stop publishing `kid` (its tokens must stop verifying once a verifier refetches)."""
        del self._keys[kid]

    def issue(self, claims: Mapping[str, Any] | None = None, *, kid: str | None = None, alg: str = "RS256",
              signing_key: Any = None, expires_in: int = 300) -> str:
        """A signed access token: iss, aud (AUDIENCE), sub, email, iat, exp (now + expires_in) by default,
        overridden by `claims`, where a None value removes the claim. Signed with the current key, the key `kid`
        names, or `signing_key` (a key the issuer never published) under the header kid `kid`."""
        now = int(time.time())
        payload: dict[str, Any] = {"iss": self.url, "aud": AUDIENCE, "sub": "user-1",
                                   "email": "kim.brooks@example.com", "iat": now, "exp": now + expires_in}
        payload.update(claims or {})
        payload = {name: value for name, value in payload.items() if value is not None}
        kid = kid or self._signing_kid
        key = signing_key if signing_key is not None else self._keys[kid]
        return JsonWebToken([alg]).encode({"alg": alg, "kid": kid, "typ": "JWT"}, payload, key).decode("ascii")

    def count(self, path: str) -> int:
        return self.requests.count(path)

    def public_pem(self, kid: str = "k1") -> bytes:
        return self._keys[kid].as_pem(is_private=False)

    def _app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return self._answer(request, {
                "issuer": self.discovery_issuer or self.url,
                "jwks_uri": self.url + JWKS_PATH,
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
            })

        async def jwks(request: Request) -> JSONResponse:
            keys = []
            for kid, key in list(self._keys.items()):
                public = {**key.as_dict(is_private=False), "use": "sig"}
                keys.append({**public, "alg": "RS256"} if self._declares_alg[kid] else public)
            return self._answer(request, {"keys": keys})

        return Starlette(routes=[Route(DISCOVERY_PATH, discovery), Route(JWKS_PATH, jwks)])

    def _answer(self, request: Request, document: dict[str, Any]) -> JSONResponse:
        self.requests.append(request.url.path)
        return JSONResponse({"error": "temporarily_unavailable"}, 503) if self.down else JSONResponse(document)

    def __enter__(self) -> OidcIssuer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self._app(), log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="oidc-issuer",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test OIDC issuer failed to start")
            time.sleep(0.01)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
