"""Did a note POST that failed in flight land anyway? Check instead of retrying.

A timeout or a dropped connection after the request was sent leaves the outcome unknown: ConnectWise may have
stored the note. Repeating the POST could add it twice, so instead we remember the newest note id before the
POST and, after a failure, look for a newer note with the same text and flags.
"""

from __future__ import annotations

from typing import Any, Protocol

from psa.connectwise.models import TicketNote
from psa.provider import Page

_PAGE = 100
_NOTE_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "internalFlag")


class NoteReader(Protocol):
    async def count_ticket_notes(self, ticket_id: int) -> int: ...

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[TicketNote]: ...


async def newest_note_id(provider: NoteReader, ticket_id: int) -> int:
    """The highest note id on the ticket (0 when it has none). Notes list oldest first, so: the last page."""
    count = await provider.count_ticket_notes(ticket_id)
    if count == 0:
        return 0
    page = await provider.list_ticket_notes(ticket_id, page=(count - 1) // _PAGE + 1, page_size=_PAGE)
    return max((n.id or 0 for n in page.items), default=0)


async def find_new_note(provider: NoteReader, ticket_id: int, body: dict[str, Any], *, after_id: int) -> TicketNote | None:
    """A note newer than `after_id` whose text and flags equal `body`'s, or None."""
    count = await provider.count_ticket_notes(ticket_id)
    # New notes sort last; start a page early in case notes were deleted meanwhile.
    page_no = max(1, (count - 1) // _PAGE)
    while True:
        page = await provider.list_ticket_notes(ticket_id, page=page_no, page_size=_PAGE)
        for note in page.items:
            if (note.id or 0) > after_id and _same(note, body):
                return note
        if not page.has_more:
            return None
        page_no += 1


def _same(note: TicketNote, body: dict[str, Any]) -> bool:
    # ConnectWise may normalise line endings and trailing whitespace of the stored text.
    def norm(text: str | None) -> str:
        return (text or "").replace("\r\n", "\n").strip()

    if norm(note.text) != norm(body.get("text")):
        return False
    return all(bool(getattr(note, flag, False)) == bool(body.get(flag, False)) for flag in _NOTE_FLAGS)
