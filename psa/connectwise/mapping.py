"""ConnectWise's wire records mapped into the neutral model (psa/models.py): where ConnectWise's own shapes end.
A note's one kind from its three flags, a contact's email and phone from its communication items, a reference's
display name.
"""

from __future__ import annotations

from typing import TypeVar

from psa.connectwise import models as cw
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
from psa.provider import Page

A = TypeVar("A")
B = TypeVar("B")


def ref(value: cw.Reference | None) -> Ref | None:
    if value is None:
        return None
    return Ref(id=value.id, name=value.name, identifier=value.identifier)


def _label(value: cw.Reference | None) -> str | None:
    mapped = ref(value)
    return mapped.label if mapped is not None else None


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


def page_of(page: Page[A], convert: type[B] | object) -> Page[B]:
    return Page[B](items=[convert(i) for i in page.items], page=page.page,  # type: ignore[operator]
                   page_size=page.page_size, has_more=page.has_more, next_page=page.next_page)
