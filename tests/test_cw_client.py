"""Client wire format, paging, retries and error mapping, against an in-process mock transport."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from psa.connectwise.client import ConnectWiseClient
from psa.connectwise.conditions import C
from psa.connectwise.errors import (
    ConnectWiseAuthError,
    ConnectWiseConnectionError,
    ConnectWiseNotFoundError,
    ConnectWiseRateLimitError,
    ConnectWiseServerError,
    ConnectWiseTimeoutError,
    ConnectWiseValidationError,
    parse_retry_after,
)
from psa.connectwise.models import PatchOperation, Ticket, TicketCreate
from psa.connectwise.paging import ResultPage, page_id_from_link, parse_link_header
from psa.connectwise.retry import RetryPolicy
from psa.connectwise.settings import ConnectWiseSettings

pytestmark = pytest.mark.anyio

BASE = "http://cw.test/v4_6_release/apis/3.0"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def make_client(handler: Handler, rec: Recorder, attempts: int = 3, **kw: object) -> ConnectWiseClient:
    def record(request: httpx.Request) -> httpx.Response:
        rec.requests.append(request)
        return handler(request)

    policy = RetryPolicy(max_attempts=attempts, sleep=rec.sleep, max_retry_after=5)
    return ConnectWiseClient(
        ConnectWiseSettings.sandbox("http://cw.test"), retry=policy, transport=httpx.MockTransport(record), **kw  # type: ignore[arg-type]
    )


# ---- pure helpers ------------------------------------------------------------------------------------------


def test_link_header_parsing() -> None:
    value = (
        '<https://s/v2017_3/apis/3.0/company/companies?pageSize=50&page=3>; rel="next", '
        '<https://s/x?pageSize=50&page=1>; rel="prev", <https://s/x?a=1,2&page=4>; rel=last'
    )
    links = parse_link_header(value)
    assert links["next"].endswith("page=3")
    assert links["last"] == "https://s/x?a=1,2&page=4"
    assert parse_link_header(None) == {} and parse_link_header("garbage") == {}
    assert page_id_from_link("https://s/x?pageSize=10&pageId=77") == 77


def test_result_page_has_more() -> None:
    with_link = ResultPage(items=[1], page=2, page_size=1, links={"next": "u?page=3"}, has_link_header=True)
    assert with_link.has_more and with_link.next_page == 3
    last = ResultPage(items=[1], page=3, page_size=1, links={"first": "u"}, has_link_header=True)
    assert not last.has_more and last.next_page is None
    no_header = ResultPage(items=[1, 2], page=1, page_size=2)
    assert no_header.has_more and no_header.next_page == 2


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=10), usegmt=True), now=now) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("-4") == 0.0


def test_backoff_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=4)
    samples = [policy.backoff(n) for n in range(10) for _ in range(20)]
    assert all(0 <= s <= 4 for s in samples) and len(set(samples)) > 10


def test_retry_decisions() -> None:
    p = RetryPolicy()
    assert p.should_retry_status("GET", 429) and p.should_retry_status("PUT", 503)
    assert not p.should_retry_status("POST", 503) and not p.should_retry_status("PATCH", 429)
    assert not p.should_retry_status("GET", 400)
    req = httpx.Request("POST", "http://x")
    assert p.should_retry_error("POST", httpx.ConnectError("refused", request=req))
    assert not p.should_retry_error("POST", httpx.ReadTimeout("slow", request=req))
    assert p.should_retry_error("GET", httpx.ReadTimeout("slow", request=req))


# ---- requests on the wire ---------------------------------------------------------------------------------


async def test_headers_and_list_params() -> None:
    rec = Recorder()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 1, "summary": "a"}], headers={"Link": ""})

    async with make_client(handler, rec) as cw:
        page = await cw.list(
            "/service/tickets",
            Ticket,
            conditions=C.field("summary").contains('a "b" & c'),
            order_by="id desc",
            fields=["id", "summary"],
            page=2,
            page_size=10,
        )
    req = rec.requests[0]
    assert req.method == "GET" and str(req.url).startswith(BASE + "/service/tickets?")
    assert req.url.params["conditions"] == 'summary contains "a \\"b\\" & c"'
    assert req.url.params["orderBy"] == "id desc" and req.url.params["fields"] == "id,summary"
    assert req.url.params["page"] == "2" and req.url.params["pageSize"] == "10"
    assert req.headers["clientId"] == "sandbox-client"
    assert req.headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.8"
    assert base64.b64decode(req.headers["Authorization"][6:]) == b"sandbox+sandbox-public:sandbox-private"
    assert page.items[0].summary == "a" and not page.has_more


async def test_paths_are_validated() -> None:
    async with make_client(lambda r: httpx.Response(200, json={}), Recorder()) as cw:
        for bad in ["", "/service/tickets?x=1", "../etc", "http://evil/x", "a//b"]:
            with pytest.raises(ValueError):
                await cw.get(bad, Ticket)
        with pytest.raises(ValueError):
            await cw.list("/service/tickets", Ticket, page_size=1001)


async def test_navigable_iteration_follows_link_next() -> None:
    rec = Recorder()
    data = [{"id": i} for i in range(1, 8)]

    def handler(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["pageSize"])
        chunk = data[(page - 1) * size : page * size]
        links = [f'<{BASE}/service/tickets?page=1&pageSize={size}>; rel="first"']
        if page * size < len(data):
            links.append(f'<{BASE}/service/tickets?page={page + 1}&pageSize={size}>; rel="next"')
        return httpx.Response(200, json=chunk, headers={"Link": ", ".join(links)})

    async with make_client(handler, rec) as cw:
        ids = [t.id async for t in cw.iterate("/service/tickets", Ticket, page_size=3, forward_only=False)]
        assert ids == list(range(1, 8)) and len(rec.requests) == 3
        capped = [t.id async for t in cw.iterate("/service/tickets", Ticket, page_size=3, forward_only=False, max_items=4)]
        assert capped == [1, 2, 3, 4] and len(rec.requests) == 5


async def test_forward_only_iteration_uses_page_id() -> None:
    rec = Recorder()
    data = [{"id": i} for i in (2, 3, 5, 8, 13, 21, 34)]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["pagination-type"] == "forward-only"
        assert "page" not in request.url.params and "orderBy" not in request.url.params
        after = int(request.url.params.get("pageId", 0))
        size = int(request.url.params["pageSize"])
        chunk = [d for d in data if d["id"] > after][:size]
        last = chunk[-1]["id"] if chunk else after
        return httpx.Response(200, json=chunk, headers={"Link": f'<{BASE}/x?pageSize={size}&pageId={last}>; rel="next"'})

    async with make_client(handler, rec) as cw:
        ids = [t.id async for t in cw.iterate("/service/tickets", Ticket, page_size=3)]
        with pytest.raises(ValueError):
            cw.iterate("/service/tickets", Ticket, order_by="id desc")
    assert ids == [2, 3, 5, 8, 13, 21, 34]
    assert [r.url.params.get("pageId") for r in rec.requests] == [None, "5", "21"]


async def test_long_conditions_go_to_search() -> None:
    rec = Recorder()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 1}])

    long_cond = C.field("id").in_(list(range(1, 600)))
    async with make_client(handler, rec) as cw:
        await cw.list("/service/tickets", Ticket, conditions=long_cond, order_by="id desc", page=2, page_size=50)
    req = rec.requests[0]
    assert req.method == "POST" and req.url.path.endswith("/service/tickets/search")
    assert req.url.params["page"] == "2" and req.url.params["pageSize"] == "50"
    body = json.loads(req.content)
    assert body == {"conditions": str(long_cond), "orderBy": "id desc"}


async def test_count_and_writes() -> None:
    rec = Recorder()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/count"):
            return httpx.Response(200, json={"count": 42})
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(201 if request.method == "POST" else 200, json={"id": 9, "summary": "s"})

    async with make_client(handler, rec) as cw:
        assert await cw.count("/service/tickets", conditions=C.field("closedFlag") == False) == 42  # noqa: E712
        await cw.post("/service/tickets", TicketCreate(summary="s", company={"id": 1}), Ticket)
        await cw.patch("/service/tickets/9", [PatchOperation.replace("status", {"id": 3})], Ticket)
        await cw.delete("/service/tickets/9")
    count_req, post_req, patch_req, delete_req = rec.requests
    assert count_req.url.path.endswith("/service/tickets/count") and count_req.url.params["conditions"] == "closedFlag = false"
    assert json.loads(post_req.content) == {"summary": "s", "company": {"id": 1}}
    assert json.loads(patch_req.content) == [{"op": "replace", "path": "status", "value": {"id": 3}}]
    assert delete_req.method == "DELETE"


# ---- retries and errors -----------------------------------------------------------------------------------


async def test_get_429_then_success_honours_retry_after() -> None:
    rec = Recorder()
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}, json={"code": "Throttled", "message": "slow down"}),
                    httpx.Response(200, json={"id": 1})])
    async with make_client(lambda r: next(answers), rec) as cw:
        ticket = await cw.get("/service/tickets/1", Ticket)
    assert ticket.id == 1 and rec.sleeps == [2.0] and len(rec.requests) == 2


async def test_retry_after_is_capped() -> None:
    rec = Recorder()
    answers = iter([httpx.Response(503, headers={"Retry-After": "3600"}), httpx.Response(200, json={"id": 1})])
    async with make_client(lambda r: next(answers), rec) as cw:
        await cw.get("/service/tickets/1", Ticket)
    assert rec.sleeps == [5]


async def test_get_gives_up_after_max_attempts() -> None:
    rec = Recorder()
    async with make_client(lambda r: httpx.Response(502, text="bad gateway"), rec, attempts=3) as cw:
        with pytest.raises(ConnectWiseServerError) as info:
            await cw.get("/service/tickets/1", Ticket)
    assert len(rec.requests) == 3 and len(rec.sleeps) == 2
    assert info.value.status == 502 and "try again" in str(info.value)


async def test_post_and_patch_are_not_retried_on_server_errors() -> None:
    rec = Recorder()
    async with make_client(lambda r: httpx.Response(500, json={"code": "Oops", "message": "boom"}), rec) as cw:
        with pytest.raises(ConnectWiseServerError, match="boom"):
            await cw.post("/service/tickets/1/notes", {"text": "x", "internalAnalysisFlag": True}, Ticket)
        with pytest.raises(ConnectWiseServerError):
            await cw.patch("/service/tickets/1", [PatchOperation.replace("summary", "x")], Ticket)
    assert [r.method for r in rec.requests] == ["POST", "PATCH"] and rec.sleeps == []


async def test_post_retried_only_when_never_sent() -> None:
    rec = Recorder()
    calls = {"n": 0}

    def refuse_once(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(201, json={"id": 5})

    async with make_client(refuse_once, rec) as cw:
        assert (await cw.post("/service/tickets", {"summary": "s"}, Ticket)).id == 5
    assert len(rec.requests) == 2

    rec2 = Recorder()

    def read_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with make_client(read_timeout, rec2) as cw:
        with pytest.raises(ConnectWiseTimeoutError, match="check whether it was applied"):
            await cw.post("/service/tickets", {"summary": "s"}, Ticket)
        assert len(rec2.requests) == 1
        with pytest.raises(ConnectWiseTimeoutError):
            await cw.get("/service/tickets/1", Ticket)
        assert len(rec2.requests) == 4  # 1 POST + 3 GET attempts


async def test_connection_error_typed() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with make_client(refuse, Recorder(), attempts=2) as cw:
        with pytest.raises(ConnectWiseConnectionError, match="CW_SITE"):
            await cw.get("/service/tickets/1", Ticket)


@pytest.mark.parametrize(
    ("status", "error", "phrase"),
    [
        (400, ConnectWiseValidationError, "summary"),
        (401, ConnectWiseAuthError, "CW_PUBLIC_KEY"),
        (404, ConnectWiseNotFoundError, "deleted"),
        (429, ConnectWiseRateLimitError, "throttling"),
    ],
)
async def test_errors_are_typed(status: int, error: type[Exception], phrase: str) -> None:
    body = {"code": "X", "message": "CW says no", "errors": [{"code": "Req", "message": "required", "resource": "ticket", "field": "summary"}]}
    async with make_client(lambda r: httpx.Response(status, json=body), Recorder(), attempts=1) as cw:
        with pytest.raises(error) as info:
            await cw.get("/service/tickets/1", Ticket)
    assert phrase in str(info.value) and "CW says no" in str(info.value)
    assert info.value.status == status  # type: ignore[attr-defined]
