"""The ticket operations behind the endpoints: reads, and writes that check their references, move a ticket
between statuses, log conversations and send the emails the product sends. Each write is one transaction; its
emails go out after it commits, so a failed write sends nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

from sandbox.helpdesk.errors import bad_request, invalid, invalid_field, ticket_not_found
from sandbox.helpdesk.forms import (
    ListQuery,
    NewTicket,
    RequesterReply,
    TicketClosure,
    TicketCreate,
    TicketEmail,
    TicketResolve,
    TicketsByUser,
    TicketUpdate,
    Upload,
)
from sandbox.helpdesk.listing import OVERDUE, compile_list, created_by
from sandbox.helpdesk.models import (
    COMPLETED,
    Attachment,
    Conversation,
    SYSTEM_CLOSED,
    SYSTEM_RESOLVED,
    ConversationType,
    Lookup,
    LookupKind,
    Role,
    StatusType,
    Ticket,
    TicketType,
    User,
    now_iso,
    utc_iso,
)
from sandbox.helpdesk.outbox import Email, EmailKind, Outbox
from sandbox.helpdesk.store import Store

BY_USER_PAGE_SIZE = 25

_LABELS: dict[LookupKind, str] = {
    "group": "Group", "level": "Tier level", "priority": "Priority", "category": "Category",
    "sub_category": "Subcategory", "item": "Item", "status": "Status", "client": "Client", "site": "Site",
    "department": "Department",
}


def _moved(ticket: Ticket, status: Lookup, at: str) -> Ticket:
    """`ticket` in `status` from `at`: closing stamps closedOn (and resolvedOn if it never was resolved),
    resolving stamps resolvedOn, and any other status clears both (a re-opened ticket is neither)."""
    if status.status_type == StatusType.CLOSED:
        stamps = {"closed_on": at, "resolved_on": ticket.resolved_on or at}
    elif status.status_type == StatusType.RESOLVED:
        stamps = {"resolved_on": at, "closed_on": None}
    else:
        stamps = {"resolved_on": None, "closed_on": None}
    return ticket.model_copy(update={"status_id": status.id, "updated_on": at, **stamps})


class _Checks:
    """Collects reference errors per field, so one 400 lists them all."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.errors: dict[str, list[str]] = {}

    def lookup(self, field: str, kind: LookupKind, id_: int | None) -> Lookup | None:
        if id_ is None:
            return None
        found = self.store.lookup(kind, id_)
        if found is None:
            self.errors.setdefault(field, []).append(f"{_LABELS[kind]} {id_} was not found.")
        return found

    def user(self, field: str, id_: str | None, role: Role | None = None) -> User | None:
        if id_ is None:
            return None
        found = self.store.user(id_)
        if found is None or (role is not None and found.role != role):
            who = "user" if role is None else role.value.lower()
            self.errors.setdefault(field, []).append(f"No {who} has the id '{id_}'.")
            return None
        return found

    def done(self) -> None:
        if self.errors:
            raise invalid(self.errors)


class Desk:
    def __init__(self, store: Store, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox

    # reads -------------------------------------------------------------------------------------------------

    def page(self, query: ListQuery, user: User, now: datetime | None = None) -> tuple[list[tuple[Ticket, bool]], int]:
        """One page of a ticket list (each with whether it is overdue) and the list's total."""
        compiled = compile_list(query, user, now)
        rows = self.store.find_tickets(compiled.where, compiled.params, overdue=OVERDUE, limit=query.page_size,
                                       offset=(query.page - 1) * query.page_size)
        return rows, self.store.count_tickets(compiled.where, compiled.params)

    def by_user(self, form: TicketsByUser) -> list[Ticket]:
        user = self.store.user_by_name(form.username)
        if user is None:
            raise invalid_field("username", f"No user has the user name '{form.username}'.")
        query = created_by(user)
        rows = self.store.find_tickets(query.where, query.params, overdue=OVERDUE, limit=BY_USER_PAGE_SIZE,
                                       offset=(form.page - 1) * BY_USER_PAGE_SIZE)
        return [ticket for ticket, _ in rows]

    def get(self, ticket_id: int) -> Ticket:
        ticket = self.store.ticket(ticket_id)
        if ticket is None:
            raise ticket_not_found(ticket_id)
        return ticket

    def metadata_ticket(self, ticket_id: int) -> Ticket:
        ticket = self.store.ticket(ticket_id)
        if ticket is None:
            raise ticket_not_found(ticket_id, status=400)
        return ticket

    # creating --------------------------------------------------------------------------------------------

    def register(self, form: TicketCreate, by: User) -> Ticket:
        """POST register: a ticket on behalf of a requester, typed in by `by` (source Manual)."""
        with self.store.transaction():
            checks = _Checks(self.store)
            creator = checks.user("CreatorId", form.creator_id, Role.REQUESTER)
            status = checks.lookup("TicketStatusId", "status", form.ticket_status_id)
            refs: tuple[tuple[str, LookupKind, int | None], ...] = (
                ("SiteId", "site", form.site_id), ("DepartmentId", "department", form.department_id),
                ("TicketCategoryId", "category", form.ticket_category_id),
                ("TicketSubCategoryId", "sub_category", form.ticket_sub_category_id), ("ItemId", "item", form.item_id),
                ("TierLevelId", "level", form.tier_level_id), ("GroupId", "group", form.group_id),
                ("ClientId", "client", form.client_id), ("TicketPriorityId", "priority", form.ticket_priority_id))
            for field, kind, id_ in refs:
                checks.lookup(field, kind, id_)
            assignee = checks.user("AssignedUser", form.assigned_user, Role.TECHNICIAN)
            checks.done()
            assert creator is not None and status is not None
            now = now_iso()
            ticket = Ticket(
                id=self.store.next_ticket_id(), guid=form.guid or str(uuid.uuid4()), title=form.title,
                description=form.description, ticket_type=form.ticket_type, source="Manual", created_on=now,
                updated_on=now, due_date=utc_iso(form.due_date) if form.due_date else None, creator_id=creator.id,
                assignee_id=assignee.id if assignee else None, category_id=form.ticket_category_id,
                sub_category_id=form.ticket_sub_category_id, item_id=form.item_id, site_id=form.site_id,
                department_id=form.department_id, group_id=form.group_id,
                client_id=form.client_id or creator.client_id, status_id=status.id,
                priority_id=form.ticket_priority_id, tier_level_id=form.tier_level_id, cc=form.cc,
                tags=form.selected_tags)
            ticket = self._create(ticket, status, by, form.uploads)
        if assignee is not None:
            self._assigned(ticket, assignee)
        return ticket

    def new(self, form: NewTicket, by: User) -> Ticket:
        """POST new: the integration endpoint (source Api); the requester by user name, else by email."""
        with self.store.transaction():
            checks = _Checks(self.store)
            requester = self.store.user_by_name(form.requester)
            if (requester is None or requester.role != Role.REQUESTER) and form.email:
                requester = self.store.user_by_email(form.email)
            if requester is None or requester.role != Role.REQUESTER:
                checks.errors["Requester"] = [f"No requester has the user name '{form.requester}'."]
            refs: tuple[tuple[str, LookupKind, int | None], ...] = (
                ("TierLevelId", "level", form.tier_level_id), ("GroupId", "group", form.group_id),
                ("SiteId", "site", form.site_id), ("DepartmentId", "department", form.department_id),
                ("ClientId", "client", form.client_id), ("TicketStatusId", "status", form.ticket_status_id),
                ("TicketPriorityId", "priority", form.ticket_priority_id),
                ("TicketCategoryId", "category", form.ticket_category_id))
            given = {kind: checks.lookup(field, kind, id_) for field, kind, id_ in refs}
            checks.done()
            assert requester is not None

            def pick(kind: LookupKind) -> Lookup | None:
                return given[kind] or self.store.default(kind)

            site, department, status = pick("site"), pick("department"), pick("status")
            assert site is not None and department is not None and status is not None
            level, priority = pick("level"), pick("priority")
            now = now_iso()
            ticket = Ticket(
                id=self.store.next_ticket_id(), guid=str(uuid.uuid4()), title=form.title,
                description=form.description, ticket_type=TicketType.TICKET, source="Api", created_on=now,
                updated_on=now, creator_id=requester.id, category_id=form.ticket_category_id, site_id=site.id,
                department_id=department.id, group_id=form.group_id, client_id=form.client_id or requester.client_id,
                status_id=status.id, priority_id=priority.id if priority else None,
                tier_level_id=level.id if level else None)
            return self._create(ticket, status, by, form.uploads)

    def _create(self, ticket: Ticket, status: Lookup, by: User, uploads: list[Upload]) -> Ticket:
        """Store a new ticket (created straight into a resolved or closed status, it is stamped so) with its
        "Created" conversation and uploads."""
        if status.status_type in COMPLETED:
            ticket = _moved(ticket, status, ticket.created_on)
        self.store.insert_tickets([ticket])
        created = self.store.add_conversation(Conversation(
            ticket_id=ticket.id, type=ConversationType.CREATED, title="Ticket created", from_id=by.id,
            created_on=ticket.created_on))
        self._attach(ticket.id, created.id, uploads)
        return ticket

    # changing --------------------------------------------------------------------------------------------

    def update(self, ticket_id: int, form: TicketUpdate) -> None:
        """POST update/{id}: the given fields; the status only if > 0 and different. 400 for a missing ticket."""
        if form.id is not None and form.id != ticket_id:
            raise bad_request(f"The Id {form.id} does not match ticket {ticket_id} in the path")
        with self.store.transaction():
            ticket = self.store.ticket(ticket_id)
            if ticket is None:
                raise ticket_not_found(ticket_id, status=400)
            checks = _Checks(self.store)
            creator = checks.user("CreatorId", form.creator_id, Role.REQUESTER)
            assignee = checks.user("AssignedUser", form.assigned_user, Role.TECHNICIAN)
            fields: tuple[tuple[str, LookupKind, int | None, str], ...] = (
                ("TicketCategoryId", "category", form.ticket_category_id, "category_id"),
                ("TicketSubCategoryId", "sub_category", form.ticket_sub_category_id, "sub_category_id"),
                ("ItemId", "item", form.item_id, "item_id"),
                ("TierLevelId", "level", form.tier_level_id, "tier_level_id"),
                ("ClientId", "client", form.client_id, "client_id"),
                ("SiteId", "site", form.site_id or None, "site_id"),
                ("DepartmentId", "department", form.department_id or None, "department_id"),
                ("TicketPriorityId", "priority", form.ticket_priority_id, "priority_id"),
                ("GroupId", "group", form.group_id, "group_id"))
            changes: dict[str, object] = {attr: id_ for field, kind, id_, attr in fields
                                          if checks.lookup(field, kind, id_) is not None}
            status_id = form.ticket_status_id if form.ticket_status_id and form.ticket_status_id > 0 else None
            status = checks.lookup("TicketStatusId", "status", status_id)
            checks.done()
            assert creator is not None
            now = now_iso()
            changes |= {"creator_id": creator.id, "updated_on": now}
            if form.due_date is not None:
                changes["due_date"] = utc_iso(form.due_date)
            if form.ticket_type is not None:
                changes["ticket_type"] = form.ticket_type
            newly_assigned = assignee is not None and assignee.id != ticket.assignee_id
            if assignee is not None:
                changes["assignee_id"] = assignee.id
            updated = ticket.model_copy(update=changes)
            if status is not None and status.id != ticket.status_id:
                updated = _moved(updated, status, now)
            self.store.save_ticket(updated)
        if newly_assigned:
            assert assignee is not None
            self._assigned(updated, assignee)

    def send(self, ticket_id: int, form: TicketEmail, kind: EmailKind, by: User) -> None:
        """POST reply/{id} and forward/{id}: an email to SendTo, logged on the ticket. 400 for a missing ticket."""
        if form.id != ticket_id:
            raise bad_request(f"The Id {form.id} does not match ticket {ticket_id} in the path")
        with self.store.transaction():
            ticket = self.store.ticket(ticket_id)
            if ticket is None:
                raise ticket_not_found(ticket_id, status=400)
            now = now_iso()
            logged = self.store.add_conversation(Conversation(
                ticket_id=ticket_id, type=ConversationType.REPLY if kind == "reply" else ConversationType.FORWARD,
                title=form.title, message=form.message, from_id=by.id, send_to=form.send_to, cc_to=form.cc_to,
                created_on=now))
            self._attach(ticket_id, logged.id, form.uploads)
            self.store.save_ticket(ticket.model_copy(update={"updated_on": now}))
        self.outbox.send(Email(ticket_id=ticket_id, kind=kind, to=form.send_to, cc=form.cc_to, subject=form.title,
                               body=form.message or "", at=now))

    def close(self, ticket_id: int, form: TicketClosure) -> bool:
        """POST close/{id}: False if the ticket was already closed (nothing done), else True."""
        if form.ticket_id != ticket_id:
            raise bad_request(f"The TicketId {form.ticket_id} does not match ticket {ticket_id} in the path")
        checks = _Checks(self.store)
        closer = checks.user("CloseBy", form.close_by)
        checks.done()
        assert closer is not None
        with self.store.transaction():
            ticket = self.get(ticket_id)
            if self._status(ticket).status_type == StatusType.CLOSED:
                return False
            now = now_iso()
            closed = _moved(ticket, self._system_status(SYSTEM_CLOSED),
                            utc_iso(form.closing_date) if form.closing_date else now)
            self.store.save_ticket(closed)
            comments = "\n\n".join(c for c in (form.comments, form.closure_comments) if c) or None
            logged = self.store.add_conversation(Conversation(
                ticket_id=ticket_id, type=ConversationType.CLOSURE, title="Ticket closed", message=comments,
                from_id=closer.id, created_on=now))
            self._attach(ticket_id, logged.id, form.uploads)
        requester = self.store.user(ticket.creator_id)
        if form.acknowledged and requester is not None:
            self.outbox.send(Email(ticket_id=ticket_id, kind="closure", to=requester.email, cc=ticket.cc,
                                   subject=f"Ticket #{ticket_id} closed: {ticket.title}",
                                   body=comments or f"Your ticket #{ticket_id} has been closed.", at=now))
        return True

    def resolve(self, ticket_id: int, form: TicketResolve) -> None:
        """POST resolve/{id}: status Resolved, the resolution saved (or replaced), the requester told."""
        if form.id != ticket_id:
            raise bad_request(f"The Id {form.id} does not match ticket {ticket_id} in the path")
        checks = _Checks(self.store)
        resolver = checks.user("ResolvedBy", form.resolved_by)
        checks.done()
        assert resolver is not None
        with self.store.transaction():
            ticket = self.get(ticket_id)
            now = now_iso()
            resolved = _moved(ticket, self._system_status(SYSTEM_RESOLVED), now).model_copy(
                update={"resolution_text": form.resolution, "resolved_by": resolver.id})
            self.store.save_ticket(resolved)
            self.store.add_conversation(Conversation(
                ticket_id=ticket_id, type=ConversationType.RESOLUTION, title="Resolution", message=form.resolution,
                from_id=resolver.id, created_on=now))
        requester = self.store.user(ticket.creator_id)
        if requester is not None:
            self.outbox.send(Email(
                ticket_id=ticket_id, kind="resolution", to=requester.email, cc=ticket.cc,
                subject=f"Ticket #{ticket_id} resolved: {ticket.title}",
                body=f"{form.resolution}\n\nIf this did not fix it, reply and the ticket re-opens.", at=now))

    def delete(self, ticket_id: int) -> Ticket:
        """DELETE /{id}: a soft delete; the ticket as it was deleted."""
        with self.store.transaction():
            now = now_iso()
            deleted = self.get(ticket_id).model_copy(update={"deleted_on": now, "updated_on": now})
            self.store.save_ticket(deleted)
        return deleted

    def requester_reply(self, ticket_id: int, form: RequesterReply) -> None:
        """POST reqreply/{id}: the requester's reply on their own ticket; a resolved or closed ticket re-opens."""
        if form.id != ticket_id:
            raise bad_request(f"The Id {form.id} does not match ticket {ticket_id} in the path")
        user = self.store.user_by_name(form.username)
        if user is None:
            raise invalid_field("Username", f"No user has the user name '{form.username}'.")
        with self.store.transaction():
            ticket = self.store.ticket(ticket_id)
            if ticket is None:
                raise ticket_not_found(ticket_id, status=400)
            if ticket.creator_id != user.id:
                raise bad_request(f"{user.user_name} is not the requester of ticket {ticket_id}")
            now = now_iso()
            logged = self.store.add_conversation(Conversation(
                ticket_id=ticket_id, type=ConversationType.REQUESTER_REPLY, title=form.title, message=form.message,
                from_id=user.id, created_on=now))
            self._attach(ticket_id, logged.id, form.uploads)
            reopen = self.store.default("status")
            if self._status(ticket).status_type in COMPLETED and reopen is not None:
                ticket = _moved(ticket, reopen, now)
            self.store.save_ticket(ticket.model_copy(update={"updated_on": now}))

    # helpers ---------------------------------------------------------------------------------------------

    def _status(self, ticket: Ticket) -> Lookup:
        status = self.store.lookup("status", ticket.status_id)
        assert status is not None, f"ticket {ticket.id} has an unknown status"
        return status

    def _system_status(self, name: str) -> Lookup:
        return next(s for s in self.store.lookups("status") if s.name == name)

    def _attach(self, ticket_id: int, conversation_id: int | None, uploads: list[Upload]) -> None:
        self.store.add_attachments(Attachment(ticket_id=ticket_id, conversation_id=conversation_id, name=u.name,
                                              size=u.size) for u in uploads)

    def _assigned(self, ticket: Ticket, technician: User) -> None:
        self.outbox.send(Email(ticket_id=ticket.id, kind="assignment", to=technician.email,
                               subject=f"Ticket #{ticket.id} assigned to you: {ticket.title}",
                               body=ticket.description, at=ticket.updated_on))
