"""ConnectWise behind the neutral provider protocol (psa.provider.PSAProvider): `ConnectWisePSA` answers the
protocol's questions with ConnectWiseProvider's calls and maps each wire record into psa/models.py.

The mapping is where ConnectWise's own shapes end: a note's one kind from its three flags, a contact's email and
phone from its communication items, a reference's display name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from psa.connectwise import models as cw
from psa.connectwise.provider import ConnectWiseProvider
from psa.models import (
    Board,
    Company,
    Configuration,
    Contact,
    Note,
    NoteKind,
    Ref,
    ScheduleEntry,
    Status,
    Ticket,
    TimeEntry,
)
from psa.provider import AlreadyDone, Page, StatusChange, TicketQuery, WriteNotPlanned

A = TypeVar("A")
B = TypeVar("B")


def ref(value: cw.Reference | None) -> Ref | None:
    if value is None:
        return None
    return Ref(id=value.id, name=value.name, identifier=value.identifier)


def _label(value: cw.Reference | None) -> str | None:
    if value is None:
        return None
    return value.name or value.identifier or (f"#{value.id}" if value.id is not None else None)


def ticket(t: cw.Ticket) -> Ticket:
    info = t.info
    return Ticket(
        id=t.id or 0,
        summary=t.summary,
        board=ref(t.board),
        status=ref(t.status),
        closed=bool(t.closedFlag),
        type=ref(t.type),
        subtype=ref(t.subType),
        item=ref(t.item),
        priority=ref(t.priority),
        severity=t.severity,
        impact=t.impact,
        owner=ref(t.owner),
        team=ref(t.team),
        source=ref(t.source),
        resources=t.resources,
        site=ref(t.site),
        site_name=t.siteName,
        agreement=ref(t.agreement),
        company=ref(t.company),
        contact=ref(t.contact),
        contact_name=t.contactName,
        contact_email=t.contactEmailAddress,
        contact_phone=t.contactPhoneNumber,
        entered=t.date_entered,
        entered_by=info.enteredBy if info else None,
        updated=t.last_updated,
        updated_by=info.updatedBy if info else None,
        due=t.requiredDate,
        responded=t.dateResponded,
        resolved=t.dateResolved,
        closed_at=t.closedDate,
        closed_by=t.closedBy,
        budget_hours=t.budgetHours,
        actual_hours=t.actualHours,
        in_sla=t.isInSla,
        parent_id=t.parentTicketId,
    )


def note_kind(n: cw.TicketNote) -> NoteKind:
    # A note may carry several flags; resolution and internal analysis say more about its role than "detail".
    if n.resolutionFlag:
        return "resolution"
    if n.internalAnalysisFlag:
        return "internal_analysis"
    if n.detailDescriptionFlag:
        return "description"
    return "discussion"


def note(n: cw.TicketNote) -> Note:
    return Note(
        id=n.id or 0,
        ticket_id=n.ticketId,
        kind=note_kind(n),
        text=n.text,
        internal=bool(n.internalFlag or n.internalAnalysisFlag),
        member=ref(n.member),
        contact=ref(n.contact),
        created_by=n.createdBy,
        created=n.dateCreated or (n.info.dateEntered if n.info else None),
    )


def company(c: cw.Company) -> Company:
    return Company(id=c.id or 0, identifier=c.identifier, name=c.name, status=_label(c.status), phone=c.phoneNumber,
                   city=c.city, state=c.state, website=c.website)


def _communication(c: cw.Contact, kind: str) -> str | None:
    items = [i for i in c.communicationItems or [] if (i.communicationType or "").lower() == kind and i.value]
    chosen = ([i for i in items if i.defaultFlag] or items or [None])[0]
    return chosen.value if chosen is not None else None


def contact(c: cw.Contact) -> Contact:
    phone = c.defaultPhoneNbr or _communication(c, "phone")
    if phone and c.defaultPhoneExtension:
        phone = f"{phone} x{c.defaultPhoneExtension}"
    return Contact(id=c.id or 0, name=c.full_name or None, title=c.title, email=_communication(c, "email"),
                   phone=phone, inactive=c.inactiveFlag, company=ref(c.company))


def configuration(c: cw.Configuration) -> Configuration:
    return Configuration(id=c.id, name=c.name, type=_label(c.type), status=_label(c.status), device=c.deviceIdentifier,
                         serial=c.serialNumber, os_type=c.osType, os_info=c.osInfo, ip=c.ipAddress, mac=c.macAddress,
                         manufacturer=c.manufacturer.name if c.manufacturer else None, model=c.modelNumber,
                         site=c.site.name if c.site else None, company=ref(c.company), contact=ref(c.contact))


def status(s: cw.BoardStatus) -> Status:
    return Status(id=s.id, name=s.name, closed=bool(s.closedStatus), default=bool(s.defaultFlag),
                  inactive=bool(s.inactive), sort=s.sortOrder)


def board(b: cw.Board) -> Board:
    return Board(id=b.id, name=b.name, inactive=bool(b.inactiveFlag))


SERVICE_TICKET = "S"
"""The schedule type of an entry booked against a service ticket (its `objectId`)."""


def schedule_entry(e: cw.ScheduleEntry) -> ScheduleEntry:
    on_ticket = e.type is not None and (e.type.identifier or "").upper() == SERVICE_TICKET
    return ScheduleEntry(id=e.id, ticket_id=e.objectId if on_ticket and e.objectId else None, name=e.name,
                         member=ref(e.member), where=ref(e.where), start=e.dateStart, end=e.dateEnd,
                         status=ref(e.status), done=bool(e.doneFlag), hours=e.hours)


def time_entry(e: cw.TimeEntry) -> TimeEntry:
    on_ticket = (e.chargeToType or "ServiceTicket") in ("ServiceTicket", "ProjectTicket")
    return TimeEntry(id=e.id, ticket_id=e.chargeToId if on_ticket else None,
                     ticket_summary=e.ticket.summary if e.ticket is not None else None, company=ref(e.company),
                     member=ref(e.member), start=e.timeStart, end=e.timeEnd, hours=e.actualHours,
                     billable=e.billableOption, work_type=ref(e.workType), notes=e.notes)


def _page(page: Page[A], convert: type[B] | object) -> Page[B]:
    return Page[B](items=[convert(i) for i in page.items], page=page.page,  # type: ignore[operator]
                   page_size=page.page_size, has_more=page.has_more, next_page=page.next_page)


class ConnectWisePSA:
    """The neutral provider over one ConnectWiseProvider (used, not closed): what tools read."""

    def __init__(self, wire: ConnectWiseProvider) -> None:
        self.wire = wire

    async def search_tickets(self, query: TicketQuery, *, page: int = 1, page_size: int = 25) -> Page[Ticket]:
        return _page(await self.wire.search_tickets(query, page=page, page_size=page_size), ticket)

    async def get_ticket(self, ticket_id: int) -> Ticket:
        return ticket(await self.wire.get_ticket(ticket_id))

    async def get_tickets(self, ticket_ids: Sequence[int]) -> list[Ticket]:
        return [ticket(t) for t in await self.wire.get_tickets(ticket_ids)]

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[Note]:
        return _page(await self.wire.list_ticket_notes(ticket_id, page=page, page_size=page_size), note)

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
        return _page(await self.wire.find_companies(name, page=page, page_size=page_size), company)

    async def find_contacts(self, text: str, *, page: int = 1, page_size: int = 25) -> Page[Contact]:
        return _page(await self.wire.find_contacts(text, page=page, page_size=page_size), contact)

    async def find_configurations(self, *, company: str | None = None, text: str | None = None, page: int = 1,
                                  page_size: int = 25) -> Page[Configuration]:
        found = await self.wire.find_configurations(company=company, text=text, page=page, page_size=page_size)
        return _page(found, configuration)

    async def list_schedule_entries(self, *, member: str | None = None, date_from: datetime | None = None,
                                    date_to: datetime | None = None, page: int = 1,
                                    page_size: int = 25) -> Page[ScheduleEntry]:
        found = await self.wire.list_schedule_entries(member=member, date_from=date_from, date_to=date_to, page=page,
                                                      page_size=page_size)
        return _page(found, schedule_entry)

    async def list_time_entries(self, *, ticket_id: int | None = None, member: str | None = None,
                                date_from: datetime | None = None, date_to: datetime | None = None, page: int = 1,
                                page_size: int = 25) -> Page[TimeEntry]:
        found = await self.wire.list_time_entries(ticket_id=ticket_id, member=member, date_from=date_from,
                                                  date_to=date_to, page=page, page_size=page_size)
        return _page(found, time_entry)

    async def total_time_entry_hours(self, *, ticket_id: int | None = None, member: str | None = None,
                                     date_from: datetime | None = None, date_to: datetime | None = None,
                                     max_items: int = 10_000) -> tuple[int, float, bool]:
        return await self.wire.total_time_entry_hours(ticket_id=ticket_id, member=member, date_from=date_from,
                                                      date_to=date_to, max_items=max_items)

    # ---- writes -------------------------------------------------------------------------------------------

    async def plan_status_change(self, ticket_id: int, status: str) -> StatusChange:
        """A status of the ticket's own board, by name (as ConnectWise compares names: case-insensitively)."""
        current = await self.wire.get_ticket(ticket_id)
        board = current.board
        if board is None or board.id is None:
            raise WriteNotPlanned(f"Ticket #{ticket_id} has no board, so status names cannot be resolved.")
        target = await self.wire.get_board_status_by_name(board.id, status.strip())
        if target is None or target.id is None or target.inactive:
            names = [s.name for s in await self.wire.list_board_statuses(board.id) if s.name and not s.inactive]
            raise WriteNotPlanned(
                f"Board {board.name!r} (ticket #{ticket_id}'s board) has no active status {status!r}. "
                f"Its statuses: {', '.join(names) or '(none)'}."
            )
        now = current.status.name if current.status else None
        if current.status is not None and current.status.id == target.id:
            raise AlreadyDone(f"Ticket #{ticket_id} already has status {now!r}; nothing to change.")
        effects = (f"{target.name!r} is a closed status: this closes the ticket",) if target.closedStatus else ()
        return StatusChange(request=f"PATCH /service/tickets/{ticket_id}",
                            body=[cw.PatchOperation.replace("status", {"id": target.id}).to_cw()],
                            current=now, target=target.name or str(target.id), effects=effects)

    async def change_status(self, ticket_id: int, request: str, body: dict[str, Any] | list[Any]) -> Ticket:
        return ticket(await self.wire.update_ticket_status(ticket_id, self.status_sent(body) or 0))

    def status_sent(self, body: dict[str, Any] | list[Any]) -> int | None:
        assert isinstance(body, list)  # the PATCH array plan_status_change made
        return int(body[0]["value"]["id"])

    async def aclose(self) -> None:
        await self.wire.aclose()
