"""Connection settings for one ConnectWise Manage site, read from CW_* environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from psa.env import env_number, setting_refused

API_PATH = "/v4_6_release/apis/3.0"

# Cloud and staging hosts only answer API calls on their `api-` twin (developer guide, "Authentication");
# without it every call fails with "SSL is required" or a misleading 404.
_CLOUD_HOST = re.compile(r"^(?!api-)[a-z0-9-]+\.(myconnectwise\.net|connectwisedev\.com)$", re.IGNORECASE)

REQUIRED_ENV = ("CW_SITE", "CW_COMPANY_ID", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID")

SANDBOX_COMPANY_ID = "sandbox"
SANDBOX_PUBLIC_KEY = "sandbox-public"
SANDBOX_PRIVATE_KEY = "sandbox-private"
SANDBOX_CLIENT_ID = "sandbox-client"


class MissingSettingsError(ValueError):
    """Raised when required CW_* variables are unset; `missing` names them."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            "ConnectWise is not configured: set " + ", ".join(missing) + ". "
            "CW_SITE is your Manage URL (e.g. https://api-na.myconnectwise.net); the keys come from an API member "
            "(System > Members > API Members) and the clientId from developer.connectwise.com. "
            "Leave CW_SITE unset to use the built-in sandbox."
        )


def normalize_site(site: str) -> str:
    """`na.myconnectwise.net` -> `https://api-na.myconnectwise.net`; other hosts keep their scheme and port."""
    raw = site.strip()
    if not raw:
        raise ValueError("CW_SITE is empty")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"CW_SITE {site!r} is not an http(s) URL")
    host = parts.netloc
    if parts.hostname and _CLOUD_HOST.match(parts.hostname):
        host = "api-" + host
    # A pasted API root (…/v4_6_release/apis/3.0) is accepted and trimmed back to the site.
    path = parts.path.rstrip("/")
    if path.endswith(API_PATH):
        path = path[: -len(API_PATH)]
    return urlunsplit((parts.scheme, host, path, "", ""))


# The variable behind each field, for errors; values are echoed only for fields that hold no secret.
_ENV_OF_FIELD = {
    "site": "CW_SITE", "company_id": "CW_COMPANY_ID", "public_key": "CW_PUBLIC_KEY",
    "private_key": "CW_PRIVATE_KEY", "client_id": "CW_CLIENT_ID", "api_version": "CW_API_VERSION",
    "read_timeout": "CW_TIMEOUT", "write_timeout": "CW_TIMEOUT", "connect_timeout": "CW_CONNECT_TIMEOUT",
    "max_attempts": "CW_MAX_ATTEMPTS",
}
_ECHOED = {"site", "api_version", "read_timeout", "write_timeout", "connect_timeout", "max_attempts"}


def check_env(env: Mapping[str, str] | None = None) -> None:
    """What `ConnectWiseSettings.from_env` would refuse, as a ValueError of one line naming the variable."""
    try:
        ConnectWiseSettings.from_env(env)
    except ValidationError as exc:
        raise setting_refused(exc, _ENV_OF_FIELD, _ECHOED, "a CW_* setting") from None


class ConnectWiseSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    site: str = Field(description="Base URL of the Manage site, e.g. https://api-na.myconnectwise.net")
    company_id: str = Field(min_length=1)
    public_key: str = Field(min_length=1)
    private_key: SecretStr
    client_id: str = Field(min_length=1)
    api_version: str = Field("2025.8", pattern=r"^\d{4}\.\d{1,2}$")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to open a TCP/TLS connection.")
    read_timeout: float = Field(30.0, gt=0, description="Seconds to wait for response bytes.")
    write_timeout: float = Field(30.0, gt=0)
    pool_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a free pooled connection.")
    max_attempts: int = Field(3, ge=1, le=10, description="Tries per request, including the first.")

    @field_validator("site")
    @classmethod
    def _normalize(cls, site: str) -> str:
        return normalize_site(site)

    @property
    def api_root(self) -> str:
        return self.site + API_PATH

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConnectWiseSettings:
        """Read CW_SITE, CW_COMPANY_ID, CW_PUBLIC_KEY, CW_PRIVATE_KEY, CW_CLIENT_ID and the optional
        CW_API_VERSION, CW_TIMEOUT (read/write seconds), CW_CONNECT_TIMEOUT, CW_MAX_ATTEMPTS."""
        source = os.environ if env is None else env
        values = {name: (source.get(name) or "").strip() for name in REQUIRED_ENV}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise MissingSettingsError(missing)
        optional: dict[str, object] = {}
        if source.get("CW_API_VERSION"):
            optional["api_version"] = source["CW_API_VERSION"].strip()
        if source.get("CW_TIMEOUT"):
            optional["read_timeout"] = optional["write_timeout"] = env_number(source, "CW_TIMEOUT", float)
        if source.get("CW_CONNECT_TIMEOUT"):
            optional["connect_timeout"] = env_number(source, "CW_CONNECT_TIMEOUT", float)
        if source.get("CW_MAX_ATTEMPTS"):
            optional["max_attempts"] = env_number(source, "CW_MAX_ATTEMPTS", int)
        return cls(
            site=values["CW_SITE"],
            company_id=values["CW_COMPANY_ID"],
            public_key=values["CW_PUBLIC_KEY"],
            private_key=SecretStr(values["CW_PRIVATE_KEY"]),
            client_id=values["CW_CLIENT_ID"],
            **optional,  # type: ignore[arg-type]
        )

    @classmethod
    def sandbox(cls, url: str, **overrides: object) -> ConnectWiseSettings:
        """Settings for the bundled sandbox at `url`, with its fixed demo credentials."""
        return cls(
            site=url,
            company_id=SANDBOX_COMPANY_ID,
            public_key=SANDBOX_PUBLIC_KEY,
            private_key=SecretStr(SANDBOX_PRIVATE_KEY),
            client_id=SANDBOX_CLIENT_ID,
            **overrides,  # type: ignore[arg-type]
        )
