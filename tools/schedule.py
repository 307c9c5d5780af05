"""The technician's day, read side: list_schedule (schedule entries with their tickets).

No `from __future__ import annotations` here: the SDK reads these signatures to build the JSON schemas.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from identity.context import identity_of
from psa.models import ScheduleEntry, Ticket
from tools.common import DEFAULT_PAGE_SIZE, PageArg, PageSizeArg, cw_errors, provider_of, structured
from tools.views import SUMMARY_CHARS, View, compact_dt, member_name, ref_name, truncate

DEFAULT_DAYS = 7

DateFromArg = Annotated[date | None, Field(description="First day, YYYY-MM-DD (UTC).")]
DateToArg = Annotated[date | None, Field(description="Last day, inclusive.")]


class ScheduleTicket(View):
    id: int
    summary: str | None = None
    status: str | None = None
    company: str | None = None
    priority: str | None = None
    closed: bool = False


class ScheduleItem(View):
    id: int | None = None
    member: str | None = None
    start: str | None = Field(None, description="UTC.")
    end: str | None = Field(None, description="UTC.")
    hours: float | None = None
    status: str | None = None
    where: str | None = None
    done: bool = False
    name: str | None = None
    ticket: ScheduleTicket | None = Field(None, description="The service ticket booked (type S entries).")


class ScheduleResult(View):
    member: str
    date_from: str
    date_to: str
    items: list[ScheduleItem]
    page: int
    page_size: int
    has_more: bool
    next_page: int | None = Field(None, description="Pass as `page` to get the next page; absent on the last page.")


async def list_schedule(
    ctx: Context,
    member: Annotated[str, Field(description="Member identifier or 'me'.", min_length=1, max_length=30)] = "me",
    date_from: DateFromArg = None,
    date_to: DateToArg = None,
    page: PageArg = 1,
    page_size: PageSizeArg = DEFAULT_PAGE_SIZE,
) -> Annotated[CallToolResult, ScheduleResult]:
    """A member's schedule entries with their tickets, earliest first. Default: 7 days from today."""
    who = member_of(ctx, member)
    first, last = day_range(date_from, date_to, default_days=DEFAULT_DAYS)
    provider = provider_of(ctx)
    with cw_errors():
        result = await provider.list_schedule_entries(
            member=who, date_from=_start_of(first), date_to=_start_of(last + timedelta(days=1)),
            page=page, page_size=page_size,
        )
        ticket_ids = [e.ticket_id for e in result.items if e.ticket_id]
        tickets = {t.id: t for t in await provider.get_tickets(ticket_ids)} if ticket_ids else {}
    return structured(
        ScheduleResult(
            member=who,
            date_from=first.isoformat(),
            date_to=last.isoformat(),
            items=[_item(e, tickets) for e in result.items],
            page=result.page,
            page_size=result.page_size,
            has_more=result.has_more,
            next_page=result.next_page if result.has_more else None,
        )
    )


# ---- shared with tools/time_entries.py ------------------------------------------------------------------------


def member_of(ctx: Context, member: str) -> str:
    """'me' is the caller's ConnectWise member (their sign-in, or COPILOT_MEMBER on stdio)."""
    member = member.strip()
    if member.lower() != "me":
        if not member:
            raise ToolError("member must be a member identifier, e.g. 'jsmith', or 'me'.")
        return member
    who = identity_of(ctx).member
    if who is None:
        raise ToolError(
            "member='me' needs to know who you are: sign in as a technician, or set COPILOT_MEMBER to your "
            "ConnectWise member identifier on stdio. Or pass a member identifier."
        )
    return who


def day_range(first: date | None, last: date | None, *, default_days: int) -> tuple[date, date]:
    """Inclusive days; a missing end is `default_days` from the start, a missing start as far before the end."""
    first, last = _as_day(first), _as_day(last)
    span = timedelta(days=default_days - 1)
    if first is None and last is None:
        first = datetime.now(UTC).date()
    if first is None:
        first = last - span  # type: ignore[operator]
    if last is None:
        last = first + span
    if first > last:
        raise ToolError("date_from must be on or before date_to.")
    return first, last


def _as_day(value: date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _item(entry: ScheduleEntry, tickets: dict[int | None, Ticket]) -> ScheduleItem:
    ticket = tickets.get(entry.ticket_id) if entry.ticket_id else None
    brief = None
    if ticket is not None and ticket.id is not None:
        brief = ScheduleTicket(
            id=ticket.id,
            summary=truncate(ticket.summary, SUMMARY_CHARS),
            status=ref_name(ticket.status),
            company=ref_name(ticket.company),
            priority=ref_name(ticket.priority),
            closed=ticket.closed,
        )
    elif entry.ticket_id:
        brief = ScheduleTicket(id=entry.ticket_id)
    return ScheduleItem(
        id=entry.id,
        member=member_name(entry.member),
        start=compact_dt(entry.start),
        end=compact_dt(entry.end),
        hours=entry.hours,
        status=ref_name(entry.status),
        where=ref_name(entry.where),
        done=entry.done,
        # The name repeats the ticket's summary on ConnectWise; keep it only when there is no ticket to show.
        name=truncate(entry.name, SUMMARY_CHARS) if brief is None or brief.summary is None else None,
        ticket=brief,
    )
