"""Writes waiting for the technician's button press: one PendingWrite per elicitation, first press decides.

Everything here runs on the bot's event loop (button handlers reach it through the portal), so deciding is a
plain check-and-set: two presses, a replayed payload or a Slack retry can never both win.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import anyio

Decision = Literal["approved", "declined", "expired"]
PressOutcome = Literal["decided", "not_requester", "already_decided", "unknown"]

KEPT = 1000
"""Decided writes remembered (so a late press is answered 'already decided', not 'unknown')."""


@dataclass
class PendingWrite:
    id: str
    requester: str
    """The Slack user id of the technician whose turn asked for the write: the only one who may decide."""
    requester_name: str
    channel: str
    thread_ts: str
    preview: str
    message_ts: str | None = None
    decision: Decision | None = None
    decided_by: str | None = None
    event: anyio.Event = field(default_factory=anyio.Event)


@dataclass(frozen=True)
class Press:
    outcome: PressOutcome
    pending: PendingWrite | None = None


class Approvals:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._writes: OrderedDict[str, PendingWrite] = OrderedDict()

    def open(self, *, requester: str, requester_name: str, channel: str, thread_ts: str, preview: str) -> PendingWrite:
        # Unguessable: the id travels in the button's value, which any workspace member's client can replay.
        pending = PendingWrite(
            id=secrets.token_urlsafe(12),
            requester=requester,
            requester_name=requester_name,
            channel=channel,
            thread_ts=thread_ts,
            preview=preview,
        )
        self._writes[pending.id] = pending
        while len(self._writes) > KEPT:
            self._writes.popitem(last=False)
        return pending

    def press(self, write_id: str, user: str, *, approve: bool) -> Press:
        pending = self._writes.get(write_id)
        if pending is None:
            return Press("unknown")
        if user != pending.requester:
            return Press("not_requester", pending)
        if pending.decision is not None:
            return Press("already_decided", pending)
        self._decide(pending, "approved" if approve else "declined", user)
        return Press("decided", pending)

    async def wait(self, pending: PendingWrite) -> bool:
        """True when the requester approved within the TTL; no answer in time is a decline."""
        with anyio.move_on_after(self.ttl_seconds):
            await pending.event.wait()
        if pending.decision is None:
            self._decide(pending, "expired", None)
        return pending.decision == "approved"

    def cancel(self, pending: PendingWrite) -> None:
        """The turn ended (or failed) before a press: a later press must not look like it could still write."""
        if pending.decision is None:
            self._decide(pending, "expired", None)

    @staticmethod
    def _decide(pending: PendingWrite, decision: Decision, user: str | None) -> None:
        pending.decision = decision
        pending.decided_by = user
        pending.event.set()
