"""ConnectWise callbacks we have received, and the hints they produced, in $COPILOT_DATA_DIR/copilot.db.

The inbox is the receiver's dedupe and a durable queue at once: a delivery is stored (keyed by its MessageId)
before ConnectWise gets its 2xx, so a repeat of the same message is recognised, and a message whose processing
was cut short (the server stopped, ConnectWise was down) is still pending when the worker next looks.

Hints are kept per ticket, computed once: the row is claimed before the work starts, so the two deliveries a
new ticket can bring (an Owner-level and a Board-level entry) and any repeats produce one set of hints.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from storage.sqlite import connect

InboxState = Literal["pending", "done", "failed"]
_CLAIM_LAPSES = timedelta(minutes=10)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS callback_inbox (
    message_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    entry_id INTEGER,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    error TEXT,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS ix_callback_inbox_pending ON callback_inbox (state, next_try_at);
CREATE TABLE IF NOT EXISTS ticket_hints (
    ticket_id INTEGER PRIMARY KEY,
    claimed_at TEXT NOT NULL,
    computed_at TEXT,
    body TEXT
);
"""


class InboxMessage(BaseModel):
    message_id: str
    received_at: datetime
    kind: str
    """The record type as ConnectWise spells it, lower-cased: `ticket`, `knowledgebasearticle`, ..."""
    record_id: int
    action: str
    entry_id: int | None
    """The callback entry (CallbackObjectRecId) that sent it."""
    state: InboxState
    attempts: int
    error: str | None = None
    outcome: str | None = None


class StoredHints(BaseModel):
    ticket_id: int
    computed_at: datetime
    body: str
    """The hints as JSON (their model belongs to the code that computes them)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_INBOX_COLUMNS = "message_id, received_at, kind, record_id, action, entry_id, state, attempts, error, outcome"


def _message(row: tuple[object, ...]) -> InboxMessage:
    return InboxMessage(**dict(zip(_INBOX_COLUMNS.split(", "), row, strict=True)))  # type: ignore[arg-type]


class CallbackStore:
    """$COPILOT_DATA_DIR/copilot.db unless `path` is given; a connection per operation (the receiver and the
    worker may run on different threads)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        if self._path is None:
            from settings import data_dir

            self._path = data_dir() / "copilot.db"
        return self._path

    # ---- the inbox ------------------------------------------------------------------------------------------

    def accept(self, message_id: str, kind: str, record_id: int, action: str, entry_id: int | None) -> bool:
        """Store a new delivery as pending; False when this MessageId was stored before (a repeat)."""
        now = _iso(_now())
        with connect(self.path, _SCHEMA) as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO callback_inbox (message_id, received_at, kind, record_id, action, entry_id, "
                "next_try_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message_id, now, kind, record_id, action, entry_id, now),
            )
            return cursor.rowcount == 1

    def due(self, limit: int = 100) -> builtins.list[InboxMessage]:
        """Pending messages whose next try is due, oldest first."""
        with connect(self.path, _SCHEMA) as conn:
            rows = conn.execute(
                f"SELECT {_INBOX_COLUMNS} FROM callback_inbox WHERE state = 'pending' AND next_try_at <= ? "
                "ORDER BY received_at LIMIT ?",
                (_iso(_now()), limit),
            ).fetchall()
        return [_message(row) for row in rows]

    def next_due(self) -> datetime | None:
        """When the earliest pending message is due (None: nothing pending)."""
        with connect(self.path, _SCHEMA) as conn:
            row = conn.execute("SELECT MIN(next_try_at) FROM callback_inbox WHERE state = 'pending'").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def finish(self, message_ids: builtins.list[str], outcome: str) -> None:
        with connect(self.path, _SCHEMA) as conn:
            conn.executemany(
                "UPDATE callback_inbox SET state = 'done', attempts = attempts + 1, outcome = ?, error = NULL "
                "WHERE message_id = ?",
                [(outcome, m) for m in message_ids],
            )

    def retry_later(self, message_ids: builtins.list[str], error: str, delay_s: float, max_attempts: int) -> None:
        """One more failed attempt; after `max_attempts` the messages are left as failed (listed, not retried)."""
        due = _iso(_now() + timedelta(seconds=delay_s))
        with connect(self.path, _SCHEMA) as conn:
            conn.executemany(
                "UPDATE callback_inbox SET attempts = attempts + 1, error = ?, next_try_at = ?, "
                "state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END WHERE message_id = ?",
                [(error, due, max_attempts, m) for m in message_ids],
            )

    def get(self, message_id: str) -> InboxMessage | None:
        with connect(self.path, _SCHEMA) as conn:
            row = conn.execute(f"SELECT {_INBOX_COLUMNS} FROM callback_inbox WHERE message_id = ?",
                               (message_id,)).fetchone()
        return _message(row) if row else None

    def messages(self, limit: int = 100) -> builtins.list[InboxMessage]:
        """Newest first."""
        with connect(self.path, _SCHEMA) as conn:
            rows = conn.execute(f"SELECT {_INBOX_COLUMNS} FROM callback_inbox ORDER BY received_at DESC LIMIT ?",
                                (limit,)).fetchall()
        return [_message(row) for row in rows]

    def prune(self, older_than: timedelta) -> int:
        """Forget finished messages older than that (a repeat that old is no longer expected)."""
        cutoff = _iso(_now() - older_than)
        with connect(self.path, _SCHEMA) as conn:
            return conn.execute("DELETE FROM callback_inbox WHERE state != 'pending' AND received_at < ?",
                                (cutoff,)).rowcount

    # ---- hints ----------------------------------------------------------------------------------------------

    def claim_hints(self, ticket_id: int) -> bool:
        """True for the first claim of a ticket: the caller computes and saves its hints. A claim that never
        produced hints (its process stopped half-way) lapses after a while."""
        now = _now()
        with connect(self.path, _SCHEMA) as conn:
            cursor = conn.execute("INSERT OR IGNORE INTO ticket_hints (ticket_id, claimed_at) VALUES (?, ?)",
                                  (ticket_id, _iso(now)))
            if cursor.rowcount == 1:
                return True
            cursor = conn.execute(
                "UPDATE ticket_hints SET claimed_at = ? WHERE ticket_id = ? AND body IS NULL AND claimed_at < ?",
                (_iso(now), ticket_id, _iso(now - _CLAIM_LAPSES)),
            )
            return cursor.rowcount == 1

    def release_hints(self, ticket_id: int) -> None:
        """Give up a claim whose hints could not be computed, so a later delivery tries again."""
        with connect(self.path, _SCHEMA) as conn:
            conn.execute("DELETE FROM ticket_hints WHERE ticket_id = ? AND body IS NULL", (ticket_id,))

    def save_hints(self, ticket_id: int, body: str) -> StoredHints:
        computed_at = _now()
        with connect(self.path, _SCHEMA) as conn:
            conn.execute(
                "INSERT INTO ticket_hints (ticket_id, claimed_at, computed_at, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (ticket_id) DO UPDATE SET computed_at = excluded.computed_at, body = excluded.body",
                (ticket_id, _iso(computed_at), _iso(computed_at), body),
            )
        return StoredHints(ticket_id=ticket_id, computed_at=computed_at, body=body)

    def hints(self, ticket_id: int) -> StoredHints | None:
        with connect(self.path, _SCHEMA) as conn:
            row = conn.execute("SELECT ticket_id, computed_at, body FROM ticket_hints "
                               "WHERE ticket_id = ? AND body IS NOT NULL", (ticket_id,)).fetchone()
        return StoredHints(ticket_id=row[0], computed_at=row[1], body=row[2]) if row else None

    def recent_hints(self, limit: int = 20) -> builtins.list[StoredHints]:
        """Newest first."""
        with connect(self.path, _SCHEMA) as conn:
            rows = conn.execute("SELECT ticket_id, computed_at, body FROM ticket_hints WHERE body IS NOT NULL "
                                "ORDER BY computed_at DESC LIMIT ?", (limit,)).fetchall()
        return [StoredHints(ticket_id=r[0], computed_at=r[1], body=r[2]) for r in rows]
