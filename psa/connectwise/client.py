"""`ConnectWiseClient`: the one place that knows ConnectWise's wire format.

It owns URLs, auth headers, query parameters (conditions, orderBy, fields, paging), the switch to
`POST .../search` for long conditions, PATCH bodies, retries and error mapping. Callers pass resource paths
(`/service/tickets/5`) and pydantic models; they never build query strings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from psa.connectwise.auth import auth_headers
from psa.connectwise.conditions import Condition, fields_param, render
from psa.connectwise.errors import (
    ConnectWiseConnectionError,
    ConnectWiseError,
    ConnectWiseResponseError,
    ConnectWiseTimeoutError,
    error_from_response,
)
from psa.connectwise.models import Count, PatchOperation
from psa.connectwise.paging import (
    DEFAULT_PAGE_SIZE,
    FORWARD_ONLY_HEADERS,
    ResultPage,
    check_page_size,
    iterate_forward_only,
    iterate_navigable,
    page_id_from_link,
    parse_link_header,
)
from psa.connectwise.retry import RetryPolicy, send_with_retry
from psa.connectwise.settings import ConnectWiseSettings

M = TypeVar("M", bound=BaseModel)

# The developer guide recommends URLs of at most 2,000 characters; past that, conditions go in a search body.
MAX_URL_LENGTH = 2000

ConditionsArg = Condition | str | None


class ConnectWiseClient:
    """Async client for one ConnectWise site; one pooled `httpx.AsyncClient` per instance.

    Use as `async with ConnectWiseClient(settings) as cw: ...` or call `aclose()`.
    """

    def __init__(
        self,
        settings: ConnectWiseSettings,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_url_length: int = MAX_URL_LENGTH,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy(max_attempts=settings.max_attempts)
        self.max_url_length = max_url_length
        self._http = httpx.AsyncClient(
            base_url=settings.api_root + "/",
            headers=auth_headers(settings),
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            transport=transport,
            follow_redirects=False,  # a redirect would resend credentials to wherever it points
        )

    async def __aenter__(self) -> ConnectWiseClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- transport ------------------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one logical request (with retries per `RetryPolicy`); raise a typed error unless 2xx."""
        url = _relative(path)
        method = method.upper()

        async def send() -> httpx.Response:
            return await self._http.request(method, url, params=params, json=json, headers=headers)

        try:
            response = await send_with_retry(send, method, self.retry, idempotent=idempotent)
        except httpx.TimeoutException as exc:
            raise ConnectWiseTimeoutError(
                f"no answer within the timeout ({type(exc).__name__})", method=method, url=self._full(url)
            ) from exc
        except httpx.TransportError as exc:
            raise ConnectWiseConnectionError(
                f"{type(exc).__name__}: {exc}", method=method, url=self._full(url)
            ) from exc
        if response.is_success:
            return response
        await response.aread()
        raise error_from_response(response)

    def _full(self, relative: str) -> str:
        return str(self._http.base_url.join(relative))

    # ---- reads ----------------------------------------------------------------------------------------------

    async def get(self, path: str, model: type[M], *, fields: Sequence[str] | None = None) -> M:
        params = {"fields": fields_param(fields)} if fields else None
        response = await self.request("GET", path, params=params)
        return _parse(response, model)

    async def get_raw(self, path: str, *, params: Mapping[str, str | int] | None = None) -> Any:
        """Decoded JSON of a GET, for endpoints without a model."""
        response = await self.request("GET", path, params=params)
        return _json(response)

    async def list(
        self,
        path: str,
        model: type[M],
        *,
        conditions: ConditionsArg = None,
        child_conditions: ConditionsArg = None,
        custom_field_conditions: ConditionsArg = None,
        order_by: str | None = None,
        fields: Sequence[str] | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> ResultPage[M]:
        """One navigable page; `has_more`/`next_page` come from the Link header."""
        if page < 1:
            raise ValueError("page starts at 1")
        query = _query(conditions, child_conditions, custom_field_conditions, order_by, fields)
        response = await self._fetch(path, query, {"page": page, "pageSize": check_page_size(page_size)})
        link_value = response.headers.get("Link")
        return ResultPage(
            items=_parse_list(response, model),
            page=page,
            page_size=page_size,
            links=parse_link_header(link_value),
            has_link_header=link_value is not None,
        )

    def iterate(
        self,
        path: str,
        model: type[M],
        *,
        conditions: ConditionsArg = None,
        child_conditions: ConditionsArg = None,
        custom_field_conditions: ConditionsArg = None,
        order_by: str | None = None,
        fields: Sequence[str] | None = None,
        page_size: int = 100,
        forward_only: bool = True,
        max_items: int | None = None,
    ) -> AsyncIterator[M]:
        """Every matching record, lazily, up to `max_items`.

        Forward-only (default) is id-ordered and cannot take `order_by`; pass `forward_only=False` to page
        with `page=N` in a chosen order.
        """
        check_page_size(page_size)
        query = _query(conditions, child_conditions, custom_field_conditions, order_by, fields)
        if forward_only:
            if order_by:
                raise ValueError("forward-only paging is always by id; drop order_by or use forward_only=False")

            async def fetch_after(page_id: int | None) -> tuple[list[M], int | None]:
                paging: dict[str, str | int] = {"pageSize": page_size}
                if page_id is not None:
                    paging["pageId"] = page_id
                response = await self._fetch(path, query, paging, headers=FORWARD_ONLY_HEADERS)
                items = _parse_list(response, model)
                next_link = parse_link_header(response.headers.get("Link")).get("next")
                next_id = page_id_from_link(next_link) if next_link else None
                if next_id is None and items:
                    # The cursor is the last id seen; fall back to it if the link is missing or odd.
                    next_id = getattr(items[-1], "id", None)
                return items, next_id

            return iterate_forward_only(fetch_after, page_size=page_size, max_items=max_items)

        async def fetch_page(number: int) -> ResultPage[M]:
            return await self.list(
                path,
                model,
                conditions=conditions,
                child_conditions=child_conditions,
                custom_field_conditions=custom_field_conditions,
                order_by=order_by,
                fields=fields,
                page=number,
                page_size=page_size,
            )

        return iterate_navigable(fetch_page, max_items=max_items)

    async def count(
        self,
        path: str,
        *,
        conditions: ConditionsArg = None,
        child_conditions: ConditionsArg = None,
        custom_field_conditions: ConditionsArg = None,
    ) -> int:
        """`GET {path}/count` -> {"count": N}."""
        query = _query(conditions, child_conditions, custom_field_conditions, None, None)
        response = await self.request("GET", _relative(path).rstrip("/") + "/count", params=query or None)
        return _parse(response, Count).count

    async def _fetch(
        self,
        path: str,
        query: dict[str, str],
        paging: Mapping[str, str | int],
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """GET the listing, or POST `{path}/search` with the filters in the body when the URL would be too long.

        Paging parameters stay in the query string either way: they are short, and it keeps one paging code path.
        """
        params: dict[str, str | int] = {**query, **paging}
        url = self._http.base_url.join(_relative(path)).copy_merge_params(params)
        if len(str(url)) <= self.max_url_length:
            return await self.request("GET", path, params=params, headers=headers)
        return await self.request(
            "POST",
            _relative(path).rstrip("/") + "/search",
            params=dict(paging),
            json=query,
            headers=headers,
            idempotent=True,
        )

    # ---- writes ---------------------------------------------------------------------------------------------

    async def post(self, path: str, body: BaseModel | Mapping[str, Any], model: type[M]) -> M:
        response = await self.request("POST", path, json=_body(body))
        return _parse(response, model)

    async def put(self, path: str, body: BaseModel | Mapping[str, Any], model: type[M]) -> M:
        response = await self.request("PUT", path, json=_body(body))
        return _parse(response, model)

    async def patch(self, path: str, ops: Sequence[PatchOperation], model: type[M]) -> M:
        """PATCH with a JSON array of {op, path, value}; references are replaced whole (see PatchOperation)."""
        if not ops:
            raise ValueError("PATCH needs at least one operation")
        response = await self.request("PATCH", path, json=[op.to_cw() for op in ops])
        return _parse(response, model)

    async def delete(self, path: str) -> None:
        await self.request("DELETE", path)


# ---- helpers ------------------------------------------------------------------------------------------------


def _relative(path: str) -> str:
    """`/service/tickets/5` -> `service/tickets/5`, relative to the API root. Query strings are not allowed
    here: parameters go through the typed arguments so they are encoded, never concatenated."""
    cleaned = path.strip().lstrip("/")
    if not cleaned or "?" in cleaned or "#" in cleaned or "://" in cleaned:
        raise ValueError(f"invalid resource path {path!r}")
    if any(segment in ("", ".", "..") for segment in cleaned.rstrip("/").split("/")):
        raise ValueError(f"invalid resource path {path!r}")
    return cleaned


def _query(
    conditions: ConditionsArg,
    child_conditions: ConditionsArg,
    custom_field_conditions: ConditionsArg,
    order_by: str | None,
    fields: Sequence[str] | None,
) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in (
        ("conditions", render(conditions)),
        ("childConditions", render(child_conditions)),
        ("customFieldConditions", render(custom_field_conditions)),
    ):
        if value:
            query[name] = value
    if order_by:
        query["orderBy"] = order_by
    if fields:
        query["fields"] = fields_param(fields)
    return query


def _body(body: BaseModel | Mapping[str, Any]) -> Any:
    if isinstance(body, BaseModel):
        to_cw = getattr(body, "to_cw", None)
        return to_cw() if callable(to_cw) else body.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dict(body)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ConnectWiseResponseError(
            f"response is not JSON: {response.text[:200]!r}",
            status=response.status_code,
            method=response.request.method,
            url=str(response.request.url),
        ) from exc


def _parse(response: httpx.Response, model: type[M]) -> M:
    try:
        return model.model_validate(_json(response))
    except ValidationError as exc:
        raise _shape_error(response, exc) from exc


@lru_cache(maxsize=64)
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    # Building a TypeAdapter compiles a validator; do it once per model, not once per page.
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _parse_list(response: httpx.Response, model: type[M]) -> list[M]:
    try:
        return _list_adapter(model).validate_python(_json(response))
    except ValidationError as exc:
        raise _shape_error(response, exc) from exc


def _shape_error(response: httpx.Response, exc: ValidationError) -> ConnectWiseError:
    return ConnectWiseResponseError(
        f"unexpected response shape: {exc.error_count()} error(s), first: {exc.errors()[0]['msg']}",
        status=response.status_code,
        method=response.request.method,
        url=str(response.request.url),
    )
