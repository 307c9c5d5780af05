"""What the write tools ask of a product, in no product's words: each write is planned by the product (the exact
request, and what it shows the human) before anyone is asked, then sent exactly as planned.

The guard rails (guardrails/) turn a `PlannedWrite` into the preview, the consent and the audit row; the tool
modules (tools/writes/) hold what is the same on every product (arguments, neutral checks, what a failure in flight
means). Each product implements the writers it can serve (psa/connectwise/writes/, psa/helpdesk/writes.py) and
declares the matching capabilities (psa.provider.Product); a product never receives a write it did not declare.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from psa.models import Note, Ticket, TimeEntry

Body = dict[str, Any] | list[Any]
"""The exact body a planned request sends: JSON, or a form's fields by name."""


class WriteNotPlanned(ValueError):
    """A write the product cannot plan (no such status or board, a field it lacks); the message says why and what
    to use instead, for the human. The tool adds that nothing was written."""


class AlreadyDone(WriteNotPlanned):
    """The ticket is already as asked: nothing to send."""


LISTED = 40
"""Names a refusal lists at most."""


def listed(names: Iterable[str | None]) -> str:
    """The names a refusal offers instead: `A, B, C` (at most LISTED, then how many more), or (none)."""
    clean = [n for n in names if n]
    shown = ", ".join(clean[:LISTED])
    if len(clean) > LISTED:
        shown += f", ... ({len(clean) - LISTED} more)"
    return shown or "(none)"


class Shown(BaseModel):
    """One line of what the human confirms (with `block`, a fenced block of text)."""

    model_config = ConfigDict(frozen=True)

    label: str
    value: str
    block: bool = False


class PlannedWrite(BaseModel):
    """A write fixed before anyone is asked: the exact request the product will send, and what it does."""

    model_config = ConfigDict(frozen=True)

    action: str
    """One sentence: what will happen."""
    request: str
    """Method and path, e.g. `POST /service/tickets/5/notes` or `POST /api/TicketsApi/reply/5`."""
    body: Body
    shown: tuple[Shown, ...] = ()
    boards: tuple[str, ...] = ()
    """Boards (queues, groups) the write puts a ticket on, by name: COPILOT_WRITE_BOARDS judges each."""
    then: tuple[str, ...] = ()
    """Requests sent once the first has answered (linking a new ticket's configurations), as the audit shows them."""


# ---- update_ticket_status -------------------------------------------------------------------------------------


class StatusChange(BaseModel):
    """A status change fixed before anyone is asked: the exact request the provider will send, and what it does."""

    model_config = ConfigDict(frozen=True)

    request: str
    """Method and path, e.g. `PATCH /service/tickets/5` or `POST /api/TicketsApi/close/5`."""
    body: Body
    current: str | None
    target: str
    effects: tuple[str, ...] = ()
    """What else happens, in a sentence each: it closes the ticket, an email goes to the requester."""


class StatusWriter(Protocol):
    """A product that changes a ticket's status (update_ticket_status)."""

    async def plan_status_change(self, ticket_id: int, status: str) -> StatusChange:
        """WriteNotPlanned for a status the ticket cannot get (the message lists the ones it can)."""
        ...

    async def change_status(self, ticket_id: int, request: str, body: Body) -> Ticket:
        """Send exactly that planned request, once."""
        ...

    def status_sent(self, body: Body) -> int | None:
        """The status id a planned body sets; None when the request is the product's own close (then a closed
        ticket is what shows it happened)."""
        ...


# ---- add_ticket_note --------------------------------------------------------------------------------------------

NoteType = Literal["internal_analysis", "resolution", "discussion"]


class NoteWriter(Protocol):
    """A product that adds to a ticket's thread (add_ticket_note)."""

    async def plan_note(self, ticket: Ticket, text: str, note_type: NoteType, internal: bool) -> PlannedWrite:
        """WriteNotPlanned for a kind of note the product has not (the helpdesk has no internal notes)."""
        ...

    async def newest_note_id(self, ticket_id: int) -> int:
        """The highest id in the ticket's thread (0 when empty): what `find_note` looks beyond."""
        ...

    async def send_note(self, ticket_id: int, request: str, body: Body) -> Note:
        """Send exactly that planned request, once; the note as stored."""
        ...

    async def find_note(self, ticket_id: int, body: Body, *, after_id: int) -> Note | None:
        """A note newer than `after_id` that this body made, or None: whether a send that failed in flight landed."""
        ...


# ---- create_ticket and update_ticket ------------------------------------------------------------------------


class TicketDraft(BaseModel):
    """A new ticket as the user asked for it: names, resolved by the product."""

    model_config = ConfigDict(frozen=True)

    board: str
    summary: str
    description: str
    company: str
    contact: str | None = None
    priority: str | None = None
    type: str | None = None
    subtype: str | None = None
    item: str | None = None
    configuration_ids: tuple[int, ...] = ()


class TicketCreator(Protocol):
    """A product that creates tickets (create_ticket)."""

    async def plan_ticket(self, draft: TicketDraft) -> PlannedWrite:
        """Every name resolved, or WriteNotPlanned saying which one is not there and what is."""
        ...

    async def newest_ticket_id(self) -> int: ...

    async def create_ticket(self, request: str, body: Body) -> Ticket:
        """Send exactly that planned request, once."""
        ...

    async def find_created_ticket(self, body: Body, *, after_id: int) -> Ticket | None:
        """A ticket newer than `after_id` that this body made, or None."""
        ...

    async def attach_configuration(self, ticket_id: int, configuration_id: int) -> None:
        """One of the plan's `then` requests."""
        ...


class TicketChanges(BaseModel):
    """The fields update_ticket was asked to change, by name; None leaves a field as it is. `owner` is a
    technician's login, already resolved from 'me'."""

    model_config = ConfigDict(frozen=True)

    summary: str | None = None
    priority: str | None = None
    owner: str | None = None
    board: str | None = None
    status: str | None = None
    type: str | None = None
    subtype: str | None = None
    item: str | None = None


class UpdateSent(BaseModel):
    """What an update did, field by field (labels as the preview showed them)."""

    changed: tuple[str, ...]
    differs: tuple[str, ...] = ()
    """Fields the product answered with another value than the one sent."""


class TicketUpdater(Protocol):
    """A product that changes a ticket's fields (update_ticket)."""

    async def plan_update(self, ticket_id: int, changes: TicketChanges) -> PlannedWrite:
        """Old -> new for each field that changes; AlreadyDone when the ticket has every value already."""
        ...

    async def apply_update(self, ticket_id: int, request: str, body: Body) -> UpdateSent:
        """Send exactly that planned request, once."""
        ...

    async def update_landed(self, ticket_id: int, body: Body) -> UpdateSent:
        """The ticket re-read: which of the body's fields it carries (`differs` lists those it does not)."""
        ...


# ---- create_kb_article and log_time_entry (ConnectWise) ----------------------------------------------------


class ArticleDraft(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    issue: str
    resolution: str
    board_id: int | None = Field(None, description="The board of the ticket it came from.")


class ArticleWriter(Protocol):
    """A product with a knowledge-base API (create_kb_article)."""

    async def plan_article(self, draft: ArticleDraft) -> PlannedWrite: ...

    async def newest_article_id(self) -> int: ...

    async def create_article(self, request: str, body: Body) -> tuple[int, str]:
        """Send exactly that planned request, once: the new article's id and title."""
        ...

    async def find_article(self, body: Body, *, after_id: int) -> tuple[int, str] | None: ...


class TimeDraft(BaseModel):
    model_config = ConfigDict(frozen=True)

    ticket_id: int
    notes: str
    start: datetime | None = Field(None, description="UTC; None with hours alone: ending when the user confirms.")
    end: datetime | None = None
    hours: float | None = None
    member: str | None = Field(None, description="A technician's login; None: the product's default.")
    billable: bool | None = None


class TimeWriter(Protocol):
    """A product that keeps time entries (log_time_entry)."""

    async def plan_time(self, draft: TimeDraft) -> PlannedWrite: ...

    async def log_time(self, request: str, body: Body, now: datetime) -> TimeEntry:
        """Send that planned entry, once; a plan from hours alone ends at `now` (when the user confirmed)."""
        ...
