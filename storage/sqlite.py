"""One SQLite connection per operation, shared by every table in storage/: threads and processes (the server,
the CLI) each open their own, and WAL lets readers go on while one of them writes."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

_BUSY_TIMEOUT_SECONDS = 10

_PREPARED: set[tuple[Path, str]] = set()
"""(file, schema) pairs this process has applied: every sign-in and tool call opens a connection, and the DDL
and the WAL switch need to run once per file, not once per lookup."""


class StorageUnavailable(OSError):
    """The database cannot be opened; the message is one line naming the file and what to do."""


@contextmanager
def connect(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to `path` with `schema` applied (idempotent DDL); the file is created 0600."""
    key = (path.resolve(), schema)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _PREPARED.discard(key)  # deleted (or never made) since: the new file needs its tables again
        # The file holds token hashes and encrypted keys: readable by its owner only. SQLite gives its -wal and
        # -shm files the database's mode, so creating it first is enough.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise _unavailable(path, exc) from exc
    with closing(conn):
        if key not in _PREPARED:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(schema)
            except sqlite3.Error as exc:
                raise _unavailable(path, exc) from exc
            _PREPARED.add(key)
        yield conn


def _unavailable(path: Path, exc: BaseException) -> StorageUnavailable:
    return StorageUnavailable(
        f"the database {path} cannot be opened ({exc}): make it and its folder writable "
        "(or set COPILOT_DATA_DIR to a writable folder)"
    )
