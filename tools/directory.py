"""Directory read tools: list_boards, find_companies, find_contacts, find_configurations.

No `from __future__ import annotations` here: the SDK reads these signatures to build the JSON schemas.
"""

from typing import Annotated

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from psa.errors import PSAError
from psa.models import Status
from tools.common import DEFAULT_PAGE_SIZE, PageArg, PageSizeArg, cw_errors, provider_of, structured
from tools.views import (
    BoardView,
    CompanyBrief,
    ConfigurationBrief,
    ContactBrief,
    View,
    board_view,
    company_brief,
    configuration_brief,
    contact_brief,
    ref_name,
)

STATUS_FETCH_CONCURRENCY = 8


class BoardsResult(View):
    boards: list[BoardView]


class CompaniesResult(View):
    items: list[CompanyBrief]
    page: int
    page_size: int
    has_more: bool
    next_page: int | None = Field(None, description="Pass as `page` to get the next page; absent on the last page.")


async def list_boards(
    ctx: Context,
    include_inactive: Annotated[bool, Field(description="Also list inactive boards.")] = False,
) -> Annotated[CallToolResult, BoardsResult]:
    """List the service boards with their statuses; `closed: true` marks a status that closes the ticket.

    Use to learn the exact board and status names that search_tickets filters take, or which status to set."""
    provider = provider_of(ctx)
    with cw_errors():
        boards = await provider.list_boards()
    if not include_inactive:
        boards = [b for b in boards if not b.inactive]
    statuses: dict[int, list[Status]] = {}
    errors: list[PSAError] = []
    limiter = anyio.CapacityLimiter(STATUS_FETCH_CONCURRENCY)

    async def fetch(board_id: int) -> None:
        async with limiter:
            try:
                statuses[board_id] = await provider.list_board_statuses(board_id)
            except PSAError as exc:  # re-raised below as a tool error, not an exception group
                errors.append(exc)

    async with anyio.create_task_group() as tg:
        for board in boards:
            if board.id is not None:
                tg.start_soon(fetch, board.id)
    if errors:
        with cw_errors():
            raise errors[0]
    return structured(BoardsResult(boards=[board_view(b, statuses.get(b.id or 0, [])) for b in boards]))


async def find_companies(
    ctx: Context,
    name: Annotated[
        str | None,
        Field(description="Part of the company name or identifier, e.g. 'contoso'. Omit to list all companies.", max_length=100),
    ] = None,
    page: PageArg = 1,
    page_size: PageSizeArg = DEFAULT_PAGE_SIZE,
) -> Annotated[CallToolResult, CompaniesResult]:
    """Find companies (customers) whose name or identifier contains `name`.

    Use to get a company's exact name or identifier before filtering search_tickets by company."""
    term = name.strip() if name else None
    with cw_errors():
        result = await provider_of(ctx).find_companies(term or None, page=page, page_size=page_size)
    return structured(
        CompaniesResult(
            items=[company_brief(c) for c in result.items],
            page=result.page,
            page_size=result.page_size,
            has_more=result.has_more,
            next_page=result.next_page if result.has_more else None,
        )
    )


class ContactItem(ContactBrief):
    company: str | None = None


class ContactsResult(View):
    items: list[ContactItem]
    page: int
    page_size: int
    has_more: bool
    next_page: int | None = Field(None, description="Pass as `page` to get the next page; absent on the last page.")


class ConfigurationItem(ConfigurationBrief):
    company: str | None = None
    contact: str | None = None
    mac: str | None = None


class ConfigurationsResult(View):
    items: list[ConfigurationItem]
    page: int
    page_size: int
    has_more: bool
    next_page: int | None = Field(None, description="Pass as `page` to get the next page; absent on the last page.")


async def find_contacts(
    ctx: Context,
    query: Annotated[
        str, Field(description="Name words, an email (with @) or a phone number.", min_length=2, max_length=100)
    ],
    page: PageArg = 1,
    page_size: PageSizeArg = DEFAULT_PAGE_SIZE,
) -> Annotated[CallToolResult, ContactsResult]:
    """Find contacts by name, email or phone (parts match), with their company."""
    text = query.strip()
    if len(text) < 2:
        raise ToolError("query needs at least 2 characters.")
    with cw_errors():
        result = await provider_of(ctx).find_contacts(text, page=page, page_size=page_size)
    items = [ContactItem(**contact_brief(c).model_dump(), company=ref_name(c.company)) for c in result.items]
    return structured(
        ContactsResult(
            items=items,
            page=result.page,
            page_size=result.page_size,
            has_more=result.has_more,
            next_page=result.next_page if result.has_more else None,
        )
    )


async def find_configurations(
    ctx: Context,
    company: Annotated[
        str | None, Field(description="Company name or identifier, exact (see find_companies).", max_length=100)
    ] = None,
    query: Annotated[
        str | None, Field(description="Part of the name, serial, contact, IP or MAC.", max_length=100)
    ] = None,
    page: PageArg = 1,
    page_size: PageSizeArg = DEFAULT_PAGE_SIZE,
) -> Annotated[CallToolResult, ConfigurationsResult]:
    """Find configurations (devices) by company and/or name, serial, contact, IP or MAC."""
    company_name = company.strip() if company else None
    text = query.strip() if query else None
    with cw_errors():
        result = await provider_of(ctx).find_configurations(
            company=company_name or None, text=text or None, page=page, page_size=page_size
        )
    items = [
        ConfigurationItem(
            **configuration_brief(c).model_dump(),
            company=ref_name(c.company),
            contact=ref_name(c.contact),
            mac=c.mac,
        )
        for c in result.items
    ]
    return structured(
        ConfigurationsResult(
            items=items,
            page=result.page,
            page_size=result.page_size,
            has_more=result.has_more,
            next_page=result.next_page if result.has_more else None,
        )
    )
