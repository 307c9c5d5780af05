"""KnowledgeSearch over a store filled by the real sync from a small sandbox (40 tickets: 163 KB articles, ~30
resolved tickets): obvious queries find the obvious article, filters, why-it-matched terms, and the BM25 side
following the store's version."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from kb_index.search import KnowledgeSearch
from kb_index.store import KnowledgeStore
from kb_index.types import Document
from kb_testing import TrigramEmbeddingFunction, synced_store

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("kbs") / "sb.db",
                            seed=42, tickets=40)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
async def store(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KnowledgeStore]:
    synced, report = await synced_store(sandbox.url, tmp_path_factory.mktemp("kb"))
    assert report.kinds["kb_articles"].added > 100 and report.kinds["resolved_tickets"].added > 10
    try:
        yield synced
    finally:
        synced.close()


@pytest.fixture(scope="module")
def search(store: KnowledgeStore) -> KnowledgeSearch:
    return KnowledgeSearch(store)


@pytest.mark.parametrize(
    ("query", "title_word"),
    [
        ("user forgot their password and needs a reset", "password"),
        ("printer shows offline for everyone", "printer"),
        ("backup failed with a VSS error", "vss"),
        ("lost phone, need to set up MFA again", "mfa"),
    ],
)
async def test_obvious_queries_find_the_obvious_article(search: KnowledgeSearch, query: str, title_word: str) -> None:
    matches = search.search("kb_articles", query, k=3)
    assert len(matches) == 3
    assert title_word in matches[0].document.title.lower(), [m.document.title for m in matches]
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


async def test_match_says_why(search: KnowledgeSearch) -> None:
    [top] = search.search("kb_articles", "the printer is offline again", k=1)
    assert top.document.title == "Printer shows offline for all users"
    assert top.dense is not None and 0 < top.dense <= 1 and top.lexical > 0
    # Query words only (stop words such as "the"/"is" never count), rarest in the corpus first.
    assert set(top.matched_terms) == {"printer", "offline"}
    assert top.document.metadata["cw_id"] == int(top.document.id)


async def test_resolved_tickets_and_metadata_filters(search: KnowledgeSearch, store: KnowledgeStore) -> None:
    matches = search.search("resolved_tickets", "outlook keeps asking for my password", k=5)
    assert matches and "password" in matches[0].document.title.lower()
    company = str(matches[-1].document.metadata["company"])
    filtered = search.search("resolved_tickets", "outlook keeps asking for my password", k=5, where={"company": company})
    assert filtered and {m.document.metadata["company"] for m in filtered} == {company}
    both = search.search("resolved_tickets", "password", k=50,
                         where={"$and": [{"company": company}, {"board": "Help Desk"}]})
    assert all(m.document.metadata["company"] == company and m.document.metadata["board"] == "Help Desk" for m in both)
    assert search.search("resolved_tickets", "password", where={"company": "No Such Company"}) == []


async def test_blank_query_and_empty_store(search: KnowledgeSearch, tmp_path: Path) -> None:
    assert search.search("kb_articles", "   ") == []
    assert search.search("kb_articles", "printer", k=0) == []
    empty = KnowledgeStore.open(tmp_path / "empty", embedding_function=TrigramEmbeddingFunction())
    try:
        assert KnowledgeSearch(empty).search("kb_articles", "printer offline") == []
    finally:
        empty.close()


async def test_bm25_follows_the_store_version(search: KnowledgeSearch, store: KnowledgeStore) -> None:
    query = "quokkaflux licence dongle"
    assert all("quokkaflux" not in m.matched_terms for m in search.search("kb_articles", query))
    before = store.version("kb_articles")
    doc = Document(id="990001", title="Quokkaflux licence dongle not detected",
                   text="The Quokkaflux CAD suite cannot find its USB licence dongle. Reinstall the dongle driver.",
                   metadata={"cw_id": 990001, "title": "Quokkaflux licence dongle not detected"})
    await anyio.to_thread.run_sync(lambda: store.upsert("kb_articles", [doc]))
    try:
        assert store.version("kb_articles") > before
        top = search.search("kb_articles", query, k=1)[0]
        assert top.document.id == "990001" and top.matched_terms[0] == "quokkaflux"
    finally:
        store.delete("kb_articles", ["990001"])
    assert all(m.document.id != "990001" for m in search.search("kb_articles", query))


async def test_concurrent_searches_build_the_index_once(store: KnowledgeStore, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = KnowledgeSearch(store)
    builds = 0
    real_documents = store.documents

    def counting(kind: Any) -> list[Document]:
        nonlocal builds
        builds += 1
        return real_documents(kind)

    monkeypatch.setattr(store, "documents", counting)
    results: list[list[str]] = []
    start = threading.Barrier(6)

    def worker() -> None:
        start.wait()
        results.append([m.document.id for m in fresh.search("kb_articles", "vpn will not connect", k=5)])

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert builds == 1
    assert len(results) == 6 and all(r == results[0] for r in results) and results[0]
