"""Two-step confirmation tokens: single use, expiring, bound to the exact payload and the ticket's state.

A token is `<id>.<expiry>.<payload-hash prefix>.<HMAC>`. The plan it confirms stays in this process (keyed by
the id); the HMAC, under a secret made when the process starts, binds the id and expiry to the plan's full
payload hash and the ticket's `lastUpdated` and digest as previewed. So a token cannot be minted, stretched,
or pointed at another payload, and it dies with the process. Redeemed and expired ids are remembered, so a
replay is named as such instead of looking like a forgery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from guardrails.plan import WritePlan

Clock = Callable[[], datetime]
RefusalKind = Literal["malformed", "unknown", "replayed", "expired", "altered", "foreign"]

DEFAULT_TTL_SECONDS = 600
_HASH_PREFIX = 16


def utc_now() -> datetime:
    return datetime.now(UTC)


class TokenRefused(Exception):
    def __init__(
        self, kind: RefusalKind, message: str, plan: WritePlan | None = None, attempt: int | None = None
    ) -> None:
        self.kind = kind
        self.plan = plan
        self.attempt = attempt
        super().__init__(message)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime


@dataclass
class _Pending:
    plan: WritePlan
    expires: int
    attempt: int | None = None
    """The audit row that opened this attempt, so later rows can name it."""
    owner: str | None = None
    """The person it was issued to; only they can redeem it."""


@dataclass(frozen=True)
class Redeemed:
    plan: WritePlan
    attempt: int | None


@dataclass
class TokenBook:
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    clock: Clock = utc_now
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _pending: dict[str, _Pending] = field(default_factory=dict, repr=False)
    _spent: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)
    """Token id -> (what happened to it, its expiry); kept for one TTL past expiry to name replays."""

    def issue(self, plan: WritePlan, attempt: int | None = None, owner: str | None = None) -> IssuedToken:
        now = self._now()
        self._prune(now)
        token_id = secrets.token_hex(8)
        expires = now + self.ttl_seconds
        self._pending[token_id] = _Pending(plan, expires, attempt, owner)
        digest = plan.payload_hash()
        token = f"{token_id}.{expires}.{digest[:_HASH_PREFIX]}.{self._sign(token_id, expires, plan)}"
        return IssuedToken(token=token, token_id=token_id, expires_at=datetime.fromtimestamp(expires, UTC))

    def redeem(self, token: str, owner: str | None = None) -> WritePlan:
        """The plan `token` confirms, consumed; or TokenRefused saying why not."""
        return self.take(token, owner).plan

    def take(self, token: str, owner: str | None = None) -> Redeemed:
        """Like `redeem`, with the attempt the token was issued for. `owner`: who redeems it; a token issued to
        someone else is refused (and stays redeemable by them)."""
        parts = token.strip().split(".")
        if len(parts) != 4 or not parts[1].isdigit():
            raise TokenRefused("malformed", "This is not a confirmation token issued by this server.")
        token_id, expires_raw, hash_prefix, signature = parts
        expires = int(expires_raw)
        if token_id in self._spent:
            what, _ = self._spent[token_id]
            if what == "expired":
                raise TokenRefused("expired", self._expired_message())
            raise TokenRefused(
                "replayed", "This confirmation token was already used; a token confirms one write only. Nothing was written."
            )
        pending = self._pending.get(token_id)
        if pending is None:
            raise TokenRefused(
                "unknown",
                "This confirmation token was not issued by this server process (tokens do not survive a restart). "
                "Call the write tool again for a new preview.",
            )
        expected = self._sign(token_id, expires, pending.plan)
        if (
            expires != pending.expires
            or hash_prefix != pending.plan.payload_hash()[:_HASH_PREFIX]
            or not hmac.compare_digest(signature, expected)
        ):
            # The pending plan stays redeemable with its genuine token: a tampered copy must not burn it.
            raise TokenRefused(
                "altered",
                "This confirmation token was altered: it does not match the payload that was previewed. "
                "Nothing was written.",
                pending.plan,
                pending.attempt,
            )
        if pending.owner is not None and owner != pending.owner:
            raise TokenRefused(
                "foreign",
                "This confirmation token was issued to another technician; only they can confirm it. "
                "Nothing was written.",
                pending.plan,
                pending.attempt,
            )
        del self._pending[token_id]
        if self._now() >= expires:
            self._spent[token_id] = ("expired", expires)
            raise TokenRefused("expired", self._expired_message(), pending.plan, pending.attempt)
        self._spent[token_id] = ("redeemed", expires)
        return Redeemed(pending.plan, pending.attempt)

    def _expired_message(self) -> str:
        return (
            f"This confirmation token has expired (tokens last {self.ttl_seconds} s). Nothing was written; "
            "call the write tool again for a fresh preview."
        )

    def _sign(self, token_id: str, expires: int, plan: WritePlan) -> str:
        ticket = plan.ticket
        message = "|".join(
            (
                token_id,
                str(expires),
                plan.payload_hash(),
                (ticket.last_updated or "") if ticket else "",
                ticket.digest if ticket else "",
            )
        )
        mac = hmac.new(self.secret, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def _prune(self, now: int) -> None:
        for token_id, pending in list(self._pending.items()):
            if pending.expires <= now:
                del self._pending[token_id]
                self._spent[token_id] = ("expired", pending.expires)
        horizon = now - self.ttl_seconds
        for token_id, (_, expires) in list(self._spent.items()):
            if expires < horizon:
                del self._spent[token_id]


def ttl_from_env(raw: str | None) -> int:
    """COPILOT_CONFIRM_TTL_SECONDS: 10 s to 1 day; a bad value is a startup error, not a silent default."""
    if raw is None or not raw.strip():
        return DEFAULT_TTL_SECONDS
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"COPILOT_CONFIRM_TTL_SECONDS={raw!r} is not a whole number of seconds") from None
    if not 10 <= value <= int(timedelta(days=1).total_seconds()):
        raise ValueError("COPILOT_CONFIRM_TTL_SECONDS must be between 10 and 86400")
    return value
