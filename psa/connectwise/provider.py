"""`ConnectWiseProvider`: the PSA provider protocol (psa.provider.PSAProvider) over ConnectWiseClient.

This layer turns typed questions into ConnectWise resources and conditions (always through the conditions
builder, so no user text reaches the wire unescaped) and ConnectWise pages into the protocol's `Page`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from psa.connectwise.callbacks import CALLBACKS, CallbackEntry, CallbackEntryCreate
from psa.connectwise.client import ConnectWiseClient
from psa.connectwise.conditions import C, Condition, Raw, order_by
from psa.connectwise.errors import ConnectWiseNotFoundError, ConnectWisePermissionError
from psa.connectwise.models import (
    Board,
    BoardStatus,
    BoardType,
    Company,
    Configuration,
    ConfigurationReference,
    Contact,
    KnowledgeBaseArticle,
    KnowledgeBaseArticleCreate,
    Member,
    PatchOperation,
    Priority,
    ServiceNoteCreate,
    ServiceTicketNote,
    Ticket,
    TicketCreate,
    TicketNote,
    TimeEntry,
    TimeEntryCreate,
)
from psa.connectwise.models import ScheduleEntry
from psa.connectwise.paging import MAX_PAGE_SIZE, ResultPage
from psa.connectwise.retry import RetryPolicy
from psa.connectwise.settings import ConnectWiseSettings
from psa.provider import Page, PSAProvider, TicketQuery

T = TypeVar("T")

TICKETS = "/service/tickets"
BOARDS = "/service/boards"
COMPANIES = "/company/companies"
CONTACTS = "/company/contacts"
CONFIGURATIONS = "/company/configurations"
KB_ARTICLES = "/service/knowledgeBaseArticles"
MEMBERS = "/system/members"
PRIORITIES = "/service/priorities"
TIME_ENTRIES = "/time/entries"
SCHEDULE_ENTRIES = "/schedule/entries"

# Setup lists (boards, statuses) are small; one full page is read rather than paging through them.
_SETUP_LIST_LIMIT = MAX_PAGE_SIZE


def _record_id(value: int) -> int:
    """Ids are interpolated into paths, so only positive ints pass (not bools, not strings)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"a ConnectWise record id must be a positive integer, got {value!r}")
    return value


def _to_page(result: ResultPage[T]) -> Page[T]:
    return Page(
        items=result.items,
        page=result.page,
        page_size=result.page_size,
        has_more=result.has_more,
        next_page=result.next_page,
    )


def ticket_conditions(query: TicketQuery) -> Condition | None:
    """The conditions for a TicketQuery: every filter ANDed, the expert string in its own parentheses.

    Entry and update dates live in the ticket's `_info` block (the Ticket schema has no top-level
    dateEntered), hence `_info/dateEntered` and `_info/lastUpdated`.
    """
    f = C.field
    words = (query.text or "").split()
    company = query.company
    return C.all(
        *(f("summary").contains(word) for word in words),
        f("board/name") == query.board if query.board is not None else None,
        f("status/name") == query.status if query.status is not None else None,
        C.any(f("company/name") == company, f("company/identifier") == company) if company is not None else None,
        f("contactName") == query.contact if query.contact is not None else None,
        f("owner/identifier") == query.owner if query.owner is not None else None,
        f("priority/name") == query.priority if query.priority is not None else None,
        f("type/name") == query.type if query.type is not None else None,
        f("contactEmailAddress") == query.contact_email if query.contact_email is not None else None,
        f("closedFlag") == (not query.is_open) if query.is_open is not None else None,
        f("_info/dateEntered") >= query.entered_after if query.entered_after is not None else None,
        f("_info/dateEntered") < query.entered_before if query.entered_before is not None else None,
        f("_info/lastUpdated") >= query.updated_after if query.updated_after is not None else None,
        f("_info/lastUpdated") < query.updated_before if query.updated_before is not None else None,
        Raw(query.conditions) if query.conditions and query.conditions.strip() else None,
    )


class ConnectWiseProvider:
    """Implements psa.provider.PSAProvider for ConnectWise Manage, plus the writes the tools need."""

    def __init__(self, client: ConnectWiseClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: ConnectWiseSettings, *, retry: RetryPolicy | None = None) -> ConnectWiseProvider:
        return cls(ConnectWiseClient(settings, retry=retry))

    async def __aenter__(self) -> ConnectWiseProvider:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    def neutral(self) -> PSAProvider:
        """This provider behind the neutral protocol and the writers (psa/connectwise/neutral.py): what tools ask."""
        from psa.connectwise.neutral import ConnectWisePSA

        return ConnectWisePSA(self)

    # ---- tickets --------------------------------------------------------------------------------------------

    async def search_tickets(self, query: TicketQuery, *, page: int = 1, page_size: int = 25) -> Page[Ticket]:
        """Newest first (by id, descending)."""
        result = await self.client.list(
            TICKETS,
            Ticket,
            conditions=ticket_conditions(query),
            order_by=order_by(("id", "desc")),
            page=page,
            page_size=page_size,
        )
        return _to_page(result)

    async def count_tickets(self, query: TicketQuery) -> int:
        return await self.client.count(TICKETS, conditions=ticket_conditions(query))

    async def get_ticket(self, ticket_id: int) -> Ticket:
        return await self.client.get(f"{TICKETS}/{_record_id(ticket_id)}", Ticket)

    async def update_ticket(self, ticket_id: int, ops: Sequence[PatchOperation]) -> Ticket:
        """PATCH the ticket; build ops with `PatchOperation.replace("status", {"id": 5})`."""
        return await self.client.patch(f"{TICKETS}/{_record_id(ticket_id)}", list(ops), Ticket)

    async def update_ticket_status(self, ticket_id: int, status_id: int) -> Ticket:
        return await self.update_ticket(ticket_id, [PatchOperation.replace("status", {"id": _record_id(status_id)})])

    def iterate_closed_tickets(
        self, *, since: datetime | None = None, board: str | None = None, max_items: int | None = None
    ) -> AsyncIterator[Ticket]:
        """Closed tickets (for KB indexing), oldest id first. `since` filters on `_info/lastUpdated`, so a
        ticket closed, reopened or edited after the last sync is picked up again."""
        conditions = closed_ticket_conditions(since=since, board=board)
        return self.client.iterate(TICKETS, Ticket, conditions=conditions, page_size=MAX_PAGE_SIZE, max_items=max_items)

    async def count_closed_tickets(self, *, since: datetime | None = None, board: str | None = None) -> int:
        return await self.client.count(TICKETS, conditions=closed_ticket_conditions(since=since, board=board))

    def iterate_closed_ticket_ids(self, *, board: str | None = None) -> AsyncIterator[int]:
        """The id of every closed ticket, fetched as `fields=id` pages (cheap enough to diff against an index)."""
        return _ids(self.client.iterate(
            TICKETS, Ticket, conditions=closed_ticket_conditions(board=board), fields=["id"], page_size=MAX_PAGE_SIZE
        ))

    async def latest_closed_ticket_update(self, *, board: str | None = None) -> datetime | None:
        """The newest `_info/lastUpdated` among closed tickets: a sync high-water mark taken before a scan,
        on the server's clock, so anything changed during or after the scan is at or after it."""
        return await self._latest_update(TICKETS, Ticket, closed_ticket_conditions(board=board))

    # ---- notes ----------------------------------------------------------------------------------------------

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[TicketNote]:
        """Oldest first, as a technician reads the thread."""
        result = await self.client.list(
            f"{TICKETS}/{_record_id(ticket_id)}/notes",
            TicketNote,
            order_by=order_by(("id", "asc")),
            page=page,
            page_size=page_size,
        )
        return _to_page(result)

    async def count_ticket_notes(self, ticket_id: int) -> int:
        return await self.client.count(f"{TICKETS}/{_record_id(ticket_id)}/notes")

    def iterate_ticket_notes(self, ticket_id: int, *, max_items: int | None = None) -> AsyncIterator[TicketNote]:
        """Every note, oldest first (forward-only paging is by id, i.e. by creation)."""
        return self.client.iterate(
            f"{TICKETS}/{_record_id(ticket_id)}/notes", TicketNote, page_size=MAX_PAGE_SIZE, max_items=max_items
        )

    async def list_all_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[ServiceTicketNote]:
        """/allNotes: notes and time-entry notes as one thread."""
        result = await self.client.list(
            f"{TICKETS}/{_record_id(ticket_id)}/allNotes", ServiceTicketNote, page=page, page_size=page_size
        )
        return _to_page(result)

    async def add_ticket_note(
        self,
        ticket_id: int,
        text: str,
        *,
        discussion: bool = False,
        internal_analysis: bool = False,
        resolution: bool = False,
        internal: bool | None = None,
    ) -> TicketNote:
        """Add a note. At least one of discussion / internal_analysis / resolution must be set.

        `internal` defaults to True for an internal-analysis note (ConnectWise shows it only to members)
        and to False otherwise.
        """
        note = ServiceNoteCreate(
            text=text,
            detailDescriptionFlag=discussion,
            internalAnalysisFlag=internal_analysis,
            resolutionFlag=resolution,
            internalFlag=internal_analysis if internal is None else internal,
        )
        return await self.client.post(f"{TICKETS}/{_record_id(ticket_id)}/notes", note, TicketNote)

    # ---- configurations -------------------------------------------------------------------------------------

    async def list_ticket_configurations(self, ticket_id: int) -> list[Configuration]:
        """The configurations attached to a ticket, in full where the API member may read them.

        The ticket endpoint gives only references ({id, deviceIdentifier}); the full records are fetched
        in one `id in (...)` query. If configurations are not readable (403), the references are returned
        as sparse Configuration objects rather than failing the whole call.
        """
        refs = await self.client.list(
            f"{TICKETS}/{_record_id(ticket_id)}/configurations",
            ConfigurationReference,
            page_size=MAX_PAGE_SIZE,
        )
        ids = [ref.id for ref in refs.items if ref.id is not None]
        if not ids:
            return []
        try:
            full = await self.client.list(
                CONFIGURATIONS, Configuration, conditions=C.field("id").in_(ids), page_size=MAX_PAGE_SIZE
            )
            by_id = {c.id: c for c in full.items}
        except (ConnectWisePermissionError, ConnectWiseNotFoundError):
            by_id = {}
        return [by_id.get(ref.id) or _configuration_from_ref(ref) for ref in refs.items if ref.id is not None]

    async def get_configuration(self, configuration_id: int) -> Configuration:
        return await self.client.get(f"{CONFIGURATIONS}/{_record_id(configuration_id)}", Configuration)

    # ---- companies and contacts -----------------------------------------------------------------------------

    async def get_company(self, company_id: int) -> Company:
        return await self.client.get(f"{COMPANIES}/{_record_id(company_id)}", Company)

    async def get_contact(self, contact_id: int) -> Contact:
        return await self.client.get(f"{CONTACTS}/{_record_id(contact_id)}", Contact)

    async def find_companies(self, name: str | None = None, *, page: int = 1, page_size: int = 25) -> Page[Company]:
        """Companies whose name or identifier contains `name`; all companies when it is None."""
        conditions = None
        if name is not None and name.strip():
            text = name.strip()
            conditions = C.field("name").contains(text) | C.field("identifier").contains(text)
        result = await self.client.list(
            COMPANIES, Company, conditions=conditions, order_by=order_by("name"), page=page, page_size=page_size
        )
        return _to_page(result)

    # ---- boards, statuses, priorities, members --------------------------------------------------------------

    async def list_boards(self) -> list[Board]:
        result = await self.client.list(BOARDS, Board, order_by=order_by("name"), page_size=_SETUP_LIST_LIMIT)
        return result.items

    async def list_board_statuses(self, board_id: int) -> list[BoardStatus]:
        result = await self.client.list(
            f"{BOARDS}/{_record_id(board_id)}/statuses",
            BoardStatus,
            order_by=order_by("sortOrder", "id"),
            page_size=_SETUP_LIST_LIMIT,
        )
        return result.items

    async def get_board_status_by_name(self, board_id: int, name: str) -> BoardStatus | None:
        """The status called `name` (exact, case-insensitive as in ConnectWise) on a board, or None."""
        result = await self.client.list(
            f"{BOARDS}/{_record_id(board_id)}/statuses",
            BoardStatus,
            conditions=C.field("name") == name,
            page_size=_SETUP_LIST_LIMIT,
        )
        wanted = name.casefold()
        matches = [s for s in result.items if (s.name or "").casefold() == wanted]
        return matches[0] if matches else None

    async def list_priorities(self) -> list[Priority]:
        result = await self.client.list(
            PRIORITIES, Priority, order_by=order_by("sortOrder", "id"), page_size=_SETUP_LIST_LIMIT
        )
        return result.items

    async def get_member_by_identifier(self, identifier: str) -> Member | None:
        result = await self.client.list(MEMBERS, Member, conditions=C.field("identifier") == identifier, page_size=2)
        return result.items[0] if result.items else None

    # ---- callbacks (psa-copilot callbacks, the callback receiver) ------------------------------------------

    async def list_callbacks(self) -> list[CallbackEntry]:
        result = await self.client.list(CALLBACKS, CallbackEntry, order_by=order_by("id"), page_size=MAX_PAGE_SIZE)
        return result.items

    async def get_callback(self, callback_id: int) -> CallbackEntry:
        return await self.client.get(f"{CALLBACKS}/{_record_id(callback_id)}", CallbackEntry)

    async def create_callback(self, entry: CallbackEntryCreate) -> CallbackEntry:
        return await self.client.post(CALLBACKS, entry, CallbackEntry)

    async def activate_callback(self, callback_id: int) -> CallbackEntry:
        ops = [PatchOperation(op="replace", path="inactiveFlag", value=False)]
        return await self.client.patch(f"{CALLBACKS}/{_record_id(callback_id)}", ops, CallbackEntry)

    async def delete_callback(self, callback_id: int) -> None:
        await self.client.delete(f"{CALLBACKS}/{_record_id(callback_id)}")

    # ---- knowledge base -------------------------------------------------------------------------------------

    async def list_knowledge_base_articles(
        self, text: str | None = None, *, page: int = 1, page_size: int = 25
    ) -> Page[KnowledgeBaseArticle]:
        """Articles whose title contains `text` (all when None), newest first."""
        conditions = C.field("title").contains(text.strip()) if text and text.strip() else None
        result = await self.client.list(
            KB_ARTICLES,
            KnowledgeBaseArticle,
            conditions=conditions,
            order_by=order_by(("id", "desc")),
            page=page,
            page_size=page_size,
        )
        return _to_page(result)

    async def get_kb_article(self, article_id: int) -> KnowledgeBaseArticle:
        return await self.client.get(f"{KB_ARTICLES}/{_record_id(article_id)}", KnowledgeBaseArticle)

    def iterate_kb_articles(
        self, *, updated_since: datetime | None = None, max_items: int | None = None
    ) -> AsyncIterator[KnowledgeBaseArticle]:
        """Every article (oldest id first), optionally only those changed since `updated_since`."""
        conditions = C.field("_info/lastUpdated") >= updated_since if updated_since is not None else None
        return self.client.iterate(
            KB_ARTICLES, KnowledgeBaseArticle, conditions=conditions, page_size=MAX_PAGE_SIZE, max_items=max_items
        )

    async def count_kb_articles(self, *, updated_since: datetime | None = None) -> int:
        conditions = C.field("_info/lastUpdated") >= updated_since if updated_since is not None else None
        return await self.client.count(KB_ARTICLES, conditions=conditions)

    def iterate_kb_article_ids(self) -> AsyncIterator[int]:
        """The id of every article, fetched as `fields=id` pages."""
        return _ids(self.client.iterate(KB_ARTICLES, KnowledgeBaseArticle, fields=["id"], page_size=MAX_PAGE_SIZE))

    async def latest_kb_article_update(self) -> datetime | None:
        """The newest `_info/lastUpdated` among articles (see `latest_closed_ticket_update`)."""
        return await self._latest_update(KB_ARTICLES, KnowledgeBaseArticle, None)

    async def _latest_update(self, path: str, model: type[Ticket] | type[KnowledgeBaseArticle],
                             conditions: Condition | None) -> datetime | None:
        result = await self.client.list(
            path, model, conditions=conditions, order_by=order_by(("_info/lastUpdated", "desc")),
            fields=["id", "_info/lastUpdated"], page_size=1,
        )
        first = result.items[0] if result.items else None
        return first.info.lastUpdated if first is not None and first.info is not None else None

    async def create_kb_article(self, article: KnowledgeBaseArticleCreate) -> KnowledgeBaseArticle:
        return await self.client.post(KB_ARTICLES, article, KnowledgeBaseArticle)

    # ---- ticket create / update lookups (create_ticket, update_ticket) --------------------------------------

    async def create_ticket(self, ticket: TicketCreate) -> Ticket:
        return await self.client.post(TICKETS, ticket, Ticket)

    async def attach_ticket_configuration(self, ticket_id: int, configuration_id: int) -> ConfigurationReference:
        """POST /service/tickets/{id}/configurations: link an existing configuration to the ticket."""
        return await self.client.post(
            f"{TICKETS}/{_record_id(ticket_id)}/configurations",
            {"id": _record_id(configuration_id)},
            ConfigurationReference,
        )

    async def newest_ticket_id(self) -> int:
        """The highest ticket id (0 when there is none): a watermark taken before a create is sent."""
        result = await self.client.list(TICKETS, Ticket, order_by=order_by(("id", "desc")), fields=["id"], page_size=1)
        return max((t.id or 0 for t in result.items), default=0)

    async def find_created_tickets(self, summary: str, company_id: int, board_id: int, *, after_id: int) -> list[Ticket]:
        """Tickets newer than `after_id` with exactly this summary, company and board (a create that failed in
        flight may have landed)."""
        result = await self.client.list(
            TICKETS,
            Ticket,
            conditions=C.all(
                C.field("id") > after_id,
                C.field("summary") == summary,
                C.field("company/id") == company_id,
                C.field("board/id") == board_id,
            ),
            order_by=order_by(("id", "asc")),
            page_size=10,
        )
        return result.items

    async def list_board_types(self, board_id: int) -> list[BoardType]:
        return await self._board_children(board_id, "types")

    async def list_board_subtypes(self, board_id: int) -> list[BoardType]:
        return await self._board_children(board_id, "subtypes")

    async def list_board_items(self, board_id: int) -> list[BoardType]:
        return await self._board_children(board_id, "items")

    async def _board_children(self, board_id: int, kind: str) -> list[BoardType]:
        result = await self.client.list(
            f"{BOARDS}/{_record_id(board_id)}/{kind}", BoardType, order_by=order_by("name"), page_size=_SETUP_LIST_LIMIT
        )
        return result.items

    async def find_company_exact(self, name_or_identifier: str) -> list[Company]:
        """Companies whose identifier or name is exactly this (ConnectWise compares case-insensitively)."""
        text = name_or_identifier.strip()
        result = await self.client.list(
            COMPANIES,
            Company,
            conditions=(C.field("identifier") == text) | (C.field("name") == text),
            order_by=order_by("id"),
            page_size=10,
        )
        return result.items

    async def list_company_contacts(self, company_id: int) -> list[Contact]:
        result = await self.client.list(
            CONTACTS,
            Contact,
            conditions=C.field("company/id") == _record_id(company_id),
            order_by=order_by("lastName", "firstName"),
            page_size=MAX_PAGE_SIZE,
        )
        return result.items

    # ---- time -----------------------------------------------------------------------------------------------

    async def create_time_entry(self, entry: TimeEntryCreate) -> TimeEntry:
        return await self.client.post(TIME_ENTRIES, entry, TimeEntry)

    # ---- the technician's day: schedule, time entries, contacts, configurations -----------------------------

    async def get_tickets(self, ticket_ids: Sequence[int]) -> list[Ticket]:
        """The tickets with these ids that exist (one `id in (...)` query per 100)."""
        ids = sorted({_record_id(i) for i in ticket_ids})
        found: list[Ticket] = []
        for start in range(0, len(ids), 100):
            chunk = ids[start:start + 100]
            result = await self.client.list(TICKETS, Ticket, conditions=C.field("id").in_(chunk), page_size=len(chunk))
            found.extend(result.items)
        return found

    async def list_schedule_entries(
        self, *, member: str | None = None, date_from: datetime | None = None, date_to: datetime | None = None,
        page: int = 1, page_size: int = 25,
    ) -> Page[ScheduleEntry]:
        """Schedule entries by start, earliest first; `date_from` inclusive, `date_to` exclusive."""
        f = C.field
        conditions = C.all(
            f("member/identifier") == member if member is not None else None,
            f("dateStart") >= date_from if date_from is not None else None,
            f("dateStart") < date_to if date_to is not None else None,
        )
        result = await self.client.list(
            SCHEDULE_ENTRIES, ScheduleEntry, conditions=conditions, order_by=order_by("dateStart"),
            page=page, page_size=page_size,
        )
        return _to_page(result)

    async def list_time_entries(
        self, *, ticket_id: int | None = None, member: str | None = None, date_from: datetime | None = None,
        date_to: datetime | None = None, page: int = 1, page_size: int = 25,
    ) -> Page[TimeEntry]:
        """Time entries by start, newest first; `date_from` inclusive, `date_to` exclusive."""
        result = await self.client.list(
            TIME_ENTRIES, TimeEntry, conditions=time_entry_conditions(ticket_id, member, date_from, date_to),
            order_by=order_by(("timeStart", "desc")), page=page, page_size=page_size,
        )
        return _to_page(result)

    async def total_time_entry_hours(
        self, *, ticket_id: int | None = None, member: str | None = None, date_from: datetime | None = None,
        date_to: datetime | None = None, max_items: int = 10_000,
    ) -> tuple[int, float, bool]:
        """(entries, actual hours, complete) over every matching entry, read as `fields=id,actualHours` pages;
        complete is False when more than `max_items` match."""
        count, hours = 0, 0.0
        async for entry in self.client.iterate(
            TIME_ENTRIES, TimeEntry, conditions=time_entry_conditions(ticket_id, member, date_from, date_to),
            fields=["id", "actualHours"], page_size=MAX_PAGE_SIZE, max_items=max_items + 1,
        ):
            if count == max_items:
                return count, round(hours, 2), False
            count += 1
            hours += entry.actualHours or 0.0
        return count, round(hours, 2), True

    async def find_contacts(self, text: str, *, page: int = 1, page_size: int = 25) -> Page[Contact]:
        """Contacts by email (text with `@`), phone (digits and phone punctuation) or name (every word in the
        first or last name), by last then first name."""
        conditions, child = contact_search_conditions(text)
        result = await self.client.list(
            CONTACTS, Contact, conditions=conditions, child_conditions=child,
            order_by=order_by("lastName", "firstName"), page=page, page_size=page_size,
        )
        return _to_page(result)

    async def find_configurations(
        self, *, company: str | None = None, text: str | None = None, page: int = 1, page_size: int = 25
    ) -> Page[Configuration]:
        """Configurations of a company (name or identifier, exact) whose name, serial number, contact name, IP
        or MAC address contains `text`, by name."""
        conditions = C.all(
            C.any(C.field("company/name") == company, C.field("company/identifier") == company)
            if company is not None else None,
            configuration_text_condition(text) if text is not None and text.strip() else None,
        )
        result = await self.client.list(
            CONFIGURATIONS, Configuration, conditions=conditions, order_by=order_by("name"),
            page=page, page_size=page_size,
        )
        return _to_page(result)


def time_entry_conditions(
    ticket_id: int | None, member: str | None, date_from: datetime | None, date_to: datetime | None
) -> Condition | None:
    f = C.field
    return C.all(
        (f("chargeToId") == _record_id(ticket_id)) & (f("chargeToType") == "ServiceTicket")
        if ticket_id is not None else None,
        f("member/identifier") == member if member is not None else None,
        f("timeStart") >= date_from if date_from is not None else None,
        f("timeStart") < date_to if date_to is not None else None,
    )


_PHONE_TEXT = re.compile(r"[\d\s()+.\-/x]+")
_MAC_TEXT = re.compile(r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2})+")


def contact_search_conditions(text: str) -> tuple[Condition | None, Condition | None]:
    """(conditions, childConditions) for a contact search. Email and phone live in `communicationItems`,
    searched with childConditions; ConnectWise stores phone numbers as digits only."""
    text = text.strip()
    digits = re.sub(r"\D", "", text)
    if "@" in text:
        return None, C.field("communicationItems/value").contains(text)
    if len(digits) >= 3 and _PHONE_TEXT.fullmatch(text):
        return None, C.field("communicationItems/value").contains(digits)
    words = text.split()
    return C.all(*(C.any(C.field("firstName").contains(w), C.field("lastName").contains(w)) for w in words)), None


def configuration_text_condition(text: str) -> Condition | None:
    text = text.strip()
    f = C.field
    macs = {text, text.replace(":", "-"), text.replace("-", ":")} if _MAC_TEXT.fullmatch(text) else {text}
    return C.any(
        f("name").contains(text),
        f("serialNumber").contains(text),
        f("contact/name").contains(text),
        f("ipAddress").contains(text),
        *(f("macAddress").contains(mac) for mac in sorted(macs)),
    )


def closed_ticket_conditions(*, since: datetime | None = None, board: str | None = None) -> Condition | None:
    return C.all(
        C.field("closedFlag") == True,  # noqa: E712 - builds a condition, not a comparison
        C.field("_info/lastUpdated") >= since if since is not None else None,
        C.field("board/name") == board if board is not None else None,
    )


async def _ids(records: AsyncIterator[Ticket] | AsyncIterator[KnowledgeBaseArticle]) -> AsyncIterator[int]:
    async for record in records:
        if record.id is not None:
            yield record.id


def _configuration_from_ref(ref: ConfigurationReference) -> Configuration:
    extra: dict[str, Any] = {"_info": ref.info.model_dump(by_alias=True)} if ref.info else {}
    return Configuration(id=ref.id, name=ref.name or ref.deviceIdentifier, deviceIdentifier=ref.deviceIdentifier, **extra)
