"""create_ticket and update_ticket on the helpdesk: register on behalf of a requester, and the update form
(which cannot change the subject)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from psa.helpdesk.client import MAX_PAGE_SIZE
from psa.helpdesk.mapping import ticket as neutral_ticket
from psa.helpdesk.models import (
    ListType,
    Metadata,
    Person,
    RegisterTicket,
    SearchField,
    StatusRef,
    StatusType,
    TicketList,
    TicketType,
    TicketUpdate,
    TitledRef,
)
from psa.helpdesk.writes.forms import API, WriterBase, body_of, creator_id, expect, fields_of, form_of, same_text
from psa.helpdesk.writes.names import (
    DRAFT_FIELDS,
    FIELD_BY_LABEL,
    FIELDS,
    Choice,
    by,
    fold,
    person_label,
    pick,
    user,
)
from psa.models import Ticket
from psa.writes import (
    AlreadyDone,
    Body,
    PlannedWrite,
    Shown,
    TicketChanges,
    TicketDraft,
    UpdateSent,
    WriteNotPlanned,
    listed,
)


class TicketWrites(WriterBase):
    """psa.writes.TicketCreator and TicketUpdater."""

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
        group = FIELD_BY_LABEL["Board"].resolve(meta, draft.board)
        client = pick([by("name")(c) for c in meta.clients or []], draft.company, "client", "clients (companies)")
        requester = await self._requester(meta, contact)
        filed = await self._filed(requester)
        email = requester.email or filed.email
        given = [(f, f.resolve(meta, name)) for f in DRAFT_FIELDS if (name := getattr(draft, f.argument)) is not None]
        site, site_rule = _site(meta, client)
        department = _first(meta.departments, "department")
        status = _open_status(meta)
        form = form_of(
            RegisterTicket, Title=draft.summary, Description=draft.description, CreatorId=requester.id,
            SiteId=site.id, DepartmentId=department.id, TicketStatusId=status.id, TicketType=TicketType.Ticket,
            GroupId=group.id, ClientId=client.id, **{f.form: choice.id for f, choice in given})
        who = person_label(requester, None)
        return PlannedWrite(
            action=f"Create a ticket on {group.shown} for {who} at {client.shown}",
            request=f"{API}/register",
            body=body_of(form),
            shown=(
                Shown(label="Board", value=f"{group.shown} (group)"),
                Shown(label="Company", value=f"{client.shown} (client)"),
                Shown(label="Contact", value=f"{person_label(requester, email)} (requester, user name "
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
        wanted = fold(contact)
        found = [p for p in people if wanted in (fold(p.userName), fold(p.email))] or \
            [p for p in people if fold(p.fullName) == wanted]
        if not found and "@" in wanted:
            # The metadata lists no email addresses; the ticket list shows those of requesters who filed a ticket.
            rows = await self._rows_of(contact)
            logins = {fold(r.requesterUserName) for r in rows if fold(r.requesterEmail) == wanted}
            found = [p for p in people if fold(p.userName) in logins]
        if len(found) > 1:
            raise WriteNotPlanned(f"Several requesters are called {contact!r}: "
                                  f"{listed(user(p).shown for p in found)}. Give the user name.")
        if not found:
            near = [p for p in people if wanted in fold(p.fullName) or wanted in fold(p.userName)]
            what = "Requesters with a name like it" if near else "Its requesters"
            raise WriteNotPlanned(f"The helpdesk has no requester {contact!r} (by name, user name or email). "
                                  f"{what}: {listed(user(p).shown for p in near or people)}.")
        return found[0]

    async def _filed(self, requester: Person) -> _Filed:
        """What the ticket list shows of the requester (the metadata has neither their email nor their client)."""
        login = fold(requester.userName)
        rows = [r for r in await self._rows_of(requester.userName or requester.id)
                if fold(r.requesterUserName) == login]
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
        expect(request, f"{API}/register")
        return neutral_ticket(await self.client.register_ticket(RegisterTicket(**fields_of(body))))

    async def find_created_ticket(self, body: Body, *, after_id: int) -> Ticket | None:
        """The first ticket after `after_id` with the body's title, requester and client."""
        fields = fields_of(body)
        meta = await self._lookups()
        login = next((p.userName for p in meta.requesters or [] if p.id == fields["CreatorId"]), None)
        client = next((c.name for c in meta.clients or [] if c.id == fields.get("ClientId")), None)
        title = str(fields["Title"])
        page = await self.client.list_tickets(ListType.AllTickets, search=title.strip(),
                                              search_fields=[SearchField.Subject], page_size=MAX_PAGE_SIZE)
        found = min((r.id for r in page.items if r.id > after_id and same_text(r.title, title)
                     and fold(r.requesterUserName) == fold(login) and fold(r.client) == fold(client)), default=None)
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
        form = form_of(TicketUpdate, Id=ticket_id, CreatorId=creator_id(wire), **{f.form: new.id for f, _, new in moves})
        new = {f.label: choice for f, _, choice in moves}
        return PlannedWrite(
            action=f"Update ticket #{ticket_id}: {', '.join(f.label.lower() for f, _, _ in moves)}",
            request=f"{API}/update/{ticket_id}",
            body=body_of(form),
            shown=(
                *(Shown(label=f.label, value=f"{old.shown if old else '(none)'} -> {choice.shown}")
                  for f, old, choice in moves),
                Shown(label="Effect", value="; ".join(_update_effects(meta, new))),
            ),
            boards=(new["Board"].shown,) if "Board" in new else (),
        )

    async def apply_update(self, ticket_id: int, request: str, body: Body) -> UpdateSent:
        expect(request, f"{API}/update/{ticket_id}")
        await self.client.update_ticket(ticket_id, TicketUpdate(**fields_of(body)))
        return await self.update_landed(ticket_id, body)

    async def update_landed(self, ticket_id: int, body: Body) -> UpdateSent:
        fields = fields_of(body)
        wire = await self.client.get_ticket(ticket_id)
        sent = [(f, fields[f.form]) for f in FIELDS if f.form in fields]
        return UpdateSent(changed=tuple(f.label for f, _ in sent),
                          differs=tuple(f.label for f, value in sent if not _carries(f.current(wire), value)))


def _carries(current: Choice | None, sent: Any) -> bool:
    return current is not None and current.id == sent


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
    if not filed.clients or fold(client.shown) in {fold(c) for c in filed.clients}:
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
