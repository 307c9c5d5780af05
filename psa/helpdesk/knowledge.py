"""The helpdesk as a knowledge source (psa.provider.KnowledgeSource): its resolved and closed tickets, mapped into
the neutral model the index reads. The product has no knowledge-base API, so it offers no articles.

The list endpoint has no "changed since" filter, so one pass reads every row of `CompletedTickets` (small rows,
100 a page) and filters on `updatedOn` here; only the rows that changed are fetched whole (their description,
resolution and conversations). A reopened ticket drops out of the list, and the sync removes it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime

from psa.helpdesk.client import HelpdeskClient
from psa.helpdesk.errors import HelpdeskNotFoundError
from psa.helpdesk.models import ListType, StatusType, TicketApiModel, TicketList
from psa.models import KnowledgeArticle, ResolvedTicket

PAGE_SIZE = 100
FETCH_CONCURRENCY = 8
"""Tickets read whole at once; as for ConnectWise's notes, a remote desk is latency-bound."""
ROWS_FRESH_S = 60.0
"""One sync asks for the mark, the count, the rows and the ids in a row: one scan serves them all."""
RESOLVED = frozenset({StatusType.Resolved.value, StatusType.Closed.value})


def resolved_ticket(ticket: TicketApiModel) -> ResolvedTicket:
    resolution = ticket.resolution.text if ticket.resolution and ticket.resolution.text else None
    logged = [c.message for c in ticket.conversations or [] if c.type == "Resolution" and c.message]
    return ResolvedTicket(
        id=ticket.id,
        summary=(ticket.title or "").strip(),
        board=ticket.group.group if ticket.group else None,
        company=ticket.client.name if ticket.client else None,
        status=ticket.status.status if ticket.status else None,
        closed_at=ticket.closedOn or ticket.resolvedOn,
        description=ticket.description,
        resolutions=[resolution] if resolution else logged[:1],
        entered=ticket.createdOn,
        updated=ticket.updatedOn,
    )


class HelpdeskKnowledge:
    """Implements psa.provider.KnowledgeSource over a HelpdeskClient (used, not closed)."""

    def __init__(self, client: HelpdeskClient) -> None:
        self.client = client
        self._rows: tuple[float, list[TicketList]] | None = None

    async def _completed(self) -> list[TicketList]:
        if self._rows is not None and time.monotonic() - self._rows[0] < ROWS_FRESH_S:
            return self._rows[1]
        rows: list[TicketList] = []
        page = 1
        while True:
            result = await self.client.list_tickets(ListType.CompletedTickets, page=page, page_size=PAGE_SIZE)
            rows.extend(result.items)
            if not result.has_more or not result.items:
                break
            page += 1
        rows.sort(key=lambda r: r.id)
        self._rows = (time.monotonic(), rows)
        return rows

    @staticmethod
    def _since(rows: list[TicketList], since: datetime | None) -> list[TicketList]:
        return [r for r in rows if since is None or r.updatedOn is None or r.updatedOn >= since]

    # ---- resolved tickets -----------------------------------------------------------------------------------

    async def latest_resolved_update(self) -> datetime | None:
        self._rows = None  # a new pass starts here: read the list afresh
        stamps = [r.updatedOn for r in await self._completed() if r.updatedOn is not None]
        return max(stamps, default=None)

    async def count_resolved(self, since: datetime | None) -> int:
        return len(self._since(await self._completed(), since))

    async def iterate_resolved(self, since: datetime | None) -> AsyncIterator[ResolvedTicket]:
        rows = self._since(await self._completed(), since)
        for start in range(0, len(rows), FETCH_CONCURRENCY):
            group = rows[start:start + FETCH_CONCURRENCY]
            for ticket in await asyncio.gather(*(self._whole(r.id) for r in group)):
                if ticket is not None:
                    yield ticket

    async def iterate_resolved_ids(self) -> AsyncIterator[int]:
        for row in await self._completed():
            yield row.id

    async def get_resolved(self, ticket_id: int) -> ResolvedTicket | None:
        return await self._whole(ticket_id)

    async def _whole(self, ticket_id: int) -> ResolvedTicket | None:
        try:
            ticket = await self.client.get_ticket(ticket_id)
        except HelpdeskNotFoundError:
            return None  # deleted since it was listed
        if ticket.status is None or ticket.status.statusType not in RESOLVED:
            return None
        return resolved_ticket(ticket)

    # ---- KB articles: the product has none ----------------------------------------------------------------

    async def latest_article_update(self) -> datetime | None:
        return None

    async def count_articles(self, since: datetime | None) -> int:
        return 0

    async def iterate_articles(self, since: datetime | None) -> AsyncIterator[KnowledgeArticle]:
        for article in ():
            yield article

    async def iterate_article_ids(self) -> AsyncIterator[int]:
        for article_id in ():
            yield article_id

    async def get_article(self, article_id: int) -> KnowledgeArticle | None:
        return None
