"""Run the sandbox in-process: uvicorn on a daemon thread, for tests and the embedded default."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import uvicorn

from sandbox import embedded
from sandbox.app import API_PREFIX, build_app
from sandbox.callbacks import DEFAULT_RETRY_DELAYS, CallbackDispatcher
from sandbox.faults import FaultMiddleware, Faults, RequestLog
from sandbox.seeding import Progress, seed_if_empty
from sandbox.serving import bind, serve_in_thread, url_of
from sandbox.store import Store



def build_server(store: Store, faults: Faults, log: RequestLog, callbacks: CallbackDispatcher, host: str,
                 port: int) -> uvicorn.Server:
    app = FaultMiddleware(build_app(store, faults, log, callbacks), faults, log, API_PREFIX)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off", access_log=False)
    return uvicorn.Server(config)


def open_store(db_path: Path | None, seed: int, tickets: int, progress: Progress | None = None) -> Store:
    store = Store(db_path or embedded.db_path())
    seed_if_empty(store, seed=seed, tickets=tickets, progress=progress)
    return store


class RunningSandbox:
    """A live sandbox. `url` is the site root (what CW_SITE is set to); `api_base` adds the API prefix;
    `callbacks` delivers the callback entries' payloads."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, store: Store, faults: Faults,
                 requests: RequestLog, callbacks: CallbackDispatcher, url: str) -> None:
        self._server = server
        self._thread = thread
        self.store = store
        self.faults = faults
        self.requests = requests
        self.callbacks = callbacks
        self.url = url
        self.api_base = url + API_PREFIX

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        # After the server: a request still being served may emit, and the sender must not outlive the store.
        self.callbacks.stop()
        self.store.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_sandbox(*, host: str = "127.0.0.1", port: int = 0, db_path: Path | None = None, seed: int = 42,
                  tickets: int = embedded.DEFAULT_TICKETS,
                  callback_retry_delays: Sequence[float] | None = None) -> RunningSandbox:
    """Open (and on first use seed) the database, serve it, and return once it accepts connections.
    `callback_retry_delays`: the waits between delivery attempts of a callback (default 0.5, 1, 2, 4, 8 s)."""
    store = open_store(Path(db_path) if db_path is not None else None, seed, tickets)
    faults, log = Faults(), RequestLog()
    callbacks = CallbackDispatcher(store, DEFAULT_RETRY_DELAYS if callback_retry_delays is None
                                   else callback_retry_delays)
    server = build_server(store, faults, log, callbacks, host, port)
    sock = bind(host, port)
    try:
        thread = serve_in_thread(server, sock, "cw-sandbox", "the sandbox server")
    except RuntimeError:
        store.close()
        raise
    callbacks.start()
    return RunningSandbox(server, thread, store, faults, log, callbacks, url_of(host, sock))
