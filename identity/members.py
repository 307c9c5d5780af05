"""Is this a ConnectWise member? `users add` asks before storing a technician, through the provider: the site
in CW_* when CW_SITE is set, else the embedded sandbox when its database already exists (seeding a new one
just to check a name would take long and create a sandbox nobody asked for)."""

from __future__ import annotations

import asyncio
import os
from typing import Literal

from pydantic import BaseModel

from psa.connectwise.errors import ConnectWiseError
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings, check_env
from sandbox.embedded import db_path, start_embedded
from sandbox.store import check_database
from settings import ConfigError, one_line


class MemberCheck(BaseModel):
    outcome: Literal["found", "missing", "unchecked"]
    identifier: str
    """As ConnectWise spells it when found (identifiers match case-insensitively), else as given."""
    where: str
    """The site asked (or that would have been asked), for messages."""
    reason: str | None = None
    """Why it could not be checked (`unchecked` only)."""


def check_member(identifier: str) -> MemberCheck:
    """ConfigError when CW_SITE is set but the other CW_* settings are missing or bad."""
    if (os.environ.get("CW_SITE") or "").strip():
        try:
            check_env()
        except ValueError as exc:
            raise ConfigError(one_line(exc)) from None
        settings = ConnectWiseSettings.from_env()
        return asyncio.run(_ask(settings, identifier, settings.site))
    return _check_on_embedded_sandbox(identifier)


def _check_on_embedded_sandbox(identifier: str) -> MemberCheck:
    where = "the embedded sandbox"
    if not db_path().exists():
        return MemberCheck(outcome="unchecked", identifier=identifier, where=where,
                           reason=f"CW_SITE is not set and the embedded sandbox ({db_path()}) does not exist yet")
    try:
        check_database(db_path())
        sandbox = start_embedded()
    except (ValueError, RuntimeError, OSError) as exc:
        return MemberCheck(outcome="unchecked", identifier=identifier, where=where, reason=one_line(exc))
    try:
        return asyncio.run(_ask(ConnectWiseSettings.sandbox(sandbox.url), identifier, where))
    finally:
        sandbox.stop()


async def _ask(settings: ConnectWiseSettings, identifier: str, where: str) -> MemberCheck:
    try:
        async with ConnectWiseProvider.from_settings(settings) as provider:
            member = await provider.get_member_by_identifier(identifier)
    except ConnectWiseError as exc:
        # Unreachable, refused keys, a fault at ConnectWise: the site did not say the member is missing.
        return MemberCheck(outcome="unchecked", identifier=identifier, where=where,
                           reason=str(exc).splitlines()[0])
    if member is None:
        return MemberCheck(outcome="missing", identifier=identifier, where=where)
    return MemberCheck(outcome="found", identifier=member.identifier or identifier, where=where)
