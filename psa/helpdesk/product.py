"""The helpdesk TicketsApi as a product: what the copilot serves on it, and why not the rest."""

from __future__ import annotations

from psa.provider import Product

_NOT_YET = ("the copilot changes only a helpdesk ticket's status so far: its replies and forwards email a person, "
            "and that guarded path is still being built")

PRODUCT = Product(
    name="helpdesk",
    title="the helpdesk",
    capabilities=frozenset({"tickets", "ticket_status", "boards", "companies", "contacts", "knowledge"}),
    missing={
        "ticket_notes": _NOT_YET,
        "ticket_create": _NOT_YET,
        "ticket_update": _NOT_YET,
        "configurations": "the helpdesk's items carry only a name: no company, serial or address to search",
        "schedule": "the helpdesk keeps no schedule",
        "time_entries": "the helpdesk keeps no time entries",
        "kb_articles": "the helpdesk has no knowledge-base API",
    },
)
