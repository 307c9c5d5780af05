"""COPILOT_AUTH, COPILOT_ALLOWED_HOSTS and COPILOT_ALLOWED_ORIGINS, checked against the address the server binds.

The MCP SDK turns DNS-rebinding protection on only for the host strings 127.0.0.1, localhost and ::1; we turn it
on for every bind. Allowed by default: the loopback names and the bind address itself (any port); anything else
a reverse proxy or LAN name needs is added with the two lists.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from settings import ConfigError

AuthMode = Literal["none", "tokens", "oidc"]
AUTH_MODES: tuple[str, ...] = ("none", "tokens", "oidc")
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARDS = ("0.0.0.0", "::", "")
_WITH_PORT = re.compile(r"^(\[[^\]]+\]|[^:\[\]]+):(\d+|\*)$")


class HttpSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    auth: AuthMode
    host: str
    allowed_hosts: tuple[str, ...]
    """Host header values, as the SDK matches them ("name" exact, "name:*" any port)."""
    allowed_origins: tuple[str, ...]

    @classmethod
    def from_env(cls, host: str, env: Mapping[str, str] | None = None) -> HttpSettings:
        """ConfigError (one line, naming the setting) for an unknown mode, or `none` off loopback."""
        env = os.environ if env is None else env
        auth = (env.get("COPILOT_AUTH") or "none").strip().lower()
        if auth not in AUTH_MODES:
            raise ConfigError(f"COPILOT_AUTH={auth!r} is not one of {', '.join(AUTH_MODES)}")
        if auth == "none" and not is_loopback(host):
            raise ConfigError(
                f"COPILOT_AUTH=none is allowed only on a loopback address, and --host {host or '(all)'} is not one: "
                "set COPILOT_AUTH=tokens or oidc (see docs/deployment.md), or bind 127.0.0.1"
            )
        names = [*_LOOPBACK_NAMES]
        bound = _url_name(host)
        if bound and host not in _WILDCARDS and bound not in names:
            names.append(bound)
        hosts = [h for name in names for h in (name, f"{name}:*")]
        for extra in _split(env.get("COPILOT_ALLOWED_HOSTS")):
            hosts += [extra] if _WITH_PORT.match(extra) else [extra, f"{extra}:*"]
        origins = [f"{scheme}://{name}:*" for name in names for scheme in ("http", "https")]
        origins += [f"{scheme}://{name}" for name in names for scheme in ("http", "https")]
        for extra in _split(env.get("COPILOT_ALLOWED_ORIGINS")):
            if "://" not in extra:
                raise ConfigError(
                    f"COPILOT_ALLOWED_ORIGINS: {extra!r} is not an origin: write it as scheme://host[:port]"
                )
            origins.append(extra.rstrip("/"))
        return cls(auth=auth, host=host, allowed_hosts=tuple(hosts), allowed_origins=tuple(origins))  # type: ignore[arg-type]


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost. A wildcard bind (0.0.0.0, ::) is not: it listens on every interface."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url_name(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
