"""Connection settings for one helpdesk TicketsApi server, read from HELPDESK_* variables, and the token's claims.

The token is a JWT the helpdesk issued; its claims say who it acts as and which `Tickets.*` permissions it
carries. We read them without verifying the signature: only the server can verify it (it holds the key), and
it does so on every call. Reading them lets the provider know in advance what the token may do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from psa.env import env_number, setting_refused

API_PATH = "/api/TicketsApi"

_EXAMPLE_URL = "https://helpdesk.example.com"

# The variable behind each field, for errors; values are echoed only for fields that hold no secret.
_ENV_OF_FIELD = {
    "url": "HELPDESK_URL",
    "token": "HELPDESK_TOKEN",
    "timeout": "HELPDESK_TIMEOUT",
    "connect_timeout": "HELPDESK_CONNECT_TIMEOUT",
    "max_attempts": "HELPDESK_MAX_ATTEMPTS",
}
_ECHOED = {"url", "timeout", "connect_timeout", "max_attempts"}


class TokenClaims(BaseModel):
    """The claims of a helpdesk JWT, as issued; other claims (iss, iat, ...) are kept as extra fields."""

    model_config = ConfigDict(extra="allow", frozen=True, coerce_numbers_to_str=True)

    sub: str | None = None
    unique_name: str | None = None
    email: str | None = None
    name: str | None = None
    role: str | None = None
    permission: list[str] = Field(default_factory=list)
    exp: datetime | None = None

    @field_validator("permission", mode="before")
    @classmethod
    def _permission_list(cls, value: Any) -> Any:
        # The contract sends a JSON list; issuers that emit one claim per permission may send a lone string,
        # or the list serialised into a string.
        if value is None:
            return []
        if isinstance(value, str):
            try:
                decoded = json.loads(value)
            except ValueError:
                return [value]
            return decoded if isinstance(decoded, list) else [value]
        return value

    def allows(self, permission: str) -> bool:
        return permission in self.permission


def token_claims(token: str) -> TokenClaims:
    """The claims of `token`, unverified (the server verifies). ValueError when it is not a JWT."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        # The decoder's own message can quote parts of the token; ours never does.
        raise ValueError(
            "not a JWT: expected three base64url parts separated by dots, with a JSON object of claims in the middle"
        ) from None
    try:
        return TokenClaims.model_validate(claims)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"a JWT with an unusable {field!r} claim: {error['msg']}") from None


def normalize_url(url: str) -> str:
    """`https://h/x/` -> `https://h/x`; a pasted API root (`.../api/TicketsApi`) is trimmed back to the base."""
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"HELPDESK_URL={url!r} is not an http(s) URL: use the helpdesk's base URL, e.g. {_EXAMPLE_URL}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"HELPDESK_URL={url!r} has a query or fragment: use the helpdesk's base URL only")
    path = parts.path.rstrip("/")
    if path.lower().endswith(API_PATH.lower()):
        path = path[: -len(API_PATH)]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class HelpdeskSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = Field(description="Base URL of the helpdesk; the API is under /api/TicketsApi.")
    token: SecretStr = Field(description="The JWT sent as `Authorization: Bearer`.")
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for response bytes (and to send a body).")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to open a TCP/TLS connection.")
    max_attempts: int = Field(3, ge=1, le=10, description="Tries per request, including the first.")

    @field_validator("url")
    @classmethod
    def _normalize(cls, url: str) -> str:
        return normalize_url(url)

    @field_validator("token")
    @classmethod
    def _is_jwt(cls, token: SecretStr) -> SecretStr:
        try:
            token_claims(token.get_secret_value())
        except ValueError as exc:
            raise ValueError(
                f"HELPDESK_TOKEN is {exc}; paste the token the helpdesk issued, without a 'Bearer ' prefix"
            ) from None
        return token

    @property
    def api_root(self) -> str:
        return self.url + API_PATH

    def claims(self) -> TokenClaims:
        return token_claims(self.token.get_secret_value())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HelpdeskSettings:
        """Read HELPDESK_URL and HELPDESK_TOKEN, and the optional HELPDESK_TIMEOUT (read/write seconds),
        HELPDESK_CONNECT_TIMEOUT and HELPDESK_MAX_ATTEMPTS."""
        source = os.environ if env is None else env
        url = (source.get("HELPDESK_URL") or "").strip()
        token = (source.get("HELPDESK_TOKEN") or "").strip()
        if not url and not token:
            raise ValueError(
                f"HELPDESK_URL is not set: set it to the helpdesk's base URL (e.g. {_EXAMPLE_URL}) "
                "and HELPDESK_TOKEN to a JWT the helpdesk issued"
            )
        if not token:
            raise ValueError(
                "HELPDESK_URL is set without HELPDESK_TOKEN: set HELPDESK_TOKEN to a JWT the helpdesk issued "
                "for the account the copilot acts as"
            )
        if not url:
            raise ValueError(
                f"HELPDESK_TOKEN is set without HELPDESK_URL: set HELPDESK_URL to the helpdesk's base URL "
                f"(e.g. {_EXAMPLE_URL})"
            )
        optional: dict[str, object] = {}
        for name, field, kind in (
            ("HELPDESK_TIMEOUT", "timeout", float),
            ("HELPDESK_CONNECT_TIMEOUT", "connect_timeout", float),
            ("HELPDESK_MAX_ATTEMPTS", "max_attempts", int),
        ):
            if (source.get(name) or "").strip():
                optional[field] = env_number(source, name, kind)
        return cls(url=url, token=SecretStr(token), **optional)  # type: ignore[arg-type]


def check_env(env: Mapping[str, str] | None = None) -> None:
    """What `HelpdeskSettings.from_env` would refuse, as a ValueError of one line naming the variable."""
    try:
        HelpdeskSettings.from_env(env)
    except ValidationError as exc:
        raise setting_refused(exc, _ENV_OF_FIELD, _ECHOED, "a HELPDESK_* setting") from None
