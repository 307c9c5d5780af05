"""The helpdesk behind the neutral provider protocol (psa.provider.PSAProvider): the read tools' questions answered
with the TicketsApi, each record mapped into psa/models.py.

Honest mapping, where the product differs (the records themselves: psa/helpdesk/mapping.py; the writes:
psa/helpdesk/writes.py):
- The list endpoint filters by list type and searches some columns; every other filter of `TicketQuery` is
  applied here over at most SCAN_LIMIT rows, newest first. ConnectWise's conditions language and ticket types
  have no counterpart and are refused with the reason.
- Boards, statuses, clients and requesters come from the metadata endpoint; statuses are the desk's, shared by
  every group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from psa.errors import PSANotFoundError, PSAValidationError
from psa.helpdesk.client import HelpdeskClient
from psa.helpdesk.mapping import CLOSED_TYPES, row, thread, ticket
from psa.helpdesk.models import ListType, Metadata, SearchField, TicketList
from psa.helpdesk.writes import HelpdeskWrites
from psa.models import Board, Company, Configuration, Contact, Note, Status, Ticket
from psa.provider import Page, TicketQuery

T = TypeVar("T")

PAGE_SIZE = 100
SCAN_LIMIT = 2000
"""Rows a filtered search reads at most (20 pages): the filters the API lacks run over these."""
FETCH_CONCURRENCY = 8


class UnsupportedQuery(PSAValidationError):
    """A filter the helpdesk has no counterpart for."""

    product = "The helpdesk"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _paged(items: list[T], page: int, page_size: int) -> Page[T]:
    start = (page - 1) * page_size
    more = start + page_size < len(items)
    return Page[T](items=items[start:start + page_size], page=page, page_size=page_size, has_more=more,
                   next_page=page + 1 if more else None)


def _matches(value: str | None, wanted: str | None) -> bool:
    return wanted is None or (value or "").casefold() == wanted.strip().casefold()


def _contains(haystack: Sequence[str | None], needle: str) -> bool:
    folded = needle.strip().casefold()
    return any(folded in (h or "").casefold() for h in haystack)


def _between(value: datetime | None, after: datetime | None, before: datetime | None) -> bool:
    if after is None and before is None:
        return True
    if value is None:
        return False
    naive = value.replace(tzinfo=None) if value.tzinfo else value
    return (after is None or naive >= after.replace(tzinfo=None)) and (before is None or naive < before.replace(tzinfo=None))


def _row_filter(query: TicketQuery) -> Callable[[TicketList], bool]:
    def keep(r: TicketList) -> bool:
        return (
            _matches(r.group, query.board) and _matches(r.status, query.status) and _matches(r.client, query.company)
            and _matches(r.requester, query.contact) and _matches(r.technicianUserName, query.owner)
            and _matches(r.priority, query.priority) and _matches(r.requesterEmail, query.contact_email)
            and (query.is_open is None or (r.statusType not in CLOSED_TYPES) == query.is_open)
            and _between(r.createdOn, query.entered_after, query.entered_before)
            and _between(r.updatedOn, query.updated_after, query.updated_before)
        )

    return keep


class HelpdeskProvider(HelpdeskWrites):
    """Implements psa.provider.PSAProvider (the reads) over a HelpdeskClient, which it owns and closes; the writes
    are HelpdeskWrites' (psa/helpdesk/writes.py)."""

    def __init__(self, client: HelpdeskClient) -> None:
        self.client = client
        self._metadata: Metadata | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _lookups(self) -> Metadata:
        # Groups, statuses, clients and requesters change rarely; one read serves the server's lifetime.
        if self._metadata is None:
            self._metadata = await self.client.metadata()
        return self._metadata

    # ---- tickets --------------------------------------------------------------------------------------------

    async def search_tickets(self, query: TicketQuery, *, page: int = 1, page_size: int = 25) -> Page[Ticket]:
        if query.conditions and query.conditions.strip():
            raise UnsupportedQuery("the helpdesk has no conditions language; use the typed filters instead")
        if query.type:
            raise UnsupportedQuery("the helpdesk has no ticket types to filter by; search by text or status")
        list_type = ListType.CompletedTickets if query.is_open is False else ListType.AllTickets
        search = query.text.strip() if query.text and query.text.strip() else None
        keep = _row_filter(query)
        found: list[TicketList] = []
        number = 1
        while len(found) < page * page_size and (number - 1) * PAGE_SIZE < SCAN_LIMIT:
            result = await self.client.list_tickets(list_type, search=search,
                                                    search_fields=[SearchField.Subject] if search else None,
                                                    page=number, page_size=PAGE_SIZE)
            found.extend(r for r in result.items if keep(r))
            if not result.has_more:
                break
            number += 1
        found.sort(key=lambda r: r.id, reverse=True)
        return _paged([row(r) for r in found], page, page_size)

    async def get_ticket(self, ticket_id: int) -> Ticket:
        return ticket(await self.client.get_ticket(ticket_id))

    async def get_tickets(self, ticket_ids: Sequence[int]) -> list[Ticket]:
        async def one(ticket_id: int) -> Ticket | None:
            try:
                return await self.get_ticket(ticket_id)
            except PSANotFoundError:
                return None

        wanted = list(dict.fromkeys(ticket_ids))
        got: list[Ticket | None] = []
        for start in range(0, len(wanted), FETCH_CONCURRENCY):
            got += await asyncio.gather(*(one(i) for i in wanted[start:start + FETCH_CONCURRENCY]))
        return [t for t in got if t is not None]

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[Note]:
        return _paged(thread(await self.client.get_ticket(ticket_id)), page, page_size)

    async def count_ticket_notes(self, ticket_id: int) -> int:
        return len(thread(await self.client.get_ticket(ticket_id)))

    async def list_ticket_configurations(self, ticket_id: int) -> list[Configuration]:
        t = await self.client.get_ticket(ticket_id)
        return [Configuration(id=t.item.id, name=t.item.name)] if t.item else []

    # ---- the directory ------------------------------------------------------------------------------------

    async def get_company(self, company_id: int) -> Company:
        for client in (await self._lookups()).clients or []:
            if client.id == company_id:
                return Company(id=client.id, name=client.name)
        raise UnsupportedQuery(f"the helpdesk has no client {company_id}")

    async def get_contact(self, contact_id: int) -> Contact:
        raise UnsupportedQuery("the helpdesk keys requesters by user id, not by a number")

    async def list_boards(self) -> list[Board]:
        return [Board(id=g.id, name=g.group) for g in (await self._lookups()).groups or []]

    async def list_board_statuses(self, board_id: int) -> list[Status]:
        statuses = (await self._lookups()).status or []
        return [Status(id=s.id, name=s.status, closed=s.statusType in CLOSED_TYPES, sort=i)
                for i, s in enumerate(statuses)]

    async def find_companies(self, name: str | None = None, *, page: int = 1, page_size: int = 25) -> Page[Company]:
        clients = [c for c in (await self._lookups()).clients or [] if not name or _contains([c.name], name)]
        return _paged([Company(id=c.id, name=c.name) for c in clients], page, page_size)

    async def find_contacts(self, text: str, *, page: int = 1, page_size: int = 25) -> Page[Contact]:
        people = [p for p in (await self._lookups()).requesters or []
                  if _contains([p.fullName, p.userName, p.email], text)]
        return _paged([Contact(name=p.fullName or p.userName, email=p.email) for p in people], page, page_size)

    async def find_configurations(self, *, company: str | None = None, text: str | None = None, page: int = 1,
                                  page_size: int = 25) -> Page[Configuration]:
        raise UnsupportedQuery("the helpdesk's items carry only a name: no company, serial or address to search")

    async def list_schedule_entries(self, **_: Any) -> Page[Any]:
        raise UnsupportedQuery("the helpdesk keeps no schedule")

    async def list_time_entries(self, **_: Any) -> Page[Any]:
        raise UnsupportedQuery("the helpdesk keeps no time entries")

    async def total_time_entry_hours(self, **_: Any) -> tuple[int, float, bool]:
        raise UnsupportedQuery("the helpdesk keeps no time entries")
