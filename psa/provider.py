"""The provider protocol: what tools may ask of a PSA product, in the neutral model (psa/models.py).

ConnectWise answers it through psa/connectwise/neutral.py, the helpdesk through psa/helpdesk/provider.py. What the
write tools ask is in psa/writes.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from catalog import Capability
from psa.models import (
    Board,
    Company,
    Configuration,
    Contact,
    KnowledgeArticle,
    Note,
    ResolvedTicket,
    ScheduleEntry,
    Status,
    Ticket,
    TimeEntry,
)

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing; `next_page` is set exactly when `has_more` is true."""

    items: list[T]
    page: int = Field(ge=1)
    page_size: int = Field(ge=1, le=1000)
    has_more: bool
    next_page: int | None = None


class Product(BaseModel):
    """A PSA product as the copilot knows it: what it can do, and in words why not where it cannot."""

    model_config = ConfigDict(frozen=True)

    name: str
    """As COPILOT_PROVIDER names it."""
    title: str
    short: str = ""
    """As a sentence names it mid-way ("write to ConnectWise", "write to the helpdesk"); empty: the title."""
    capabilities: frozenset[Capability]
    missing: dict[Capability, str] = Field(default_factory=dict)
    """For each capability it lacks: why, in one sentence a technician reads when a tool is unavailable."""
    tool_notes: dict[str, str] = Field(default_factory=dict)
    """Tool name -> how it behaves here unlike elsewhere, in a sentence the model reads after the tool's
    description (so it does not first try what this product refuses)."""

    @property
    def called(self) -> str:
        """How a sentence names it mid-way: `short`, else the title."""
        return self.short or self.title

    def lacks(self, needs: frozenset[Capability]) -> str | None:
        """Why the product cannot serve something that needs `needs`, or None when it can."""
        absent = sorted(needs - self.capabilities)
        if not absent:
            return None
        return "; ".join(self.missing.get(c, f"{self.title} has no {c.replace('_', ' ')}") for c in absent)


class TicketQuery(BaseModel):
    """Typed ticket filters. Every value is escaped by the provider; none is pasted into a query string."""

    text: str | None = Field(None, description="Words that must appear in the ticket summary.")
    board: str | None = Field(None, description="Board name, exact.")
    status: str | None = Field(None, description="Status name, exact.")
    company: str | None = Field(None, description="Company name or identifier, exact.")
    contact: str | None = Field(None, description="Contact name, exact.")
    owner: str | None = Field(None, description="Owner member identifier, exact.")
    priority: str | None = Field(None, description="Priority name, exact.")
    type: str | None = Field(None, description="Ticket type name, exact.")
    contact_email: str | None = Field(None, description="The ticket's contact email address, exact.")
    is_open: bool | None = Field(None, description="True: open tickets only; False: closed only.")
    entered_after: datetime | None = None
    entered_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    conditions: str | None = Field(
        None, description="Expert: a raw ConnectWise conditions string, ANDed with the typed filters."
    )


class PSAProvider(Protocol):
    async def search_tickets(self, query: TicketQuery, *, page: int = 1, page_size: int = 25) -> Page[Ticket]:
        """Newest first (by id, descending)."""
        ...

    async def get_ticket(self, ticket_id: int) -> Ticket: ...

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[Note]:
        """Oldest first, as a technician reads the thread."""
        ...

    async def count_ticket_notes(self, ticket_id: int) -> int: ...

    async def list_ticket_configurations(self, ticket_id: int) -> list[Configuration]: ...

    async def get_company(self, company_id: int) -> Company: ...

    async def get_contact(self, contact_id: int) -> Contact: ...

    async def list_boards(self) -> list[Board]: ...

    async def list_board_statuses(self, board_id: int) -> list[Status]: ...

    async def find_companies(self, name: str | None = None, *, page: int = 1, page_size: int = 25) -> Page[Company]:
        """Companies whose name or identifier contains `name`; all companies when it is None."""
        ...

    async def get_tickets(self, ticket_ids: Sequence[int]) -> list[Ticket]:
        """The tickets with these ids that exist, in any order."""
        ...

    async def list_schedule_entries(
        self, *, member: str | None = None, date_from: datetime | None = None, date_to: datetime | None = None,
        page: int = 1, page_size: int = 25,
    ) -> Page[ScheduleEntry]:
        """Earliest start first; `date_from` inclusive, `date_to` exclusive."""
        ...

    async def list_time_entries(
        self, *, ticket_id: int | None = None, member: str | None = None, date_from: datetime | None = None,
        date_to: datetime | None = None, page: int = 1, page_size: int = 25,
    ) -> Page[TimeEntry]:
        """Newest start first; `date_from` inclusive, `date_to` exclusive."""
        ...

    async def total_time_entry_hours(
        self, *, ticket_id: int | None = None, member: str | None = None, date_from: datetime | None = None,
        date_to: datetime | None = None, max_items: int = 10_000,
    ) -> tuple[int, float, bool]:
        """(entries, hours, complete) over every entry the same filters match."""
        ...

    async def find_contacts(self, text: str, *, page: int = 1, page_size: int = 25) -> Page[Contact]:
        """By email, phone or name."""
        ...

    async def find_configurations(
        self, *, company: str | None = None, text: str | None = None, page: int = 1, page_size: int = 25
    ) -> Page[Configuration]:
        """By company (exact) and name, serial number, contact, IP or MAC (contains)."""
        ...

    async def aclose(self) -> None: ...


class KeyedProviders(Protocol):
    """Providers that act as one technician, by their own API keys, leased for one tool call (ConnectWise's pool,
    psa/connectwise/pool.py): the product then records the technician as the author of what they write."""

    def lease(self, keys: Any) -> AbstractAsyncContextManager[object]:
        """A provider for these keys (None: the server's own), to pass through `neutral()`."""
        ...


def neutral(provider: object) -> PSAProvider:
    """A product's provider behind this protocol: ConnectWise's wire provider offers `neutral()`; a provider that
    speaks the protocol itself (the helpdesk's) is returned as it is."""
    method = getattr(provider, "neutral", None)
    return method() if callable(method) else provider  # type: ignore[return-value]


class KnowledgeSource(Protocol):
    """What the knowledge index reads from a product (kb_index.sync, kb_index.refresh): resolved tickets and KB
    articles, incrementally. `since` compares with the record's last update on the product's own clock."""

    async def latest_resolved_update(self) -> datetime | None: ...

    async def count_resolved(self, since: datetime | None) -> int: ...

    def iterate_resolved(self, since: datetime | None) -> AsyncIterator[ResolvedTicket]:
        """Oldest first, each with its description and resolutions."""
        ...

    def iterate_resolved_ids(self) -> AsyncIterator[int]: ...

    async def get_resolved(self, ticket_id: int) -> ResolvedTicket | None:
        """None when the ticket is gone or no longer resolved (reopened)."""
        ...

    async def latest_article_update(self) -> datetime | None: ...

    async def count_articles(self, since: datetime | None) -> int: ...

    def iterate_articles(self, since: datetime | None) -> AsyncIterator[KnowledgeArticle]: ...

    def iterate_article_ids(self) -> AsyncIterator[int]: ...

    async def get_article(self, article_id: int) -> KnowledgeArticle | None:
        """None when the article is gone."""
        ...

