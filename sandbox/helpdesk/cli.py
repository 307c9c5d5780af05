"""`psa-copilot sandbox --product helpdesk`: serve the helpdesk in the foreground until Ctrl-C.

The last line on stdout is a bearer token for the technician `kbrooks` with every permission, flushed, so a
script can start the sandbox and read the token as soon as it is up.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from sandbox.faults import RequestLog
from sandbox.helpdesk.app import API_PREFIX
from sandbox.helpdesk.embedded import db_path as default_db_path
from sandbox.helpdesk.outbox import Outbox
from sandbox.helpdesk.runner import DEFAULT_USER, bind, build_server, open_store, token_for, url_of
from sandbox.helpdesk.store import check_database

DEFAULT_PORT = 8078


def banner(url: str, db_path: Path, token: str) -> list[str]:
    """What the command prints once it listens; the token is the last line."""
    return [
        f"Helpdesk sandbox on {url}{API_PREFIX}  (db: {db_path})",
        f"  HELPDESK_URL={url}",
        f"  curl -H 'Authorization: Bearer {token}' '{url}{API_PREFIX}?listType=MyOpenTickets&pageSize=5'",
        f"Press Ctrl-C to stop. A token for technician {DEFAULT_USER} with every permission:",
        token,
    ]


def run_helpdesk(host: str, port: int, db: str | None, seed: int, tickets: int) -> int:
    console = Console(stderr=True)
    db_path = Path(db).expanduser() if db else default_db_path()
    try:
        check_database(db_path)
    except ValueError as exc:
        print(f"psa-copilot: configuration error: {exc}", file=sys.stderr)
        return 2
    fresh = not db_path.exists()
    try:
        # The generator streams an unknown number of records, so the bar pulses and counts instead of filling.
        with Progress(TextColumn("seeding {task.description}"), BarColumn(), TextColumn("{task.completed:,} records"),
                      TimeElapsedColumn(), console=console, transient=True, disable=not fresh) as progress:
            task = progress.add_task(str(db_path), total=None)
            store = open_store(db_path, seed, tickets, progress=lambda n: progress.update(task, completed=n))
    except (OSError, sqlite3.Error) as exc:
        print(f"psa-copilot: configuration error: cannot open {db_path}: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(host, port)
    except OSError as exc:
        store.close()
        print(f"psa-copilot: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    server = build_server(store, Outbox(), RequestLog())
    # Plain print: these lines are meant to be copied, so no rich wrapping or markup.
    print("\n".join(banner(url_of(host, sock), db_path, token_for(store, DEFAULT_USER))), flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
    return 0
