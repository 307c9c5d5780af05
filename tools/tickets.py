"""Ticket read tools: search_tickets, get_ticket, list_ticket_notes.

No `from __future__ import annotations` here: the SDK reads these signatures to build the JSON schemas.
"""

import math
from datetime import datetime
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from identity.context import identity_of
from psa.errors import PSAError
from psa.models import Note
from psa.provider import TicketQuery
from tools.common import DEFAULT_PAGE_SIZE, PageArg, PageSizeArg, cw_errors, provider_of, structured
from tools.views import (
    EXCERPT_CHARS,
    NotesOverview,
    NoteView,
    TicketDetail,
    TicketListItem,
    View,
    note_view,
    notes_overview,
    ticket_detail,
    ticket_list_item,
)

TicketIdArg = Annotated[int, Field(ge=1, le=2_147_483_647, description="Ticket number.")]

NOTES_PAGE = 100
NOTES_SCAN_PAGES = 5


class TicketSearchResult(View):
    items: list[TicketListItem]
    page: int
    page_size: int
    has_more: bool
    next_page: int | None = Field(None, description="Pass as `page` to get the next page; absent on the last page.")


class TicketNotesResult(View):
    ticket_id: int
    items: list[NoteView]
    page: int
    page_size: int
    has_more: bool
    next_page: int | None = None


async def search_tickets(
    ctx: Context,
    text: Annotated[str | None, Field(description="Words in the summary.", max_length=200)] = None,
    board: Annotated[str | None, Field(description="Board name (list_boards).")] = None,
    status: Annotated[str | None, Field(description="Status name (list_boards).")] = None,
    company: Annotated[str | None, Field(description="Company name or identifier.")] = None,
    contact: Annotated[str | None, Field(description="Contact full name.")] = None,
    owner: Annotated[str | None, Field(description="Owner member identifier, or 'me'.")] = None,
    priority: Annotated[str | None, Field(description="Priority name.")] = None,
    type: Annotated[str | None, Field(description="Ticket type name.", max_length=100)] = None,
    contact_email: Annotated[str | None, Field(description="Contact email.", max_length=250)] = None,
    is_open: Annotated[bool | None, Field(description="true: open only; false: closed only.")] = None,
    entered_after: Annotated[datetime | None, Field(description="Entered at or after (UTC).")] = None,
    entered_before: Annotated[datetime | None, Field(description="Entered before (UTC).")] = None,
    updated_after: Annotated[datetime | None, Field(description="Updated at or after (UTC).")] = None,
    updated_before: Annotated[datetime | None, Field(description="Updated before (UTC).")] = None,
    conditions: Annotated[
        str | None,
        Field(
            description='Raw ConnectWise conditions, ANDed with the filters, e.g. `severity = "High"`.',
            max_length=2000,
        ),
    ] = None,
    page: PageArg = 1,
    page_size: PageSizeArg = DEFAULT_PAGE_SIZE,
) -> Annotated[CallToolResult, TicketSearchResult]:
    """Search service tickets, newest first (no arguments: the latest). One compact line each; get_ticket for
    details, list_ticket_notes for notes."""
    for lo, hi, label in ((entered_after, entered_before, "entered"), (updated_after, updated_before, "updated")):
        if lo is not None and hi is not None and _naive(lo) >= _naive(hi):
            raise ToolError(f"{label}_after must be earlier than {label}_before.")
    query = TicketQuery(
        text=_blank_to_none(text),
        board=_blank_to_none(board),
        status=_blank_to_none(status),
        company=_blank_to_none(company),
        contact=_blank_to_none(contact),
        owner=_owner(ctx, _blank_to_none(owner)),
        priority=_blank_to_none(priority),
        type=_blank_to_none(type),
        contact_email=_blank_to_none(contact_email),
        is_open=is_open,
        entered_after=entered_after,
        entered_before=entered_before,
        updated_after=updated_after,
        updated_before=updated_before,
        conditions=_blank_to_none(conditions),
    )
    with cw_errors():
        try:
            result = await provider_of(ctx).search_tickets(query, page=page, page_size=page_size)
        except ValueError as exc:  # the conditions builder refused the expert string before sending it
            raise ToolError(
                f"Invalid conditions: {exc}. Fix the `conditions` string or use the typed filters instead."
            ) from exc
    return structured(
        TicketSearchResult(
            items=[ticket_list_item(t) for t in result.items],
            page=result.page,
            page_size=result.page_size,
            has_more=result.has_more,
            next_page=result.next_page if result.has_more else None,
        )
    )


async def get_ticket(ctx: Context, ticket_id: TicketIdArg) -> Annotated[CallToolResult, TicketDetail]:
    """Get one ticket in full: summary, board, status, priority, owner, dates, the company and contact, the
    attached configurations (devices), and a notes overview (counts per kind, first and last note excerpts).

    Use after search_tickets when you have a ticket id. For the full note thread use list_ticket_notes."""
    provider = provider_of(ctx)
    with cw_errors(not_found=f"Ticket {ticket_id} was not found. Check the id, or find it with search_tickets."):
        ticket = await provider.get_ticket(ticket_id)

    parts: dict[str, Any] = {}

    async def company() -> None:
        if ticket.company is not None and ticket.company.id:
            parts["company"] = await _optional(provider.get_company(ticket.company.id))

    async def contact() -> None:
        if ticket.contact is not None and ticket.contact.id:
            parts["contact"] = await _optional(provider.get_contact(ticket.contact.id))

    async def configurations() -> None:
        parts["configurations"] = await _optional(provider.list_ticket_configurations(ticket_id)) or []

    async def notes() -> None:
        parts["notes"] = await _optional(_notes_overview(provider, ticket_id))

    # Every job swallows the product's errors (the ticket itself was read), so the group never raises one.
    async with anyio.create_task_group() as tg:
        for job in (company, contact, configurations, notes):
            tg.start_soon(job)

    return structured(
        ticket_detail(
            ticket,
            company=parts.get("company"),
            contact=parts.get("contact"),
            configurations=parts.get("configurations") or [],
            notes=parts.get("notes"),
        )
    )


async def list_ticket_notes(
    ctx: Context,
    ticket_id: TicketIdArg,
    page: PageArg = 1,
    page_size: PageSizeArg = DEFAULT_PAGE_SIZE,
) -> Annotated[CallToolResult, TicketNotesResult]:
    """A ticket's notes, oldest first: kind, author, date and text (long notes truncated with a marker)."""
    with cw_errors(not_found=f"Ticket {ticket_id} was not found. Check the id, or find it with search_tickets."):
        result = await provider_of(ctx).list_ticket_notes(ticket_id, page=page, page_size=page_size)
    return structured(
        TicketNotesResult(
            ticket_id=ticket_id,
            items=[note_view(n) for n in result.items],
            page=result.page,
            page_size=result.page_size,
            has_more=result.has_more,
            next_page=result.next_page if result.has_more else None,
        )
    )


# ---- helpers ---------------------------------------------------------------------------------------------------


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone().replace(tzinfo=None)


async def _optional(awaitable: Any) -> Any:
    """A secondary lookup that may fail (deleted contact, a role without access) without failing the ticket."""
    try:
        return await awaitable
    except PSAError:
        return None


async def _notes_overview(provider: Any, ticket_id: int) -> NotesOverview:
    total = await provider.count_ticket_notes(ticket_id)
    if total == 0:
        return notes_overview(0, [], complete=True)
    notes: list[Note] = []
    pages = math.ceil(total / NOTES_PAGE)
    for page in range(1, min(pages, NOTES_SCAN_PAGES) + 1):
        result = await provider.list_ticket_notes(ticket_id, page=page, page_size=NOTES_PAGE)
        notes.extend(result.items)
        if not result.has_more:
            break
    complete = len(notes) >= total
    if not complete and pages > NOTES_SCAN_PAGES:
        last_page = await provider.list_ticket_notes(ticket_id, page=pages, page_size=NOTES_PAGE)
        if last_page.items:
            overview = notes_overview(total, notes, complete=False)
            overview.last = note_view(last_page.items[-1], EXCERPT_CHARS)
            return overview
    return notes_overview(total, notes, complete=complete)


def _owner(ctx: Context, owner: str | None) -> str | None:
    """'me' is the caller's ConnectWise member (their sign-in, or COPILOT_MEMBER on stdio)."""
    if owner is None or owner.strip().lower() != "me":
        return owner
    member = identity_of(ctx).member
    if member is None:
        raise ToolError(
            "owner='me' needs to know who you are: sign in as a technician, or set COPILOT_MEMBER to your "
            "ConnectWise member identifier on stdio."
        )
    return member
