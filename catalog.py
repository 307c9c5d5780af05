"""The catalogue of MCP tools: name, toolset, kind and annotations. Pure data, below every package.

The exposure policy (guardrails/policy.py) judges these specs and the server (server.py) registers the
functions tools/registry.py binds to them; neither needs the other. Every tool name a COPILOT_* setting may
mention is here, so a typo fails closed at startup.

Kinds:
- read:  reads the PSA or the KB index; never changes anything.
- draft: produces text for a human to review (e.g. a note draft); writes nothing.
- write: changes the PSA; guarded (policy, consent, audit) and hidden in read_only mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mcp_types import ToolAnnotations

Kind = Literal["read", "draft", "write"]

Capability = Literal[
    "tickets", "ticket_notes", "ticket_status", "ticket_create", "ticket_update", "boards", "companies", "contacts",
    "configurations", "schedule", "time_entries", "knowledge", "kb_articles",
]
"""What a PSA product can do (each provider declares its set, psa/provider.py `Product`). A tool whose needs the
configured product lacks is not listed, and a call to it says why (guardrails/policy.py)."""

TOOLSETS: dict[str, str] = {
    "tickets": "Service tickets and their notes: search, read, summarise, draft and (guarded) update.",
    "kb": "Knowledge base: suggest articles, find similar resolved tickets, create articles.",
    "directory": "Reference data: service boards with their statuses, companies, contacts, configurations.",
    "time": "Schedules and time entries against tickets.",
}

CONFIRM_TOOL = "confirm_write"
"""Two-step mode's redeemer: exposed only in two_step mode (guardrails/policy.py)."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    toolset: str
    kind: Kind
    annotations: ToolAnnotations
    needs: frozenset[Capability] = frozenset()


def _read(title: str) -> ToolAnnotations:
    """Read tools: read-only, not destructive, idempotent, open world (they reach the PSA)."""
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    )


def _draft(title: str) -> ToolAnnotations:
    """Draft tools write nothing, but the same call may word a draft differently: not idempotent."""
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=False, open_world_hint=True
    )


def _write(title: str, *, destructive: bool, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        title=title, read_only_hint=False, destructive_hint=destructive, idempotent_hint=idempotent, open_world_hint=True
    )


def _needs(*capabilities: Capability) -> frozenset[Capability]:
    return frozenset(capabilities)


_SPECS = (
    ToolSpec("search_tickets", "tickets", "read", _read("Search tickets"), _needs("tickets")),
    ToolSpec("get_ticket", "tickets", "read", _read("Get a ticket"), _needs("tickets")),
    ToolSpec("list_ticket_notes", "tickets", "read", _read("List ticket notes"), _needs("tickets")),
    ToolSpec("summarize_ticket_notes", "tickets", "read", _read("Summarize ticket notes"), _needs("tickets")),
    ToolSpec("list_boards", "directory", "read", _read("List service boards"), _needs("boards")),
    ToolSpec("find_companies", "directory", "read", _read("Find companies"), _needs("companies")),
    ToolSpec("find_contacts", "directory", "read", _read("Find contacts"), _needs("contacts")),
    ToolSpec("find_configurations", "directory", "read", _read("Find configurations"), _needs("configurations")),
    ToolSpec("list_schedule", "time", "read", _read("List schedule entries"), _needs("schedule")),
    ToolSpec("list_time_entries", "time", "read", _read("List time entries"), _needs("time_entries")),
    ToolSpec("suggest_kb_articles", "kb", "read", _read("Suggest KB articles"), _needs("tickets", "knowledge")),
    ToolSpec("find_similar_tickets", "kb", "read", _read("Find similar tickets"), _needs("tickets", "knowledge")),
    ToolSpec("draft_internal_analysis_note", "tickets", "draft", _draft("Draft an internal analysis note"),
             _needs("tickets", "knowledge")),
    ToolSpec("add_ticket_note", "tickets", "write", _write("Add a ticket note", destructive=False, idempotent=False),
             _needs("ticket_notes")),
    ToolSpec(
        "update_ticket_status", "tickets", "write", _write("Update ticket status", destructive=True, idempotent=True),
        _needs("ticket_status"),
    ),
    ToolSpec("create_ticket", "tickets", "write", _write("Create a ticket", destructive=False, idempotent=False),
             _needs("ticket_create")),
    ToolSpec("update_ticket", "tickets", "write", _write("Update a ticket", destructive=True, idempotent=True),
             _needs("ticket_update")),
    ToolSpec("create_kb_article", "kb", "write", _write("Create a KB article", destructive=False, idempotent=False),
             _needs("kb_articles")),
    ToolSpec("log_time_entry", "time", "write", _write("Log a time entry", destructive=False, idempotent=False),
             _needs("time_entries")),
    # Destructive: a token may carry a status change.
    ToolSpec(
        CONFIRM_TOOL, "tickets", "write", _write("Confirm a previewed write", destructive=True, idempotent=False)
    ),
)

CATALOG: dict[str, ToolSpec] = {spec.name: spec for spec in _SPECS}
if len(CATALOG) != len(_SPECS) or any(spec.toolset not in TOOLSETS for spec in _SPECS):
    raise RuntimeError("catalog: duplicate tool names or an unknown toolset")
