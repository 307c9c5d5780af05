"""Is this a technician of the configured product? `users add` asks before storing one: on ConnectWise, a member
of the site in CW_* when CW_SITE is set, else of the embedded sandbox; on the helpdesk (COPILOT_PROVIDER), a
technician's user name in its metadata, at HELPDESK_URL when set, else in the embedded helpdesk sandbox. An
embedded sandbox is asked only when its database already exists (seeding a new one just to check a name would
take long and create a sandbox nobody asked for)."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from pydantic import BaseModel

from products import configured_product, helpdesk_configured
from psa.connectwise.errors import ConnectWiseError
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings, check_env
from sandbox.embedded import db_path, start_embedded
from sandbox.store import check_database
from settings import ConfigError, one_line


class MemberCheck(BaseModel):
    outcome: Literal["found", "missing", "unchecked"]
    identifier: str
    """As the product spells it when found (identifiers match case-insensitively), else as given."""
    kind: str = "ConnectWise member"
    """What the identifier names, for messages."""
    hint: str = "(System > Members)"
    """Where to look it up in the product."""
    where: str
    """The site asked (or that would have been asked), for messages."""
    reason: str | None = None
    """Why it could not be checked (`unchecked` only)."""


def check_member(identifier: str) -> MemberCheck:
    """ConfigError when the product's settings (CW_* or HELPDESK_*) are set but missing or bad."""
    if configured_product().name == "helpdesk":
        return _check_on_helpdesk(identifier)
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


_TECHNICIAN = {"kind": "helpdesk technician", "hint": "(a technician's user name)"}


def _check_on_helpdesk(identifier: str) -> MemberCheck:
    from pydantic import SecretStr

    from psa.helpdesk.settings import HelpdeskSettings
    from sandbox.helpdesk import embedded

    if helpdesk_configured():
        try:
            settings = HelpdeskSettings.from_env()
        except ValueError as exc:
            raise ConfigError(one_line(exc)) from None
        return asyncio.run(_ask_helpdesk(settings, identifier, settings.url))
    where = "the embedded helpdesk sandbox"
    if not embedded.db_path().exists():
        return MemberCheck(outcome="unchecked", identifier=identifier, where=where, **_TECHNICIAN,
                           reason=f"HELPDESK_URL is not set and the embedded helpdesk ({embedded.db_path()}) does "
                                  "not exist yet")
    try:
        embedded.check_embedded_settings()
        helpdesk = embedded.start_embedded()
    except (ValueError, RuntimeError, OSError) as exc:
        return MemberCheck(outcome="unchecked", identifier=identifier, where=where, reason=one_line(exc),
                           **_TECHNICIAN)
    try:
        settings = HelpdeskSettings(url=helpdesk.url, token=SecretStr(helpdesk.token))
        return asyncio.run(_ask_helpdesk(settings, identifier, where))
    finally:
        helpdesk.stop()


async def _ask_helpdesk(settings: Any, identifier: str, where: str) -> MemberCheck:
    from psa.errors import PSAError
    from psa.helpdesk.client import HelpdeskClient

    try:
        async with HelpdeskClient(settings) as client:
            technicians = (await client.metadata()).technicians or []
    except PSAError as exc:
        return MemberCheck(outcome="unchecked", identifier=identifier, where=where, reason=str(exc).splitlines()[0],
                           **_TECHNICIAN)
    wanted = identifier.strip().casefold()
    found = next((t for t in technicians if (t.userName or "").casefold() == wanted), None)
    if found is None:
        return MemberCheck(outcome="missing", identifier=identifier, where=where, **_TECHNICIAN)
    return MemberCheck(outcome="found", identifier=found.userName or identifier, where=where, **_TECHNICIAN)
