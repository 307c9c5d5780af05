"""The helpdesk's wire records mapped into the neutral model (psa/models.py).

- A ticket's queue is its group, its company the client, its contact the requester, its owner the assignee.
- The thread is the ticket's description (note 0, as ConnectWise keeps it in a note) and its conversations. A
  reply or forward was an email to a person, so it is never internal; the product has no internal notes.
"""

from __future__ import annotations

from psa.helpdesk.models import Conversation, Person, StatusType, TicketApiModel, TicketList
from psa.models import Note, NoteKind, Ref, Ticket

DESCRIPTION_NOTE_ID = 0
CLOSED_TYPES = frozenset({StatusType.Resolved.value, StatusType.Closed.value})


def _person(person: Person | None) -> Ref | None:
    if person is None:
        return None
    return Ref(name=person.fullName or person.userName, identifier=person.userName)


def ticket(t: TicketApiModel) -> Ticket:
    status_type = t.status.statusType if t.status else None
    return Ticket(
        id=t.id,
        summary=t.title,
        board=Ref(id=t.group.id, name=t.group.group) if t.group else None,
        status=Ref(id=t.status.id, name=t.status.status) if t.status else None,
        closed=status_type in CLOSED_TYPES,
        type=Ref(id=t.category.id, name=t.category.name) if t.category else None,
        subtype=Ref(id=t.subCategory.id, name=t.subCategory.name) if t.subCategory else None,
        item=Ref(id=t.item.id, name=t.item.name) if t.item else None,
        priority=Ref(id=t.priority.id, name=t.priority.priority) if t.priority else None,
        owner=_person(t.assignee),
        team=Ref(id=t.tierLevel.id, name=t.tierLevel.title) if t.tierLevel else None,
        source=Ref(name=t.source) if t.source else None,
        site=Ref(id=t.site.id, name=t.site.title) if t.site else None,
        company=Ref(id=t.client.id, name=t.client.name) if t.client else None,
        contact=_person(t.creator),
        contact_email=t.creator.email if t.creator else None,
        entered=t.createdOn,
        updated=t.updatedOn,
        due=t.dueDate,
        resolved=t.resolvedOn,
        closed_at=t.closedOn,
        closed_by=t.resolution.resolvedBy if t.resolution and t.closedOn else None,
        description=t.description,
    )


def row(r: TicketList) -> Ticket:
    return Ticket(
        id=r.id,
        summary=r.title,
        board=Ref(name=r.group) if r.group else None,
        status=Ref(name=r.status) if r.status else None,
        closed=r.statusType in CLOSED_TYPES,
        priority=Ref(name=r.priority) if r.priority else None,
        owner=Ref(name=r.technician, identifier=r.technicianUserName) if r.technician or r.technicianUserName
        else None,
        company=Ref(name=r.client) if r.client else None,
        contact=Ref(name=r.requester, identifier=r.requesterUserName) if r.requester else None,
        contact_email=r.requesterEmail,
        entered=r.createdOn,
        updated=r.updatedOn,
        due=r.dueDate,
    )


_KINDS: dict[str, NoteKind] = {"Resolution": "resolution"}


def conversation(ticket_id: int, c: Conversation) -> Note:
    by_requester = c.type == "RequesterReply"
    return Note(
        id=c.id,
        ticket_id=ticket_id,
        kind=_KINDS.get(c.type or "", "discussion"),
        text=c.message or c.title,
        internal=False,
        member=None if by_requester else _person(c.from_),
        contact=_person(c.from_) if by_requester else None,
        created=c.createdOn,
    )


def thread(t: TicketApiModel) -> list[Note]:
    """The description first (as note 0), then the conversations, oldest first."""
    notes = [Note(id=DESCRIPTION_NOTE_ID, ticket_id=t.id, kind="description", text=t.description, internal=False,
                  contact=_person(t.creator), created=t.createdOn)] if t.description else []
    return notes + [conversation(t.id, c) for c in t.conversations or []]
