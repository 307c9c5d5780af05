"""Opening the configured PSA product for a command that runs on its own (`kb sync`): kb_index/ asks for a
knowledge source and gets one, without knowing which product it is or how it is reached (a top-level module
because it starts the embedded sandbox, which psa/ must not import).

ConnectWise: CW_* when CW_SITE is set, otherwise the embedded sandbox on its usual database, as the server does.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psa.provider import KnowledgeSource


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
