"""The technician's day, read side: list_time_entries (time entries with hour totals).

No `from __future__ import annotations` here: the SDK reads these signatures to build the JSON schemas.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from psa.models import TimeEntry
from tools.common import DEFAULT_PAGE_SIZE, PageArg, PageSizeArg, cw_errors, provider_of, structured
from tools.schedule import DateFromArg, DateToArg, member_of
from tools.views import EXCERPT_CHARS, View, compact_dt, member_name, ref_name, truncate

TOTALS_LIMIT = 10_000


class TimeItem(View):
    id: int | None = None
    ticket_id: int | None = None
    ticket: str | None = Field(None, description="Ticket summary.")
    company: str | None = None
    member: str | None = None
    start: str | None = Field(None, description="UTC.")
    end: str | None = Field(None, description="UTC.")
    hours: float | None = None
    billable: str | None = None
    work_type: str | None = None
    notes: str | None = None


class TimeEntriesResult(View):
    items: list[TimeItem]
    total_entries: int = Field(description="Entries matching the filters, all pages.")
    total_hours: float = Field(description="Their actual hours, all pages.")
    totals_partial: bool | None = Field(None, description=f"true: totals cover the first {TOTALS_LIMIT:,} only.")
    page: int
    page_size: int
    has_more: bool
    next_page: int | None = Field(None, description="Pass as `page` to get the next page; absent on the last page.")


async def list_time_entries(
    ctx: Context,
    ticket_id: Annotated[int | None, Field(ge=1, le=2_147_483_647, description="Ticket id.")] = None,
    member: Annotated[str | None, Field(description="Member identifier or 'me'.", min_length=1, max_length=30)] = None,
    date_from: DateFromArg = None,
    date_to: DateToArg = None,
    page: PageArg = 1,
    page_size: PageSizeArg = DEFAULT_PAGE_SIZE,
) -> Annotated[CallToolResult, TimeEntriesResult]:
    """Time entries, newest first, with hour totals over all pages."""
    who = member_of(ctx, member) if member is not None else None
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ToolError("date_from must be on or before date_to.")
    filters = {
        "ticket_id": ticket_id,
        "member": who,
        "date_from": _start_of(date_from) if date_from is not None else None,
        "date_to": _start_of(date_to + timedelta(days=1)) if date_to is not None else None,
    }
    provider = provider_of(ctx)
    with cw_errors():
        result = await provider.list_time_entries(**filters, page=page, page_size=page_size)
        count, hours, complete = await provider.total_time_entry_hours(**filters, max_items=TOTALS_LIMIT)
    return structured(
        TimeEntriesResult(
            items=[_item(e) for e in result.items],
            total_entries=count,
            total_hours=hours,
            totals_partial=True if not complete else None,
            page=result.page,
            page_size=result.page_size,
            has_more=result.has_more,
            next_page=result.next_page if result.has_more else None,
        )
    )


def _start_of(day: date) -> datetime:
    day = day.date() if isinstance(day, datetime) else day
    return datetime.combine(day, time(0), tzinfo=UTC)


def _item(e: TimeEntry) -> TimeItem:
    return TimeItem(
        id=e.id,
        ticket_id=e.ticket_id,
        ticket=truncate(e.ticket_summary, 120) if e.ticket_summary else None,
        company=ref_name(e.company),
        member=member_name(e.member),
        start=compact_dt(e.start),
        end=compact_dt(e.end),
        hours=e.hours,
        billable=e.billable,
        work_type=ref_name(e.work_type),
        notes=truncate(e.notes, EXCERPT_CHARS),
    )
