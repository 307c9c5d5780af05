"""The technician's day, read tools (issue 11): list_schedule, list_time_entries, find_contacts,
find_configurations and search_tickets' type / contact_email filters, through a real MCP client (in process) ->
server -> ConnectWiseProvider -> loopback HTTP -> the sandbox; every answer checked against the sandbox over
plain HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
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
WINDOW = ("2026-10-19", "2026-11-13")  # around the seed's "now" (2026-11-01)


@pytest.fixture(scope="module")
def day_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    db = tmp_path_factory.mktemp("day-sandbox") / "sandbox.db"
    running = start_sandbox(host="127.0.0.1", port=0, db_path=db, seed=42, tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def settings(day_sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(day_sandbox.url)


@pytest.fixture
async def client(settings: ConnectWiseSettings) -> AsyncIterator[Client]:
    async with ConnectWiseProvider.from_settings(settings) as provider:
        async with Client(build_server(provider, Policy())) as c:
            yield c


async def call(client: Client, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await client.call_tool(name, args or {})
    assert not result.is_error, f"{name}({args}) failed: {result.content[0].text if result.content else ''}"
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def call_error(client: Client, name: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(name, args)
    assert result.is_error, f"{name}({args}) should have failed"
    text = result.content[0].text
    assert "Traceback" not in text
    return text


async def walk(client: Client, name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item, following next_page as a model would."""
    items: list[dict[str, Any]] = []
    page: int | None = 1
    while page is not None:
        result = await call(client, name, {**args, "page": page})
        items.extend(result["items"])
        page = result.get("next_page")
        assert (page is not None) == result["has_more"]
    return items


def rest(settings: ConnectWiseSettings, path: str, **params: Any) -> Any:
    """The sandbox over plain HTTP: every page of a list (or the one document)."""
    out: list[Any] = []
    with httpx.Client(headers=auth_headers(settings), timeout=30) as http:
        page = 1
        while True:
            response = http.get(settings.api_root + path, params={**params, "page": page, "pageSize": 1000})
            response.raise_for_status()
            body = response.json()
            if not isinstance(body, list):
                return body
            out.extend(body)
            if 'rel="next"' not in response.headers.get("Link", ""):
                return out
            page += 1


def busiest_member(settings: ConnectWiseSettings) -> tuple[str, list[dict[str, Any]]]:
    entries = rest(
        settings,
        "/schedule/entries",
        conditions=f"dateStart >= [{WINDOW[0]}T00:00:00Z] and dateStart < [{_next_day(WINDOW[1])}T00:00:00Z]",
        orderBy="dateStart asc",
    )
    by_member: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_member.setdefault(e["member"]["identifier"], []).append(e)
    member = max(sorted(by_member), key=lambda m: len(by_member[m]))
    return member, by_member[member]


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


# ---- list_schedule -------------------------------------------------------------------------------------------


async def test_list_schedule_me_matches_the_sandbox(
    client: Client, settings: ConnectWiseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    member, expected = busiest_member(settings)
    assert len(expected) >= 3
    monkeypatch.setenv("COPILOT_MEMBER", member)
    result = await call(client, "list_schedule", {"date_from": WINDOW[0], "date_to": WINDOW[1], "page_size": 100})
    assert result["member"] == member and (result["date_from"], result["date_to"]) == WINDOW
    assert [i["id"] for i in result["items"]] == [e["id"] for e in expected]
    starts = [i["start"] for i in result["items"]]
    assert starts == sorted(starts)
    for item, raw in zip(result["items"], expected, strict=True):
        assert item["member"] == member and item["hours"] == raw["hours"] and item["done"] == raw["doneFlag"]
        assert item["status"] == raw["status"]["name"]
        ticket = rest(settings, f"/service/tickets/{raw['objectId']}")
        assert item["ticket"]["id"] == ticket["id"] == raw["objectId"]
        assert item["ticket"]["summary"] == ticket["summary"] and item["ticket"]["status"] == ticket["status"]["name"]
        assert item["ticket"]["company"] == ticket["company"]["name"]
        assert "name" not in item  # the ticket's summary says it


async def test_list_schedule_by_identifier_and_paging(client: Client, settings: ConnectWiseSettings) -> None:
    member, expected = busiest_member(settings)
    args = {"member": member, "date_from": WINDOW[0], "date_to": WINDOW[1], "page_size": 2}
    first = await call(client, "list_schedule", args)
    assert len(first["items"]) == 2 and first["has_more"] is True and first["next_page"] == 2
    assert [i["id"] for i in await walk(client, "list_schedule", args)] == [e["id"] for e in expected]
    one_day = expected[0]["dateStart"][:10]
    day = await call(client, "list_schedule", {"member": member, "date_from": one_day, "date_to": one_day})
    assert {i["id"] for i in day["items"]} == {e["id"] for e in expected if e["dateStart"].startswith(one_day)}
    assert day["has_more"] is False and "next_page" not in day


async def test_list_schedule_me_needs_a_member(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COPILOT_MEMBER", raising=False)
    text = await call_error(client, "list_schedule", {"date_from": WINDOW[0]})
    assert "COPILOT_MEMBER" in text and "member='me'" in text
    text = await call_error(client, "list_schedule", {"member": "kbrooks", "date_from": "2026-11-05", "date_to": "2026-11-01"})
    assert "date_from must be on or before date_to" in text


async def test_list_schedule_default_window_is_the_coming_week(client: Client) -> None:
    result = await call(client, "list_schedule", {"member": "kbrooks"})
    first, last = date.fromisoformat(result["date_from"]), date.fromisoformat(result["date_to"])
    assert last - first == timedelta(days=6)


# ---- list_time_entries ---------------------------------------------------------------------------------------


async def test_list_time_entries_for_a_ticket(client: Client, settings: ConnectWiseSettings) -> None:
    entries = rest(settings, "/time/entries", conditions='chargeToType = "ServiceTicket"')
    per_ticket: dict[int, list[dict[str, Any]]] = {}
    for e in entries:
        per_ticket.setdefault(e["chargeToId"], []).append(e)
    ticket_id = max(sorted(per_ticket), key=lambda t: len(per_ticket[t]))
    expected = sorted(per_ticket[ticket_id], key=lambda e: (e["timeStart"], -e["id"]), reverse=True)
    assert len(expected) >= 3
    result = await call(client, "list_time_entries", {"ticket_id": ticket_id, "page_size": 100})
    assert [i["id"] for i in result["items"]] == [e["id"] for e in expected]
    assert result["total_entries"] == len(expected)
    assert result["total_hours"] == pytest.approx(sum(e["actualHours"] for e in expected))
    for item, raw in zip(result["items"], expected, strict=True):
        assert item["ticket_id"] == ticket_id and item["member"] == raw["member"]["identifier"]
        assert item["hours"] == raw["actualHours"] and item["company"] == raw["company"]["name"]
        assert item["ticket"] == raw["ticket"]["summary"]


async def test_list_time_entries_member_dates_totals_and_paging(
    client: Client, settings: ConnectWiseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    lo, hi = "2026-08-01", "2026-10-31"
    entries = rest(
        settings, "/time/entries",
        conditions=f'member/identifier = "anguyen" and timeStart >= [{lo}T00:00:00Z] and timeStart < [2026-11-01T00:00:00Z]',
    )
    assert len(entries) >= 3
    monkeypatch.setenv("COPILOT_MEMBER", "anguyen")
    args = {"member": "me", "date_from": lo, "date_to": hi, "page_size": 2}
    first = await call(client, "list_time_entries", args)
    assert first["has_more"] is True and first["next_page"] == 2 and len(first["items"]) == 2
    # Totals cover every page, not just this one.
    assert first["total_entries"] == len(entries)
    assert first["total_hours"] == pytest.approx(sum(e["actualHours"] for e in entries))
    items = await walk(client, "list_time_entries", args)
    assert sorted(i["id"] for i in items) == sorted(e["id"] for e in entries)
    assert all(i["member"] == "anguyen" and lo <= i["start"][:10] <= hi for i in items)
    starts = [i["start"] for i in items]
    assert starts == sorted(starts, reverse=True)
    nothing = await call(client, "list_time_entries", {"member": "nosuchmember"})
    assert nothing["items"] == [] and nothing["total_entries"] == 0 and nothing["total_hours"] == 0


# ---- find_contacts -------------------------------------------------------------------------------------------


async def test_find_contacts_by_name_email_and_phone(client: Client, settings: ConnectWiseSettings) -> None:
    contacts = rest(settings, "/company/contacts")
    target = contacts[len(contacts) // 2]
    email = next(i["value"] for i in target["communicationItems"] if i["communicationType"] == "Email")
    phone = next(i["value"] for i in target["communicationItems"] if i["communicationType"] == "Phone")
    formatted = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    for query in (target["lastName"], f"{target['firstName']} {target['lastName']}", email, email.upper(), formatted):
        items = await walk(client, "find_contacts", {"query": query, "page_size": 100})
        found = [i for i in items if i["id"] == target["id"]]
        assert found, query
        assert found[0]["company"] == target["company"]["name"]
        assert found[0]["email"] == email and found[0]["phone"] == phone
    by_email = await call(client, "find_contacts", {"query": email})
    assert [i["id"] for i in by_email["items"]] == [target["id"]]
    by_last = await walk(client, "find_contacts", {"query": target["lastName"], "page_size": 100})
    assert {i["id"] for i in by_last} == {c["id"] for c in contacts if target["lastName"].lower() in c["lastName"].lower()
                                          or target["lastName"].lower() in c["firstName"].lower()}


async def test_find_contacts_paging_and_hostile_text(client: Client, settings: ConnectWiseSettings) -> None:
    contacts = rest(settings, "/company/contacts")
    expected = {c["id"] for c in contacts if any("555" in i["value"] for i in c["communicationItems"])}
    first = await call(client, "find_contacts", {"query": "555", "page_size": 10})
    assert first["has_more"] is True and first["next_page"] == 2
    assert {i["id"] for i in await walk(client, "find_contacts", {"query": "555", "page_size": 10})} == expected
    for hostile in ('x" or id > 0 or lastName = "', "a\\\" or 1=1", "*@*"):
        result = await call(client, "find_contacts", {"query": hostile})
        assert result["items"] == []


# ---- find_configurations -------------------------------------------------------------------------------------


async def test_find_configurations_by_each_field(client: Client, settings: ConnectWiseSettings) -> None:
    configs = rest(settings, "/company/configurations")
    target = next(c for c in configs[len(configs) // 2:] if c.get("contact") and c.get("ipAddress"))
    mac_colons = target["macAddress"].replace("-", ":")
    queries = (target["name"], target["serialNumber"], target["contact"]["name"], target["ipAddress"], mac_colons)
    for query in queries:
        items = await walk(client, "find_configurations", {"query": query, "page_size": 100})
        found = [i for i in items if i["id"] == target["id"]]
        assert found, query
        item = found[0]
        assert item["company"] == target["company"]["name"] and item["contact"] == target["contact"]["name"]
        assert item["serial"] == target["serialNumber"] and item["ip"] == target["ipAddress"]
        assert item["mac"] == target["macAddress"] and item["type"] == target["type"]["name"]
    by_serial = await call(client, "find_configurations", {"query": target["serialNumber"]})
    assert [i["id"] for i in by_serial["items"]] == [target["id"]]


async def test_find_configurations_by_company_and_paging(client: Client, settings: ConnectWiseSettings) -> None:
    configs = rest(settings, "/company/configurations")
    company = configs[0]["company"]
    expected = sorted((c for c in configs if c["company"]["id"] == company["id"]), key=lambda c: (c["name"].lower(), c["id"]))
    assert len(expected) > 5
    for name in (company["name"], company["identifier"]):
        args = {"company": name, "page_size": 5}
        first = await call(client, "find_configurations", args)
        assert first["has_more"] is True and first["next_page"] == 2
        assert [i["id"] for i in await walk(client, "find_configurations", args)] == [c["id"] for c in expected]
    narrowed = await call(client, "find_configurations", {"company": company["name"], "query": expected[0]["name"]})
    assert expected[0]["id"] in {i["id"] for i in narrowed["items"]}
    assert all(i["company"] == company["name"] for i in narrowed["items"])
    assert (await call(client, "find_configurations", {"company": "No Such Company Inc"}))["items"] == []


# ---- search_tickets: type and contact_email ------------------------------------------------------------------


async def test_search_tickets_by_type_and_contact_email(client: Client, settings: ConnectWiseSettings) -> None:
    tickets = rest(settings, "/service/tickets")
    sample = tickets[len(tickets) // 3]
    type_name = sample["type"]["name"]
    by_type = await walk(client, "search_tickets", {"type": type_name, "page_size": 100})
    assert {t["id"] for t in by_type} == {t["id"] for t in tickets if (t.get("type") or {}).get("name") == type_name}
    email = sample["contactEmailAddress"]
    by_email = await walk(client, "search_tickets", {"contact_email": email, "page_size": 100})
    assert {t["id"] for t in by_email} == {t["id"] for t in tickets if t.get("contactEmailAddress") == email}
    both = await walk(client, "search_tickets", {"contact_email": email, "type": type_name, "page_size": 100})
    assert sample["id"] in {t["id"] for t in both} and {t["id"] for t in both} <= {t["id"] for t in by_email}
