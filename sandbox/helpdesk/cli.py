"""`psa-copilot sandbox --product helpdesk`: serve the helpdesk in the foreground until Ctrl-C.

The last line on stdout is a bearer token for the technician `kbrooks` with every permission, flushed, so a
script can start the sandbox and read the token as soon as it is up.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox.faults import RequestLog
from sandbox.helpdesk.app import API_PREFIX
from sandbox.helpdesk.embedded import db_path as default_db_path
from sandbox.helpdesk.outbox import Outbox
from sandbox.helpdesk.runner import DEFAULT_USER, build_server, open_store, token_for
from sandbox.helpdesk.store import check_database
from sandbox.serving import bind, url_of
from sandbox.startup import open_for_cli

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
    db_path = Path(db).expanduser() if db else default_db_path()
    store = open_for_cli(db_path, check_database,
                         lambda path, seeding: open_store(path, seed, tickets, progress=seeding))
    if store is None:
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
