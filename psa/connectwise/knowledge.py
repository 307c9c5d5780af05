"""ConnectWise as a knowledge source (psa.provider.KnowledgeSource): closed tickets with their notes, and KB
articles, mapped into the neutral model the index reads.

A ConnectWise ticket's description is its first detail-description note (the write-only `initialDescription`
is never returned by a GET), and its fix is its resolution notes. Internal analysis and discussion are left
out: they describe the hunt, not the fix, and would pull the ticket towards unrelated searches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from psa.connectwise.errors import ConnectWiseNotFoundError
from psa.connectwise.models import KnowledgeBaseArticle, Reference, Ticket, TicketNote
from psa.connectwise.provider import ConnectWiseProvider
from psa.models import KnowledgeArticle, ResolvedTicket

NOTE_FETCH_CONCURRENCY = 8
"""Closed tickets whose notes are fetched at once (one request each). A remote site is latency-bound and needs
parallel requests; on loopback they only add client overhead (1: 7.8 s, 8: 10.2 s, 16: 13.3 s for 1,622
threads), so 8 is the compromise."""


def _ref_name(ref: Reference | None) -> str | None:
    return (ref.name or ref.identifier) if ref is not None else None


def resolved_ticket(ticket: Ticket, notes: Sequence[TicketNote]) -> ResolvedTicket:
    if ticket.id is None:
        raise ValueError("a ticket without an id cannot be indexed")
    description = next((n.text for n in notes if n.detailDescriptionFlag and n.text), ticket.initialDescription)
    resolutions = [n.text for n in notes if n.resolutionFlag and n.text] or [ticket.initialResolution or ""]
    return ResolvedTicket(
        id=ticket.id,
        summary=(ticket.summary or "").strip(),
        board=_ref_name(ticket.board),
        company=_ref_name(ticket.company),
        status=_ref_name(ticket.status),
        closed_at=ticket.closedDate,
        description=description,
        resolutions=[r for r in resolutions if r],
        entered=ticket.date_entered,
        updated=ticket.last_updated,
    )


def knowledge_article(article: KnowledgeBaseArticle) -> KnowledgeArticle:
    if article.id is None:
        raise ValueError("a knowledge-base article without an id cannot be indexed")
    info = article.info
    return KnowledgeArticle(
        id=article.id,
        title=(article.title or "").strip(),
        issue=article.issue,
        resolution=article.resolution,
        board=_ref_name(article.board),
        category=str(article.categoryId) if article.categoryId is not None else None,
        subcategory=str(article.subCategoryId) if article.subCategoryId is not None else None,
        entered=info.dateEntered if info and info.dateEntered else article.dateCreated,
        updated=info.lastUpdated if info else None,
    )


class ConnectWiseKnowledge:
    """Implements psa.provider.KnowledgeSource over a ConnectWiseProvider (used, not closed)."""

    def __init__(self, provider: ConnectWiseProvider) -> None:
        self.provider = provider

    # ---- resolved tickets -----------------------------------------------------------------------------------

    async def latest_resolved_update(self) -> datetime | None:
        return await self.provider.latest_closed_ticket_update()

    async def count_resolved(self, since: datetime | None) -> int:
        return await self.provider.count_closed_tickets(since=since)

    async def iterate_resolved(self, since: datetime | None) -> AsyncIterator[ResolvedTicket]:
        group: list[Ticket] = []
        async for ticket in self.provider.iterate_closed_tickets(since=since):
            group.append(ticket)
            if len(group) >= NOTE_FETCH_CONCURRENCY:
                for resolved in await asyncio.gather(*(self._with_notes(t) for t in group)):
                    yield resolved
                group = []
        for resolved in await asyncio.gather(*(self._with_notes(t) for t in group)):
            yield resolved

    def iterate_resolved_ids(self) -> AsyncIterator[int]:
        return self.provider.iterate_closed_ticket_ids()

    async def get_resolved(self, ticket_id: int) -> ResolvedTicket | None:
        try:
            ticket = await self.provider.get_ticket(ticket_id)
        except ConnectWiseNotFoundError:
            return None
        return await self._with_notes(ticket) if ticket.closedFlag else None

    async def _with_notes(self, ticket: Ticket) -> ResolvedTicket:
        assert ticket.id is not None  # listings and reads always carry ids
        notes = [note async for note in self.provider.iterate_ticket_notes(ticket.id)]
        return resolved_ticket(ticket, notes)

    # ---- KB articles ----------------------------------------------------------------------------------------

    async def latest_article_update(self) -> datetime | None:
        return await self.provider.latest_kb_article_update()

    async def count_articles(self, since: datetime | None) -> int:
        return await self.provider.count_kb_articles(updated_since=since)

    async def iterate_articles(self, since: datetime | None) -> AsyncIterator[KnowledgeArticle]:
        async for article in self.provider.iterate_kb_articles(updated_since=since):
            yield knowledge_article(article)

    def iterate_article_ids(self) -> AsyncIterator[int]:
        return self.provider.iterate_kb_article_ids()

    async def get_article(self, article_id: int) -> KnowledgeArticle | None:
        try:
            return knowledge_article(await self.provider.get_kb_article(article_id))
        except ConnectWiseNotFoundError:
            return None
