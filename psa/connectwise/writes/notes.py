"""add_ticket_note on ConnectWise: a discussion, internal analysis or resolution note, one POST.

A note POST that fails in flight may have been stored, so the tool looks for it rather than sending it again:
`find_note` matches a note newer than the one that was newest before the send, by text and flags.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from psa.connectwise.mapping import note as neutral_note
from psa.connectwise.models import ServiceNoteCreate, TicketNote
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.writes import invalid
from psa.models import Note, Ticket
from psa.writes import Body, NoteType, PlannedWrite, Shown

_LABEL = {"internal_analysis": "an internal analysis", "resolution": "a resolution", "discussion": "a discussion"}
_PAGE = 100
_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "internalFlag")


class NoteWrites:
    """psa.writes.NoteWriter over `self.wire`."""

    wire: ConnectWiseProvider

    async def plan_note(self, ticket: Ticket, text: str, note_type: NoteType, internal: bool) -> PlannedWrite:
        try:
            body = ServiceNoteCreate(
                text=text,
                detailDescriptionFlag=note_type == "discussion",
                internalAnalysisFlag=note_type == "internal_analysis",
                resolutionFlag=note_type == "resolution",
                internalFlag=internal,
            )
        except ValidationError as exc:
            raise invalid(exc) from exc
        visibility = "internal (members only)" if internal else "EXTERNAL: visible to the customer"
        return PlannedWrite(
            action=f"Add {_LABEL[note_type]} note ({visibility}) to ticket #{ticket.id}",
            request=f"POST /service/tickets/{ticket.id}/notes",
            body=body.to_cw(),
            shown=(
                Shown(label="Note type", value=note_type),
                Shown(label="Visibility", value=visibility),
                Shown(label="Note text", value=text, block=True),
            ),
        )

    async def newest_note_id(self, ticket_id: int) -> int:
        # Notes list oldest first, so the newest is on the last page.
        count = await self.wire.count_ticket_notes(ticket_id)
        if count == 0:
            return 0
        page = await self.wire.list_ticket_notes(ticket_id, page=(count - 1) // _PAGE + 1, page_size=_PAGE)
        return max((n.id or 0 for n in page.items), default=0)

    async def send_note(self, ticket_id: int, request: str, body: Body) -> Note:
        assert isinstance(body, dict)
        sent = await self.wire.add_ticket_note(
            ticket_id,
            body["text"],
            discussion=body["detailDescriptionFlag"],
            internal_analysis=body["internalAnalysisFlag"],
            resolution=body["resolutionFlag"],
            internal=body["internalFlag"],
        )
        return neutral_note(sent)

    async def find_note(self, ticket_id: int, body: Body, *, after_id: int) -> Note | None:
        assert isinstance(body, dict)
        count = await self.wire.count_ticket_notes(ticket_id)
        # New notes sort last; start a page early in case notes were deleted meanwhile.
        page_no = max(1, (count - 1) // _PAGE)
        while True:
            page = await self.wire.list_ticket_notes(ticket_id, page=page_no, page_size=_PAGE)
            for found in page.items:
                if (found.id or 0) > after_id and _same(found, body):
                    return neutral_note(found)
            if not page.has_more:
                return None
            page_no += 1


def _same(found: TicketNote, body: dict[str, Any]) -> bool:
    # ConnectWise may normalise line endings and trailing whitespace of the stored text.
    def norm(text: str | None) -> str:
        return (text or "").replace("\r\n", "\n").strip()

    if norm(found.text) != norm(body.get("text")):
        return False
    return all(bool(getattr(found, flag, False)) == bool(body.get(flag, False)) for flag in _FLAGS)
