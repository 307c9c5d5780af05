"""The configured PSA product (COPILOT_PROVIDER): what it can do (`configured_product`, which the exposure
policy reads), and opening it for a command that runs on its own (`kb sync`), so code above psa/ gets a
knowledge source without knowing which product it is or how it is reached. A top-level module because it
starts the embedded sandbox, which psa/ must not import.

ConnectWise: CW_* when CW_SITE is set, otherwise the embedded sandbox on its usual database, as the server does.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any
from contextlib import asynccontextmanager

from psa.provider import KnowledgeSource, Product
from settings import ConfigError

PRODUCTS = ("connectwise", "helpdesk")
DEFAULT_PRODUCT = "connectwise"


def configured_product(env: Mapping[str, str] | None = None) -> Product:
    """COPILOT_PROVIDER's product (default connectwise); ConfigError (one line) for one we do not know."""
    env = os.environ if env is None else env
    name = (env.get("COPILOT_PROVIDER") or DEFAULT_PRODUCT).strip().lower()
    if name not in PRODUCTS:
        raise ConfigError(f"COPILOT_PROVIDER={name!r} is not a product this copilot serves: use {', '.join(PRODUCTS)}")
    if name == "helpdesk":
        from psa.helpdesk.product import PRODUCT as HELPDESK

        return HELPDESK
    from psa.connectwise.product import PRODUCT

    return PRODUCT


def helpdesk_configured(env: Mapping[str, str] | None = None) -> bool:
    """HELPDESK_URL is set: a real helpdesk, else the embedded helpdesk sandbox."""
    env = os.environ if env is None else env
    return bool((env.get("HELPDESK_URL") or "").strip())


@asynccontextmanager
async def open_knowledge_source() -> AsyncIterator[KnowledgeSource]:
    if configured_product().name == "helpdesk":
        async with _helpdesk_knowledge() as source:
            yield source
        return
    from psa.connectwise.knowledge import ConnectWiseKnowledge
    from psa.connectwise.provider import ConnectWiseProvider
    from psa.connectwise.settings import ConnectWiseSettings

    if (os.environ.get("CW_SITE") or "").strip():
        async with ConnectWiseProvider.from_settings(ConnectWiseSettings.from_env()) as provider:
            yield ConnectWiseKnowledge(provider)
        return
    from sandbox.embedded import start_embedded

    print("CW_SITE is not set: using the embedded sandbox", file=sys.stderr)
    sandbox = await asyncio.to_thread(start_embedded)
    try:
        async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox.url)) as provider:
            yield ConnectWiseKnowledge(provider)
    finally:
        await asyncio.to_thread(sandbox.stop)


@asynccontextmanager
async def _helpdesk_knowledge() -> AsyncIterator[KnowledgeSource]:
    from psa.helpdesk.knowledge import HelpdeskKnowledge

    async with opened_helpdesk() as (client, _url):
        yield HelpdeskKnowledge(client)


@asynccontextmanager
async def opened_helpdesk() -> AsyncIterator[tuple[Any, str]]:
    """(HelpdeskClient, its URL): HELPDESK_URL and HELPDESK_TOKEN when set, else the embedded helpdesk sandbox
    with a technician's token of every permission."""
    from pydantic import SecretStr

    from psa.helpdesk.client import HelpdeskClient
    from psa.helpdesk.settings import HelpdeskSettings

    if helpdesk_configured():
        settings = HelpdeskSettings.from_env()
        async with HelpdeskClient(settings) as client:
            yield client, settings.url
        return
    from sandbox.helpdesk.embedded import start_embedded

    print("HELPDESK_URL is not set: using the embedded helpdesk sandbox", file=sys.stderr)
    sandbox = await asyncio.to_thread(start_embedded)
    try:
        async with HelpdeskClient(HelpdeskSettings(url=sandbox.url, token=SecretStr(sandbox.token))) as client:
            yield client, sandbox.url
    finally:
        await asyncio.to_thread(sandbox.stop)

