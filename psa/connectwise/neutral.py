"""ConnectWise behind the neutral provider protocol (psa.provider.PSAProvider) and the writers (psa.writes):
`ConnectWisePSA` answers the protocol's questions with ConnectWiseProvider's calls, each wire record mapped into
psa/models.py (psa/connectwise/mapping.py); each write is planned and sent by its module in psa/connectwise/writes/.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from psa.connectwise.mapping import (
    board,
    company,
    configuration,
    contact,
    note,
    page_of,
    schedule_entry,
    status,
    ticket,
    time_entry,
)
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.writes.articles import ArticleWrites
from psa.connectwise.writes.notes import NoteWrites
from psa.connectwise.writes.status import StatusWrites
from psa.connectwise.writes.tickets import TicketWrites
from psa.connectwise.writes.time import TimeWrites
from psa.models import Board, Company, Configuration, Contact, Note, ScheduleEntry, Status, Ticket, TimeEntry
from psa.provider import Page, TicketQuery


class ConnectWisePSA(StatusWrites, NoteWrites, TicketWrites, ArticleWrites, TimeWrites):
    """The neutral provider over one ConnectWiseProvider (used, not closed): what tools read, and the writers
    of psa/connectwise/writes/."""

    def __init__(self, wire: ConnectWiseProvider) -> None:
        self.wire = wire

    async def search_tickets(self, query: TicketQuery, *, page: int = 1, page_size: int = 25) -> Page[Ticket]:
        return page_of(await self.wire.search_tickets(query, page=page, page_size=page_size), ticket)

    async def get_ticket(self, ticket_id: int) -> Ticket:
        return ticket(await self.wire.get_ticket(ticket_id))

    async def get_tickets(self, ticket_ids: Sequence[int]) -> list[Ticket]:
        return [ticket(t) for t in await self.wire.get_tickets(ticket_ids)]

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[Note]:
        return page_of(await self.wire.list_ticket_notes(ticket_id, page=page, page_size=page_size), note)

    async def count_ticket_notes(self, ticket_id: int) -> int:
        return await self.wire.count_ticket_notes(ticket_id)

    async def list_ticket_configurations(self, ticket_id: int) -> list[Configuration]:
        return [configuration(c) for c in await self.wire.list_ticket_configurations(ticket_id)]

    async def get_company(self, company_id: int) -> Company:
        return company(await self.wire.get_company(company_id))

    async def get_contact(self, contact_id: int) -> Contact:
        return contact(await self.wire.get_contact(contact_id))

    async def list_boards(self) -> list[Board]:
        return [board(b) for b in await self.wire.list_boards()]

    async def list_board_statuses(self, board_id: int) -> list[Status]:
        return [status(s) for s in await self.wire.list_board_statuses(board_id)]

    async def find_companies(self, name: str | None = None, *, page: int = 1, page_size: int = 25) -> Page[Company]:
        return page_of(await self.wire.find_companies(name, page=page, page_size=page_size), company)

    async def find_contacts(self, text: str, *, page: int = 1, page_size: int = 25) -> Page[Contact]:
        return page_of(await self.wire.find_contacts(text, page=page, page_size=page_size), contact)

    async def find_configurations(self, *, company: str | None = None, text: str | None = None, page: int = 1,
                                  page_size: int = 25) -> Page[Configuration]:
        found = await self.wire.find_configurations(company=company, text=text, page=page, page_size=page_size)
        return page_of(found, configuration)

    async def list_schedule_entries(self, *, member: str | None = None, date_from: datetime | None = None,
                                    date_to: datetime | None = None, page: int = 1,
                                    page_size: int = 25) -> Page[ScheduleEntry]:
        found = await self.wire.list_schedule_entries(member=member, date_from=date_from, date_to=date_to, page=page,
                                                      page_size=page_size)
        return page_of(found, schedule_entry)

    async def list_time_entries(self, *, ticket_id: int | None = None, member: str | None = None,
                                date_from: datetime | None = None, date_to: datetime | None = None, page: int = 1,
                                page_size: int = 25) -> Page[TimeEntry]:
        found = await self.wire.list_time_entries(ticket_id=ticket_id, member=member, date_from=date_from,
                                                  date_to=date_to, page=page, page_size=page_size)
        return page_of(found, time_entry)

    async def total_time_entry_hours(self, *, ticket_id: int | None = None, member: str | None = None,
                                     date_from: datetime | None = None, date_to: datetime | None = None,
                                     max_items: int = 10_000) -> tuple[int, float, bool]:
        return await self.wire.total_time_entry_hours(ticket_id=ticket_id, member=member, date_from=date_from,
                                                      date_to=date_to, max_items=max_items)

    async def aclose(self) -> None:
        await self.wire.aclose()
