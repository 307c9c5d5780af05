"""A ticket and its notes as plain typed data: what every summariser and draft reads.

Keeping product records out of the summarisers means the benchmark (TweetSumm dialogues) and the tools feed
them the same shape, and the summarisers never see a wire detail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from psa.models import Note, NoteKind, Ticket
from psa.provider import PSAProvider

AuthorRole = Literal["contact", "member", "unknown"]

NOTES_PAGE = 100


class ThreadNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: NoteKind
    author: str = Field(description="Member identifier or contact name; 'unknown' when the note names neither.")
    role: AuthorRole
    created: datetime | None = None
    text: str


class Thread(BaseModel):
    """One ticket's thread, oldest note first. `notes` may be a window of a longer thread (see `total_notes`)."""

    ticket_id: int
    title: str = ""
    status: str = ""
    closed: bool = False
    company: str = ""
    contact: str = ""
    owner: str = ""
    board: str = ""
    notes: list[ThreadNote]
    total_notes: int

    def note_ids(self) -> set[int]:
        return {n.id for n in self.notes}


def thread_note(note: Note) -> ThreadNote:
    if note.contact is not None and (note.contact.name or note.contact.id):
        author, role = note.contact.name or f"contact #{note.contact.id}", "contact"
    elif note.member is not None:
        author, role = note.member.identifier or note.member.name or f"member #{note.member.id}", "member"
    else:
        author, role = note.created_by or "unknown", "unknown"
    return ThreadNote(id=note.id, kind=note.kind, author=author, role=role, created=note.created,
                      text=(note.text or "").strip())


def window(notes: list[ThreadNote], max_notes: int) -> list[ThreadNote]:
    """At most `max_notes` notes: the first (it states the problem) and the most recent ones (they hold the state)."""
    if len(notes) <= max_notes:
        return notes
    if max_notes == 1:
        return notes[-1:]
    return notes[:1] + notes[-(max_notes - 1) :]


async def load_thread(provider: PSAProvider, ticket_id: int, max_notes: int) -> Thread:
    """The ticket and up to `max_notes` of its notes. Raises the provider's errors (not found, ...) unchanged."""
    ticket = await provider.get_ticket(ticket_id)
    notes: list[ThreadNote] = []
    page = 1
    while True:
        result = await provider.list_ticket_notes(ticket_id, page=page, page_size=NOTES_PAGE)
        notes.extend(thread_note(n) for n in result.items)
        if not result.has_more:
            break
        page += 1
    # Oldest first; undated notes go last in id order (ids grow with time in ConnectWise).
    notes.sort(key=lambda n: (n.created.timestamp() if n.created else float("inf"), n.id))
    return _thread(ticket, window(notes, max_notes), total=len(notes))


def _thread(ticket: Ticket, notes: list[ThreadNote], total: int) -> Thread:
    return Thread(
        ticket_id=ticket.id,
        title=(ticket.summary or "").strip(),
        status=(ticket.status.name if ticket.status else "") or "",
        closed=ticket.closed,
        company=(ticket.company.name if ticket.company else "") or "",
        contact=(ticket.contact.name if ticket.contact else None) or ticket.contact_name or "",
        owner=(ticket.owner.identifier or ticket.owner.name if ticket.owner else "") or "",
        board=(ticket.board.name if ticket.board else "") or "",
        notes=notes,
        total_notes=total,
    )
