"""Re-read the ticket right before writing: a preview of a ticket that has since changed confirms nothing."""

from __future__ import annotations

from typing import Protocol

from psa.connectwise.errors import ConnectWiseNotFoundError
from psa.connectwise.models import Ticket

from guardrails.plan import TicketState


class TicketReader(Protocol):
    async def get_ticket(self, ticket_id: int) -> Ticket: ...


class StaleTicket(Exception):
    """The ticket is gone or changed since the preview; the message says which, for the user."""


async def recheck(provider: TicketReader, previewed: TicketState) -> TicketState:
    """The ticket's current state, or StaleTicket when it no longer matches the preview."""
    try:
        fresh = TicketState.of(await provider.get_ticket(previewed.id))
    except ConnectWiseNotFoundError as exc:
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
