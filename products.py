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
from contextlib import asynccontextmanager

from psa.provider import KnowledgeSource, Product
from settings import ConfigError

PRODUCTS = ("connectwise",)
DEFAULT_PRODUCT = "connectwise"


def configured_product(env: Mapping[str, str] | None = None) -> Product:
    """COPILOT_PROVIDER's product (default connectwise); ConfigError (one line) for one we do not know."""
    env = os.environ if env is None else env
    name = (env.get("COPILOT_PROVIDER") or DEFAULT_PRODUCT).strip().lower()
    if name not in PRODUCTS:
        raise ConfigError(f"COPILOT_PROVIDER={name!r} is not a product this copilot serves: use {', '.join(PRODUCTS)}")
    from psa.connectwise.product import PRODUCT

    return PRODUCT


@asynccontextmanager
async def open_knowledge_source() -> AsyncIterator[KnowledgeSource]:
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
