"""The function behind each tool of the catalogue (catalog.py): what the server registers.

The catalogue (names, toolsets, kinds, annotations) is pure data below guardrails/ and tools/; this module binds
the implementations. A catalogue entry without a function here is planned and never registered. Each
function's docstring is the description the model reads; its signature is the typed input, its return
annotation the typed output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalog import CATALOG, TOOLSETS, ToolSpec

__all__ = ["TOOLSETS", "ToolSpec", "implementation", "registry"]


def _functions() -> dict[str, Callable[..., Any]]:
    from tools import directory, kb, notes, schedule, tickets, time_entries
    from tools.writes import add_ticket_note, confirm_write, create_kb_article, log_time_entry, update_ticket_status
    from tools.writes import create_ticket, update_ticket

    return {
        "search_tickets": tickets.search_tickets,
        "get_ticket": tickets.get_ticket,
        "list_ticket_notes": tickets.list_ticket_notes,
        "summarize_ticket_notes": notes.summarize_ticket_notes,
        "list_boards": directory.list_boards,
        "find_companies": directory.find_companies,
        "find_contacts": directory.find_contacts,
        "find_configurations": directory.find_configurations,
        "list_schedule": schedule.list_schedule,
        "list_time_entries": time_entries.list_time_entries,
        "suggest_kb_articles": kb.suggest_kb_articles,
        "find_similar_tickets": kb.find_similar_tickets,
        "draft_internal_analysis_note": notes.draft_internal_analysis_note,
        "add_ticket_note": add_ticket_note.add_ticket_note,
        "update_ticket_status": update_ticket_status.update_ticket_status,
        "create_ticket": create_ticket.create_ticket,
        "update_ticket": update_ticket.update_ticket,
        "create_kb_article": create_kb_article.create_kb_article,
        "log_time_entry": log_time_entry.log_time_entry,
        "confirm_write": confirm_write.confirm_write,
    }


_FUNCTIONS: dict[str, Callable[..., Any]] | None = None


def implementation(name: str) -> Callable[..., Any] | None:
    """The tool function for `name`, or None when the tool is planned (or unknown)."""
    global _FUNCTIONS
    if _FUNCTIONS is None:
        functions = _functions()
        unknown = sorted(set(functions) - set(CATALOG))
        if unknown:
            raise RuntimeError(f"tools/registry.py binds tools the catalogue does not know: {unknown}")
        _FUNCTIONS = functions
    return _FUNCTIONS.get(name)


def registry() -> dict[str, ToolSpec]:
    """Every known tool by name (implemented and planned), in catalogue order."""
    return CATALOG
