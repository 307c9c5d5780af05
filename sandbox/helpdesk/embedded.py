"""The embedded helpdesk, as a front-end starts it when no helpdesk URL is configured: loopback, a free port,
$COPILOT_DATA_DIR/helpdesk.db, seeded on first start with COPILOT_SANDBOX_TICKETS tickets (the setting the
ConnectWise sandbox reads: both products tell the same MSP's story at the same size).

Checking these settings imports neither uvicorn nor the seed generator, so a server can check them before it
answers its first request and start the helpdesk afterwards, in the background.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import settings
from sandbox.embedded import tickets_from_env
from sandbox.helpdesk.store import check_database

if TYPE_CHECKING:
    from sandbox.helpdesk.runner import RunningHelpdesk


def db_path() -> Path:
    return settings.data_dir() / "helpdesk.db"


def check_embedded_settings() -> None:
    """ValueError (one line) on a bad COPILOT_SANDBOX_TICKETS or a helpdesk.db the helpdesk cannot use."""
    tickets_from_env()
    check_database(db_path())


def start_embedded() -> RunningHelpdesk:
    """Open (seeding it on first use) and serve the embedded helpdesk; returns once it accepts connections."""
    from sandbox.helpdesk.runner import start_helpdesk

    return start_helpdesk(host="127.0.0.1", port=0, db_path=db_path(), tickets=tickets_from_env())
