"""The helpdesk's writes (the protocols of psa.writes): a ticket's status (update_ticket_status), a reply or a
resolution (add_ticket_note), a new ticket (create_ticket) and a ticket's fields (update_ticket).

Each write is planned into the exact form it sends. The planned body is that form's fields by name, and the sender
rebuilds the form from exactly that body, so what the technician confirmed is what goes out.

Honest mapping, where the product differs:
- There are no internal notes: a reply or forward is an email to a person, and the thread is the requester's to
  see. A discussion note is a reply emailed to the requester; a resolution note is the resolve endpoint, which
  resolves the ticket and emails the requester too.
- A board is a group, a company a client, a contact the requester (required: register files a ticket on a
  requester's behalf), a type a category, a subtype a subcategory. The helpdesk links no configurations.
- The update endpoint cannot change a ticket's subject. Statuses are the desk's, shared by every group, so moving
  a ticket to another group needs no new status.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from pydantic import ValidationError

from psa.helpdesk.client import MAX_PAGE_SIZE, HelpdeskClient
from psa.helpdesk.errors import HelpdeskResponseError
from psa.helpdesk.mapping import conversation
from psa.helpdesk.mapping import ticket as neutral_ticket
from psa.helpdesk.models import (
    ClosureForm,
    Conversation,
    ConversationType,
    ListType,
    Metadata,
    Person,
    ReplyForm,
    RegisterTicket,
    ResolveForm,
    SearchField,
    StatusRef,
    StatusType,
    TicketApiModel,
    TicketList,
    TicketType,
    TicketUpdate,
    TitledRef,
    WriteForm,
)
from psa.models import Note, Ticket
from psa.writes import (
    AlreadyDone,
    Body,
    NoteType,
    PlannedWrite,
    Shown,
    StatusChange,
    TicketChanges,
    TicketDraft,
    UpdateSent,
    WriteNotPlanned,
)

F = TypeVar("F", bound=WriteForm)

API = "POST /api/TicketsApi"
TITLE_MAX = 255
LISTED = 40
"""Names a refusal lists at most."""
RESOLVED_STATUS = "Resolved"
"""The system status the resolve endpoint moves a ticket to (docs/helpdesk-api.md)."""
COMPLETED_TYPES = frozenset({StatusType.Resolved.value, StatusType.Closed.value})

NO_INTERNAL_NOTES = (
    "The helpdesk has no internal notes: every reply or forward on a ticket is an email to a person, and its "
    "conversations are never hidden from the requester. For a note meant for the customer, use internal=false "
    "with note_type 'discussion' (emailed as a reply to the requester) or 'resolution' (resolves the ticket and "
    "emails the requester)."
)

# What the tool's arguments are called in a form, for a refusal that names the argument the user gave.
_ARGUMENTS = {"Title": "summary", "Description": "description", "Message": "text", "Resolution": "text"}


# ---- names --------------------------------------------------------------------------------------------------


class Choice(NamedTuple):
    """A metadata entry as a write names it: the id its form sends, the name a user gives, the name shown."""

    id: int | str
    key: str
    shown: str


def _fold(value: str | None) -> str:
    return (value or "").strip().casefold()


def listed(names: Iterable[str | None]) -> str:
    """`A, B, C` (at most LISTED, then how many more), or (none)."""
    clean = [n for n in names if n]
    shown = ", ".join(clean[:LISTED])
    if len(clean) > LISTED:
        shown += f", ... ({len(clean) - LISTED} more)"
    return shown or "(none)"


def pick(options: Sequence[Choice], name: str, noun: str, plural: str) -> Choice:
    """The option called `name` (case-insensitive, after strip), or WriteNotPlanned listing the ones there are."""
    wanted = _fold(name)
    found = next((c for c in options if _fold(c.key) == wanted), None)
    if found is None:
        raise WriteNotPlanned(f"The helpdesk has no {noun} {name.strip()!r}. Its {plural}: "
                              f"{listed(c.shown for c in options)}.")
    return found


def _by(attr: str) -> Callable[[Any], Choice]:
    """A reference or metadata entry whose name is its `attr` (`group`, `status`, `priority`, `name`)."""

    def choice(ref: Any) -> Choice:
        name = getattr(ref, attr) or f"#{ref.id}"
        return Choice(ref.id, name, name)

    return choice


def _user(person: Person) -> Choice:
    """A technician or requester, named by login."""
    login = person.userName or person.id
    return Choice(person.id, login, f"{person.fullName} ({login})" if person.fullName else login)


def _person(person: Person, email: str | None) -> str:
    name = person.fullName or person.userName or person.id
    return f"{name} <{email}>" if email else name


@dataclass(frozen=True)
class _Field:
    """A ticket field create_ticket and update_ticket set by name: the label the preview shows (lowercased, the
    argument's name in TicketDraft and TicketChanges), the form field that carries its id (the same in RegisterTicket
    and TicketUpdate), and where the metadata and the wire ticket keep it."""

    label: str
    form: str
    noun: str
    plural: str
    entries: Callable[[Metadata], Sequence[Any] | None]
    on_ticket: Callable[[TicketApiModel], Any | None]
    choice: Callable[[Any], Choice]

    @property
    def argument(self) -> str:
        return self.label.lower()

    def resolve(self, meta: Metadata, name: str) -> Choice:
        return pick([self.choice(e) for e in self.entries(meta) or []], name, self.noun, self.plural)

    def current(self, t: TicketApiModel) -> Choice | None:
        ref = self.on_ticket(t)
        return None if ref is None else self.choice(ref)


FIELDS = (
    _Field("Priority", "TicketPriorityId", "priority", "priorities", lambda m: m.priorities, lambda t: t.priority,
           _by("priority")),
    _Field("Owner", "AssignedUser", "technician with the user name", "technicians", lambda m: m.technicians,
           lambda t: t.assignee, _user),
    _Field("Board", "GroupId", "group", "groups (boards)", lambda m: m.groups, lambda t: t.group, _by("group")),
    _Field("Status", "TicketStatusId", "status", "statuses", lambda m: m.status, lambda t: t.status, _by("status")),
    _Field("Type", "TicketCategoryId", "category", "categories (ticket types)", lambda m: m.categories,
           lambda t: t.category, _by("name")),
    _Field("Subtype", "TicketSubCategoryId", "subcategory", "subcategories (subtypes)",
           lambda m: m.sub_categories, lambda t: t.subCategory, _by("name")),
    _Field("Item", "ItemId", "item", "items", lambda m: m.items, lambda t: t.item, _by("name")),
)
"""In the order the preview shows them."""
_FIELD = {f.label: f for f in FIELDS}
_DRAFT_FIELDS = tuple(_FIELD[label] for label in ("Priority", "Type", "Subtype", "Item"))


# ---- forms and bodies -----------------------------------------------------------------------------------------


def _form(model: type[F], **fields: Any) -> F:
    """The form, or WriteNotPlanned naming what the helpdesk would refuse (a summary over 255 characters)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = "; ".join(f"{_ARGUMENTS.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else 'the form'}: "
                             f"{e['msg']}" for e in exc.errors())
        raise WriteNotPlanned(f"The helpdesk would refuse this: {problems}.") from None


def _body(form: WriteForm) -> dict[str, Any]:
    """The form's fields by name, as JSON: what the human confirms and the sender rebuilds the form from."""
    return form.model_dump(mode="json", exclude_none=True, exclude={"Uploads"})


def _fields(body: Body) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise TypeError("a helpdesk body is a form's fields by name, not a list")
    return body


def _expect(request: str, planned: str) -> None:
    # The body alone decides which form is rebuilt; a request naming another endpoint or ticket is not this plan.
    if request != planned:
        raise ValueError(f"the plan's request is {planned!r}, not {request!r}")


def _same_text(a: str | None, b: str | None) -> bool:
    return (a or "").replace("\r\n", "\n").strip() == (b or "").replace("\r\n", "\n").strip()


# ---- notes --------------------------------------------------------------------------------------------------


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
        return c.type == self.conversation and _same_text(c.message, body.get(self.text_field))


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


# ---- the writer ---------------------------------------------------------------------------------------------


class HelpdeskWrites(ABC):
    """The writers HelpdeskProvider serves (StatusWriter, NoteWriter, TicketCreator, TicketUpdater). The provider
    supplies the client and the cached metadata."""

    client: HelpdeskClient

    @abstractmethod
    async def _lookups(self) -> Metadata: ...

    def _user_id(self) -> str:
        """Who the token is: the helpdesk records them as the one who closed or resolved."""
        return self.client.settings.claims().sub or "unknown"

    # ---- update_ticket_status -------------------------------------------------------------------------------

    async def plan_status_change(self, ticket_id: int, status: str) -> StatusChange:
        """A status of the desk, by name. The system's closed status goes through the close endpoint (the
        helpdesk's own closing, logged as a conversation, no email to the requester); any other status, a resolved
        one too, is set with an update: the resolve endpoint would email the requester a resolution text, which
        this tool has none of."""
        current = await self.client.get_ticket(ticket_id)
        statuses = (await self._lookups()).status or []
        wanted = status.strip().casefold()
        target = next((s for s in statuses if (s.status or "").casefold() == wanted), None)
        if target is None:
            names = ", ".join(s.status for s in statuses if s.status)
            raise WriteNotPlanned(f"The helpdesk has no status {status!r}. Its statuses: {names or '(none)'}.")
        now = current.status.status if current.status else None
        if current.status is not None and current.status.id == target.id:
            raise AlreadyDone(f"Ticket #{ticket_id} already has status {now!r}; nothing to change.")
        name = target.status or str(target.id)
        if target.statusType == StatusType.Closed.value:
            body: dict[str, Any] = {"TicketId": ticket_id, "CloseBy": self._user_id(), "Acknowledged": False}
            return StatusChange(request=f"{API}/close/{ticket_id}", body=body, current=now,
                                target=name, effects=("this closes the ticket; no email goes to the requester",))
        body = {"Id": ticket_id, "CreatorId": _creator_id(current), "TicketStatusId": target.id}
        effects = (f"{name!r} is a resolved status: the ticket counts as resolved",) \
            if target.statusType == StatusType.Resolved.value else ()
        return StatusChange(request=f"{API}/update/{ticket_id}", body=body, current=now, target=name,
                            effects=effects)

    async def change_status(self, ticket_id: int, request: str, body: Body) -> Ticket:
        fields = _fields(body)
        if request == f"{API}/close/{ticket_id}":
            await self.client.close(ticket_id, ClosureForm(**fields))
        else:
            _expect(request, f"{API}/update/{ticket_id}")
            await self.client.update_ticket(ticket_id, TicketUpdate(**fields))
        return neutral_ticket(await self.client.get_ticket(ticket_id))

    def status_sent(self, body: Body) -> int | None:
        sent = _fields(body).get("TicketStatusId")
        return int(sent) if sent is not None else None

    # ---- add_ticket_note ----------------------------------------------------------------------------------

    async def plan_note(self, ticket: Ticket, text: str, note_type: NoteType, internal: bool) -> PlannedWrite:
        """A discussion is a reply emailed to the requester; a resolution resolves the ticket and emails them.
        The requester is read from the ticket as the helpdesk has it now."""
        if internal or note_type == "internal_analysis":
            raise WriteNotPlanned(NO_INTERNAL_NOTES)
        wire = await self.client.get_ticket(ticket.id)
        requester, email = _recipient(wire)
        to = _person(requester, email)
        if note_type == "resolution":
            return self._plan_resolution(wire, text, to, email)
        form = _form(ReplyForm, Id=wire.id, Title=_reply_title(wire), SendTo=email, Message=text)
        return PlannedWrite(
            action=f"Email a reply to {to} on ticket #{wire.id}",
            request=_REPLY.request(wire.id),
            body=_body(form),
            shown=(
                Shown(label="Email to", value=to),
                Shown(label="Subject", value=form.Title),
                Shown(label="Effect", value=f"an email is sent to {email} now; the reply is logged on the ticket's "
                                            "thread, which the requester sees"),
                Shown(label="Email text", value=text, block=True),
            ),
        )

    def _plan_resolution(self, wire: TicketApiModel, text: str, to: str, email: str) -> PlannedWrite:
        if wire.status is not None and wire.status.statusType in COMPLETED_TYPES:
            raise WriteNotPlanned(
                f"Ticket #{wire.id} is already {wire.status.statusType.lower()} (status {wire.status.status!r}): "
                "a resolution would replace its resolution and email the requester again. To tell them more, use "
                "note_type 'discussion' (an emailed reply); to resolve it anew, first set an open status with "
                "update_ticket_status.")
        form = _form(ResolveForm, Id=wire.id, Resolution=text, ResolvedBy=self._user_id())
        return PlannedWrite(
            action=f"Resolve ticket #{wire.id} and email the resolution to {to}",
            request=_RESOLVE.request(wire.id),
            body=_body(form),
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
        fields = _fields(body)
        kind = _note_kind(fields)
        _expect(request, kind.request(ticket_id))
        await kind.send(self.client, ticket_id, fields)
        wire = await self.client.get_ticket(ticket_id)
        made = [c for c in wire.conversations or [] if kind.made(c, fields)]
        if not made:
            raise HelpdeskResponseError(
                f"the helpdesk accepted the {kind.action}, but ticket #{ticket_id}'s thread does not show it",
                method="POST", url=request.removeprefix("POST "))
        return conversation(ticket_id, max(made, key=lambda c: c.id))

    async def find_note(self, ticket_id: int, body: Body, *, after_id: int) -> Note | None:
        fields = _fields(body)
        kind = _note_kind(fields)
        wire = await self.client.get_ticket(ticket_id)
        made = next((c for c in wire.conversations or [] if c.id > after_id and kind.made(c, fields)), None)
        return None if made is None else conversation(ticket_id, made)

    # ---- create_ticket ------------------------------------------------------------------------------------

    async def plan_ticket(self, draft: TicketDraft) -> PlannedWrite:
        """Register, on behalf of the requester `contact`. The site, department and status register requires
        and the tool does not take are chosen here and shown: the site named after the client, the desk's first
        department, its first open status."""
        if draft.configuration_ids:
            raise WriteNotPlanned("The helpdesk links no configurations to a ticket. Name the device as the ticket's "
                                  "item (item=...) instead, and leave configuration_ids out.")
        contact = (draft.contact or "").strip()
        if not contact:
            raise WriteNotPlanned("The helpdesk files a ticket on behalf of a requester, so a contact is required: "
                                  "give the requester's name, user name or email (find_contacts lists them).")
        meta = await self._lookups()
        group = _FIELD["Board"].resolve(meta, draft.board)
        client = pick([_by("name")(c) for c in meta.clients or []], draft.company, "client", "clients (companies)")
        requester = await self._requester(meta, contact)
        filed = await self._filed(requester)
        email = requester.email or filed.email
        given = [(f, f.resolve(meta, name)) for f in _DRAFT_FIELDS if (name := getattr(draft, f.argument)) is not None]
        site, site_rule = _site(meta, client)
        department = _first(meta.departments, "department")
        status = _open_status(meta)
        form = _form(
            RegisterTicket, Title=draft.summary, Description=draft.description, CreatorId=requester.id,
            SiteId=site.id, DepartmentId=department.id, TicketStatusId=status.id, TicketType=TicketType.Ticket,
            GroupId=group.id, ClientId=client.id, **{f.form: choice.id for f, choice in given})
        who = _person(requester, None)
        return PlannedWrite(
            action=f"Create a ticket on {group.shown} for {who} at {client.shown}",
            request=f"{API}/register",
            body=_body(form),
            shown=(
                Shown(label="Board", value=f"{group.shown} (group)"),
                Shown(label="Company", value=f"{client.shown} (client)"),
                Shown(label="Contact", value=f"{_person(requester, email)} (requester, user name "
                                             f"{requester.userName or requester.id})"),
                *_elsewhere(who, client, filed),
                *(Shown(label=f.label, value=choice.shown) for f, choice in given),
                Shown(label="Site", value=f"{site.title} ({site_rule})"),
                Shown(label="Department", value=f"{department.title} (the desk's first department)"),
                Shown(label="Status", value=f"{status.status} (the desk's first open status)"),
                Shown(label="Summary", value=form.Title),
                Shown(label="Effect", value=f"files the ticket for {who}; the helpdesk emails no one about it (it "
                                            "emails a technician only when it assigns one, and this request assigns "
                                            "none)"),
                Shown(label="Description (the ticket's description)", value=form.Description, block=True),
            ),
            boards=(group.shown,),
        )

    async def _requester(self, meta: Metadata, contact: str) -> Person:
        """The requester by user name or email, else by full name (which two people may share)."""
        people = meta.requesters or []
        wanted = _fold(contact)
        found = [p for p in people if wanted in (_fold(p.userName), _fold(p.email))] or \
            [p for p in people if _fold(p.fullName) == wanted]
        if not found and "@" in wanted:
            # The metadata lists no email addresses; the ticket list shows those of requesters who filed a ticket.
            rows = await self._rows_of(contact)
            logins = {_fold(r.requesterUserName) for r in rows if _fold(r.requesterEmail) == wanted}
            found = [p for p in people if _fold(p.userName) in logins]
        if len(found) > 1:
            raise WriteNotPlanned(f"Several requesters are called {contact!r}: "
                                  f"{listed(_user(p).shown for p in found)}. Give the user name.")
        if not found:
            near = [p for p in people if wanted in _fold(p.fullName) or wanted in _fold(p.userName)]
            what = "Requesters with a name like it" if near else "Its requesters"
            raise WriteNotPlanned(f"The helpdesk has no requester {contact!r} (by name, user name or email). "
                                  f"{what}: {listed(_user(p).shown for p in near or people)}.")
        return found[0]

    async def _filed(self, requester: Person) -> _Filed:
        """What the ticket list shows of the requester (the metadata has neither their email nor their client)."""
        login = _fold(requester.userName)
        rows = [r for r in await self._rows_of(requester.userName or requester.id)
                if _fold(r.requesterUserName) == login]
        return _Filed(email=next((r.requesterEmail for r in rows if r.requesterEmail), None),
                      clients=frozenset(r.client for r in rows if r.client))

    async def _rows_of(self, requester: str) -> list[TicketList]:
        page = await self.client.list_tickets(ListType.AllTickets, search=requester.strip(),
                                              search_fields=[SearchField.Requester], page_size=MAX_PAGE_SIZE)
        return page.items

    async def newest_ticket_id(self) -> int:
        # The list is newest first and a ticket registered now gets an id above every other: what it is newer than
        # is on the first page.
        page = await self.client.list_tickets(ListType.AllTickets, page_size=MAX_PAGE_SIZE)
        return max((r.id for r in page.items), default=0)

    async def create_ticket(self, request: str, body: Body) -> Ticket:
        _expect(request, f"{API}/register")
        return neutral_ticket(await self.client.register_ticket(RegisterTicket(**_fields(body))))

    async def find_created_ticket(self, body: Body, *, after_id: int) -> Ticket | None:
        """The first ticket after `after_id` with the body's title, requester and client."""
        fields = _fields(body)
        meta = await self._lookups()
        login = next((p.userName for p in meta.requesters or [] if p.id == fields["CreatorId"]), None)
        client = next((c.name for c in meta.clients or [] if c.id == fields.get("ClientId")), None)
        title = str(fields["Title"])
        page = await self.client.list_tickets(ListType.AllTickets, search=title.strip(),
                                              search_fields=[SearchField.Subject], page_size=MAX_PAGE_SIZE)
        found = min((r.id for r in page.items if r.id > after_id and _same_text(r.title, title)
                     and _fold(r.requesterUserName) == _fold(login) and _fold(r.client) == _fold(client)), default=None)
        return None if found is None else neutral_ticket(await self.client.get_ticket(found))

    async def attach_configuration(self, ticket_id: int, configuration_id: int) -> None:
        raise WriteNotPlanned("The helpdesk links no configurations to a ticket; name the device as its item.")

    # ---- update_ticket ------------------------------------------------------------------------------------

    async def plan_update(self, ticket_id: int, changes: TicketChanges) -> PlannedWrite:
        """Old -> new for each field whose value changes; only those are sent."""
        if changes.summary is not None:
            raise WriteNotPlanned("The helpdesk's update cannot change a ticket's subject: its update form has no "
                                  "title. Leave summary out to change the other fields.")
        wire = await self.client.get_ticket(ticket_id)
        meta = await self._lookups()
        asked = [(f, f.current(wire), f.resolve(meta, name)) for f in FIELDS
                 if (name := getattr(changes, f.argument)) is not None]
        moves = [(f, old, new) for f, old, new in asked if old is None or old.id != new.id]
        if not moves:
            raise AlreadyDone(f"Ticket #{ticket_id} already has these values: nothing to change.")
        form = _form(TicketUpdate, Id=ticket_id, CreatorId=_creator_id(wire), **{f.form: new.id for f, _, new in moves})
        new = {f.label: choice for f, _, choice in moves}
        return PlannedWrite(
            action=f"Update ticket #{ticket_id}: {', '.join(f.label.lower() for f, _, _ in moves)}",
            request=f"{API}/update/{ticket_id}",
            body=_body(form),
            shown=(
                *(Shown(label=f.label, value=f"{old.shown if old else '(none)'} -> {choice.shown}")
                  for f, old, choice in moves),
                Shown(label="Effect", value="; ".join(_update_effects(meta, new))),
            ),
            boards=(new["Board"].shown,) if "Board" in new else (),
        )

    async def apply_update(self, ticket_id: int, request: str, body: Body) -> UpdateSent:
        _expect(request, f"{API}/update/{ticket_id}")
        await self.client.update_ticket(ticket_id, TicketUpdate(**_fields(body)))
        return await self.update_landed(ticket_id, body)

    async def update_landed(self, ticket_id: int, body: Body) -> UpdateSent:
        fields = _fields(body)
        wire = await self.client.get_ticket(ticket_id)
        sent = [(f, fields[f.form]) for f in FIELDS if f.form in fields]
        return UpdateSent(changed=tuple(f.label for f, _ in sent),
                          differs=tuple(f.label for f, value in sent if not _carries(f.current(wire), value)))


def _carries(current: Choice | None, sent: Any) -> bool:
    return current is not None and current.id == sent


def _creator_id(t: TicketApiModel) -> str:
    if t.creator is None:
        raise WriteNotPlanned(f"Ticket #{t.id} has no requester, which the helpdesk's update needs.")
    return t.creator.id


def _update_effects(meta: Metadata, new: dict[str, Choice]) -> list[str]:
    """What else an update does: a completed status closes or resolves the ticket; a new owner is emailed."""
    effects: list[str] = []
    if "Status" in new:
        status = next(s for s in meta.status or [] if s.id == new["Status"].id)
        if status.statusType == StatusType.Closed.value:
            effects.append(f"{status.status!r} is a closed status: this closes the ticket (an update logs no "
                           "closure and emails no one about it)")
        elif status.statusType == StatusType.Resolved.value:
            effects.append(f"{status.status!r} is a resolved status: this resolves the ticket, without the "
                           "resolution email the resolve endpoint sends")
    if "Owner" in new:
        effects.append(f"the helpdesk emails {new['Owner'].shown} that the ticket is assigned to them")
    return [*effects, "no email goes to the requester"]


class _Filed(NamedTuple):
    """A requester as their earlier tickets show them."""

    email: str | None
    clients: frozenset[str]


def _elsewhere(who: str, client: Choice, filed: _Filed) -> tuple[Shown, ...]:
    """A warning when the requester's earlier tickets are all at other clients: the company may be a slip."""
    if not filed.clients or _fold(client.shown) in {_fold(c) for c in filed.clients}:
        return ()
    return (Shown(label="Warning", value=f"{who}'s earlier tickets are at {listed(sorted(filed.clients))}, not at "
                                         f"{client.shown}"),)


def _first(entries: Sequence[TitledRef] | None, noun: str) -> TitledRef:
    if not entries:
        raise WriteNotPlanned(f"The helpdesk lists no {noun}, which register requires.")
    return entries[0]


def _site(meta: Metadata, client: Choice) -> tuple[TitledRef, str]:
    """The site named after the client ("<client> - Main"), else the desk's first site; with the rule, shown."""
    prefix = f"{client.shown} - ".casefold()
    named = [s for s in meta.sites or [] if (s.title or "").casefold().startswith(prefix)]
    if named:
        return named[0], "the site named after the client"
    return _first(meta.sites, "site"), "the desk's first site: no site is named after the client"


def _open_status(meta: Metadata) -> StatusRef:
    found = next((s for s in meta.status or [] if s.statusType == StatusType.Open.value), None)
    if found is None:
        raise WriteNotPlanned("The helpdesk lists no open status, which register requires.")
    return found
