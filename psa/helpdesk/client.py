"""`HelpdeskClient`: the one place that knows the helpdesk TicketsApi's wire format (docs/helpdesk-api.md).

It owns URLs, the Bearer header, query parameters, multipart bodies, retries and error mapping. Callers pass
ticket ids and the models of psa.helpdesk.models; they never build paths or form bodies.

Retries (`RetryPolicy`):
- GET is repeated on 429/502/503/504 and on connection failures (refused, reset, dropped mid-answer). A 500 is
  not: it is the server's own fault and will not go away by asking again. A read timeout is not either: a slow
  server stays slow, and repeating would multiply the user's wait.
- Every other verb (POST, DELETE) is repeated only when the request provably never reached the server: the
  connection could not be made (`httpx.ConnectError`, `httpx.ConnectTimeout`) or no pooled connection came
  free (`httpx.PoolTimeout`). A POST that was sent is never repeated, whatever came back: the helpdesk may have
  acted, and a repeat could send a second email or create a second ticket.
- Waits are exponential with full jitter, so clients do not retry in lockstep; a Retry-After header (seconds or
  HTTP date) replaces the backoff, capped so a hostile or buggy header cannot stall a tool call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from psa.helpdesk.errors import (
    HelpdeskConnectionError,
    HelpdeskResponseError,
    HelpdeskTimeoutError,
    error_from_response,
)
from psa.helpdesk.models import (
    AppMetadata,
    ClosureForm,
    ForwardForm,
    IntegrationTicket,
    ListType,
    Metadata,
    RegisterTicket,
    ReplyForm,
    RequesterReplyForm,
    ResolveForm,
    SearchField,
    TicketApiModel,
    TicketList,
    TicketPage,
    TicketUpdate,
    WriteForm,
)
from psa.helpdesk.settings import API_PATH, HelpdeskSettings
from psa.http import Backoff, send_with_retry

M = TypeVar("M", bound=BaseModel)

MAX_PAGE_SIZE = 100

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Failures where the request bytes were never handed to the server: safe to repeat for any verb.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Connection failures after sending began: safe to repeat for a GET only.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (httpx.NetworkError, httpx.RemoteProtocolError)

# Multipart parts as httpx takes them: (field name, (filename or None for a plain field, content[, type])).
Parts = list[tuple[str, tuple[Any, ...]]]


@dataclass(frozen=True)
class RetryPolicy(Backoff):
    def should_retry_status(self, method: str, status: int) -> bool:
        return method == "GET" and status in RETRY_STATUSES

    def should_retry_error(self, method: str, error: Exception) -> bool:
        if isinstance(error, NOT_SENT_ERRORS):
            return True
        return method == "GET" and isinstance(error, CONNECTION_ERRORS)


class HelpdeskClient:
    """Async client for one helpdesk; one pooled `httpx.AsyncClient` per instance.

    Use as `async with HelpdeskClient(settings) as helpdesk: ...` or call `aclose()`.
    """

    def __init__(
        self,
        settings: HelpdeskSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy(max_attempts=settings.max_attempts)
        self._http = httpx.AsyncClient(
            base_url=settings.url,
            headers={
                "Authorization": f"Bearer {settings.token.get_secret_value()}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.timeout,
                write=settings.timeout,
                pool=settings.connect_timeout,
            ),
            transport=transport,
            follow_redirects=False,  # a redirect would resend the token to wherever it points
        )

    async def __aenter__(self) -> HelpdeskClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- reads ----------------------------------------------------------------------------------------------

    async def list_tickets(
        self,
        list_type: ListType | str,
        *,
        search: str | None = None,
        search_fields: Sequence[SearchField | str] | None = None,
        page: int = 1,
        page_size: int = 25,
    ) -> TicketPage:
        """One page of a ticket list, newest first; `total` comes from X-Total-Count."""
        if page < 1:
            raise ValueError("page starts at 1")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1 to {MAX_PAGE_SIZE}, not {page_size}")
        params: dict[str, str | int] = {"listType": _list_type(list_type).value}
        if search:
            params["search"] = search
        if search_fields:
            params["searchFields"] = ",".join(_search_field(name).value for name in search_fields)
        params |= {"page": page, "pageSize": page_size}
        response = await self._send("GET", API_PATH, params=params)
        return TicketPage(
            items=_parse_list(response, TicketList),
            total=_total_count(response.headers.get("X-Total-Count")),
            page=page,
            page_size=page_size,
        )

    async def get_ticket(self, id: int) -> TicketApiModel:
        response = await self._send("GET", _ticket_path(id))
        return _parse(response, TicketApiModel)

    async def metadata(self, id: int | None = None) -> Metadata:
        """Lookups for ticket forms; with a ticket id, subcategories, items and technicians fit that ticket."""
        path = f"{API_PATH}/metadata" if id is None else _ticket_path(id, "metadata")
        response = await self._send("GET", path)
        return _parse(response, Metadata)

    async def app_metadata(self) -> AppMetadata:
        response = await self._send("GET", f"{API_PATH}/appmetadata")
        return _parse(response, AppMetadata)

    async def list_by_username(self, username: str, page: int = 1) -> list[TicketApiModel]:
        """The tickets `username` created, newest first, 25 a page. A POST, so never retried once sent."""
        if not username:
            raise ValueError("username is required")
        if page < 1:
            raise ValueError("page starts at 1")
        parts: Parts = [("username", (None, username)), ("page", (None, str(page)))]
        response = await self._send("POST", f"{API_PATH}/list", files=parts)
        return _parse_list(response, TicketApiModel)

    # ---- writes ---------------------------------------------------------------------------------------------

    async def register_ticket(self, form: RegisterTicket) -> TicketApiModel:
        """A ticket created on behalf of a requester (permission Tickets.Create)."""
        response = await self._send("POST", f"{API_PATH}/register", files=_parts(form))
        return _parse(response, TicketApiModel)

    async def new_ticket(self, form: IntegrationTicket) -> TicketApiModel:
        """A ticket from an integration (source "Api"); needs no permission beyond a valid token."""
        response = await self._send("POST", f"{API_PATH}/new", files=_parts(form))
        return _parse(response, TicketApiModel)

    async def update_ticket(self, id: int, form: TicketUpdate) -> None:
        if form.Id is not None:
            _same_id(id, form.Id, "Id")
        await self._send("POST", _ticket_path(id, "update"), files=_parts(form))

    async def reply(self, id: int, form: ReplyForm) -> None:
        _same_id(id, form.Id, "Id")
        await self._send("POST", _ticket_path(id, "reply"), files=_parts(form))

    async def forward(self, id: int, form: ForwardForm) -> None:
        _same_id(id, form.Id, "Id")
        await self._send("POST", _ticket_path(id, "forward"), files=_parts(form))

    async def close(self, id: int, form: ClosureForm) -> bool:
        """True when this call closed the ticket (204), False when it was already closed (200)."""
        _same_id(id, form.TicketId, "TicketId")
        response = await self._send("POST", _ticket_path(id, "close"), files=_parts(form))
        if response.status_code == 204:
            return True
        if response.status_code == 200:
            return False
        raise _unexpected(response, f"HTTP {response.status_code} where close answers 204 or 200")

    async def resolve(self, id: int, form: ResolveForm) -> None:
        _same_id(id, form.Id, "Id")
        await self._send("POST", _ticket_path(id, "resolve"), files=_parts(form))

    async def requester_reply(self, id: int, form: RequesterReplyForm) -> None:
        """The requester's reply; a resolved or closed ticket re-opens."""
        _same_id(id, form.Id, "Id")
        await self._send("POST", _ticket_path(id, "reqreply"), files=_parts(form))

    async def delete_ticket(self, id: int) -> TicketApiModel:
        """Soft delete; the answer is the ticket with `isDeleted` and `deletedOn`."""
        response = await self._send("DELETE", _ticket_path(id))
        return _parse(response, TicketApiModel)

    # ---- transport ------------------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        files: Parts | None = None,
    ) -> httpx.Response:
        """One logical request, retried per `RetryPolicy`; a typed error unless the answer is 2xx."""

        async def send() -> httpx.Response:
            return await self._http.request(method, path, params=params, files=files)

        try:
            response = await send_with_retry(send, method, self.retry)
        except httpx.TransportError as exc:
            # A connect or pool timeout never reached the server: it is a failure to connect, not a slow answer
            # (whose hint warns that a write may have been applied).
            if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, NOT_SENT_ERRORS):
                raise HelpdeskTimeoutError(
                    f"no answer within the timeout ({type(exc).__name__})", method=method, url=self._full(path)
                ) from exc
            raise HelpdeskConnectionError(f"{type(exc).__name__}: {exc}", method=method, url=self._full(path)) from exc
        if response.is_success:
            return response
        await response.aread()
        raise error_from_response(response)

    def _full(self, path: str) -> str:
        return str(self._http.base_url.join(path))


# ---- helpers ------------------------------------------------------------------------------------------------


def _ticket_path(id: int, action: str | None = None) -> str:
    """`/api/TicketsApi[/{action}]/{id}`; the id must be a positive int, so nothing but digits reaches the path."""
    if isinstance(id, bool) or not isinstance(id, int) or id < 1:
        raise ValueError(f"a ticket id is a positive whole number, not {id!r}")
    return f"{API_PATH}/{action}/{id}" if action else f"{API_PATH}/{id}"


def _same_id(path_id: int, form_id: int, name: str) -> None:
    # The API refuses a body whose id differs from the path's; refusing here keeps such a request from being sent.
    if form_id != path_id:
        raise ValueError(f"the form's {name} is {form_id}, but the request is for ticket {path_id}")


def _list_type(value: ListType | str) -> ListType:
    try:
        return ListType(value)
    except ValueError:
        raise ValueError(f"unknown list type {value!r}; use one of: {', '.join(ListType)}") from None


def _search_field(value: SearchField | str) -> SearchField:
    try:
        return SearchField(value)
    except ValueError:
        raise ValueError(f"unknown search field {value!r}; use one of: {', '.join(SearchField)}") from None


def _parts(form: WriteForm) -> Parts:
    """The form's fields as plain parts (a None filename), then its uploads as file parts. Fields travel as
    parts even without uploads, so every body is multipart/form-data as the API requires."""
    parts: Parts = [(name, (None, value)) for name, value in form.to_form()]
    parts += [("Uploads", (filename, content, content_type)) for filename, content, content_type in form.uploads()]
    return parts


def _total_count(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _unexpected(response: httpx.Response, detail: str) -> HelpdeskResponseError:
    return HelpdeskResponseError(
        detail, status=response.status_code, method=response.request.method, url=str(response.request.url)
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise _unexpected(response, f"the answer is not JSON: {response.text[:200]!r}") from None


def _shape_error(response: httpx.Response, exc: ValidationError) -> HelpdeskResponseError:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the body"
    return _unexpected(
        response, f"unexpected answer shape: {exc.error_count()} error(s), first at {where}: {first['msg']}"
    )


def _parse(response: httpx.Response, model: type[M]) -> M:
    try:
        return model.model_validate(_json(response))
    except ValidationError as exc:
        raise _shape_error(response, exc) from None


@lru_cache(maxsize=8)
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    # Building a TypeAdapter compiles a validator; do it once per model, not once per page.
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _parse_list(response: httpx.Response, model: type[M]) -> list[M]:
    try:
        return _list_adapter(model).validate_python(_json(response))
    except ValidationError as exc:
        raise _shape_error(response, exc) from None
