"""`psa-copilot sandbox`: serve the sandbox in the foreground until Ctrl-C."""

from __future__ import annotations

import base64
from pathlib import Path

from sandbox.app import API_PREFIX
from sandbox.auth import CLIENT_ID, COMPANY_ID, PRIVATE_KEY, PUBLIC_KEY
from sandbox.callbacks import CallbackDispatcher
from sandbox.embedded import db_path as default_db_path
from sandbox.faults import Faults, RequestLog
from sandbox.runner import build_server, open_store
from sandbox.startup import open_for_cli
from sandbox.store import check_database

DEFAULT_PORT = 8077


def run_sandbox(host: str, port: int, db: str | None, seed: int, tickets: int) -> int:
    db_path = Path(db).expanduser() if db else default_db_path()
    store = open_for_cli(db_path, check_database,
                         lambda path, seeding: open_store(path, seed, tickets, progress=seeding))
    if store is None:
        return 2
    faults, log = Faults(), RequestLog()
    callbacks = CallbackDispatcher(store)
    server = build_server(store, faults, log, callbacks, host, port)
    site = f"http://{host}:{port}"
    token = base64.b64encode(f"{COMPANY_ID}+{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
    # Plain print: these lines are meant to be copied, so no rich wrapping or markup.
    print(f"ConnectWise sandbox on {site}{API_PREFIX}  (db: {db_path})")
    print(f"  CW_SITE={site}\n  CW_COMPANY_ID={COMPANY_ID}\n  CW_PUBLIC_KEY={PUBLIC_KEY}\n"
          f"  CW_PRIVATE_KEY={PRIVATE_KEY}\n  CW_CLIENT_ID={CLIENT_ID}")
    print(f"  curl -H 'Authorization: Basic {token}' -H 'clientId: {CLIENT_ID}' "
          f"'{site}{API_PREFIX}/service/tickets?pageSize=5'")
    print("Press Ctrl-C to stop.", flush=True)
    callbacks.start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        callbacks.stop()
        store.close()
    return 0
