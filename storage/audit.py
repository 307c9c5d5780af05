"""The append-only audit log of write attempts: SQLite at $COPILOT_DATA_DIR/audit.db.

Every attempt gets rows, whatever happened: written, declined, denied by policy, refused token, stale ticket,
failed or unknown. An attempt that reaches a human or ConnectWise is recorded before it gets there: a `pending`
row when the human is asked, a `sending` row (the intent) right before the request leaves, then the outcome,
each later row naming the attempt's first row in `attempt`. A write whose intent row cannot be stored is not
sent. Rows cannot be changed or deleted through SQLite (triggers abort UPDATE and DELETE), and each row carries
a SHA-256 over its content and the previous row's hash, so an edit made outside SQLite's rules (editing the
file, dropping the triggers) shows up in `verify()`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

Outcome = Literal[
    "written", "not_written", "pending", "sending", "denied", "refused", "stale", "failed", "unknown"
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    connection TEXT NOT NULL,
    tool TEXT NOT NULL,
    ticket_id INTEGER,
    payload TEXT NOT NULL,
    outcome TEXT NOT NULL,
    confirmation TEXT NOT NULL,
    cw_id INTEGER,
    error TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    attempt INTEGER,
    user TEXT,
    member TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

_GENESIS = "0" * 64
_COLUMNS = ("at", "connection", "tool", "ticket_id", "payload", "outcome", "confirmation", "cw_id", "error")


class AuditUnavailable(OSError):
    """The audit log cannot be written; the message is one line naming the file and what to do."""


class AuditEntry(BaseModel):
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    connection: str = "local"
    user: str = "local"
    """The technician's email (tokens or OIDC sign-in), COPILOT_USER on stdio, else `local`."""
    member: str | None = None
    """Their ConnectWise member identifier, when known."""
    tool: str
    ticket_id: int | None = None
    payload: Any = None
    outcome: Outcome
    confirmation: str
    """accepted | declined | cancelled | rejected (confirm=false) | unsupported (no elicitation) |
    token_issued | token | token_<refusal> | none (refused before anyone was asked)."""
    cw_id: int | None = None
    """The id ConnectWise gave the record created (note, article, time entry) or changed (ticket)."""
    error: str | None = None
    attempt: int | None = None
    """Id of the attempt's first row (its `pending` or `sending` row); None on that row itself."""


class AuditRow(AuditEntry):
    id: int
    hash: str


_LATER = ("attempt", "user", "member")
"""Columns the row gained later; a row with none of them hashes as rows always did, so old logs still verify."""


def _row_hash(prev_hash: str, values: tuple[Any, ...], later: tuple[Any, ...]) -> str:
    hashed = [prev_hash, *values] if all(v is None for v in later) else [prev_hash, *values, *later]
    return hashlib.sha256(json.dumps(hashed, ensure_ascii=False).encode()).hexdigest()


class AuditLog:
    """One SQLite file; a connection per operation, so threads and processes (server, CLI) can share it."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        # Resolved on first use: building a server (e.g. to list its tools) must not create files.
        if self._path is None:
            from settings import data_dir

            self._path = data_dir() / "audit.db"
        return self._path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable(exc) from exc
        with closing(conn):
            try:
                conn.executescript(_SCHEMA)
                present = {row[1] for row in conn.execute("PRAGMA table_info(audit)")}
                for column, kind in (("attempt", "INTEGER"), ("user", "TEXT"), ("member", "TEXT")):
                    if column not in present:
                        conn.execute(f"ALTER TABLE audit ADD COLUMN {column} {kind}")
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc
            yield conn

    def _unavailable(self, exc: BaseException) -> AuditUnavailable:
        return AuditUnavailable(
            f"the audit log {self.path} cannot be written ({exc}): make it and its folder writable "
            "(or set COPILOT_DATA_DIR to a writable folder)"
        )

    def ensure_writable(self) -> None:
        """Raise AuditUnavailable unless a row could be appended now (tried inside a transaction rolled back)."""
        with self._connect() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(
                        f"INSERT INTO audit ({', '.join(_COLUMNS)}, prev_hash, hash) VALUES ({', '.join('?' * 11)})",
                        ("", "", "", None, "null", "pending", "none", None, None, _GENESIS, _GENESIS),
                    )
                finally:
                    conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc

    def record(self, entry: AuditEntry) -> int:
        """Append `entry`; its row id. AuditUnavailable when it cannot be stored."""
        values = (
            entry.at.astimezone(UTC).isoformat(timespec="milliseconds"),
            entry.connection,
            entry.tool,
            entry.ticket_id,
            json.dumps(entry.payload, ensure_ascii=False, sort_keys=True, default=str),
            entry.outcome,
            entry.confirmation,
            entry.cw_id,
            entry.error,
        )
        with self._connect() as conn:
            try:
                # IMMEDIATE: read the chain's tip and append under one write lock, even across processes.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    tip = conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
                    prev = tip[0] if tip else _GENESIS
                    later = (entry.attempt, entry.user, entry.member)
                    cursor = conn.execute(
                        f"INSERT INTO audit ({', '.join(_COLUMNS)}, prev_hash, hash, {', '.join(_LATER)}) "
                        f"VALUES ({', '.join('?' * 14)})",
                        (*values, prev, _row_hash(prev, values, later), *later),
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc
            return int(cursor.lastrowid or 0)

    def entries(self, limit: int | None = 50) -> list[AuditRow]:
        """Newest first."""
        if not self.path.exists():
            return []
        sql = f"SELECT id, {', '.join(_COLUMNS)}, hash, {', '.join(_LATER)} FROM audit ORDER BY id DESC"
        params: tuple[Any, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        with self._connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_to_row(row) for row in rows]

    def verify(self) -> list[int]:
        """Ids of rows whose hash does not match their content and predecessor (empty: the chain is intact)."""
        if not self.path.exists():
            return []
        broken: list[int] = []
        prev = _GENESIS
        with self._connect() as conn:
            query = f"SELECT id, {', '.join(_COLUMNS)}, prev_hash, hash, {', '.join(_LATER)} FROM audit ORDER BY id"
            for row in conn.execute(query):
                values, prev_hash, stored, later = tuple(row[1:10]), row[10], row[11], tuple(row[12:15])
                if prev_hash != prev or _row_hash(prev, values, later) != stored:
                    broken.append(row[0])
                prev = stored
        return broken


def _to_row(row: tuple[Any, ...]) -> AuditRow:
    data = dict(zip(("id", *_COLUMNS, "hash", *_LATER), row, strict=True))
    data["user"] = data["user"] or "local"
    data["payload"] = json.loads(data["payload"])
    return AuditRow.model_validate(data)
