"""Paging over ConnectWise list endpoints.

Navigable paging (`page`/`pageSize`) reports further pages in an RFC 5988 `Link` header (`rel="next"`, absent
on the last page). Forward-only paging (header `pagination-type: forward-only`) orders by id, ignores `page`,
takes `pageId` (meaning `id > pageId`) and always sends a `next` link carrying the last id seen; it is the
right choice for full scans because deep `page=N` offsets get slow and skip rows when data changes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlsplit

T = TypeVar("T")

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 25
FORWARD_ONLY_HEADERS = {"pagination-type": "forward-only"}

# One link-value: <uri-reference> followed by ;-separated params. The URI may contain commas, so split on
# the angle brackets rather than on commas.
_LINK_VALUE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_REL_PARAM = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


def parse_link_header(value: str | None) -> dict[str, str]:
    """`<u1>; rel="next", <u2>; rel="last"` -> {"next": u1, "last": u2}. A rel may list several types."""
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK_VALUE.finditer(value):
        url, params = match.group(1).strip(), match.group(2)
        rel = _REL_PARAM.search(params)
        if not rel:
            continue
        for rel_type in (rel.group(1) or rel.group(2) or "").split():
            links.setdefault(rel_type.lower(), url)
    return links


def _query_int(url: str, name: str) -> int | None:
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key.lower() == name.lower():
            try:
                return int(value)
            except ValueError:
                return None
    return None


def page_number_from_link(url: str) -> int | None:
    return _query_int(url, "page")


def page_id_from_link(url: str) -> int | None:
    return _query_int(url, "pageId")


def check_page_size(page_size: int) -> int:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"pageSize must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    return page_size


@dataclass
class ResultPage(Generic[T]):
    """One page as fetched: items plus where the next one is."""

    items: list[T]
    page: int
    page_size: int
    links: dict[str, str] = field(default_factory=dict)
    # Whether the response carried a Link header at all; when it did not, "more" is inferred from a full page.
    has_link_header: bool = False

    @property
    def has_more(self) -> bool:
        if self.has_link_header:
            return "next" in self.links
        return len(self.items) >= self.page_size

    @property
    def next_page(self) -> int | None:
        if not self.has_more:
            return None
        link = self.links.get("next")
        number = page_number_from_link(link) if link else None
        return number if number is not None else self.page + 1


async def iterate_navigable(
    fetch: Callable[[int], Awaitable[ResultPage[T]]], *, start_page: int = 1, max_items: int | None = None
) -> AsyncIterator[T]:
    """Yield items page by page until there is no next page or `max_items` have been yielded."""
    if max_items is not None and max_items <= 0:
        return
    yielded = 0
    page_number: int | None = start_page
    while page_number is not None:
        result = await fetch(page_number)
        for item in result.items:
            yield item
            yielded += 1
            if max_items is not None and yielded >= max_items:
                return
        if not result.items:
            return
        following = result.next_page
        # A server that points "next" at the same or an earlier page would loop forever.
        page_number = following if following is not None and following > page_number else None


async def iterate_forward_only(
    fetch: Callable[[int | None], Awaitable[tuple[list[T], int | None]]],
    *,
    page_size: int,
    max_items: int | None = None,
) -> AsyncIterator[T]:
    """Yield items using `pageId` cursors. `fetch(page_id)` returns the items and the next link's pageId.

    ConnectWise always sends a next link in this mode, so the end is a short (or empty) page, or a cursor
    that does not move forward.
    """
    if max_items is not None and max_items <= 0:
        return
    yielded = 0
    page_id: int | None = None
    while True:
        items, next_id = await fetch(page_id)
        for item in items:
            yield item
            yielded += 1
            if max_items is not None and yielded >= max_items:
                return
        if len(items) < page_size or next_id is None or (page_id is not None and next_id <= page_id):
            return
        page_id = next_id
