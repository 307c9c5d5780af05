"""Pydantic models for the helpdesk TicketsApi (docs/helpdesk-api.md), named as on the wire.

Field names are the API's own: camelCase in JSON answers (`statusType`, `createdOn`), PascalCase in form bodies
(`Title`, `CreatorId`), so a model maps to the wire without an alias table. The one exception is a
conversation's `from`, a Python keyword, which is `from_` with the alias `from`.

Two families, as in psa.connectwise.models:
- Response models are lenient: unknown fields kept (`extra="allow"`), every field optional except an `id` the
  contract guarantees, and text fields typed `str` rather than enums, so a server that adds a status type or a
  field does not break a read. The enums below compare equal to those strings (`t.statusType == StatusType.Closed`).
- Write models are strict: the seed's required fields are required (and non-empty, as ASP.NET's [Required]
  demands), Title is at most 255 characters, unknown fields are refused, datetimes must carry a time zone.
  `to_form()` gives the multipart fields; uploads travel separately as files (`uploads()`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum, StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

_LENIENT = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True, coerce_numbers_to_str=True)
_STRICT = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

Required = Annotated[str, StringConstraints(min_length=1)]
Title255 = Annotated[str, StringConstraints(min_length=1, max_length=255)]

# One attachment: (filename, content, content type), sent as a repeated `Uploads` file part.
Upload = tuple[str, bytes, str]


# ---- vocabulary ------------------------------------------------------------------------------------------------


class ListType(StrEnum):
    """`listType` of GET /api/TicketsApi; the "My..." lists are relative to the token's user."""

    AllMyGroups = "AllMyGroups"
    MyOpenOrUnassigned = "MyOpenOrUnassigned"
    UnassignedTickets = "UnassignedTickets"
    MyOpenTickets = "MyOpenTickets"
    MyTicketsOnhold = "MyTicketsOnhold"
    MyOverdueTickets = "MyOverdueTickets"
    MyPendingTickets = "MyPendingTickets"
    MyTicketsDueToday = "MyTicketsDueToday"
    MyEscalated = "MyEscalated"
    AllEscalated = "AllEscalated"
    MyCompletedTickets = "MyCompletedTickets"
    AllMyTickets = "AllMyTickets"
    MyOpenTasks = "MyOpenTasks"
    MyCompletedTasks = "MyCompletedTasks"
    TicketsOnHold = "TicketsOnHold"
    OverdueTickets = "OverdueTickets"
    TicketsDueToday = "TicketsDueToday"
    PendingTickets = "PendingTickets"
    CompletedTickets = "CompletedTickets"
    AllTickets = "AllTickets"


class SearchField(StrEnum):
    """Names for `searchFields`: which columns `search` looks in."""

    Subject = "Subject"
    TicketId = "TicketId"
    Priority = "Priority"
    Requester = "Requester"


class TicketType(StrEnum):
    Ticket = "Ticket"
    Problem = "Problem"
    Change = "Change"
    ServiceRequest = "ServiceRequest"


# Inside a form's class body the field `TicketType` shadows the enum, so the fields are annotated with this name.
_TicketTypeEnum = TicketType


class StatusType(StrEnum):
    Open = "Open"
    OnHold = "OnHold"
    Pending = "Pending"
    Resolved = "Resolved"
    Closed = "Closed"


class ConversationType(StrEnum):
    Reply = "Reply"
    Forward = "Forward"
    RequesterReply = "RequesterReply"
    Closure = "Closure"
    Resolution = "Resolution"
    Created = "Created"


class Permission(StrEnum):
    """Values of the token's `permission` claim; a 403 names the one that was missing."""

    Create = "Tickets.Create"
    Update = "Tickets.Update"
    Forward = "Tickets.Forward"
    Reply = "Tickets.Reply"
    Close = "Tickets.Close"
    Resolve = "Tickets.Resolve"
    Delete = "Tickets.Delete"


# ---- response models -------------------------------------------------------------------------------------------


class HelpdeskModel(BaseModel):
    """Base of every response model: tolerant of unknown and missing fields."""

    model_config = _LENIENT


class Person(HelpdeskModel):
    """A user: a ticket's creator or assignee, a conversation's sender, a technician or requester in metadata.
    Ids are strings ("tech-kbrooks", "req-123")."""

    id: str
    fullName: str | None = None
    userName: str | None = None
    email: str | None = None


class NamedRef(HelpdeskModel):
    """Category, subcategory, item, client."""

    id: int
    name: str | None = None


class TitledRef(HelpdeskModel):
    """Site, department, tier level."""

    id: int
    title: str | None = None


class GroupRef(HelpdeskModel):
    id: int
    group: str | None = None


class StatusRef(HelpdeskModel):
    id: int
    status: str | None = None
    statusType: str | None = None


class PriorityRef(HelpdeskModel):
    id: int
    priority: str | None = None


class Resolution(HelpdeskModel):
    text: str | None = None
    resolvedBy: str | None = None
    resolvedOn: datetime | None = None


class Conversation(HelpdeskModel):
    """One entry of a ticket's thread; `type` is a ConversationType value."""

    id: int
    type: str | None = None
    title: str | None = None
    message: str | None = None
    from_: Person | None = Field(None, alias="from")
    sendTo: str | None = None
    ccTo: str | None = None
    createdOn: datetime | None = None


class TicketList(HelpdeskModel):
    """A row of GET /api/TicketsApi. Status, priority, group, client, requester and technician are display
    names here, not references."""

    id: int
    guid: str | None = None
    title: str | None = None
    status: str | None = None
    statusType: str | None = None
    priority: str | None = None
    group: str | None = None
    requester: str | None = None
    requesterUserName: str | None = None
    requesterEmail: str | None = None
    technician: str | None = None
    technicianUserName: str | None = None
    client: str | None = None
    createdOn: datetime | None = None
    updatedOn: datetime | None = None
    dueDate: datetime | None = None
    isOverdue: bool | None = None
    isEscalated: bool | None = None


class TicketApiModel(HelpdeskModel):
    """One ticket with its references, resolution and conversations (oldest first). `isDeleted`/`deletedOn`
    come only in the answer to DELETE."""

    id: int
    guid: str | None = None
    title: str | None = None
    description: str | None = None
    ticketType: str | None = None
    source: str | None = None
    createdOn: datetime | None = None
    updatedOn: datetime | None = None
    dueDate: datetime | None = None
    resolvedOn: datetime | None = None
    closedOn: datetime | None = None
    creator: Person | None = None
    assignee: Person | None = None
    category: NamedRef | None = None
    subCategory: NamedRef | None = None
    item: NamedRef | None = None
    site: TitledRef | None = None
    department: TitledRef | None = None
    group: GroupRef | None = None
    client: NamedRef | None = None
    status: StatusRef | None = None
    priority: PriorityRef | None = None
    tierLevel: TitledRef | None = None
    resolution: Resolution | None = None
    conversations: list[Conversation] | None = None
    isDeleted: bool | None = None
    deletedOn: datetime | None = None


class AppMetadata(HelpdeskModel):
    """GET /api/TicketsApi/appmetadata: global lookups."""

    groups: list[GroupRef] | None = None
    levels: list[TitledRef] | None = None
    priorities: list[PriorityRef] | None = None
    categories: list[NamedRef] | None = None
    status: list[StatusRef] | None = None
    clients: list[NamedRef] | None = None
    sites: list[TitledRef] | None = None
    departments: list[TitledRef] | None = None


class Metadata(AppMetadata):
    """GET /api/TicketsApi/metadata[/{id}]: with an id, subcategories, items and technicians are scoped to that
    ticket, and `requesters` is absent."""

    sub_categories: list[NamedRef] | None = None
    items: list[NamedRef] | None = None
    technicians: list[Person] | None = None
    requesters: list[Person] | None = None


class ErrorBody(HelpdeskModel):
    """Every error answer: `{status, message, errors?: {Field: [messages]}}`."""

    status: int | None = None
    message: str | None = None
    errors: dict[str, list[str]] | None = None

    @field_validator("errors", mode="before")
    @classmethod
    def _field_messages(cls, value: Any) -> Any:
        # A lone message per field is accepted as a list of one; any other shape is dropped, not fatal, so the
        # answer's `message` still reaches the user.
        if not isinstance(value, dict):
            return None
        return {str(name): [messages] if isinstance(messages, str) else messages for name, messages in value.items()}


class TicketPage(BaseModel):
    """One page of GET /api/TicketsApi; `total` is X-Total-Count (None when the server sent none)."""

    model_config = ConfigDict(frozen=True)

    items: list[TicketList]
    total: int | None
    page: int
    page_size: int

    @property
    def has_more(self) -> bool:
        if self.total is not None:
            return self.page * self.page_size < self.total
        # Without a count, a full page may have a successor; a short one cannot.
        return len(self.items) >= self.page_size


# ---- write models ----------------------------------------------------------------------------------------------


def _form_value(value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


class WriteForm(BaseModel):
    """Base of every multipart body: strict; `to_form()` gives its fields in declaration order."""

    model_config = _STRICT

    def to_form(self) -> list[tuple[str, str]]:
        """(name, value) pairs: None omitted, a list as one field per element, bools "true"/"false",
        datetimes ISO 8601 in UTC with `Z`."""
        fields: list[tuple[str, str]] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None or name == "Uploads":
                continue
            for item in value if isinstance(value, list) else [value]:
                fields.append((name, _form_value(item)))
        return fields

    def uploads(self) -> list[Upload]:
        return []


class _WithUploads(WriteForm):
    Uploads: list[Upload] = Field(default_factory=list)

    def uploads(self) -> list[Upload]:
        return list(self.Uploads)


class RegisterTicket(_WithUploads):
    """POST /register (permission Tickets.Create): a ticket created on behalf of the requester `CreatorId`."""

    Title: Title255
    Description: Required
    CreatorId: Required
    SiteId: int
    DepartmentId: int
    TicketStatusId: int
    TicketType: _TicketTypeEnum
    Cc: str | None = None
    Guid: str | None = None
    TicketCategoryId: int | None = None
    TicketSubCategoryId: int | None = None
    ItemId: int | None = None
    DueDate: AwareDatetime | None = None
    TierLevelId: int | None = None
    GroupId: int | None = None
    ClientId: int | None = None
    TicketPriorityId: int | None = None
    AssignedUser: str | None = None
    SLAId: int | None = None
    ServiceId: int | None = None
    ImpactId: int | None = None
    UrgencyId: int | None = None
    SelectedTags: list[int] | None = None


class IntegrationTicket(_WithUploads):
    """POST /new (a valid token, no permission): a ticket from an integration, for the requester with username
    `Requester` (or matched by `Email`); omitted ids take the server's defaults."""

    Title: Title255
    Description: Required
    Requester: Required
    Email: str | None = None
    TierLevelId: int | None = None
    GroupId: int | None = None
    SiteId: int | None = None
    DepartmentId: int | None = None
    ClientId: int | None = None
    TicketStatusId: int | None = None
    TicketPriorityId: int | None = None
    TicketCategoryId: int | None = None


class TicketUpdate(WriteForm):
    """POST /update/{id} (Tickets.Update). `TicketStatusId` is applied only when > 0 and different."""

    CreatorId: Required
    Id: int | None = None
    DueDate: AwareDatetime | None = None
    TicketCategoryId: int | None = None
    TicketSubCategoryId: int | None = None
    ItemId: int | None = None
    TicketType: _TicketTypeEnum | None = None
    TierLevelId: int | None = None
    ClientId: int | None = None
    SiteId: int | None = None
    DepartmentId: int | None = None
    TicketStatusId: int | None = None
    TicketPriorityId: int | None = None
    GroupId: int | None = None
    AssignedUser: str | None = None
    TemplateId: str | None = None
    ServiceId: int | None = None
    ImpactId: int | None = None
    UrgencyId: int | None = None


class ReplyForm(_WithUploads):
    """POST /reply/{id} (Tickets.Reply): a technician's email to `SendTo`, logged as a "Reply" conversation."""

    Id: int
    Title: Required
    SendTo: Required
    CcTo: str | None = None
    Message: str | None = None


class ForwardForm(_WithUploads):
    """POST /forward/{id} (Tickets.Forward): an email to `SendTo`, logged as a "Forward" conversation."""

    Id: int
    Title: Required
    SendTo: Required
    CcTo: str | None = None
    Message: str | None = None
    HasDraft: bool | None = None


class ClosureForm(_WithUploads):
    """POST /close/{id} (Tickets.Close). With `Acknowledged=True` a closure email goes to the requester and CC.
    `Status` is the seed's ClosureStatus code; the seed lists no values, so the number is passed through."""

    TicketId: int
    CloseBy: Required
    Acknowledged: bool | None = None
    Comments: str | None = None
    Status: int | None = None
    ClosureComments: str | None = None
    ClosingDate: AwareDatetime | None = None


class ResolveForm(WriteForm):
    """POST /resolve/{id} (Tickets.Resolve); the shape is the contract's own, the seed lacks its table."""

    Id: int
    Resolution: Required
    ResolvedBy: Required


class RequesterReplyForm(_WithUploads):
    """POST /reqreply/{id}: the requester `Username` replies; a resolved or closed ticket re-opens."""

    Id: int
    Username: Required
    Title: Required
    Message: str | None = None
