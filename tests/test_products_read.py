"""The same read tools on both products: the server is built from the environment (COPILOT_PROVIDER) against each
product's sandbox over loopback HTTP, and spoken to with the in-process MCP client. The checks are the product-
neutral ones: what a technician gets from each tool, and which tools a product does not serve, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from products_testing import PRODUCTS, Product, Sandboxes, both_sandboxes
from server import build_server

pytestmark = pytest.mark.anyio

WAIT_S = 180.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxes]:
    yield from both_sandboxes(tmp_path_factory)


@pytest.fixture(params=PRODUCTS)
def product(request: pytest.FixtureRequest, sandboxes: Sandboxes, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("CW_SITE", "COPILOT_PROVIDER", "HELPDESK_URL", "HELPDESK_TOKEN", "COPILOT_TOOLSETS",
                 "COPILOT_WRITE_MODE", "COPILOT_ENABLED_TOOLS", "COPILOT_DISABLED_TOOLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_KB_AUTOSYNC", "1")
    monkeypatch.setenv("COPILOT_KB_SYNC_INTERVAL_SECONDS", "0")
    for key, value in Product(str(request.param), *sandboxes).env().items():
        monkeypatch.setenv(key, value)
    return str(request.param)


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, (tool, result.content)
    assert result.structured_content is not None
    return result.structured_content


async def _index_ready(client: Client) -> None:
    deadline = time.monotonic() + WAIT_S
    while not (await _call(client, "find_similar_tickets", text="printer"))["index"]["ready"]:
        assert time.monotonic() < deadline, "the first index sync did not finish"
        await anyio.sleep(0.25)


async def test_the_read_tools_answer_on_each_product(product: str) -> None:
    async with Client(build_server()) as client:
        found = await _call(client, "search_tickets", page_size=10)
        assert found["items"] and all(t["id"] and t["summary"] for t in found["items"])
        closed = await _call(client, "search_tickets", is_open=False, page_size=5)
        assert closed["items"] and all(t["closed"] for t in closed["items"])

        resolved = closed["items"][0]
        detail = await _call(client, "get_ticket", ticket_id=resolved["id"])
        assert detail["summary"] == resolved["summary"] and detail["closed"] is True
        assert detail["notes"]["total"] >= 1

        notes = await _call(client, "list_ticket_notes", ticket_id=resolved["id"])
        kinds = {n["kind"] for n in notes["items"]}
        assert "description" in kinds and "resolution" in kinds, kinds
        summary = await _call(client, "summarize_ticket_notes", ticket_id=resolved["id"])
        cited = {i for part in summary["problem"] for i in part["note_ids"]}
        assert cited and cited <= {n["id"] for n in notes["items"]}

        boards = await _call(client, "list_boards")
        assert boards["boards"] and any(s["closed"] for b in boards["boards"] for s in b["statuses"])
        companies = await _call(client, "find_companies", page_size=5)
        assert companies["items"] and all(c["name"] for c in companies["items"])
        by_board = await _call(client, "search_tickets", board=boards["boards"][0]["name"], page_size=5)
        assert all(t["board"] == boards["boards"][0]["name"] for t in by_board["items"])

        await _index_ready(client)
        similar = await _call(client, "find_similar_tickets", text=resolved["summary"], limit=5)
        assert resolved["id"] in [t["id"] for t in similar["items"]]
        assert similar["items"][0]["resolution"]


async def test_a_product_hides_what_it_cannot_serve_and_says_why(product: str) -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        refused = await client.call_tool("list_time_entries", {})
    listed = set(tools)
    note_tool = tools["add_ticket_note"].description or ""
    writes = {"add_ticket_note", "create_ticket", "update_ticket", "update_ticket_status"}
    assert writes <= listed
    if product == "connectwise":
        assert {"list_time_entries", "list_schedule", "create_kb_article"} <= listed
        assert not refused.is_error and "helpdesk" not in note_tool
        return
    assert not listed & {"list_time_entries", "list_schedule", "log_time_entry", "create_kb_article", "find_configurations"}
    # The model reads, before its first call, that a note here is an email and an internal one is refused.
    assert "email to the requester" in note_tool and "internal notes are refused" in note_tool
    assert refused.is_error
    text = refused.content[0].text  # type: ignore[union-attr]
    assert "the helpdesk keeps no time entries" in text and "COPILOT_PROVIDER" in text


async def test_connectwise_conditions_are_refused_on_the_helpdesk_with_the_reason(product: str) -> None:
    async with Client(build_server()) as client:
        result = await client.call_tool("search_tickets", {"conditions": 'severity = "High"'})
    if product == "connectwise":
        assert not result.is_error
    else:
        assert result.is_error and "no conditions language" in result.content[0].text  # type: ignore[union-attr]


async def test_the_helpdesk_starts_embedded_without_helpdesk_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CW_SITE", "HELPDESK_URL", "HELPDESK_TOKEN", "COPILOT_TOOLSETS", "COPILOT_WRITE_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_PROVIDER", "helpdesk")
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", "20")
    monkeypatch.setenv("COPILOT_KB_AUTOSYNC", "0")
    async with Client(build_server()) as client:
        found = await _call(client, "search_tickets", page_size=3)
    assert found["items"]
    assert (tmp_path / "helpdesk.db").exists() and not (tmp_path / "sandbox.db").exists()
