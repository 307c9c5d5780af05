"""The helpdesk TicketsApi as a product: what the copilot serves on it, and why not the rest."""

from __future__ import annotations

from psa.provider import Product

PRODUCT = Product(
    name="helpdesk",
    title="the helpdesk",
    short="the helpdesk",
    capabilities=frozenset({"tickets", "ticket_notes", "ticket_status", "ticket_create", "ticket_update", "boards",
                            "companies", "contacts", "knowledge"}),
    missing={
        "configurations": "the helpdesk's items carry only a name: no company, serial or address to search",
        "schedule": "the helpdesk keeps no schedule",
        "time_entries": "the helpdesk keeps no time entries",
        "kb_articles": "the helpdesk has no knowledge-base API",
    },
)
