"""The single catalogue of MCP tools: name, toolset, kind and annotations, plus the function once implemented.

Every tool the architecture names is listed here, implemented or not, so the exposure policy
(guardrails/policy.py) can validate COPILOT_* settings against the full set of names and fail closed on a
typo. A spec whose `fn` is None is planned: it is never registered.

Kinds:
- read:  reads the PSA or the KB index; never changes anything.
- draft: produces text for a human to review (e.g. a note draft); writes nothing.
- write: changes the PSA; guarded (policy, confirmation, audit) and hidden in read_only mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_types import ToolAnnotations

Kind = Literal["read", "draft", "write"]

TOOLSETS: dict[str, str] = {
    "tickets": "Service tickets and their notes: search, read, summarise, draft and (guarded) update.",
    "kb": "Knowledge base: suggest articles, find similar resolved tickets, create articles.",
    "directory": "Reference data: service boards with their statuses, companies.",
    "time": "Time entries against tickets.",
}


def read_annotations(title: str) -> ToolAnnotations:
    """Read tools: read-only, not destructive, idempotent, open world (they reach the PSA)."""
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    )


def draft_annotations(title: str) -> ToolAnnotations:
    """Draft tools write nothing, but the same call may word a draft differently: not idempotent."""
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=False, open_world_hint=True
    )


def write_annotations(title: str, *, destructive: bool, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=True,
    )


@dataclass(frozen=True)
class ToolSpec:
    name: str
    toolset: str
    kind: Kind
    annotations: ToolAnnotations
    fn: Callable[..., Any] | None = field(default=None, compare=False)
    """The async tool function (typed pydantic input via its signature, pydantic output via its return type);
    its docstring is the description the model reads. None: planned, not registered."""

    @property
    def implemented(self) -> bool:
        return self.fn is not None


def _catalogue() -> list[ToolSpec]:
    from tools import directory, kb, notes, tickets, writes

    return [
        # --- tickets (read)
        ToolSpec("search_tickets", "tickets", "read", read_annotations("Search tickets"), tickets.search_tickets),
        ToolSpec("get_ticket", "tickets", "read", read_annotations("Get a ticket"), tickets.get_ticket),
        ToolSpec(
            "list_ticket_notes", "tickets", "read", read_annotations("List ticket notes"), tickets.list_ticket_notes
        ),
        ToolSpec(
            "summarize_ticket_notes",
            "tickets",
            "read",
            read_annotations("Summarize ticket notes"),
            notes.summarize_ticket_notes,
        ),
        # --- directory (read)
        ToolSpec("list_boards", "directory", "read", read_annotations("List service boards"), directory.list_boards),
        ToolSpec(
            "find_companies", "directory", "read", read_annotations("Find companies"), directory.find_companies
        ),
        # --- kb (read)
        ToolSpec(
            "suggest_kb_articles", "kb", "read", read_annotations("Suggest KB articles"), kb.suggest_kb_articles
        ),
        ToolSpec(
            "find_similar_tickets", "kb", "read", read_annotations("Find similar tickets"), kb.find_similar_tickets
        ),
        # --- draft
        ToolSpec(
            "draft_internal_analysis_note",
            "tickets",
            "draft",
            draft_annotations("Draft an internal analysis note"),
            notes.draft_internal_analysis_note,
        ),
        # --- write (guarded)
        ToolSpec(
            "add_ticket_note",
            "tickets",
            "write",
            write_annotations("Add a ticket note", destructive=False, idempotent=False),
            writes.add_ticket_note,
        ),
        ToolSpec(
            "update_ticket_status",
            "tickets",
            "write",
            write_annotations("Update ticket status", destructive=True, idempotent=True),
            writes.update_ticket_status,
        ),
        ToolSpec(
            "create_kb_article",
            "kb",
            "write",
            write_annotations("Create a KB article", destructive=False, idempotent=False),
            writes.create_kb_article,
        ),
        ToolSpec(
            "log_time_entry",
            "time",
            "write",
            write_annotations("Log a time entry", destructive=False, idempotent=False),
            writes.log_time_entry,
        ),
        # Two-step mode's redeemer; guardrails/policy.py exposes it only in two_step mode. Destructive: a token
        # may carry a status change.
        ToolSpec(
            "confirm_write",
            "tickets",
            "write",
            write_annotations("Confirm a previewed write", destructive=True, idempotent=False),
            writes.confirm_write,
        ),
    ]


_REGISTRY: dict[str, ToolSpec] | None = None


def registry() -> dict[str, ToolSpec]:
    """All known tools by name (implemented and planned), in catalogue order."""
    global _REGISTRY
    if _REGISTRY is None:
        specs = _catalogue()
        names = [s.name for s in specs]
        if len(names) != len(set(names)):
            raise RuntimeError(f"duplicate tool names in the registry: {names}")
        for spec in specs:
            if spec.toolset not in TOOLSETS:
                raise RuntimeError(f"tool {spec.name!r} names unknown toolset {spec.toolset!r}")
        _REGISTRY = {s.name: s for s in specs}
    return _REGISTRY


def register_spec(spec: ToolSpec) -> None:
    """Add or replace one spec (for packages that implement a planned tool, and for tests)."""
    if spec.toolset not in TOOLSETS:
        raise ValueError(f"unknown toolset {spec.toolset!r}")
    registry()[spec.name] = spec
