"""add_ticket_note on the helpdesk: a reply emailed to the requester, or a resolution (resolve); it has no
internal notes, so those are refused with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from psa.helpdesk.client import HelpdeskClient
from psa.helpdesk.errors import HelpdeskResponseError
from psa.helpdesk.mapping import CLOSED_TYPES, conversation
from psa.helpdesk.models import Conversation, ConversationType, Person, ReplyForm, ResolveForm, TicketApiModel
from psa.helpdesk.writes.forms import (
    API,
    TITLE_MAX,
    WriterBase,
    body_of,
    expect,
    fields_of,
    form_of,
    same_text,
)
from psa.helpdesk.writes.names import person_label
from psa.models import Note, Ticket
from psa.writes import Body, NoteType, PlannedWrite, Shown, WriteNotPlanned

RESOLVED_STATUS = "Resolved"
"""The system status the resolve endpoint moves a ticket to (docs/helpdesk-api.md)."""

NO_INTERNAL_NOTES = (
    "The helpdesk has no internal notes: every reply or forward on a ticket is an email to a person, and its "
    "conversations are never hidden from the requester. For a note meant for the customer, use internal=false "
    "with note_type 'discussion' (emailed as a reply to the requester) or 'resolution' (resolves the ticket and "
    "emails the requester)."
)


@dataclass(frozen=True)
class _NoteKind:
    """A note the helpdesk can take: its endpoint, the conversation it logs, the form field with the text."""

    action: str
    conversation: ConversationType
    text_field: str
    send: Callable[[HelpdeskClient, int, dict[str, Any]], Awaitable[None]]

    def request(self, ticket_id: int) -> str:
        return f"{API}/{self.action}/{ticket_id}"

    def made(self, c: Conversation, body: dict[str, Any]) -> bool:
        return c.type == self.conversation and same_text(c.message, body.get(self.text_field))


_REPLY = _NoteKind("reply", ConversationType.Reply, "Message", lambda h, i, f: h.reply(i, ReplyForm(**f)))
_RESOLVE = _NoteKind("resolve", ConversationType.Resolution, "Resolution",
                     lambda h, i, f: h.resolve(i, ResolveForm(**f)))


def _note_kind(body: dict[str, Any]) -> _NoteKind:
    return _RESOLVE if _RESOLVE.text_field in body else _REPLY


def _recipient(t: TicketApiModel) -> tuple[Person, str]:
    """The requester and their email address: every note the helpdesk takes is emailed to them."""
    creator = t.creator
    email = (creator.email or "").strip() if creator else ""
    if creator is None or not email:
        raise WriteNotPlanned(
            f"Ticket #{t.id}'s requester has no email address, and every note the helpdesk takes is emailed to "
            "the requester. To resolve the ticket without an email, set a resolved status with "
            "update_ticket_status.")
    return creator, email


def _reply_title(t: TicketApiModel) -> str:
    return f"Re: [#{t.id}] {t.title or ''}".strip()[:TITLE_MAX]


class NoteWrites(WriterBase):
    """psa.writes.NoteWriter."""

    async def plan_note(self, ticket: Ticket, text: str, note_type: NoteType, internal: bool) -> PlannedWrite:
        """A discussion is a reply emailed to the requester; a resolution resolves the ticket and emails them.
        The requester is read from the ticket as the helpdesk has it now."""
        if internal or note_type == "internal_analysis":
            raise WriteNotPlanned(NO_INTERNAL_NOTES)
        wire = await self.client.get_ticket(ticket.id)
        requester, email = _recipient(wire)
        to = person_label(requester, email)
        if note_type == "resolution":
            return self._plan_resolution(wire, text, to, email)
        form = form_of(ReplyForm, Id=wire.id, Title=_reply_title(wire), SendTo=email, Message=text)
        return PlannedWrite(
            action=f"Email a reply to {to} on ticket #{wire.id}",
            request=_REPLY.request(wire.id),
            body=body_of(form),
            shown=(
                Shown(label="Email to", value=to),
                Shown(label="Subject", value=form.Title),
                Shown(label="Effect", value=f"an email is sent to {email} now; the reply is logged on the ticket's "
                                            "thread, which the requester sees"),
                Shown(label="Email text", value=text, block=True),
            ),
        )

    def _plan_resolution(self, wire: TicketApiModel, text: str, to: str, email: str) -> PlannedWrite:
        if wire.status is not None and wire.status.statusType in CLOSED_TYPES:
            raise WriteNotPlanned(
                f"Ticket #{wire.id} is already {wire.status.statusType.lower()} (status {wire.status.status!r}): "
                "a resolution would replace its resolution and email the requester again. To tell them more, use "
                "note_type 'discussion' (an emailed reply); to resolve it anew, first set an open status with "
                "update_ticket_status.")
        form = form_of(ResolveForm, Id=wire.id, Resolution=text, ResolvedBy=self._user_id())
        return PlannedWrite(
            action=f"Resolve ticket #{wire.id} and email the resolution to {to}",
            request=_RESOLVE.request(wire.id),
            body=body_of(form),
            shown=(
                Shown(label="Email to", value=to),
                Shown(label="Effect", value=f"resolves the ticket (status {RESOLVED_STATUS!r}) and emails the "
                                            f"resolution to {email} now; the ticket's thread, which the requester "
                                            "sees, logs it"),
                Shown(label="Resolution text", value=text, block=True),
            ),
        )

    async def newest_note_id(self, ticket_id: int) -> int:
        wire = await self.client.get_ticket(ticket_id)
        return max((c.id for c in wire.conversations or []), default=0)

    async def send_note(self, ticket_id: int, request: str, body: Body) -> Note:
        fields = fields_of(body)
        kind = _note_kind(fields)
        expect(request, kind.request(ticket_id))
        await kind.send(self.client, ticket_id, fields)
        wire = await self.client.get_ticket(ticket_id)
        made = [c for c in wire.conversations or [] if kind.made(c, fields)]
        if not made:
            raise HelpdeskResponseError(
                f"the helpdesk accepted the {kind.action}, but ticket #{ticket_id}'s thread does not show it",
                method="POST", url=request.removeprefix("POST "))
        return conversation(ticket_id, max(made, key=lambda c: c.id))

    async def find_note(self, ticket_id: int, body: Body, *, after_id: int) -> Note | None:
        fields = fields_of(body)
        kind = _note_kind(fields)
        wire = await self.client.get_ticket(ticket_id)
        made = next((c for c in wire.conversations or [] if c.id > after_id and kind.made(c, fields)), None)
        return None if made is None else conversation(ticket_id, made)
