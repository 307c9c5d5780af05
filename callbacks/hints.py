"""Hints for a new ticket, computed without being asked and without any write to ConnectWise: the top KB
articles, similar resolved tickets and the company's configurations the ticket is likely about.

They are stored once per ticket (storage/callbacks.py) and handed to every sink the running front-end has:
MCP clients read them as the resource `psa://tickets/{id}/hints`, the Slack bot posts them. Ticket text is
untrusted customer data: it becomes a retrieval query and a quoted summary, never instructions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import anyio
from pydantic import BaseModel, Field

from analysis.kb_query import QUERY_THREAD_NOTES, ticket_articles, ticket_query
from analysis.thread import Thread, load_thread
from psa.models import Configuration
from psa.provider import PSAProvider

if TYPE_CHECKING:
    from kb_index.search import KnowledgeSearch, Match

HINT_ARTICLES = 3
HINT_SIMILAR = 3
HINT_CONFIGURATIONS = 5
SUMMARY_CHARS = 200
RESOLUTION_CHARS = 300


def hints_uri(ticket_id: int) -> str:
    return f"psa://tickets/{ticket_id}/hints"


class HintArticle(BaseModel):
    id: int
    title: str
    score: float


class HintTicket(BaseModel):
    id: int
    summary: str
    resolution: str | None = Field(None, description="How it was fixed, truncated.")
    score: float


class HintConfiguration(BaseModel):
    id: int
    name: str
    type: str | None = None
    attached: bool = Field(description="Attached to the ticket (else: one of the company's, matching its text).")


class TicketHints(BaseModel):
    ticket_id: int
    uri: str
    summary: str
    board: str | None = None
    company: str | None = None
    owner: str | None = Field(None, description="The assigned member's identifier.")
    articles: list[HintArticle]
    similar: list[HintTicket]
    configurations: list[HintConfiguration]
    computed_at: datetime
    index_note: str | None = Field(None, description="Why KB articles or similar tickets are missing, if they are.")


class HintSink(Protocol):
    """Somewhere hints are delivered to (an MCP notification, a Slack message); a failure is the sink's own to
    log, never the worker's."""

    async def deliver(self, hints: TicketHints) -> None: ...


def _clip(text: str | None, limit: int) -> str | None:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text or None
    return text[: limit - 1].rstrip() + "…"


async def compute_hints(provider: PSAProvider, search: KnowledgeSearch | None, ticket_id: int,
                        index_note: str | None = None) -> TicketHints:
    """The hints for one ticket. `search` None: no index (KB and similar tickets stay empty, `index_note`
    says why). Raises the provider's errors (a deleted ticket is ConnectWiseNotFoundError)."""
    thread = await load_thread(provider, ticket_id, QUERY_THREAD_NOTES)
    articles: list[HintArticle] = []
    similar: list[HintTicket] = []
    if search is not None:
        found_articles, found_similar = await anyio.to_thread.run_sync(_search, search, thread)
        articles = [HintArticle(id=int(m.document.id), title=m.document.title, score=round(m.score, 3))
                    for m in found_articles]
        similar = [HintTicket(id=int(m.document.id), summary=_clip(m.document.title, SUMMARY_CHARS) or "",
                              resolution=_clip(str(m.document.metadata.get("resolution") or ""), RESOLUTION_CHARS),
                              score=round(m.score, 3))
                   for m in found_similar]
    return TicketHints(
        ticket_id=ticket_id,
        uri=hints_uri(ticket_id),
        summary=_clip(thread.title, SUMMARY_CHARS) or "",
        board=thread.board or None,
        company=thread.company or None,
        owner=thread.owner or None,
        articles=articles,
        similar=similar,
        configurations=await _configurations(provider, thread),
        computed_at=datetime.now(UTC),
        index_note=None if search is not None else index_note,
    )


def _search(search: KnowledgeSearch, thread: Thread) -> tuple[list[Match], list[Match]]:
    articles = ticket_articles(search, thread, HINT_ARTICLES)
    # One extra: the ticket itself is left out if it is in the index (a reopened one may be).
    similar = search.search("resolved_tickets", ticket_query(thread), k=HINT_SIMILAR + 1)
    return articles, [m for m in similar if m.document.id != str(thread.ticket_id)][:HINT_SIMILAR]


async def _configurations(provider: PSAProvider, thread: Thread) -> list[HintConfiguration]:
    """The ticket's own configurations; without any, the company's whose name or type the ticket mentions."""
    attached = await provider.list_ticket_configurations(thread.ticket_id)
    if attached:
        return [_configuration(c, attached=True) for c in attached[:HINT_CONFIGURATIONS] if c.id is not None]
    if not thread.company:
        return []
    company = await provider.find_configurations(company=thread.company, page_size=100)
    words = _words(" ".join([thread.title, *(n.text for n in thread.notes[:1])]))
    mentioned = [c for c in company.items if c.id is not None and words & _words(_configuration_text(c))]
    return [_configuration(c, attached=False) for c in mentioned[:HINT_CONFIGURATIONS]]


def _configuration(config: Configuration, *, attached: bool) -> HintConfiguration:
    assert config.id is not None
    return HintConfiguration(id=config.id, name=config.name or f"configuration {config.id}", type=config.type,
                             attached=attached)


def _configuration_text(config: Configuration) -> str:
    return " ".join(p for p in (config.name, config.type, config.os_type) if p)


_STOP = frozenset({"the", "and", "for", "not", "with", "from", "our", "can", "has", "have", "this", "that", "are",
                   "was", "all", "any", "new", "one", "get", "its", "off", "out", "now", "you", "your"})


def _words(text: str) -> set[str]:
    return {w for w in "".join(ch.lower() if ch.isalnum() else " " for ch in text).split()
            if len(w) >= 3 and w not in _STOP}
