"""The technicians table: who may use the team service, their bearer token's hash, their Slack id and their
own ConnectWise key pair (the private key only as ciphertext: identity/keys.py encrypts it before it gets here).

Emails are the key, stored lower-cased. A technician's token hash and Slack id are unique when set, so a lookup
by either finds at most one person. A member identifier is not unique (two emails may share one ConnectWise
login), so a lookup by member takes the first by email.
"""

from __future__ import annotations

import builtins
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from storage.sqlite import connect


class Technician(BaseModel):
    """A person allowed to use the team service, as stored here."""

    model_config = ConfigDict(frozen=True)

    email: str
    """Lower-cased; the technician's key everywhere."""
    member: str
    """The ConnectWise member identifier, e.g. `kbrooks`."""
    slack_id: str | None = None
    public_key: str | None = None
    """Their own ConnectWise API public key, when `users set-keys` gave one (the private key stays encrypted)."""
    created_at: datetime
    has_keys: bool = False
    """Whether `users set-keys` stored their key pair; the encrypted private key itself is never in this model."""
    has_token: bool = False
    """Whether a bearer token was issued (only its hash is stored)."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS technicians (
    email TEXT PRIMARY KEY,
    member TEXT NOT NULL,
    slack_id TEXT UNIQUE,
    token_hash TEXT UNIQUE,
    public_key TEXT,
    private_key_encrypted BLOB,
    created_at TEXT NOT NULL
);
"""

# Never the ciphertext or the token hash: a Technician carries neither.
_COLUMNS = (
    "email, member, slack_id, public_key, created_at, "
    "private_key_encrypted IS NOT NULL AS has_keys, token_hash IS NOT NULL AS has_token"
)


class TechnicianExists(ValueError):
    """`add` of an email that is already stored."""


class TechnicianNotFound(LookupError):
    """A change to an email that is not stored."""

    def __init__(self, email: str) -> None:
        super().__init__(f"no technician {_email(email)}: add one with `psa-copilot users add`")


class SlackIdTaken(ValueError):
    """`link_slack` with a Slack id another technician already has."""


class TechnicianStore:
    """$COPILOT_DATA_DIR/copilot.db unless `path` is given; a connection per operation."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        # Resolved on first use: building a server (e.g. to list its tools) must not create files.
        if self._path is None:
            from settings import data_dir

            self._path = data_dir() / "copilot.db"
        return self._path

    # ---- reads ----------------------------------------------------------------------------------------------

    def by_email(self, email: str) -> Technician | None:
        return self._one("email = ?", _email(email))

    # `get` reads as the plain lookup by key; `by_email` pairs with by_token_hash and by_slack_id.
    get = by_email

    def by_token_hash(self, token_hash: str) -> Technician | None:
        return self._one("token_hash = ?", token_hash)

    def by_slack_id(self, slack_id: str) -> Technician | None:
        return self._one("slack_id = ?", slack_id)

    def by_member(self, member: str) -> Technician | None:
        """Case-insensitive, as ConnectWise compares identifiers; the first by email when several share it."""
        return self._one("member = ? COLLATE NOCASE ORDER BY email LIMIT 1", member)

    def list(self) -> builtins.list[Technician]:  # builtins: `list` is this method inside the class
        """By email."""
        return [_technician(row) for row in self._select("1 ORDER BY email")]

    def encrypted_keys(self, email: str) -> tuple[str, bytes] | None:
        """(public key, encrypted private key), or None when the technician or their keys are not stored."""
        if not self.path.exists():
            return None
        with connect(self.path, _SCHEMA) as conn:
            row = conn.execute(
                "SELECT public_key, private_key_encrypted FROM technicians "
                "WHERE email = ? AND private_key_encrypted IS NOT NULL",
                (_email(email),),
            ).fetchone()
        return (row[0], bytes(row[1])) if row else None

    # ---- changes --------------------------------------------------------------------------------------------

    def add(self, email: str, member: str, *, slack_id: str | None = None, token_hash: str | None = None) -> Technician:
        """TechnicianExists when the email is stored; SlackIdTaken when another technician has `slack_id`."""
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        with connect(self.path, _SCHEMA) as conn:
            try:
                conn.execute(
                    "INSERT INTO technicians (email, member, slack_id, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                    (_email(email), member, slack_id, token_hash, created_at),
                )
            except sqlite3.IntegrityError as exc:
                raise self._conflict(conn, exc, email, slack_id) from None
        return _technician((_email(email), member, slack_id, None, created_at, False, token_hash is not None))

    def remove(self, email: str) -> None:
        self._change("DELETE FROM technicians WHERE email = ?", (_email(email),), email)

    def set_token_hash(self, email: str, token_hash: str) -> None:
        """Replaces the previous hash, so the previous token stops working."""
        self._change("UPDATE technicians SET token_hash = ? WHERE email = ?", (token_hash, _email(email)), email)

    def link_slack(self, email: str, slack_id: str) -> None:
        with connect(self.path, _SCHEMA) as conn:
            try:
                cursor = conn.execute("UPDATE technicians SET slack_id = ? WHERE email = ?", (slack_id, _email(email)))
            except sqlite3.IntegrityError as exc:
                raise self._conflict(conn, exc, email, slack_id) from None
        if cursor.rowcount == 0:
            raise TechnicianNotFound(email)

    def set_keys(self, email: str, public_key: str, encrypted_private: bytes) -> None:
        self._change(
            "UPDATE technicians SET public_key = ?, private_key_encrypted = ? WHERE email = ?",
            (public_key, encrypted_private, _email(email)),
            email,
        )

    # ---- helpers --------------------------------------------------------------------------------------------

    def _select(self, where: str, *params: Any) -> builtins.list[tuple[Any, ...]]:
        if not self.path.exists():
            return []
        with connect(self.path, _SCHEMA) as conn:
            return conn.execute(f"SELECT {_COLUMNS} FROM technicians WHERE {where}", params).fetchall()

    def _one(self, where: str, value: str) -> Technician | None:
        rows = self._select(where, value)
        return _technician(rows[0]) if rows else None

    def _change(self, sql: str, params: tuple[Any, ...], email: str) -> None:
        with connect(self.path, _SCHEMA) as conn:
            if conn.execute(sql, params).rowcount == 0:
                raise TechnicianNotFound(email)

    @staticmethod
    def _conflict(conn: sqlite3.Connection, exc: sqlite3.IntegrityError, email: str, slack_id: str | None) -> Exception:
        if slack_id is not None:
            holder = conn.execute("SELECT email FROM technicians WHERE slack_id = ?", (slack_id,)).fetchone()
            if holder and holder[0] != _email(email):
                return SlackIdTaken(f"Slack id {slack_id} is already linked to {holder[0]}")
        if "technicians.email" in str(exc):
            return TechnicianExists(f"{_email(email)} already exists")
        return exc


def _email(email: str) -> str:
    return email.strip().lower()


def _technician(row: tuple[Any, ...]) -> Technician:
    email, member, slack_id, public_key, created_at, has_keys, has_token = row
    return Technician(
        email=email, member=member, slack_id=slack_id, public_key=public_key,
        created_at=datetime.fromisoformat(created_at), has_keys=bool(has_keys), has_token=bool(has_token),
    )
