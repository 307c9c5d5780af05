"""The emails the helpdesk "sent": kept in memory for tests and demos (`/__sandbox/emails`), never delivered."""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import BaseModel

EmailKind = Literal["reply", "forward", "closure", "resolution", "assignment"]


class Email(BaseModel):
    ticket_id: int
    kind: EmailKind
    to: str
    cc: str | None = None
    subject: str
    body: str
    at: str


class Outbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[Email] = []

    def send(self, email: Email) -> None:
        with self._lock:
            self._sent.append(email)

    def emails(self) -> list[Email]:
        with self._lock:
            return list(self._sent)

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()
