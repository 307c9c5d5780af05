"""Run the helpdesk in-process: uvicorn on a daemon thread, for tests and the embedded default.

`RunningHelpdesk.token` is a token for the technician `kbrooks` (Kevin Brooks, user id `tech-kbrooks`, Help Desk
Technician I, a member of the Help Desk group) with every permission; `token_for` makes one for any seeded user.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import uvicorn

from sandbox.embedded import DEFAULT_TICKETS
from sandbox.faults import LoggedRequest, RequestLog
from sandbox.helpdesk import embedded
from sandbox.helpdesk.app import build_app
from sandbox.helpdesk.auth import TOKEN_TTL_SECONDS, issue
from sandbox.helpdesk.models import Permission
from sandbox.helpdesk.outbox import Email, Outbox
from sandbox.helpdesk.seed import Progress, seed_if_empty
from sandbox.helpdesk.store import Store
from sandbox.serving import bind, serve_in_thread, url_of

DEFAULT_USER = "kbrooks"


def open_store(db_path: Path | None, seed: int, tickets: int, progress: Progress | None = None) -> Store:
    store = Store(db_path or embedded.db_path())
    seed_if_empty(store, seed=seed, tickets=tickets, progress=progress)
    return store


def build_server(store: Store, outbox: Outbox, log: RequestLog) -> uvicorn.Server:
    config = uvicorn.Config(build_app(store, outbox, log), log_level="warning", lifespan="off", access_log=False)
    return uvicorn.Server(config)


def token_for(store: Store, username: str, permissions: Iterable[Permission | str] | None = None, *,
              ttl_seconds: int = TOKEN_TTL_SECONDS) -> str:
    """A bearer token for a seeded user (by user name); `permissions` None means the user's defaults (every
    permission for a technician, none for a requester). A negative `ttl_seconds` gives an expired token."""
    user = store.user_by_name(username)
    if user is None:
        raise ValueError(f"no helpdesk user is named {username!r}")
    granted = None if permissions is None else [Permission(p) for p in permissions]
    return issue(store, user, granted, ttl_seconds=ttl_seconds)


class RunningHelpdesk:
    """A live helpdesk. `url` is the root (what HELPDESK_URL is set to); the API is under /api/TicketsApi."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, store: Store, outbox: Outbox,
                 log: RequestLog, url: str) -> None:
        self._server = server
        self._thread = thread
        self._outbox = outbox
        self._log = log
        self.store = store
        self.url = url
        self.token = token_for(store, DEFAULT_USER)

    def token_for(self, username: str, permissions: Iterable[Permission | str] | None = None, *,
                  ttl_seconds: int = TOKEN_TTL_SECONDS) -> str:
        return token_for(self.store, username, permissions, ttl_seconds=ttl_seconds)

    def emails(self) -> list[Email]:
        return self._outbox.emails()

    def requests(self) -> list[LoggedRequest]:
        return self._log.entries()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.store.close()

    def __enter__(self) -> RunningHelpdesk:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_helpdesk(*, host: str = "127.0.0.1", port: int = 0, db_path: Path | None = None, seed: int = 42,
                   tickets: int = DEFAULT_TICKETS) -> RunningHelpdesk:
    """Open (and on first use seed) the database, serve it, and return once it accepts connections.
    `db_path` None is the embedded default, $COPILOT_DATA_DIR/helpdesk.db."""
    store = open_store(Path(db_path) if db_path is not None else None, seed, tickets)
    outbox, log = Outbox(), RequestLog()
    server = build_server(store, outbox, log)
    sock = bind(host, port)
    try:
        thread = serve_in_thread(server, sock, "helpdesk-sandbox", "the helpdesk sandbox")
    except RuntimeError:
        store.close()
        raise
    return RunningHelpdesk(server, thread, store, outbox, log, url_of(host, sock))
