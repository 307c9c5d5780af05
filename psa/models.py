"""The neutral domain model: the records tools, guard rails, the knowledge index and analysis work with, in no
product's words. Each product's package (psa/connectwise/, later psa/helpdesk/) keeps its wire models to itself
and maps them into these.

References are flattened to what a reader and a filter use (names, a member's login); ids stay where a later
call needs them.
"""

from __future__ import annotations

from datetime import datetime

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Neutral(BaseModel):
    model_config = ConfigDict(frozen=True)


class KnowledgeArticle(_Neutral):
    """A knowledge-base article, as the index holds it."""

    id: int
    title: str = ""
    issue: str | None = None
    resolution: str | None = None
    board: str | None = Field(None, description="The board (queue, group) it was written for, by name.")
    category: str | None = Field(None, description="The product's category, as it spells it (an id or a name).")
    subcategory: str | None = None
    entered: datetime | None = None
    updated: datetime | None = None


class ResolvedTicket(_Neutral):
    """A closed or resolved ticket, as the index holds it: what the customer asked and how it was fixed."""

    id: int
    summary: str = ""
    board: str | None = None
    company: str | None = None
    status: str | None = None
    closed_at: datetime | None = None
    description: str | None = Field(None, description="The customer's description of the problem.")
    resolutions: list[str] = Field(default_factory=list, description="How it was fixed, oldest first.")
    entered: datetime | None = None
    updated: datetime | None = None


class Ref(_Neutral):
    """A reference to another record, flattened: its id and the names a reader and a filter use."""

    id: int | None = None
    name: str | None = None
    identifier: str | None = Field(None, description="A short handle: a member's login, a company's code.")

    @property
    def label(self) -> str | None:
        """How a reader is shown it: its name, else its identifier, else `#id`."""
        return self.name or self.identifier or (f"#{self.id}" if self.id is not None else None)


class Ticket(_Neutral):
    """A service ticket. `board` is the queue it sits in (a ConnectWise board, a helpdesk group)."""

    id: int
    summary: str | None = None
    board: Ref | None = None
    status: Ref | None = None
    closed: bool = False
    type: Ref | None = None
    subtype: Ref | None = None
    item: Ref | None = None
    priority: Ref | None = None
    severity: str | None = None
    impact: str | None = None
    owner: Ref | None = Field(None, description="The assigned technician; `identifier` is their login.")
    team: Ref | None = None
    source: Ref | None = None
    resources: str | None = Field(None, description="Other assigned technicians, as the product lists them.")
    site: Ref | None = None
    site_name: str | None = None
    agreement: Ref | None = None
    company: Ref | None = None
    contact: Ref | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    entered: datetime | None = None
    entered_by: str | None = None
    updated: datetime | None = None
    updated_by: str | None = None
    due: datetime | None = None
    responded: datetime | None = None
    resolved: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    budget_hours: float | None = None
    actual_hours: float | None = None
    in_sla: bool | None = None
    parent_id: int | None = None
    description: str | None = Field(None, description="When the product keeps it on the ticket itself.")


NoteKind = Literal["description", "internal_analysis", "resolution", "discussion"]


class Note(_Neutral):
    """One entry of a ticket's thread."""

    id: int
    ticket_id: int | None = None
    kind: NoteKind
    text: str | None = None
    internal: bool = Field(description="Hidden from the customer.")
    member: Ref | None = Field(None, description="The technician who wrote it.")
    contact: Ref | None = Field(None, description="The customer who wrote it.")
    created_by: str | None = None
    created: datetime | None = None


class Company(_Neutral):
    id: int
    identifier: str | None = None
    name: str | None = None
    status: str | None = None
    phone: str | None = None
    city: str | None = None
    state: str | None = None
    website: str | None = None


class Contact(_Neutral):
    id: int | None = Field(None, description="None where the product keys people by something else.")
    name: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    inactive: bool | None = None
    company: Ref | None = None


class Configuration(_Neutral):
    """A device, licence or service of a company (a helpdesk item)."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    status: str | None = None
    device: str | None = None
    serial: str | None = None
    os_type: str | None = None
    os_info: str | None = None
    ip: str | None = None
    mac: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    site: str | None = None
    company: Ref | None = None
    contact: Ref | None = None


class Status(_Neutral):
    id: int | None = None
    name: str | None = None
    closed: bool = Field(False, description="Setting it closes the ticket.")
    default: bool = False
    inactive: bool = False
    sort: int | None = None


class Board(_Neutral):
    """A queue of tickets with its statuses."""

    id: int | None = None
    name: str | None = None
    inactive: bool = False


class ScheduleEntry(_Neutral):
    """A technician booked for something; `ticket_id` when it is a ticket."""

    id: int | None = None
    ticket_id: int | None = None
    name: str | None = None
    member: Ref | None = None
    where: Ref | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: Ref | None = None
    done: bool = False
    hours: float | None = None


class TimeEntry(_Neutral):
    """Time a technician logged; `ticket_id` when it was charged to a ticket."""

    id: int | None = None
    ticket_id: int | None = None
    ticket_summary: str | None = None
    company: Ref | None = None
    member: Ref | None = None
    start: datetime | None = None
    end: datetime | None = None
    hours: float | None = None
    billable: str | None = None
    work_type: Ref | None = None
    notes: str | None = None
