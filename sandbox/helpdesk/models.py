"""The helpdesk's stored entities and vocabularies, as the store reads and writes them.

Timestamps are ISO 8601 UTC strings ending in `Z` (the wire format too): they compare and sort correctly as
text, so SQLite can order and filter on them without conversion.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class StatusType(StrEnum):
    OPEN = "Open"
    ON_HOLD = "OnHold"
    PENDING = "Pending"
    RESOLVED = "Resolved"
    CLOSED = "Closed"


COMPLETED = (StatusType.RESOLVED, StatusType.CLOSED)

# The statuses resolve and close move a ticket to, found by name as the product's system settings name them.
SYSTEM_RESOLVED = "Resolved"
SYSTEM_CLOSED = "Closed"


class TicketType(StrEnum):
    TICKET = "Ticket"
    PROBLEM = "Problem"
    CHANGE = "Change"
    SERVICE_REQUEST = "ServiceRequest"


class Role(StrEnum):
    TECHNICIAN = "Technician"
    REQUESTER = "Requester"


class Permission(StrEnum):
    CREATE = "Tickets.Create"
    UPDATE = "Tickets.Update"
    FORWARD = "Tickets.Forward"
    REPLY = "Tickets.Reply"
    CLOSE = "Tickets.Close"
    RESOLVE = "Tickets.Resolve"
    DELETE = "Tickets.Delete"


ALL_PERMISSIONS: tuple[Permission, ...] = tuple(Permission)


class ConversationType(StrEnum):
    REPLY = "Reply"
    FORWARD = "Forward"
    REQUESTER_REPLY = "RequesterReply"
    CLOSURE = "Closure"
    RESOLUTION = "Resolution"
    CREATED = "Created"


# The lookup tables behind the metadata endpoints; they share one shape and one SQL table.
LookupKind = Literal["group", "level", "priority", "category", "sub_category", "item", "status", "client", "site",
                     "department"]


class Lookup(BaseModel):
    kind: LookupKind
    id: int
    name: str
    # sub_category -> its category; item and site -> their client (what metadata/{id} scopes by)
    parent_id: int | None = None
    status_type: StatusType | None = None  # statuses only
    is_default: bool = False


class User(BaseModel):
    id: str  # "tech-<identifier>" or "req-<contact id>"
    user_name: str
    full_name: str
    email: str
    role: Role
    client_id: int | None = None  # a requester's company


class Ticket(BaseModel):
    id: int
    guid: str
    title: str
    description: str
    ticket_type: TicketType
    source: str  # "Manual" (register), "Api" (new), or how a seeded ticket arrived ("Email", "Portal")
    created_on: str
    updated_on: str
    due_date: str | None = None
    resolved_on: str | None = None
    closed_on: str | None = None
    creator_id: str
    assignee_id: str | None = None
    category_id: int | None = None
    sub_category_id: int | None = None
    item_id: int | None = None
    site_id: int
    department_id: int
    group_id: int | None = None
    client_id: int | None = None
    status_id: int
    priority_id: int | None = None
    tier_level_id: int | None = None
    cc: str | None = None
    tags: list[int] = Field(default_factory=list)
    resolution_text: str | None = None
    resolved_by: str | None = None  # a user id
    is_escalated: bool = False
    deleted_on: str | None = None


class Conversation(BaseModel):
    id: int | None = None  # assigned by the store for new ones; seeded ones keep their ConnectWise note id
    ticket_id: int
    type: ConversationType
    title: str
    message: str | None = None
    from_id: str | None = None
    send_to: str | None = None
    cc_to: str | None = None
    created_on: str


class Task(BaseModel):
    id: int
    ticket_id: int
    assignee_id: str | None
    completed: bool


class Attachment(BaseModel):
    """An upload, kept as metadata only: the sandbox stores no file contents."""

    ticket_id: int
    conversation_id: int | None
    name: str
    size: int


def utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return utc_iso(datetime.now(timezone.utc))
