"""Sync, BackgroundIndexer and the `kb` CLI against the sandbox over real loopback HTTP.

Each test gets its own small sandbox (40 tickets) and store, since most of them change the sandbox. Sync
mechanics use a fake embedding function that records what it was asked to embed (so a test can prove what
was *not* re-embedded) and on which thread; one test runs the real MiniLM end to end through the CLI.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
import numpy as np
import pytest
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from kb_index.dense import DOC_ID_KEY, chunk_records
from kb_index.indexer import BackgroundIndexer
from kb_index.store import KnowledgeStore
from kb_index.sync import SyncProgress, sync
from psa.connectwise.auth import auth_headers
from psa.connectwise.knowledge import ConnectWiseKnowledge
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings

pytestmark = pytest.mark.anyio
TICKETS = 40


@register_embedding_function
class RecordingEmbedding(EmbeddingFunction[Documents]):
    """Hash vectors; every embedded text and the thread of every call are recorded (class-level: chromadb may
    rebuild the function from its stored config). With `held` set, each call blocks its thread, as the model's
    CPU time does, until the test releases it: the call puts an Event on `held` and waits for it."""

    embedded: ClassVar[list[str]] = []
    threads: ClassVar[list[int]] = []
    held: ClassVar[queue.Queue[threading.Event] | None] = None

    def __init__(self) -> None:
        pass

    @staticmethod
    def name() -> str:
        return "psa_copilot_sync_test_hash"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> RecordingEmbedding:
        return RecordingEmbedding()

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def __call__(self, input: Documents) -> Embeddings:
        RecordingEmbedding.threads.append(threading.get_ident())
        if RecordingEmbedding.held is not None:
            release = threading.Event()
            RecordingEmbedding.held.put(release)
            if not release.wait(timeout=60):
                raise TimeoutError("the test never released a held embedding call")
        RecordingEmbedding.embedded.extend(input)
        out = []
        for text in input:
            raw = np.frombuffer(hashlib.sha256(text.encode()).digest()[:16], dtype=np.uint8).astype(np.float32) + 1
            out.append(raw / np.linalg.norm(raw))
        return out


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path / "sandbox.db", seed=42, tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def cw_settings(sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(sandbox.url)


@pytest.fixture
async def provider(cw_settings: ConnectWiseSettings) -> AsyncIterator[ConnectWiseProvider]:
    async with ConnectWiseProvider.from_settings(cw_settings) as p:
        yield p


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KnowledgeStore]:
    RecordingEmbedding.embedded.clear()
    RecordingEmbedding.threads.clear()
    RecordingEmbedding.held = None
    s = KnowledgeStore.open(tmp_path / "kb", RecordingEmbedding())
    yield s
    s.close()
    RecordingEmbedding.held = None


@pytest.fixture
def http(sandbox: Any, cw_settings: ConnectWiseSettings) -> Iterator[httpx.Client]:
    """Raw HTTP to the sandbox, independent of the provider: what the tests compare against and edit with."""
    with httpx.Client(base_url=sandbox.api_base, headers=auth_headers(cw_settings)) as client:
        yield client


def server_count(http: httpx.Client, path: str, conditions: str | None = None) -> int:
    params = {"conditions": conditions} if conditions else {}
    response = http.get(f"{path}/count", params=params)
    response.raise_for_status()
    return int(response.json()["count"])


def kb_count(http: httpx.Client) -> int:
    return server_count(http, "/service/knowledgeBaseArticles")


def closed_count(http: httpx.Client) -> int:
    return server_count(http, "/service/tickets", "closedFlag = true")


def chunk_ids_by_doc(store: KnowledgeStore, kind: str) -> dict[str, set[str]]:
    got = store.dense(kind).collection.get(include=["metadatas"])  # type: ignore[arg-type]
    by_doc: dict[str, set[str]] = {}
    for chunk_id, meta in zip(got["ids"], got["metadatas"]):
        by_doc.setdefault(str(meta[DOC_ID_KEY]), set()).add(chunk_id)
    return by_doc


def assert_consistent(store: KnowledgeStore, kind: str) -> None:
    """Chromadb holds exactly the chunks of the sidecar's documents: none missing, none stale or duplicated."""
    expected = {d.id: {c[0] for c in chunk_records(d)} for d in store.documents(kind)}  # type: ignore[arg-type]
    assert chunk_ids_by_doc(store, kind) == expected
    assert store.dense(kind).collection.count() == sum(len(v) for v in expected.values())  # type: ignore[arg-type]


# ---- provider additions -----------------------------------------------------------------------------------


async def test_provider_id_listings_counts_and_latest_update(provider: ConnectWiseProvider, http: httpx.Client) -> None:
    kb_ids = [i async for i in provider.iterate_kb_article_ids()]
    assert len(kb_ids) == kb_count(http) == await provider.count_kb_articles()
    assert kb_ids == sorted(kb_ids)
    closed_ids = [i async for i in provider.iterate_closed_ticket_ids()]
    assert len(closed_ids) == closed_count(http) == await provider.count_closed_tickets()
    assert len(closed_ids) < TICKETS  # some seeded tickets are open

    latest = await provider.latest_kb_article_update()
    everything = [a async for a in provider.iterate_kb_articles()]
    assert latest == max(a.info.lastUpdated for a in everything if a.info and a.info.lastUpdated)
    assert await provider.count_kb_articles(updated_since=latest) >= 1
    latest_closed = await provider.latest_closed_ticket_update()
    closed = [t async for t in provider.iterate_closed_tickets()]
    assert latest_closed == max(t.last_updated for t in closed if t.last_updated)
    assert await provider.count_closed_tickets(since=latest_closed) >= 1


# ---- sync ---------------------------------------------------------------------------------------------------


async def test_first_sync_indexes_everything_and_a_second_touches_nothing(
    provider: ConnectWiseProvider, store: KnowledgeStore, http: httpx.Client
) -> None:
    seen: list[SyncProgress] = []
    first = await sync(ConnectWiseKnowledge(provider), store, progress=seen.append)
    assert first.kinds["kb_articles"].added == store.count("kb_articles") == kb_count(http)
    assert first.kinds["resolved_tickets"].added == store.count("resolved_tickets") == closed_count(http)
    for kind in ("kb_articles", "resolved_tickets"):
        assert_consistent(store, kind)
    assert seen[-1].kind == "resolved_tickets" and seen[-1].done == seen[-1].total == closed_count(http)
    assert store.last_sync() == first.finished

    ticket = store.get("resolved_tickets", "1")
    assert ticket is not None and ticket.metadata["status"] == "Closed" and ticket.metadata["cw_id"] == 1
    assert {"board", "company", "closed_date", "date_entered", "last_updated", "updated_ts", "resolution"} <= set(
        ticket.metadata)
    assert ticket.metadata["resolution"] in ticket.text  # description + resolution notes
    article = store.documents("kb_articles")[0]
    assert article.text.startswith(str(article.metadata["issue"])[:50])
    assert {"category", "subcategory", "issue", "resolution", "date_entered", "last_updated"} <= set(article.metadata)

    RecordingEmbedding.embedded.clear()
    versions = (store.version("kb_articles"), store.version("resolved_tickets"))
    second = await sync(ConnectWiseKnowledge(provider), store)
    assert second.changed == 0
    assert second.kinds["kb_articles"].unchanged == kb_count(http)
    assert second.kinds["resolved_tickets"].unchanged == closed_count(http)
    # Incremental: only records at or after the high-water mark were fetched, and nothing was embedded.
    assert second.kinds["kb_articles"].fetched < kb_count(http)
    assert RecordingEmbedding.embedded == []
    assert (store.version("kb_articles"), store.version("resolved_tickets")) == versions


async def test_editing_one_article_re_embeds_exactly_that_article(
    provider: ConnectWiseProvider, store: KnowledgeStore, http: httpx.Client
) -> None:
    await sync(ConnectWiseKnowledge(provider), store)
    before = chunk_ids_by_doc(store, "kb_articles")
    others_before = {d.id: d for d in store.documents("kb_articles") if d.id != "7"}
    response = http.patch("/service/knowledgeBaseArticles/7", json=[
        {"op": "replace", "path": "resolution", "value": "Re-pair the headset over Bluetooth LE audio."}])
    response.raise_for_status()

    RecordingEmbedding.embedded.clear()
    report = await sync(ConnectWiseKnowledge(provider), store)
    kb = report.kinds["kb_articles"]
    assert (kb.added, kb.updated, kb.removed, kb.unchanged) == (0, 1, 0, kb_count(http) - 1)
    assert report.kinds["resolved_tickets"].updated == report.kinds["resolved_tickets"].added == 0
    assert "Bluetooth LE audio" in store.get("kb_articles", "7").text  # type: ignore[union-attr]
    # Only article 7's chunks went through the embedding function; every other document is as it was.
    title = store.get("kb_articles", "7").title  # type: ignore[union-attr]
    assert RecordingEmbedding.embedded and all(text.startswith(title) for text in RecordingEmbedding.embedded)
    assert chunk_ids_by_doc(store, "kb_articles") == before
    assert {d.id: d for d in store.documents("kb_articles") if d.id != "7"} == others_before


async def test_deleted_article_and_reopened_ticket_are_removed(
    provider: ConnectWiseProvider, store: KnowledgeStore, http: httpx.Client
) -> None:
    await sync(ConnectWiseKnowledge(provider), store)
    http.delete("/service/knowledgeBaseArticles/3").raise_for_status()
    closed = [t async for t in provider.iterate_closed_tickets()]
    ticket = closed[0]
    assert ticket.id is not None and ticket.board is not None and ticket.board.id is not None
    open_status = next(s for s in await provider.list_board_statuses(ticket.board.id) if not s.closedStatus)
    await provider.update_ticket_status(ticket.id, open_status.id)  # type: ignore[arg-type]
    assert store.get("resolved_tickets", str(ticket.id)) is not None

    report = await sync(ConnectWiseKnowledge(provider), store)
    assert report.kinds["kb_articles"].removed == 1
    assert report.kinds["resolved_tickets"].removed == 1
    assert report.kinds["kb_articles"].updated == report.kinds["resolved_tickets"].updated == 0
    assert store.get("kb_articles", "3") is None
    assert store.get("resolved_tickets", str(ticket.id)) is None
    assert store.count("kb_articles") == kb_count(http)
    assert store.count("resolved_tickets") == closed_count(http)
    for kind in ("kb_articles", "resolved_tickets"):
        assert_consistent(store, kind)


async def test_an_interrupted_sync_resumes_without_duplicates_or_losses(
    provider: ConnectWiseProvider, store: KnowledgeStore, http: httpx.Client
) -> None:
    class Stop(Exception):
        pass

    def interrupt(update: SyncProgress) -> None:
        if update.kind == "kb_articles" and update.done >= 40:
            raise Stop

    with pytest.raises(Stop):
        await sync(ConnectWiseKnowledge(provider), store, progress=interrupt, batch_size=16)
    partial = store.count("kb_articles")
    assert 0 < partial < kb_count(http)
    assert store.high_water("kb_articles") is None  # the mark only moves when a kind completes
    assert store.last_sync() is None
    assert_consistent(store, "kb_articles")

    report = await sync(ConnectWiseKnowledge(provider), store, batch_size=16)
    assert report.kinds["kb_articles"].added == kb_count(http) - partial
    assert report.kinds["kb_articles"].unchanged == partial
    assert store.count("kb_articles") == kb_count(http)
    assert store.count("resolved_tickets") == closed_count(http)
    for kind in ("kb_articles", "resolved_tickets"):
        assert_consistent(store, kind)


async def test_full_sync_rechecks_everything_but_rewrites_nothing_unchanged(
    provider: ConnectWiseProvider, store: KnowledgeStore, http: httpx.Client
) -> None:
    await sync(ConnectWiseKnowledge(provider), store)
    RecordingEmbedding.embedded.clear()
    report = await sync(ConnectWiseKnowledge(provider), store, full=True)
    assert report.kinds["kb_articles"].fetched == kb_count(http)
    assert report.kinds["resolved_tickets"].fetched == closed_count(http)
    assert report.changed == 0 and RecordingEmbedding.embedded == []


# ---- background indexer -------------------------------------------------------------------------------------


async def test_background_indexer_starts_at_once_keeps_the_loop_free_and_becomes_ready(
    cw_settings: ConnectWiseSettings, store: KnowledgeStore, http: httpx.Client
) -> None:
    # Every embedding call is held until this coroutine releases it. Run on the event loop, the first call
    # would block the loop and this coroutine could never release it: it would time out. Run in a worker
    # thread, as it must be, this coroutine keeps running and sees the index status while each call is held.
    held: queue.Queue[threading.Event] = queue.Queue()
    RecordingEmbedding.held = held

    @asynccontextmanager
    async def factory() -> AsyncIterator[ConnectWiseKnowledge]:
        async with ConnectWiseProvider.from_settings(cw_settings) as p:
            yield ConnectWiseKnowledge(p)

    indexer = BackgroundIndexer(factory, store)
    assert not indexer.ready and indexer.status.state == "idle"
    task = indexer.start()
    # start() only schedules: nothing has been fetched or embedded when it returns.
    assert not task.done() and RecordingEmbedding.threads == []
    assert indexer.start() is task  # a second start joins the running sync
    assert indexer.status.state == "indexing"

    loop_thread = threading.get_ident()
    released = 0
    messages: set[str] = set()
    with anyio.fail_after(120):  # a wait, not a measurement: a hung sync fails here instead of hanging the run
        while not task.done():
            await asyncio.sleep(0.01)
            while not held.empty():
                messages.add(indexer.status.message)  # read on the loop while an embedding call is held
                held.get_nowait().set()
                released += 1
    status = await indexer.wait()
    assert loop_thread not in RecordingEmbedding.threads, "an embedding call ran on the event loop"
    assert released > 0 and released == len(RecordingEmbedding.threads)
    assert any(m.startswith("indexing KB articles: ") and m.endswith(" documents") for m in messages)
    assert any(m.startswith("indexing resolved tickets: ") for m in messages)
    assert status.state == "ready" and indexer.ready and status.error is None
    assert status.documents == {"kb_articles": kb_count(http), "resolved_tickets": closed_count(http)}
    assert status.last_sync == store.last_sync()
    assert status.message == f"ready: {kb_count(http)} KB articles and {closed_count(http)} resolved tickets indexed"


async def test_background_indexer_reports_a_failed_sync(
    sandbox: Any, provider: ConnectWiseProvider, store: KnowledgeStore
) -> None:
    sandbox.faults.add(path="/service/knowledgeBaseArticles", status=403, times=None)
    indexer = BackgroundIndexer(ConnectWiseKnowledge(provider), store)
    indexer.start()
    status = await indexer.wait()
    assert status.state == "failed"
    assert status.error is not None and "Permission" in status.error
    assert status.message.startswith("indexing failed: ")
    assert not indexer.ready

    sandbox.faults.clear()  # a later run succeeds; a previous index then counts as ready even during re-syncs
    indexer.start()
    assert (await indexer.wait()).state == "ready" and indexer.ready


# ---- CLI, end to end with the real model ----------------------------------------------------------------------


def test_cli_sync_stats_search_with_the_real_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kb sync` on the embedded sandbox (CW_SITE unset) with the offline MiniLM, then `kb stats` and
    `kb search` read the same store back."""
    from cli import main

    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", "8")
    for name in ("CW_SITE", "COPILOT_EMBEDDINGS"):
        monkeypatch.delenv(name, raising=False)

    assert main(["kb", "sync", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    added = {kind: r["added"] for kind, r in report["kinds"].items()}
    assert added["kb_articles"] > 100 and added["resolved_tickets"] > 0

    assert main(["kb", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == added
    assert stats["embedding_function"] == "psa_copilot_minilm_l6_v2_int8"
    assert stats["last_sync"] is not None

    assert main(["kb", "sync", "--json"]) == 0  # nothing changed in the sandbox since
    again = json.loads(capsys.readouterr().out)
    assert all(r["added"] + r["updated"] + r["removed"] == 0 for r in again["kinds"].values())

    assert main(["kb", "search", "printer paper jam tray", "--k", "3", "--json"]) == 0
    matches = json.loads(capsys.readouterr().out)
    assert len(matches) == 3
    assert any("print" in m["title"].lower() for m in matches)
    assert main(["kb", "search", "printer", "--kind", "resolved_tickets", "--k", "2"]) == 0
    assert "resolved_tickets: printer" in capsys.readouterr().out
