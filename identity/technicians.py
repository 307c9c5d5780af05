"""The technicians service: who a bearer token, an email, a Slack id or a ConnectWise member identifier belongs
to, and their own ConnectWise keys, decrypted only when asked for; plus the changes `psa-copilot users` makes.

Synchronous (SQLite, a connection per call): the server calls it from a worker thread.
"""

from __future__ import annotations

import builtins
import re

from identity.keys import ConnectWiseKeys, KeyBox
from identity.models import Technician
from identity.tokens import hash_token, looks_like_token, new_token
from storage.technicians import TechnicianNotFound, TechnicianStore

_NO_SPACE = re.compile(r"^\S+$")
_SLACK_ID = re.compile(r"^[A-Za-z0-9]+$")


class InvalidInput(ValueError):
    """A malformed email, member identifier, Slack id or key; the message is one line naming it."""


def normalize_email(raw: str) -> str:
    """Lower-cased; loosely checked: one @ with something either side, no spaces."""
    email = raw.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or not _NO_SPACE.match(email):
        raise InvalidInput(f"{raw.strip()!r} is not an email address")
    return email


def normalize_member(raw: str) -> str:
    """A ConnectWise member identifier (e.g. `kbrooks`): not empty, no spaces."""
    return _checked(raw, "ConnectWise member identifier")


def normalize_slack_id(raw: str) -> str:
    """A Slack user id (e.g. `U04ABCD1234`): letters and digits."""
    return _checked(raw, "Slack id", _SLACK_ID)


def _checked(value: str, what: str, pattern: re.Pattern[str] = _NO_SPACE) -> str:
    value = value.strip()
    if not pattern.match(value):
        raise InvalidInput(f"{value!r} is not a valid {what}")
    return value


class Technicians:
    """Over a TechnicianStore (default $COPILOT_DATA_DIR/copilot.db); the KeyBox is opened on the first call
    that needs it, so lookups by token never create secret.key."""

    def __init__(self, store: TechnicianStore | None = None, keybox: KeyBox | None = None) -> None:
        self.store = store or TechnicianStore()
        self._keybox = keybox

    @property
    def keybox(self) -> KeyBox:
        if self._keybox is None:
            # The key file lives beside the database whose ciphertext it opens.
            self._keybox = KeyBox.from_env(self.store.path.parent)
        return self._keybox

    # ---- what the server asks -------------------------------------------------------------------------------

    def lookup_by_token(self, token: str) -> Technician | None:
        """The technician whose current bearer token this is; None for any other string."""
        if not looks_like_token(token):
            return None
        return self.store.by_token_hash(hash_token(token))

    def lookup_by_email(self, email: str) -> Technician | None:
        return self.store.by_email(email)

    def lookup_by_slack_id(self, slack_id: str) -> Technician | None:
        return self.store.by_slack_id(slack_id.strip())

    def lookup_by_member(self, member: str) -> Technician | None:
        """The technician with this ConnectWise member identifier (any case; the first by email if several)."""
        return self.store.by_member(member.strip())

    def keys_for(self, email: str) -> ConnectWiseKeys | None:
        """Their ConnectWise key pair, decrypted; None when none was set. KeysUnreadable when the Fernet key
        changed; ConfigError when COPILOT_SECRET_KEY is bad."""
        stored = self.store.encrypted_keys(email)
        if stored is None:
            return None
        public_key, encrypted = stored
        return ConnectWiseKeys(public_key=public_key, private_key=self.keybox.decrypt(encrypted))

    # ---- what `psa-copilot users` changes -------------------------------------------------------------------

    def list(self) -> builtins.list[Technician]:  # builtins: `list` is this method inside the class
        return self.store.list()

    def add(
        self, email: str, member: str, *, slack_id: str | None = None, with_token: bool = False
    ) -> tuple[Technician, str | None]:
        """The stored technician, and their bearer token (to show once) when `with_token`. TechnicianExists,
        SlackIdTaken, InvalidInput."""
        token, token_hash = new_token() if with_token else (None, None)
        technician = self.store.add(
            normalize_email(email),
            normalize_member(member),
            slack_id=normalize_slack_id(slack_id) if slack_id is not None else None,
            token_hash=token_hash,
        )
        return technician, token

    def issue_token(self, email: str) -> str:
        """A new bearer token (to show once); the previous one stops working."""
        token, token_hash = new_token()
        self.store.set_token_hash(normalize_email(email), token_hash)
        return token

    def remove(self, email: str) -> None:
        self.store.remove(normalize_email(email))

    def link_slack(self, email: str, slack_id: str) -> None:
        self.store.link_slack(normalize_email(email), normalize_slack_id(slack_id))

    def set_keys(self, email: str, public_key: str, private_key: str) -> None:
        if not private_key.strip():
            raise InvalidInput("the private key is empty: pipe it on stdin")
        email = normalize_email(email)
        public_key = _checked(public_key, "ConnectWise public key")
        if self.store.by_email(email) is None:
            # Checked before encrypting, so an unknown email never creates secret.key.
            raise TechnicianNotFound(email)
        self.store.set_keys(email, public_key, self.keybox.encrypt(private_key.strip()))


# The server's entry points, on the default store: each call resolves $COPILOT_DATA_DIR afresh, and a
# Technicians costs nothing to build (no connection or key is opened until used).


def lookup_by_token(token: str) -> Technician | None:
    return Technicians().lookup_by_token(token)


def lookup_by_email(email: str) -> Technician | None:
    return Technicians().lookup_by_email(email)


def lookup_by_slack_id(slack_id: str) -> Technician | None:
    return Technicians().lookup_by_slack_id(slack_id)


def lookup_by_member(member: str) -> Technician | None:
    return Technicians().lookup_by_member(member)


def keys_for(email: str) -> ConnectWiseKeys | None:
    return Technicians().keys_for(email)
