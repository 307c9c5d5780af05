"""The embedded sandbox as the server and `psa-copilot kb sync` start it when CW_SITE is unset: loopback, a free
port, $COPILOT_DATA_DIR/sandbox.db, seeded on first start with COPILOT_SANDBOX_TICKETS tickets.

Checking these settings imports neither uvicorn nor the seed generator: the server checks them before it
answers the MCP handshake and starts the sandbox afterwards, in the background.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import settings
from sandbox.store import check_database

if TYPE_CHECKING:
    from sandbox.runner import RunningSandbox

DEFAULT_TICKETS = 2000


def db_path() -> Path:
    return settings.data_dir() / "sandbox.db"


def tickets_from_env() -> int:
    """COPILOT_SANDBOX_TICKETS: tickets seeded into a new sandbox database (default 2,000)."""
    raw = (os.environ.get("COPILOT_SANDBOX_TICKETS") or "").strip()
    if not raw:
        return DEFAULT_TICKETS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"COPILOT_SANDBOX_TICKETS={raw!r} is not a number of tickets: set a whole number "
                         f"of at least 1 (default {DEFAULT_TICKETS})")
    return int(raw)


def check_embedded_settings() -> None:
    """ValueError (one line) on a bad COPILOT_SANDBOX_TICKETS or a sandbox.db the sandbox cannot use."""
    tickets_from_env()
    check_database(db_path())


def start_embedded() -> RunningSandbox:
    """Open (seeding it on first use) and serve the embedded sandbox; returns once it accepts connections."""
    from sandbox.runner import start_sandbox

    return start_sandbox(host="127.0.0.1", port=0, db_path=db_path(), tickets=tickets_from_env())
