"""First-start seeding: the ConnectWise sandbox's MSP world (`sandbox.seed.generate`) told as a helpdesk.

The same (seed, tickets) gives the same helpdesk, and ids stay ConnectWise's wherever the helpdesk has the thing:
tickets keep their ids, conversations their note ids, clients their company ids, groups their board ids. Mapping:

- companies -> clients; each company's main site -> a site ("<company> - <site>"), plus a default "Remote" site
- boards -> groups, with the technicians of each board's team as members (for AllMyGroups and metadata/{id})
- board statuses -> one status list by name, each with a statusType; "New" (ConnectWise's default) is the
  default open status, and "Resolved" and "Closed" are the system statuses resolve and close move a ticket to
- priorities -> priorities; ticket types -> categories; subtypes -> subcategories; configurations -> items
- technician members -> users `tech-<identifier>`; contacts -> requesters `req-<contact id>`
- tickets -> tickets: the first detail-description note is the description, resolution notes the resolution;
  the other notes become conversations (resolution notes "Resolution", a contact's notes "RequesterReply",
  a member's notes "Reply" from them to the requester); internal analysis is left out, as the product has none
- ticket tasks -> tasks (for MyOpenTasks / MyCompletedTasks)

The generator yields each ticket right before its notes and configuration links, so a ticket is written when the
next one starts. Lookups (subtypes, teams, tasks) come after every ticket, as the generator orders them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from sandbox.helpdesk.models import (
    COMPLETED,
    SYSTEM_CLOSED,
    SYSTEM_RESOLVED,
    Conversation,
    ConversationType,
    Lookup,
    Role,
    StatusType,
    Task,
    Ticket,
    TicketType,
    User,
)
from sandbox.helpdesk.store import Store
from sandbox.seed import catalog, generate

Progress = Callable[[int], None]  # called with the number of source records mapped so far

_PROGRESS_EVERY = 5_000
_BATCH = 2_000

_STATUS_TYPES = {
    "Waiting on Client": StatusType.PENDING,
    "Waiting on Vendor": StatusType.ON_HOLD,
    "Waiting on Hardware": StatusType.ON_HOLD,
    "Resolved": StatusType.RESOLVED,
    "Auto-Resolved": StatusType.RESOLVED,
    "Completed": StatusType.RESOLVED,
    "Closed": StatusType.CLOSED,
    "Cancelled": StatusType.CLOSED,
}

# How a ConnectWise ticket arrived -> the helpdesk's source; a person typing it in is "Manual".
_SOURCES = {"Email Connector": "Email", "Portal": "Portal", "Monitoring": "Api"}

DEPARTMENTS = ((1, "IT"), (2, "Finance"), (3, "Operations"))
_IT, _FINANCE, _OPERATIONS = 1, 2, 3

LEVELS = ((1, "Tier 1 - Service Desk"), (2, "Tier 2 - Systems"), (3, "Tier 3 - Engineering"))
# The ConnectWise service team a ticket sits with -> its support tier.
_TEAM_TIERS = {"Tier 1 Support": 1, "NOC": 1, "Tier 2 Support": 2, "Projects": 2, "Network Engineering": 3}

_TECHNICIANS = {m.identifier for m in catalog.MEMBERS if m.technician}
_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "helpdesk-sandbox/tickets")


def technician_id(identifier: str) -> str:
    return f"tech-{identifier}"


def requester_id(contact_id: int) -> str:
    return f"req-{contact_id}"


def seed_if_empty(store: Store, *, seed: int, tickets: int, progress: Progress | None = None) -> bool:
    """Seed an empty database once, in one transaction (a crash leaves it empty, not half seeded). Returns True
    if it seeded now."""
    world = _World(store)
    mapped = 0
    with store.transaction():
        # Checked inside the write lock: a second process opening the same new file waits, then finds it seeded
        # (and reads the directory the first one wrote after this store was opened).
        if store.is_seeded():
            store.load_directory()
            return False
        for record in generate(seed=seed, tickets=tickets):
            world.take(record.resource, record.doc)
            mapped += 1
            if progress and mapped % _PROGRESS_EVERY == 0:
                progress(mapped)
        world.finish()
        store.mark_seeded(json.dumps({"seed": seed, "tickets": tickets, "records": mapped}))
    if progress:
        progress(mapped)
    return True


def _email(contact: dict[str, Any]) -> str | None:
    items = contact.get("communicationItems") or []
    emails = [i for i in items if i.get("communicationType") == "Email"]
    emails.sort(key=lambda i: not i.get("defaultFlag"))
    return emails[0]["value"] if emails else None


class _World:
    """The mapping's state while the generator streams: what later records refer back to."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lookups: list[Lookup] = []
        self.users: list[User] = []
        self.directory_written = False
        self.statuses: dict[str, Lookup] = {}  # by name
        self.cw_status: dict[int, Lookup] = {}  # ConnectWise board status id -> helpdesk status
        self.main_site: dict[int, int] = {}  # company id -> its main site's id
        self.company_names: dict[int, str] = {}
        self.site_ids: set[int] = set()
        self.default_site = 0  # set with the directory, before the first ticket
        self.user_names: set[str] = set()  # lower case: user names are unique whatever their case
        self.member_identifiers: dict[int, str] = {}
        self.requester_emails: dict[str, str] = {}  # requester user id -> email
        # The ticket being read: its document, its notes and its configuration ids, until the next ticket.
        self.pending: tuple[dict[str, Any], list[dict[str, Any]], list[int]] | None = None
        self.tickets: list[Ticket] = []
        self.conversations: list[Conversation] = []
        self.group_members: list[tuple[int, str]] = []
        self.tasks: list[Task] = []
        # What the helpdesk takes from the rest of the world; other resources (time, schedules, KB) it has not.
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "boards": self._boards, "board_statuses": self._board_statuses, "board_types": self._board_types,
            "board_subtypes": self._board_subtypes, "board_teams": self._board_teams, "priorities": self._priorities,
            "members": self._members, "companies": self._companies, "sites": self._sites, "contacts": self._contacts,
            "configurations": self._configurations, "ticket_tasks": self._ticket_tasks,
        }

    # dispatch -------------------------------------------------------------------------------------------

    def take(self, resource: str, doc: dict[str, Any]) -> None:
        if resource == "ticket_notes" and self.pending:
            self.pending[1].append(doc)
        elif resource == "ticket_configurations" and self.pending:
            self.pending[2].append(doc["configurationId"])
        elif resource == "tickets":
            self._close_pending()
            if not self.directory_written:
                self._write_directory()
            self.pending = (doc, [], [])
        elif resource in self.handlers:
            self.handlers[resource](doc)

    def finish(self) -> None:
        self._close_pending()
        if not self.directory_written:
            self._write_directory()
        self._flush(final=True)
        self.store.add_lookups(x for x in self.lookups if x.kind == "sub_category")
        self.store.add_group_members(self.group_members)
        self.store.insert_tasks(self.tasks)

    # the directory -------------------------------------------------------------------------------------

    def _boards(self, doc: dict[str, Any]) -> None:
        self.lookups.append(Lookup(kind="group", id=doc["id"], name=doc["name"]))

    def _board_statuses(self, doc: dict[str, Any]) -> None:
        name = doc["name"]
        if name not in self.statuses:
            status_type = _STATUS_TYPES.get(name, StatusType.CLOSED if doc.get("closedStatus") else StatusType.OPEN)
            self._add_status(name, status_type, is_default=name == "New")
        self.cw_status[doc["id"]] = self.statuses[name]

    def _add_status(self, name: str, status_type: StatusType, *, is_default: bool = False) -> None:
        status = Lookup(kind="status", id=len(self.statuses) + 1, name=name, status_type=status_type,
                        is_default=is_default)
        self.statuses[name] = status
        self.lookups.append(status)

    def _board_types(self, doc: dict[str, Any]) -> None:
        self.lookups.append(Lookup(kind="category", id=doc["id"], name=doc["name"]))

    def _board_subtypes(self, doc: dict[str, Any]) -> None:
        parents = doc.get("typeAssociationIds") or [None]
        self.lookups.append(Lookup(kind="sub_category", id=doc["id"], name=doc["name"], parent_id=parents[0]))

    def _priorities(self, doc: dict[str, Any]) -> None:
        self.lookups.append(Lookup(kind="priority", id=doc["id"], name=doc["name"],
                                   is_default=bool(doc.get("defaultFlag"))))

    def _members(self, doc: dict[str, Any]) -> None:
        self.member_identifiers[doc["id"]] = doc["identifier"]
        if doc["identifier"] in _TECHNICIANS:
            self.user_names.add(doc["identifier"].lower())
            self.users.append(User(id=technician_id(doc["identifier"]), user_name=doc["identifier"],
                                   full_name=f"{doc['firstName']} {doc['lastName']}",
                                   email=doc.get("primaryEmail") or doc.get("emailAddress") or "",
                                   role=Role.TECHNICIAN))

    def _companies(self, doc: dict[str, Any]) -> None:
        self.lookups.append(Lookup(kind="client", id=doc["id"], name=doc["name"]))
        self.company_names[doc["id"]] = doc["name"]
        if doc.get("site"):
            self.main_site[doc["id"]] = doc["site"]["id"]

    def _sites(self, doc: dict[str, Any]) -> None:
        self.site_ids.add(doc["id"])
        company_id = doc["company"]["id"]
        if self.main_site.get(company_id) == doc["id"]:
            self.lookups.append(Lookup(kind="site", id=doc["id"], name=f"{self.company_names[company_id]} - "
                                       f"{doc['name']}", parent_id=company_id))

    def _contacts(self, doc: dict[str, Any]) -> None:
        email = _email(doc) or ""
        base = (email.split("@", 1)[0] or f"{doc['firstName'][:1]}{doc['lastName']}").lower()
        user_name, n = base, 1
        while user_name in self.user_names:
            n += 1
            user_name = f"{base}{n}"
        self.user_names.add(user_name)
        user = User(id=requester_id(doc["id"]), user_name=user_name, full_name=f"{doc['firstName']} {doc['lastName']}",
                    email=email, role=Role.REQUESTER, client_id=(doc.get("company") or {}).get("id"))
        self.users.append(user)
        self.requester_emails[user.id] = email

    def _configurations(self, doc: dict[str, Any]) -> None:
        self.lookups.append(Lookup(kind="item", id=doc["id"], name=doc["name"],
                                   parent_id=(doc.get("company") or {}).get("id")))

    def _board_teams(self, doc: dict[str, Any]) -> None:
        for member_id in doc.get("members") or []:
            identifier = self.member_identifiers.get(member_id)
            if identifier in _TECHNICIANS:
                self.group_members.append((doc["boardId"], technician_id(identifier)))

    def _ticket_tasks(self, doc: dict[str, Any]) -> None:
        identifier = (doc.get("member") or {}).get("identifier")
        self.tasks.append(Task(id=doc["id"], ticket_id=doc["ticketId"], completed=bool(doc.get("closedFlag")),
                               assignee_id=technician_id(identifier) if identifier in _TECHNICIANS else None))

    def _write_directory(self) -> None:
        """Everything tickets refer to, written once before the first ticket (the generator yields it all
        earlier); subcategories come after the tickets and are written at the end."""
        self.directory_written = True
        self.default_site = max(self.site_ids, default=0) + 1
        self.lookups += [Lookup(kind="site", id=self.default_site, name="Remote", is_default=True)]
        self.lookups += [Lookup(kind="department", id=i, name=n, is_default=i == _IT) for i, n in DEPARTMENTS]
        self.lookups += [Lookup(kind="level", id=i, name=n, is_default=i == 1) for i, n in LEVELS]
        for name, status_type in ((SYSTEM_RESOLVED, StatusType.RESOLVED), (SYSTEM_CLOSED, StatusType.CLOSED)):
            if name not in self.statuses:
                self._add_status(name, status_type)
        self.store.add_lookups(x for x in self.lookups if x.kind != "sub_category")
        self.store.add_users(self.users)

    # tickets ---------------------------------------------------------------------------------------------

    def _close_pending(self) -> None:
        if self.pending is None:
            return
        doc, notes, config_ids = self.pending
        self.pending = None
        notes.sort(key=lambda n: (n.get("dateCreated") or "", n["id"]))
        self.tickets.append(self._ticket(doc, notes, config_ids))
        self.conversations += self._conversations(doc, notes)
        self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        if self.tickets and (final or len(self.tickets) >= _BATCH):
            self.store.insert_tickets(self.tickets)
            self.store.insert_conversations(self.conversations)
            self.tickets, self.conversations = [], []

    def _technician(self, identifier: str | None) -> str | None:
        return technician_id(identifier) if identifier in _TECHNICIANS else None

    def _ticket(self, doc: dict[str, Any], notes: list[dict[str, Any]], config_ids: list[int]) -> Ticket:
        status = self.cw_status[doc["status"]["id"]]
        description = next((n for n in notes if n.get("detailDescriptionFlag")), None)
        resolutions = [n for n in notes if n.get("resolutionFlag")]
        sub_type = (doc.get("subType") or {}).get("name")
        board = doc["board"]["name"]
        company_id = doc["company"]["id"]
        resolver = None
        if resolutions:
            resolver = doc.get("resolvedBy") or (resolutions[-1].get("member") or {}).get("identifier")
        return Ticket(
            id=doc["id"], guid=str(uuid.uuid5(_GUID_NAMESPACE, str(doc["id"]))), title=doc["summary"],
            description=description["text"] if description else doc["summary"],
            ticket_type=(TicketType.SERVICE_REQUEST if board == "Onboarding"
                         else TicketType.CHANGE if sub_type == "Rule Change" else TicketType.TICKET),
            source=_SOURCES.get((doc.get("source") or {}).get("name", ""), "Manual"),
            created_on=doc["_info"]["dateEntered"], updated_on=doc["_info"]["lastUpdated"],
            due_date=doc.get("requiredDate"),
            resolved_on=doc.get("dateResolved") if status.status_type in COMPLETED else None,
            closed_on=doc.get("closedDate") if status.status_type == StatusType.CLOSED else None,
            creator_id=requester_id(doc["contact"]["id"]),
            assignee_id=self._technician((doc.get("owner") or {}).get("identifier")),
            category_id=(doc.get("type") or {}).get("id"), sub_category_id=(doc.get("subType") or {}).get("id"),
            item_id=config_ids[0] if config_ids else None,
            site_id=self.main_site.get(company_id, self.default_site),
            department_id=(_OPERATIONS if board == "Onboarding" else _FINANCE if sub_type == "Licensing" else _IT),
            group_id=doc["board"]["id"], client_id=company_id, status_id=status.id,
            priority_id=(doc.get("priority") or {}).get("id"),
            tier_level_id=_TEAM_TIERS.get((doc.get("team") or {}).get("name", "")),
            resolution_text="\n\n".join(n["text"] for n in resolutions) or None,
            resolved_by=self._technician(resolver),
            is_escalated=doc["status"]["name"] == "Escalated" or (doc.get("escalationLevel") or 0) > 0,
        )

    def _conversations(self, doc: dict[str, Any], notes: list[dict[str, Any]]) -> list[Conversation]:
        description = next((n for n in notes if n.get("detailDescriptionFlag")), None)
        requester = requester_id(doc["contact"]["id"])
        out = []
        for note in notes:
            # The product has no internal notes: a technician's internal analysis was never sent to anyone, so it
            # is not seeded as an emailed reply.
            if note is description or (note.get("internalAnalysisFlag") and not note.get("resolutionFlag")):
                continue
            member = self._technician((note.get("member") or {}).get("identifier"))
            if note.get("resolutionFlag"):
                kind, sender, send_to, title = ConversationType.RESOLUTION, member, None, "Resolution"
            elif note.get("member") is None:
                kind, sender, send_to = ConversationType.REQUESTER_REPLY, requester, None
                title = f"Re: {doc['summary']}"
            else:
                kind, sender, title = ConversationType.REPLY, member, f"Re: {doc['summary']}"
                send_to = self.requester_emails.get(requester) or None
            out.append(Conversation(id=note["id"], ticket_id=doc["id"], type=kind, title=title, message=note["text"],
                                    from_id=sender, send_to=send_to, created_on=note.get("dateCreated")
                                    or doc["_info"]["dateEntered"]))
        return out
