"""The read tools end to end: MCP client (in process) -> server -> ConnectWiseProvider -> real loopback HTTP ->
the ConnectWise sandbox (one per session, 60 seeded tickets, a temporary database)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from mcp import Client

from guardrails.policy import Policy
from psa.connectwise.auth import auth_headers
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from server import build_server

pytestmark = pytest.mark.anyio

TICKETS = 60
KEY_FIELDS = ("id", "summary", "board", "status", "company", "priority", "entered", "updated", "closed")
COMPACT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    db = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    running = start_sandbox(host="127.0.0.1", port=0, db_path=db, seed=42, tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def settings(sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(sandbox.url)


@pytest.fixture
async def client(settings: ConnectWiseSettings) -> AsyncIterator[Client]:
    async with ConnectWiseProvider.from_settings(settings) as provider:
        async with Client(build_server(provider, Policy())) as c:
            yield c


async def call(client: Client, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await client.call_tool(name, args or {})
    assert not result.is_error, f"{name}({args}) failed: {result.content[0].text if result.content else ''}"
    assert result.structured_content is not None
    # The text twin is the same data, compact.
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def call_error(client: Client, name: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(name, args)
    assert result.is_error, f"{name}({args}) should have failed"
    text = result.content[0].text
    assert "Traceback" not in text
    return text


async def all_tickets(client: Client, **filters: Any) -> list[dict[str, Any]]:
    """Every ticket matching `filters`, walking the pages the way a model would (next_page)."""
    items: list[dict[str, Any]] = []
    page: int | None = 1
    while page is not None:
        result = await call(client, "search_tickets", {"page_size": 100, "page": page, **filters})
        items.extend(result["items"])
        page = result.get("next_page")
        assert page is None or result["has_more"]
    return items


# ---- search_tickets -------------------------------------------------------------------------------------------


async def test_search_without_arguments_gives_newest_tickets(client: Client) -> None:
    result = await call(client, "search_tickets")
    items = result["items"]
    assert 10 <= len(items) <= 25
    ids = [t["id"] for t in items]
    assert ids == sorted(ids, reverse=True)
    everything = await all_tickets(client)
    assert len(everything) >= TICKETS
    assert ids == [t["id"] for t in everything][: len(ids)]
    assert result["has_more"] is True and result["next_page"] == 2
    for t in items:
        for field in KEY_FIELDS:
            assert field in t, (field, t)
        assert COMPACT_DATE.match(t["entered"]) and COMPACT_DATE.match(t["updated"])
        assert isinstance(t["board"], str) and isinstance(t["status"], str) and isinstance(t["company"], str)


async def test_search_paging(client: Client) -> None:
    total = len(await all_tickets(client))
    pages: list[dict[str, Any]] = [await call(client, "search_tickets", {"page_size": 25})]
    while pages[-1]["has_more"]:
        assert pages[-1]["next_page"] == pages[-1]["page"] + 1
        pages.append(await call(client, "search_tickets", {"page": pages[-1]["next_page"], "page_size": 25}))
    assert len(pages) == -(-total // 25) >= 3
    assert "next_page" not in pages[-1]
    assert all(len(p["items"]) == 25 for p in pages[:-1]) and 1 <= len(pages[-1]["items"]) <= 25
    ids = [t["id"] for page in pages for t in page["items"]]
    assert len(ids) == len(set(ids)) == total
    assert ids == sorted(ids, reverse=True)
    past_end = await call(client, "search_tickets", {"page": len(pages) + 5, "page_size": 25})
    assert past_end["items"] == [] and past_end["has_more"] is False


async def test_search_filters(client: Client) -> None:
    everything = await all_tickets(client)
    sample = everything[len(everything) // 2]

    async def search(**args: Any) -> list[dict[str, Any]]:
        items = await all_tickets(client, **args)
        assert items, args
        return items

    for field in ("board", "status", "company", "priority"):
        items = await search(**{field: sample[field]})
        assert all(t[field] == sample[field] for t in items), field
        assert sample["id"] in {t["id"] for t in items}
        assert len(items) == sum(1 for t in everything if t[field] == sample[field]), field

    if "owner" in sample:
        items = await search(owner=sample["owner"])
        assert all(t.get("owner") == sample["owner"] for t in items)
    if "contact" in sample:
        items = await search(contact=sample["contact"])
        assert sample["id"] in {t["id"] for t in items}

    word = max(re.findall(r"[A-Za-z]{4,}", sample["summary"]), key=len)
    items = await search(text=word)
    assert sample["id"] in {t["id"] for t in items}
    assert all(word.lower() in t["summary"].lower() for t in items)

    open_items = await all_tickets(client, is_open=True)
    closed_items = await all_tickets(client, is_open=False)
    assert all(not t["closed"] for t in open_items) and all(t["closed"] for t in closed_items)
    assert len(open_items) + len(closed_items) == len(everything)

    combined = await search(board=sample["board"], status=sample["status"])
    assert all(t["board"] == sample["board"] and t["status"] == sample["status"] for t in combined)

    nothing = await call(client, "search_tickets", {"company": "No Such Company Ltd"})
    assert nothing["items"] == [] and nothing["has_more"] is False


async def test_search_date_ranges(client: Client) -> None:
    everything = await all_tickets(client)
    entered = sorted(datetime.strptime(t["entered"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC) for t in everything)
    pivot = entered[len(entered) // 2]
    after = await all_tickets(client, entered_after=pivot.isoformat())
    before = await all_tickets(client, entered_before=pivot.isoformat())
    assert after and before
    assert len(after) + len(before) == len(everything)
    assert all(t["entered"] >= pivot.strftime("%Y-%m-%dT%H:%MZ") for t in after)
    window = await all_tickets(
        client,
        entered_after=(pivot - timedelta(days=3650)).date().isoformat(),
        entered_before=(pivot + timedelta(minutes=1)).isoformat(),
    )
    assert {t["id"] for t in before} <= {t["id"] for t in window}

    updated = sorted(t["updated"] for t in everything)
    recent = await all_tickets(client, updated_after=updated[-5].replace("Z", ":00Z"))
    assert recent and all(t["updated"] >= updated[-5] for t in recent)

    text = await call_error(
        client, "search_tickets", {"entered_after": "2025-02-01", "entered_before": "2025-01-01"}
    )
    assert "entered_after" in text


async def test_search_expert_conditions(client: Client) -> None:
    everything = await all_tickets(client)
    pivot = everything[10]["id"]
    items = await all_tickets(client, conditions=f"id <= {pivot}")
    assert {t["id"] for t in items} == {t["id"] for t in everything if t["id"] <= pivot}
    # ANDed with the typed filters.
    closed = await all_tickets(client, conditions=f"id <= {pivot}", is_open=False)
    assert all(t["closed"] and t["id"] <= pivot for t in closed)


async def test_bad_conditions_are_a_clear_tool_error(client: Client) -> None:
    # Refused locally (unbalanced), then by ConnectWise (unknown operator): both are readable tool errors.
    text = await call_error(client, "search_tickets", {"conditions": 'summary contains "x" and ('})
    assert "conditions" in text and "parenthesis" in text
    text = await call_error(client, "search_tickets", {"conditions": 'summary contians "x"'})
    assert "ConnectWise" in text


async def test_injection_in_typed_filters_is_inert(client: Client) -> None:
    result = await call(client, "search_tickets", {"company": 'x" or id > 0 or company/name = "y'})
    assert result["items"] == []


# ---- get_ticket -----------------------------------------------------------------------------------------------


async def _ticket_with_notes(client: Client, minimum: int = 2) -> dict[str, Any]:
    for t in await all_tickets(client):
        detail = await call(client, "get_ticket", {"ticket_id": t["id"]})
        if detail.get("notes", {}).get("total", 0) >= minimum:
            return detail
    pytest.fail(f"no seeded ticket has {minimum}+ notes")


async def test_get_ticket_has_company_contact_configurations_and_notes_overview(client: Client) -> None:
    everything = await all_tickets(client)
    listed = everything[0]
    detail = await call(client, "get_ticket", {"ticket_id": listed["id"]})
    for field in ("id", "summary", "board", "status", "company", "priority", "entered", "updated", "closed"):
        assert field in detail, field
    assert detail["id"] == listed["id"] and detail["summary"] == listed["summary"]
    assert detail["board"] == listed["board"] and detail["status"] == listed["status"]
    assert detail["company"]["name"] == listed["company"] or detail["company"]["identifier"] == listed["company"]
    assert "id" in detail["company"]
    if "contact" in listed:
        assert detail["contact"]["name"] == listed["contact"]
    assert isinstance(detail["configurations"], list)

    with_configs = None
    for t in everything:
        d = await call(client, "get_ticket", {"ticket_id": t["id"]})
        if d["configurations"]:
            with_configs = d
            break
    if with_configs is not None:
        assert all("id" in c and ("name" in c or "device" in c) for c in with_configs["configurations"])

    detail = await _ticket_with_notes(client)
    notes = detail["notes"]
    assert notes["complete"] is True
    assert sum(notes["by_kind"].values()) == notes["total"]
    assert set(notes["by_kind"]) <= {"description", "internal_analysis", "resolution", "other"}
    assert notes["first"]["kind"] in notes["by_kind"] and notes["last"]["kind"] in notes["by_kind"]
    assert notes["first"]["id"] < notes["last"]["id"]
    assert len(notes["first"].get("text", "")) <= 300 + 60  # excerpt + truncation marker
    assert "list_ticket_notes" in notes["hint"]


async def test_get_unknown_ticket_is_a_clear_error(client: Client) -> None:
    text = await call_error(client, "get_ticket", {"ticket_id": 987654})
    assert "987654" in text and "not found" in text and "search_tickets" in text


# ---- list_ticket_notes ----------------------------------------------------------------------------------------


async def test_list_ticket_notes_oldest_first_and_paged(client: Client) -> None:
    detail = await _ticket_with_notes(client, minimum=3)
    tid, total = detail["id"], detail["notes"]["total"]
    full = await call(client, "list_ticket_notes", {"ticket_id": tid, "page_size": 100})
    assert full["ticket_id"] == tid and len(full["items"]) == total and full["has_more"] is False
    ids = [n["id"] for n in full["items"]]
    assert ids == sorted(ids)
    assert full["items"][0]["id"] == detail["notes"]["first"]["id"]
    assert full["items"][-1]["id"] == detail["notes"]["last"]["id"]
    for n in full["items"]:
        assert n["kind"] in {"description", "internal_analysis", "resolution", "other"}
        assert isinstance(n["internal"], bool) and COMPACT_DATE.match(n["created"])
        if n["kind"] == "internal_analysis":
            assert n["internal"] is True

    page1 = await call(client, "list_ticket_notes", {"ticket_id": tid, "page_size": 2})
    assert page1["has_more"] is True and page1["next_page"] == 2
    page2 = await call(client, "list_ticket_notes", {"ticket_id": tid, "page": 2, "page_size": 2})
    assert [n["id"] for n in page1["items"] + page2["items"]] == ids[:4][: len(page1["items"]) + len(page2["items"])]


# ---- list_boards, find_companies ------------------------------------------------------------------------------


async def test_list_boards_with_statuses_marking_closed(client: Client) -> None:
    boards = (await call(client, "list_boards"))["boards"]
    assert boards
    names = {b["name"] for b in boards}
    everything = await all_tickets(client)
    assert {t["board"] for t in everything} <= names
    for board in boards:
        assert board["statuses"], board["name"]
        assert any(s["closed"] for s in board["statuses"]), board["name"]
        assert any(not s["closed"] for s in board["statuses"]), board["name"]
    statuses_by_board = {b["name"]: {s["name"]: s["closed"] for s in b["statuses"]} for b in boards}
    for t in everything:
        assert t["status"] in statuses_by_board[t["board"]], t


async def test_find_companies(client: Client) -> None:
    listing = await call(client, "find_companies", {"page_size": 100})
    companies = listing["items"]
    assert companies and listing["has_more"] is False
    target = companies[len(companies) // 2]
    fragment = target["name"].split()[0][:5].lower()
    found = (await call(client, "find_companies", {"name": fragment}))["items"]
    assert target["id"] in {c["id"] for c in found}
    assert all(fragment in (c["name"] + " " + c.get("identifier", "")).lower() for c in found)
    if len(companies) > 2:
        page = await call(client, "find_companies", {"page_size": 2})
        assert page["has_more"] is True and page["next_page"] == 2 and len(page["items"]) == 2
    assert (await call(client, "find_companies", {"name": "zzzz-no-such-company"}))["items"] == []


# ---- output size ----------------------------------------------------------------------------------------------


async def test_search_output_is_compact(client: Client, settings: ConnectWiseSettings) -> None:
    """search_tickets for the newest 25 tickets vs the raw ConnectWise JSON of the same tickets."""
    result = await call(client, "search_tickets", {"page_size": 25})
    items = result["items"]
    async with httpx.AsyncClient(headers=auth_headers(settings), timeout=30) as http:
        response = await http.get(
            settings.api_root + "/service/tickets", params={"orderBy": "id desc", "pageSize": 25, "page": 1}
        )
        response.raise_for_status()
    raw = response.json()
    assert [t["id"] for t in raw] == [t["id"] for t in items]

    compact = len(json.dumps(items, separators=(",", ":"), ensure_ascii=False).encode())
    raw_bytes = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
    wire = len(response.content)
    ratio = compact / raw_bytes
    print(
        f"\nsearch_tickets, newest 25: compact view {compact} B vs raw ConnectWise {raw_bytes} B "
        f"(as served: {wire} B) = {ratio:.1%} ({compact / len(items):.0f} vs {raw_bytes / len(raw):.0f} B/ticket)"
    )
    assert ratio <= 0.15

    # No key field lost: every value the raw ticket has is in the view.
    for view, original in zip(items, raw, strict=True):
        assert view["id"] == original["id"]
        assert view["summary"] == original["summary"][:200] or view["summary"].startswith(original["summary"][:150])
        assert view["board"] == original["board"]["name"]
        assert view["status"] == original["status"]["name"]
        assert view["company"] in (original["company"].get("name"), original["company"].get("identifier"))
        assert view["priority"] == original["priority"]["name"]
        if original.get("contact"):
            assert view["contact"] == original["contact"].get("name") or view["contact"] == original.get("contactName")
        if original.get("owner"):
            assert view["owner"] in (original["owner"].get("identifier"), original["owner"].get("name"))
        assert view["closed"] == bool(original.get("closedFlag"))
        assert view["entered"][:10] == original["_info"]["dateEntered"][:10]
        assert view["updated"][:10] == original["_info"]["lastUpdated"][:10]


# ---- ConnectWise failures as tool errors ------------------------------------------------------------------------


@pytest.fixture
def faults(sandbox: Any) -> Iterator[Any]:
    sandbox.faults.clear()
    yield sandbox.faults
    sandbox.faults.clear()


async def test_connectwise_errors_become_clear_tool_errors(client: Client, faults: Any) -> None:
    # 503 on every attempt (retries included): a readable error saying it is temporary.
    faults.add(method="GET", path=r"/service/tickets$", status=503, times=None)
    text = await call_error(client, "search_tickets", {})
    assert "503" in text and "try again" in text.lower()
    faults.clear()

    # 403 on the boards: the API member's role is the fix.
    faults.add(method="GET", path=r"/service/boards$", status=403, times=None)
    text = await call_error(client, "list_boards", {})
    assert "403" in text and "security role" in text
    faults.clear()

    # 401 anywhere: the credentials are named.
    faults.add(method="GET", path=r"/company/companies$", status=401, times=None)
    text = await call_error(client, "find_companies", {"name": "a"})
    assert "CW_PUBLIC_KEY" in text


async def test_get_ticket_survives_a_forbidden_secondary_lookup(client: Client, faults: Any) -> None:
    ticket = (await call(client, "search_tickets", {"page_size": 1}))["items"][0]
    faults.add(method="GET", path=r"/company/companies/\d+$", status=403, times=None)
    detail = await call(client, "get_ticket", {"ticket_id": ticket["id"]})
    # Falls back to the ticket's own company reference instead of failing the whole call.
    assert detail["company"]["name"] == ticket["company"] or detail["company"].get("identifier") == ticket["company"]
