"""A write plan: exactly what a guarded write will send, fixed before anyone is asked to confirm it, and the
re-check that the ticket it was made from has not changed since.

The plan is what the human sees (guardrails/preview.py renders it), what a consent is bound to (its
`payload_hash`), and what is finally sent: there is no second place where the payload is rebuilt, so what was
confirmed is what is written.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from psa.errors import PSANotFoundError
from psa.models import Ticket
from psa.writes import Shown


def canonical_json(value: Any) -> str:
    """One spelling per value (sorted keys, no spaces), so equal payloads hash equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


class TicketState(BaseModel):
    """The ticket as the preview showed it; `recheck` compares a fresh read against this before writing."""

    model_config = ConfigDict(frozen=True)

    id: int
    summary: str | None = None
    board: str | None = None
    board_id: int | None = None
    company: str | None = None
    status: str | None = None
    status_id: int | None = None
    closed: bool | None = None
    last_updated: str | None = None
    """The ticket's last update as the product sent it."""
    digest: str
    """Hash of the fields above. A product's last-update stamp may have one-second resolution (ConnectWise's
    has), so a change within the same second as the preview is caught by the digest, not by the timestamp."""

    @classmethod
    def of(cls, ticket: Ticket) -> TicketState:
        fields: dict[str, Any] = {
            "id": ticket.id,
            "summary": ticket.summary,
            "board": ticket.board.name if ticket.board else None,
            "board_id": ticket.board.id if ticket.board else None,
            "company": ticket.company.name if ticket.company else None,
            "status": ticket.status.name if ticket.status else None,
            "status_id": ticket.status.id if ticket.status else None,
            "closed": ticket.closed,
            "last_updated": ticket.updated.isoformat() if ticket.updated else None,
        }
        digest = hashlib.sha256(canonical_json(fields).encode()).hexdigest()
        return cls(**fields, digest=digest)


PreviewField = Shown
"""One line (or, with `block`, one fenced block) of the preview: what a product plans a write to show
(psa.writes.Shown), plus the tool's own lines."""


class WritePlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    tool: str
    action: str
    """One sentence saying what will happen, e.g. 'Add an internal analysis note to ticket #123'."""
    ticket: TicketState | None = None
    """The ticket written to (or read from, for a KB article); None when no ticket is involved."""
    request: str
    """Method and path, for the preview and the audit log, e.g. 'POST /service/tickets/123/notes'."""
    body: dict[str, Any] | list[Any]
    """The exact body sent: JSON, or a form's fields by name."""
    fields: tuple[PreviewField, ...] = ()

    @property
    def ticket_id(self) -> int | None:
        return self.ticket.id if self.ticket else None

    def payload_hash(self) -> str:
        """What a two-step token is bound to: the tool, the target and the exact body."""
        bound = {"tool": self.tool, "ticket_id": self.ticket_id, "request": self.request, "body": self.body}
        return hashlib.sha256(canonical_json(bound).encode()).hexdigest()

    def audit_payload(self) -> dict[str, Any]:
        return {"request": self.request, "body": self.body, "payload_hash": self.payload_hash()}


class PlanRefused(Exception):
    """The write cannot be planned; `outcome` is how the audit log records it. The message ends by saying that
    nothing was written."""

    def __init__(self, message: str, outcome: Literal["denied", "failed", "not_written"] = "failed") -> None:
        self.outcome = outcome
        super().__init__(message)


class TicketReader(Protocol):
    async def get_ticket(self, ticket_id: int) -> Ticket: ...


class StaleTicket(Exception):
    """The ticket is gone or changed since the preview; the message says which, for the user."""


async def recheck(provider: TicketReader, previewed: TicketState) -> TicketState:
    """The ticket's current state, or StaleTicket when it no longer matches the preview: a preview of a ticket
    that has since changed confirms nothing."""
    try:
        fresh = TicketState.of(await provider.get_ticket(previewed.id))
    except PSANotFoundError as exc:
        raise StaleTicket(f"Ticket #{previewed.id} no longer exists (deleted or merged since the preview).") from exc
    if fresh.digest != previewed.digest:
        changes = [
            f"{label} {before!r} -> {after!r}"
            for label, before, after in (
                ("summary", previewed.summary, fresh.summary),
                ("board", previewed.board, fresh.board),
                ("status", previewed.status, fresh.status),
                ("last updated", previewed.last_updated, fresh.last_updated),
            )
            if before != after
        ]
        detail = "; ".join(changes) if changes else "its content changed"
        raise StaleTicket(f"Ticket #{previewed.id} changed since the preview ({detail}).")
    return fresh
