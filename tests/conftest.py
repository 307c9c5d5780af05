"""Fixtures every test module shares."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    # Session scope, so module- and session-scoped async fixtures (a sandbox, an MCP client) can use it.
    return "asyncio"
