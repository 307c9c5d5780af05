"""The JSON answers of docs/helpdesk-api.md (camelCase keys), built from stored entities and the store's
directory of lookups and users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from sandbox.helpdesk.models import Conversation, ConversationType, Lookup, LookupKind, Role, StatusType, Ticket, User
from sandbox.helpdesk.store import Store


R = TypeVar("R")


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class UserRef(Wire):
    id: str
    full_name: str
    user_name: str
    email: str


class Person(Wire):
    id: str
    full_name: str
    user_name: str


class NamedRef(Wire):
    id: int
    name: str


class TitledRef(Wire):
    id: int
    title: str


class GroupRef(Wire):
    id: int
    group: str


class StatusRef(Wire):
    id: int
    status: str
    status_type: StatusType


class PriorityRef(Wire):
    id: int
    priority: str


class ResolutionView(Wire):
    text: str
    resolved_by: str | None
    resolved_on: str | None


class ConversationView(Wire):
    id: int
    type: ConversationType
    title: str
    message: str | None
    sender: Person | None = Field(alias="from")
    send_to: str | None
    cc_to: str | None
    created_on: str


class TicketRow(Wire):
    """TicketList: a row of GET /api/TicketsApi."""

    id: int
    guid: str
    title: str
    status: str | None
    status_type: StatusType | None
    priority: str | None
    group: str | None
    requester: str | None
    requester_user_name: str | None
    requester_email: str | None
    technician: str | None
    technician_user_name: str | None
    client: str | None
    created_on: str
    updated_on: str
    due_date: str | None
    is_overdue: bool
    is_escalated: bool


class TicketModel(Wire):
    """TicketApiModel: one ticket with its conversations, oldest first."""

    id: int
    guid: str
    title: str
    description: str
    ticket_type: str
    source: str
    created_on: str
    updated_on: str
    due_date: str | None
    resolved_on: str | None
    closed_on: str | None
    creator: UserRef | None
    assignee: UserRef | None
    category: NamedRef | None
    sub_category: NamedRef | None
    item: NamedRef | None
    site: TitledRef | None
    department: TitledRef | None
    group: GroupRef | None
    client: NamedRef | None
    status: StatusRef | None
    priority: PriorityRef | None
    tier_level: TitledRef | None
    resolution: ResolutionView | None
    conversations: list[ConversationView]


class DeletedTicketModel(TicketModel):
    is_deleted: bool = True
    deleted_on: str | None


class AppMetadata(Wire):
    groups: list[GroupRef]
    levels: list[TitledRef]
    priorities: list[PriorityRef]
    categories: list[NamedRef]
    status: list[StatusRef]
    clients: list[NamedRef]
    sites: list[TitledRef]
    departments: list[TitledRef]


class Metadata(AppMetadata):
    sub_categories: list[NamedRef] = Field(alias="sub_categories")
    items: list[NamedRef]
    technicians: list[Person]
    requesters: list[Person] | None = None  # only without a ticket id

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _user(user: User | None) -> UserRef | None:
    return None if user is None else UserRef(id=user.id, full_name=user.full_name, user_name=user.user_name,
                                              email=user.email)


def _person(user: User) -> Person:
    return Person(id=user.id, full_name=user.full_name, user_name=user.user_name)


def _named(lookup: Lookup) -> NamedRef:
    return NamedRef(id=lookup.id, name=lookup.name)


def _titled(lookup: Lookup) -> TitledRef:
    return TitledRef(id=lookup.id, title=lookup.name)


def _group(lookup: Lookup) -> GroupRef:
    return GroupRef(id=lookup.id, group=lookup.name)


def _priority(lookup: Lookup) -> PriorityRef:
    return PriorityRef(id=lookup.id, priority=lookup.name)


def _maybe(make: Callable[[Lookup], R], lookup: Lookup | None) -> R | None:
    return None if lookup is None else make(lookup)


def _status(lookup: Lookup) -> StatusRef:
    return StatusRef(id=lookup.id, status=lookup.name, status_type=lookup.status_type or StatusType.OPEN)


def _name(store: Store, kind: LookupKind, id_: int | None) -> str | None:
    found = store.lookup(kind, id_)
    return found.name if found else None


def ticket_row(store: Store, ticket: Ticket, is_overdue: bool) -> TicketRow:
    status = store.lookup("status", ticket.status_id)
    requester, technician = store.user(ticket.creator_id), store.user(ticket.assignee_id)
    return TicketRow(
        id=ticket.id, guid=ticket.guid, title=ticket.title, status=status.name if status else None,
        status_type=status.status_type if status else None, priority=_name(store, "priority", ticket.priority_id),
        group=_name(store, "group", ticket.group_id), requester=requester.full_name if requester else None,
        requester_user_name=requester.user_name if requester else None,
        requester_email=requester.email if requester else None,
        technician=technician.full_name if technician else None,
        technician_user_name=technician.user_name if technician else None,
        client=_name(store, "client", ticket.client_id), created_on=ticket.created_on, updated_on=ticket.updated_on,
        due_date=ticket.due_date, is_overdue=is_overdue, is_escalated=ticket.is_escalated)


def _conversation(store: Store, conversation: Conversation) -> ConversationView:
    sender = store.user(conversation.from_id)
    assert conversation.id is not None
    return ConversationView(id=conversation.id, type=conversation.type, title=conversation.title,
                            message=conversation.message, sender=_person(sender) if sender else None,
                            send_to=conversation.send_to, cc_to=conversation.cc_to,
                            created_on=conversation.created_on)


def _model_fields(store: Store, ticket: Ticket, conversations: list[Conversation]) -> dict[str, Any]:
    resolution = None
    if ticket.resolution_text:
        resolution = ResolutionView(text=ticket.resolution_text, resolved_by=ticket.resolved_by,
                                    resolved_on=ticket.resolved_on)
    return dict(
        id=ticket.id, guid=ticket.guid, title=ticket.title, description=ticket.description,
        ticket_type=ticket.ticket_type, source=ticket.source, created_on=ticket.created_on,
        updated_on=ticket.updated_on, due_date=ticket.due_date, resolved_on=ticket.resolved_on,
        closed_on=ticket.closed_on, creator=_user(store.user(ticket.creator_id)),
        assignee=_user(store.user(ticket.assignee_id)),
        category=_maybe(_named, store.lookup("category", ticket.category_id)),
        sub_category=_maybe(_named, store.lookup("sub_category", ticket.sub_category_id)),
        item=_maybe(_named, store.lookup("item", ticket.item_id)),
        site=_maybe(_titled, store.lookup("site", ticket.site_id)),
        department=_maybe(_titled, store.lookup("department", ticket.department_id)),
        group=_maybe(_group, store.lookup("group", ticket.group_id)),
        client=_maybe(_named, store.lookup("client", ticket.client_id)),
        status=_maybe(_status, store.lookup("status", ticket.status_id)),
        priority=_maybe(_priority, store.lookup("priority", ticket.priority_id)),
        tier_level=_maybe(_titled, store.lookup("level", ticket.tier_level_id)), resolution=resolution,
        conversations=[_conversation(store, c) for c in conversations])


def ticket_model(store: Store, ticket: Ticket, conversations: list[Conversation]) -> TicketModel:
    return TicketModel(**_model_fields(store, ticket, conversations))


def deleted_ticket_model(store: Store, ticket: Ticket, conversations: list[Conversation]) -> DeletedTicketModel:
    return DeletedTicketModel(**_model_fields(store, ticket, conversations), deleted_on=ticket.deleted_on)


def _app_lists(store: Store) -> dict[str, Any]:
    return dict(
        groups=[_group(x) for x in store.lookups("group")],
        levels=[_titled(x) for x in store.lookups("level")],
        priorities=[_priority(x) for x in store.lookups("priority")],
        categories=[_named(x) for x in store.lookups("category")],
        status=[_status(s) for s in store.lookups("status")],
        clients=[_named(x) for x in store.lookups("client")],
        sites=[_titled(x) for x in store.lookups("site")],
        departments=[_titled(x) for x in store.lookups("department")])


def app_metadata(store: Store) -> AppMetadata:
    return AppMetadata(**_app_lists(store))


def metadata(store: Store, ticket: Ticket | None) -> Metadata:
    """Every lookup; with a ticket, subcategories of its category, items of its client (an item is a client's
    configuration here, so the client is what scopes it) and the technicians of its group."""
    sub_categories, items = store.lookups("sub_category"), store.lookups("item")
    technicians = store.users(Role.TECHNICIAN)
    if ticket is not None:
        if ticket.category_id is not None:
            sub_categories = [x for x in sub_categories if x.parent_id == ticket.category_id]
        if ticket.client_id is not None:
            items = [x for x in items if x.parent_id == ticket.client_id]
        if ticket.group_id is not None:
            members = set(store.group_members(ticket.group_id))
            technicians = [u for u in technicians if u.id in members]
    return Metadata(**_app_lists(store), sub_categories=[_named(x) for x in sub_categories],
                    items=[_named(x) for x in items], technicians=[_person(u) for u in technicians],
                    requesters=None if ticket is not None else [_person(u) for u in store.users(Role.REQUESTER)])
