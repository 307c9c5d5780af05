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
    tool_notes={
        "search_tickets": "On the helpdesk, type and conditions have no counterpart and are refused.",
        "add_ticket_note": "On the helpdesk every note is an email to the requester: internal=false with note_type "
                           "'discussion' (a reply) or 'resolution' (resolves the ticket); internal notes are refused.",
        "create_ticket": "On the helpdesk contact (the requester) is required; configuration_ids are refused.",
        "update_ticket": "On the helpdesk summary cannot change; a board move needs no status.",
    },
)
