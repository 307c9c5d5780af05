"""One SQLite connection per operation, shared by every table in storage/: threads and processes (the server,
the CLI) each open their own, and WAL lets readers go on while one of them writes."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

_BUSY_TIMEOUT_SECONDS = 10


class StorageUnavailable(OSError):
    """The database cannot be opened; the message is one line naming the file and what to do."""


@contextmanager
def connect(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to `path` with `schema` applied (idempotent DDL); the file is created 0600."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file holds token hashes and encrypted keys: readable by its owner only. SQLite gives its -wal and
        # -shm files the database's mode, so creating it first is enough.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise _unavailable(path, exc) from exc
    with closing(conn):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(schema)
        except sqlite3.Error as exc:
            raise _unavailable(path, exc) from exc
        yield conn


def _unavailable(path: Path, exc: BaseException) -> StorageUnavailable:
    return StorageUnavailable(
        f"the database {path} cannot be opened ({exc}): make it and its folder writable "
        "(or set COPILOT_DATA_DIR to a writable folder)"
    )
