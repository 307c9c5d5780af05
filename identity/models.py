"""The identity types every layer shares. Nothing here holds a secret in clear."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from storage.technicians import Technician

__all__ = ["LOCAL", "Identity", "Technician", "Via"]

Via = Literal["stdio", "in_process", "none", "tokens", "oidc", "slack"]


class Identity(BaseModel):
    """Who a request acts for. `user` is an email (or `local` / COPILOT_USER on stdio), `member` the ConnectWise
    member identifier when known."""

    model_config = ConfigDict(frozen=True)

    user: str
    member: str | None = None
    via: Via


LOCAL = Identity(user="local", via="in_process")
