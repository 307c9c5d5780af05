"""suggest_kb_articles and find_similar_tickets end to end: MCP client (in process) -> server -> knowledge index
synced from a real loopback sandbox (40 tickets) and ConnectWiseProvider for the ticket text; the index status
while it is not ready; and the embedded default, whose first index builds in the background while the server
already answers."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

import kb_index.embedding
from analysis.kb_query import QUERY_RECENT_NOTES, QUERY_THREAD_NOTES, ticket_query
from analysis.thread import load_thread
from guardrails.policy import Policy
from kb_index.indexer import BackgroundIndexer
from kb_index.search import KnowledgeSearch
from kb_index.store import KnowledgeStore
from kb_testing import TrigramEmbeddingFunction, synced_store
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from psa.models import Note, Ticket
from psa.provider import Page
from server import build_server
from tools.common import KnowledgeBase
from tools.views import KB_ISSUE_CHARS, KB_RESOLUTION_CHARS

pytestmark = pytest.mark.anyio

TICKETS = 40
# Closed sandbox tickets whose technician linked the KB article they followed (seed 42).
LINKED = {8: 7, 9: 18, 14: 25, 29: 45, 36: 5}
MARKER = "[truncated,"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("kbt") / "sb.db",
                            seed=42, tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
async def knowledge(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KnowledgeBase]:
    store, _ = await synced_store(sandbox.url, tmp_path_factory.mktemp("kb"))
    try:
        yield KnowledgeBase(store=store, search=KnowledgeSearch(store))
    finally:
        store.close()


@asynccontextmanager
async def connect(sandbox: Any, knowledge: KnowledgeBase | None) -> AsyncIterator[Client]:
    async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox.url)) as provider:
        async with Client(build_server(provider, Policy(), knowledge)) as client:
            yield client


@pytest.fixture
async def client(sandbox: Any, knowledge: KnowledgeBase) -> AsyncIterator[Client]:
    async with connect(sandbox, knowledge) as c:
        yield c


async def call(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.is_error, f"{name}({args}) failed: {result.content[0].text if result.content else ''}"
    assert json.loads(result.content[0].text) == result.structured_content  # the text twin is the same data
    return result.structured_content


async def call_error(client: Client, name: str, args: dict[str, Any]) -> str:
    result = await client.call_tool(name, args)
    assert result.is_error, f"{name}({args}) should have failed"
    assert "Traceback" not in result.content[0].text
    return result.content[0].text


# ---- suggest_kb_articles ---------------------------------------------------------------------------------------


async def test_suggest_by_text(client: Client) -> None:
    result = await call(client, "suggest_kb_articles", {"text": "printer shows offline for everyone", "limit": 3})
    assert result["index"] == {"ready": True, "documents": 163}
    items = result["items"]
    assert len(items) == 3
    top = items[0]
    assert top["title"] == "Printer shows offline for all users" and top["id"] == 15
    assert set(top) == {"id", "title", "issue", "resolution", "score", "why"}
    assert top["why"].startswith("matched terms: ") and "printer" in top["why"] and "semantic similarity 0." in top["why"]
    for item in items:
        assert item["score"] == round(item["score"], 3) and 0 <= item["score"] <= 1
        assert len(item["issue"]) <= KB_ISSUE_CHARS + 40 and len(item["resolution"]) <= KB_RESOLUTION_CHARS + 40
    assert MARKER in top["resolution"]  # long resolutions are cut with a marker saying so
    assert "ticket_id" not in result


@pytest.mark.parametrize(("ticket_id", "article_id"), sorted(LINKED.items()))
async def test_suggest_by_ticket_finds_the_article_the_technician_used(
    client: Client, ticket_id: int, article_id: int
) -> None:
    result = await call(client, "suggest_kb_articles", {"ticket_id": ticket_id})
    assert result["ticket_id"] == ticket_id
    assert article_id in [i["id"] for i in result["items"][:5]]


@pytest.mark.parametrize("ticket_id", sorted(LINKED))
async def test_the_draft_lists_the_articles_the_suggestion_tool_ranks_first(client: Client, ticket_id: int) -> None:
    suggested = await call(client, "suggest_kb_articles", {"ticket_id": ticket_id, "limit": 3})
    draft = (await call(client, "draft_internal_analysis_note", {"ticket_id": ticket_id}))["draft"]
    assert [int(i) for i in re.findall(r"^- KB #(\d+) ", draft, re.MULTILINE)] == [i["id"] for i in suggested["items"]]


# ---- find_similar_tickets --------------------------------------------------------------------------------------


async def test_similar_tickets_by_ticket_leave_the_ticket_out(client: Client) -> None:
    result = await call(client, "find_similar_tickets", {"ticket_id": 8, "limit": 4})
    assert result["ticket_id"] == 8 and result["index"]["ready"] is True
    items = result["items"]
    assert len(items) == 4 and 8 not in [i["id"] for i in items]
    assert "password" in items[0]["summary"].lower()
    for item in items:
        assert {"id", "summary", "company", "board", "closed", "resolution", "score", "why"} <= set(item)
        assert item["closed"].endswith("Z")


async def test_similar_tickets_by_text_with_filters(client: Client) -> None:
    unfiltered = await call(client, "find_similar_tickets", {"text": "password expired cannot sign in", "limit": 10})
    company = unfiltered["items"][-1]["company"]
    result = await call(
        client, "find_similar_tickets",
        {"text": "password expired cannot sign in", "company": company, "board": "Help Desk"},
    )
    assert result["items"] and {(i["company"], i["board"]) for i in result["items"]} == {(company, "Help Desk")}
    none = await call(client, "find_similar_tickets", {"text": "password", "board": "No Such Board"})
    assert none["items"] == []


# ---- the query built from a ticket ----------------------------------------------------------------------------


class LongThread:
    """A ticket with 160 notes, two pages: the query needs the first page (description) and the last (latest)."""

    notes = [Note(id=i, text=f"note {i} " + "x" * 900, kind="description" if i == 1 else "discussion", internal=False)
             for i in range(1, 161)]

    async def get_ticket(self, ticket_id: int) -> Ticket:
        return Ticket(id=ticket_id, summary="VPN drops every hour " + "y" * 400)

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[Note]:
        items = self.notes[(page - 1) * page_size : page * page_size]
        more = page * page_size < len(self.notes)
        return Page(items=items, page=page, page_size=page_size, has_more=more, next_page=page + 1 if more else None)


async def test_ticket_query_is_summary_description_and_latest_notes() -> None:
    query = ticket_query(await load_thread(LongThread(), 5, QUERY_THREAD_NOTES))  # type: ignore[arg-type]
    lines = query.split("\n")
    assert lines[0].startswith("VPN drops every hour") and len(lines[0]) == 200
    assert lines[1].startswith("note 1 ") and len(lines[1]) <= 1000
    assert [line.split()[1] for line in lines[2:]] == [str(i) for i in range(161 - QUERY_RECENT_NOTES, 161)]
    assert all(len(line) <= 400 for line in lines[2:]) and len(query) < 2500


# ---- errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", ["suggest_kb_articles", "find_similar_tickets"])
async def test_exactly_one_of_ticket_id_and_text(client: Client, tool: str) -> None:
    for args in ({}, {"text": "  "}, {"ticket_id": 8, "text": "vpn"}):
        assert "exactly one of ticket_id" in await call_error(client, tool, args)
    assert "was not found" in await call_error(client, tool, {"ticket_id": 999_999})
    assert "validation error" in await call_error(client, tool, {"text": "vpn", "limit": 21})


async def test_a_server_without_an_index_says_so(sandbox: Any) -> None:
    async with connect(sandbox, None) as client:
        assert "no knowledge index" in await call_error(client, "suggest_kb_articles", {"text": "vpn"})


# ---- not ready -------------------------------------------------------------------------------------------------


async def test_empty_store_without_autosync_says_run_kb_sync(sandbox: Any, tmp_path: Path) -> None:
    store = KnowledgeStore.open(tmp_path, embedding_function=TrigramEmbeddingFunction())
    try:
        async with connect(sandbox, KnowledgeBase(store=store, search=KnowledgeSearch(store))) as client:
            for tool in ("suggest_kb_articles", "find_similar_tickets"):
                result = await call(client, tool, {"text": "printer offline"})
                assert result["items"] == []
                assert result["index"]["ready"] is False and result["index"]["documents"] == 0
                assert "psa-copilot kb sync" in result["index"]["message"]
    finally:
        store.close()


async def test_failed_background_index_is_reported_not_raised(sandbox: Any, tmp_path: Path) -> None:
    @asynccontextmanager
    async def unreachable() -> AsyncIterator[ConnectWiseProvider]:
        raise ConnectionError("ConnectWise is unreachable")
        yield  # pragma: no cover - makes this an async generator

    store = KnowledgeStore.open(tmp_path, embedding_function=TrigramEmbeddingFunction())
    indexer = BackgroundIndexer(unreachable, store)
    try:
        indexer.start()
        await indexer.wait()
        knowledge = KnowledgeBase(store=store, search=KnowledgeSearch(store), indexer=indexer)
        async with connect(sandbox, knowledge) as client:
            result = await call(client, "suggest_kb_articles", {"ticket_id": 8})
        assert result["items"] == [] and result["index"]["ready"] is False
        assert "indexing failed" in result["index"]["message"] and "unreachable" in result["index"]["message"]
    finally:
        store.close()


# ---- the embedded default ----------------------------------------------------------------------------------------


async def test_embedded_default_indexes_in_the_background(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("CW_", "COPILOT_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", str(TICKETS))
    # Embedding waits for the gate: the index is held in "indexing" while the server is questioned.
    gate = threading.Event()
    monkeypatch.setattr(kb_index.embedding, "embedding_function_from_env", lambda: TrigramEmbeddingFunction(gate))
    try:
        async with Client(build_server(policy=Policy())) as client:
            with anyio.fail_after(10):  # a server blocked on indexing would hang here
                tools = {t.name for t in (await client.list_tools()).tools}
                assert {"suggest_kb_articles", "find_similar_tickets", "search_tickets"} <= tools
                assert (await call(client, "search_tickets", {"page_size": 3}))["items"]
                waiting = await call(client, "suggest_kb_articles", {"text": "printer offline"})
            assert waiting["items"] == []
            assert waiting["index"]["ready"] is False
            assert waiting["index"]["message"].startswith("indexing ")
            gate.set()
            with anyio.fail_after(60):
                while not (ready := await call(client, "suggest_kb_articles", {"text": "printer offline"}))["index"]["ready"]:
                    await anyio.sleep(0.1)
            assert ready["items"][0]["title"] == "Printer shows offline for all users"
            similar = await call(client, "find_similar_tickets", {"ticket_id": 8})
            assert similar["index"]["ready"] is True and similar["items"]
    finally:
        gate.set()  # never leave the indexer's worker thread waiting
    assert (tmp_path / "kb").is_dir()


async def test_kb_toolset_off_means_no_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("CW_", "COPILOT_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", str(TICKETS))
    async with Client(build_server(policy=Policy(toolsets=frozenset({"tickets"})))) as client:
        assert "suggest_kb_articles" not in {t.name for t in (await client.list_tools()).tools}
    assert not (tmp_path / "kb").exists()
