"""SQLite storage for the helpdesk: lookups, users and group membership, tickets, conversations, tasks and
upload metadata, plus `meta` (the seed marker and the token signing secret).

Lookups, users and group membership are written only by the seeder (no endpoint creates them), so the store
keeps them in memory too: shaping a page of tickets then costs no queries beyond the page itself.

One connection serves Starlette's thread pool, serialised by an RLock, as in the ConnectWise sandbox's store.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sandbox.helpdesk.models import Attachment, Conversation, Lookup, LookupKind, Role, Task, Ticket, User
from sandbox.store import check_sqlite_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lookups (
    kind TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL, parent_id INTEGER, status_type TEXT,
    is_default INTEGER NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, user_name TEXT NOT NULL UNIQUE COLLATE NOCASE, full_name TEXT NOT NULL,
    email TEXT NOT NULL, role TEXT NOT NULL, client_id INTEGER);
CREATE TABLE IF NOT EXISTS group_members (group_id INTEGER NOT NULL, user_id TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id));
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY, guid TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
    ticket_type TEXT NOT NULL, source TEXT NOT NULL, created_on TEXT NOT NULL, updated_on TEXT NOT NULL,
    due_date TEXT, resolved_on TEXT, closed_on TEXT, creator_id TEXT NOT NULL, assignee_id TEXT,
    category_id INTEGER, sub_category_id INTEGER, item_id INTEGER, site_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL, group_id INTEGER, client_id INTEGER, status_id INTEGER NOT NULL,
    priority_id INTEGER, tier_level_id INTEGER, cc TEXT, tags TEXT NOT NULL, resolution_text TEXT,
    resolved_by TEXT, is_escalated INTEGER NOT NULL, deleted_on TEXT);
CREATE INDEX IF NOT EXISTS ix_tickets_newest ON tickets (created_on DESC, id DESC);
CREATE INDEX IF NOT EXISTS ix_tickets_creator ON tickets (creator_id, created_on);
CREATE INDEX IF NOT EXISTS ix_tickets_assignee ON tickets (assignee_id, status_id);
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, type TEXT NOT NULL, title TEXT NOT NULL, message TEXT,
    from_id TEXT, send_to TEXT, cc_to TEXT, created_on TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_conversations_ticket ON conversations (ticket_id, created_on, id);
CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, assignee_id TEXT,
    completed INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS ix_tasks_assignee ON tasks (assignee_id, completed, ticket_id);
CREATE TABLE IF NOT EXISTS attachments (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL,
    conversation_id INTEGER, name TEXT NOT NULL, size INTEGER NOT NULL);
"""

# What listing.py's WHERE fragments may name: t (the ticket), s (its status), p (its priority), r (its requester).
TICKET_FROM = ("tickets t JOIN lookups s ON s.kind = 'status' AND s.id = t.status_id "
               "LEFT JOIN lookups p ON p.kind = 'priority' AND p.id = t.priority_id "
               "JOIN users r ON r.id = t.creator_id")

_TICKET_COLUMNS = tuple(Ticket.model_fields)
_CONVERSATION_COLUMNS = tuple(Conversation.model_fields)
_SECRET_KEY = "jwt_secret"
_SEED_KEY = "seed"


def check_database(path: Path) -> None:
    """ValueError (one line, saying what to do) unless `path` is absent or a helpdesk database we can use."""

    def owns(tables: set[str]) -> str | None:
        # The ConnectWise sandbox's database has a tickets table too; conversations and users are ours alone.
        if {"tickets", "conversations", "users"} <= tables:
            return None
        return (f"{path} is not a helpdesk sandbox database: move it aside and start again, or pass another --db "
                "(or set COPILOT_DATA_DIR to another folder)")

    check_sqlite_file(path, label="helpdesk sandbox", seeded="a new helpdesk", owns=owns)


def _ticket_row(ticket: Ticket) -> tuple[Any, ...]:
    values = ticket.model_dump(mode="json")
    values["tags"] = json.dumps(values["tags"])
    return tuple(values[c] for c in _TICKET_COLUMNS)


def _ticket(row: Mapping[str, Any]) -> Ticket:
    return Ticket.model_validate({**{c: row[c] for c in _TICKET_COLUMNS}, "tags": json.loads(row["tags"])})


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._depth = 0
        self._secret: str | None = None
        self._lookups: dict[str, dict[int, Lookup]] = {}
        self._users: dict[str, User] = {}
        self._by_name: dict[str, User] = {}
        self._by_email: dict[str, User] = {}
        self._groups: dict[int, list[str]] = {}
        self.load_directory()

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (nested calls join the outer one), holding the lock throughout."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    # meta ---------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def is_seeded(self) -> bool:
        return self.get_meta(_SEED_KEY) is not None

    def mark_seeded(self, description: str) -> None:
        self.set_meta(_SEED_KEY, description)

    def signing_secret(self) -> str:
        """The HS256 secret tokens are signed with: made once, then kept, so tokens outlive a restart."""
        if self._secret is None:
            with self.transaction():
                secret = self.get_meta(_SECRET_KEY)
                if secret is None:
                    secret = secrets.token_urlsafe(48)
                    self.set_meta(_SECRET_KEY, secret)
            self._secret = secret
        return self._secret

    # the directory: lookups, users, groups --------------------------------------------------------------

    def load_directory(self) -> None:
        """(Re)read lookups, users and group membership into memory."""
        self._lookups, self._users, self._by_name, self._by_email, self._groups = {}, {}, {}, {}, {}
        for row in self._rows("SELECT * FROM lookups ORDER BY kind, id"):
            self._remember_lookup(Lookup.model_validate(dict(row)))
        for row in self._rows("SELECT * FROM users ORDER BY id"):
            self._remember_user(User.model_validate(dict(row)))
        for row in self._rows("SELECT group_id, user_id FROM group_members ORDER BY group_id, user_id"):
            self._groups.setdefault(row["group_id"], []).append(row["user_id"])

    def _remember_lookup(self, lookup: Lookup) -> None:
        self._lookups.setdefault(lookup.kind, {})[lookup.id] = lookup

    def _remember_user(self, user: User) -> None:
        self._users[user.id] = user
        self._by_name[user.user_name.lower()] = user
        self._by_email.setdefault(user.email.lower(), user)

    def add_lookups(self, lookups: Iterable[Lookup]) -> None:
        items = list(lookups)
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO lookups (kind, id, name, parent_id, status_type, is_default) VALUES (?, ?, ?, ?, ?, ?)",
                [(x.kind, x.id, x.name, x.parent_id, x.status_type, x.is_default) for x in items])
        for item in items:
            self._remember_lookup(item)

    def add_users(self, users: Iterable[User]) -> None:
        items = list(users)
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO users (id, user_name, full_name, email, role, client_id) VALUES (?, ?, ?, ?, ?, ?)",
                [(u.id, u.user_name, u.full_name, u.email, u.role, u.client_id) for u in items])
        for user in items:
            self._remember_user(user)

    def add_group_members(self, pairs: Iterable[tuple[int, str]]) -> None:
        items = sorted(set(pairs))
        with self.transaction():
            self._conn.executemany("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)", items)
        for group_id, user_id in items:
            members = self._groups.setdefault(group_id, [])
            if user_id not in members:
                members.append(user_id)

    def lookups(self, kind: LookupKind) -> list[Lookup]:
        return list(self._lookups.get(kind, {}).values())

    def lookup(self, kind: LookupKind, id_: int | None) -> Lookup | None:
        return None if id_ is None else self._lookups.get(kind, {}).get(id_)

    def default(self, kind: LookupKind) -> Lookup | None:
        return next((x for x in self.lookups(kind) if x.is_default), None)

    def user(self, id_: str | None) -> User | None:
        return None if id_ is None else self._users.get(id_)

    def user_by_name(self, user_name: str) -> User | None:
        return self._by_name.get(user_name.lower())

    def user_by_email(self, email: str) -> User | None:
        return self._by_email.get(email.lower())

    def users(self, role: Role) -> list[User]:
        return sorted((u for u in self._users.values() if u.role == role), key=lambda u: u.user_name.lower())

    def group_members(self, group_id: int) -> list[str]:
        return list(self._groups.get(group_id, []))

    # tickets ------------------------------------------------------------------------------------------------

    def insert_tickets(self, tickets: Iterable[Ticket]) -> None:
        columns = ", ".join(_TICKET_COLUMNS)
        marks = ", ".join("?" for _ in _TICKET_COLUMNS)
        with self.transaction():
            self._conn.executemany(f"INSERT INTO tickets ({columns}) VALUES ({marks})",
                                   [_ticket_row(t) for t in tickets])

    def save_ticket(self, ticket: Ticket) -> None:
        sets = ", ".join(f"{c} = ?" for c in _TICKET_COLUMNS[1:])
        with self.transaction():
            self._conn.execute(f"UPDATE tickets SET {sets} WHERE id = ?", (*_ticket_row(ticket)[1:], ticket.id))

    def next_ticket_id(self) -> int:
        return (self._rows("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM tickets")[0]["next"])

    def ticket(self, id_: int) -> Ticket | None:
        """A ticket that is not deleted (a soft-deleted ticket is gone for every endpoint)."""
        rows = self._rows("SELECT * FROM tickets WHERE id = ? AND deleted_on IS NULL", (id_,))
        return _ticket(rows[0]) if rows else None

    def find_tickets(self, where: str, params: Mapping[str, Any], *, overdue: str, limit: int,
                     offset: int) -> list[tuple[Ticket, bool]]:
        """Tickets matching `where` (over TICKET_FROM), newest first, each with the value of `overdue`."""
        sql = (f"SELECT t.*, ({overdue}) AS is_overdue FROM {TICKET_FROM} WHERE {where} "
               "ORDER BY t.created_on DESC, t.id DESC LIMIT :limit OFFSET :offset")
        rows = self._rows(sql, {**params, "limit": limit, "offset": offset})
        return [(_ticket(row), bool(row["is_overdue"])) for row in rows]

    def count_tickets(self, where: str, params: Mapping[str, Any]) -> int:
        return self._rows(f"SELECT COUNT(*) AS n FROM {TICKET_FROM} WHERE {where}", params)[0]["n"]

    # conversations, tasks, attachments ------------------------------------------------------------------------

    def insert_conversations(self, conversations: Iterable[Conversation]) -> None:
        columns = ", ".join(_CONVERSATION_COLUMNS)
        marks = ", ".join("?" for _ in _CONVERSATION_COLUMNS)
        with self.transaction():
            self._conn.executemany(f"INSERT INTO conversations ({columns}) VALUES ({marks})",
                                   [tuple(c.model_dump(mode="json").values()) for c in conversations])

    def add_conversation(self, conversation: Conversation) -> Conversation:
        columns = _CONVERSATION_COLUMNS[1:]
        values = conversation.model_dump(mode="json")
        with self.transaction():
            cursor = self._conn.execute(
                f"INSERT INTO conversations ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [values[c] for c in columns])
        return conversation.model_copy(update={"id": cursor.lastrowid})

    def conversations(self, ticket_ids: Sequence[int]) -> dict[int, list[Conversation]]:
        """Each ticket's conversations, oldest first."""
        out: dict[int, list[Conversation]] = {id_: [] for id_ in ticket_ids}
        if not ticket_ids:
            return out
        marks = ", ".join("?" for _ in ticket_ids)
        rows = self._rows(f"SELECT * FROM conversations WHERE ticket_id IN ({marks}) ORDER BY created_on, id",
                          list(ticket_ids))
        for row in rows:
            out[row["ticket_id"]].append(Conversation.model_validate(dict(row)))
        return out

    def insert_tasks(self, tasks: Iterable[Task]) -> None:
        with self.transaction():
            self._conn.executemany("INSERT INTO tasks (id, ticket_id, assignee_id, completed) VALUES (?, ?, ?, ?)",
                                   [(t.id, t.ticket_id, t.assignee_id, t.completed) for t in tasks])

    def add_attachments(self, attachments: Iterable[Attachment]) -> None:
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO attachments (ticket_id, conversation_id, name, size) VALUES (?, ?, ?, ?)",
                [(a.ticket_id, a.conversation_id, a.name, a.size) for a in attachments])

    def attachments(self, ticket_id: int) -> list[Attachment]:
        rows = self._rows("SELECT ticket_id, conversation_id, name, size FROM attachments WHERE ticket_id = ? "
                          "ORDER BY id", (ticket_id,))
        return [Attachment.model_validate(dict(row)) for row in rows]
