"""KnowledgeStore: chromadb chunks and the SQLite sidecar kept in step (a tiny fake embedding function, since
the real one is tested in test_kb_embedding.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from kb_index.dense import chunk_records
from kb_index.store import KINDS, KnowledgeStore, content_hash
from kb_index.types import Document


@register_embedding_function
class StoreTestEmbedding(EmbeddingFunction[Documents]):
    """A deterministic 16-d vector per text (a hash), so tests run in milliseconds and offline."""

    def __init__(self) -> None:
        pass

    @staticmethod
    def name() -> str:
        return "psa_copilot_store_test_hash"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> StoreTestEmbedding:
        return StoreTestEmbedding()

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def __call__(self, input: Documents) -> Embeddings:
        out = []
        for text in input:
            raw = np.frombuffer(hashlib.sha256(text.encode()).digest()[:16], dtype=np.uint8).astype(np.float32) + 1
            out.append(raw / np.linalg.norm(raw))
        return out


LONG_TEXT = " ".join(f"step {i}: restart the spooler service and clear the queue folder." for i in range(120))


def doc(doc_id: str, text: str = "Reset the VPN client profile.", title: str = "VPN fails", **meta: Any) -> Document:
    return Document(doc_id, text, title, {"cw_id": int(doc_id), "title": title, **meta})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KnowledgeStore]:
    s = KnowledgeStore.open(tmp_path / "kb", StoreTestEmbedding())
    yield s
    s.close()


def chroma_ids(store: KnowledgeStore, kind: str = "kb_articles") -> set[str]:
    return set(store.dense(kind).collection.get(include=[])["ids"])  # type: ignore[arg-type]


def test_upsert_get_documents_count_and_version(store: KnowledgeStore) -> None:
    assert store.version("kb_articles") == 0
    store.upsert("kb_articles", [doc("2"), doc("10", "Clear the jammed tray.", "Printer jam", board="Help Desk")])
    assert store.count("kb_articles") == 2
    assert store.count("resolved_tickets") == 0
    assert [d.id for d in store.documents("kb_articles")] == ["2", "10"]  # ConnectWise id order
    assert store.get("kb_articles", "10") == doc("10", "Clear the jammed tray.", "Printer jam", board="Help Desk")
    assert store.get("kb_articles", "99") is None
    assert store.get("resolved_tickets", "10") is None  # kinds are separate
    assert store.version("kb_articles") == 1
    assert store.version("resolved_tickets") == 0
    assert chroma_ids(store) == {"2#0", "10#0"}


def test_shrinking_a_document_removes_its_stale_chunks(store: KnowledgeStore) -> None:
    long = doc("5", LONG_TEXT)
    store.upsert("kb_articles", [long, doc("6")])
    n = len(chunk_records(long))
    assert n > 3
    assert chroma_ids(store) == {f"5#{i}" for i in range(n)} | {"6#0"}
    store.upsert("kb_articles", [doc("5", "Short now.")])
    assert chroma_ids(store) == {"5#0", "6#0"}
    assert store.get("kb_articles", "5").text == "Short now."  # type: ignore[union-attr]
    assert store.stats().chunks["kb_articles"] == 2


def test_chunks_written_by_an_interrupted_run_are_cleared(store: KnowledgeStore) -> None:
    """A crash after chromadb was written but before the sidecar: the next upsert of that document leaves
    no orphan chunks, because stale chunks are found by asking chromadb, not the sidecar."""
    store.dense("kb_articles").add([doc("7", LONG_TEXT)])
    assert store.count("kb_articles") == 0 and len(chroma_ids(store)) > 1
    store.upsert("kb_articles", [doc("7")])
    assert chroma_ids(store) == {"7#0"}
    assert store.count("kb_articles") == 1


def test_delete_removes_chunks_and_rows_and_bumps_version(store: KnowledgeStore) -> None:
    store.upsert("kb_articles", [doc("1", LONG_TEXT), doc("2"), doc("3")])
    version = store.version("kb_articles")
    assert store.delete("kb_articles", ["1", "3", "404"]) == 2
    assert chroma_ids(store) == {"2#0"}
    assert store.ids("kb_articles") == {"2"}
    assert store.version("kb_articles") == version + 1
    assert store.delete("kb_articles", ["404"]) == 0
    assert store.version("kb_articles") == version + 1  # nothing changed, searchers keep their BM25


def test_content_hash_ignores_timestamps_only() -> None:
    base = doc("1", board="Help Desk", last_updated="2026-01-01T00:00:00Z", updated_ts=1)
    touched = doc("1", board="Help Desk", last_updated="2026-02-01T00:00:00Z", updated_ts=2)
    assert content_hash(base) == content_hash(touched)
    assert content_hash(base) != content_hash(doc("1", board="Network"))
    assert content_hash(base) != content_hash(doc("1", "Other text.", board="Help Desk"))


def test_state_and_stats_persist_across_reopen(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    path = tmp_path / "kb"
    with KnowledgeStore.open(path, StoreTestEmbedding()) as first:
        assert first.last_sync() is None and first.high_water("kb_articles") is None
        first.upsert("resolved_tickets", [doc("4"), doc("8", LONG_TEXT)])
        first.set_high_water("resolved_tickets", datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
        first.set_last_sync(datetime(2026, 3, 4, 6, 0, tzinfo=UTC))
    with KnowledgeStore.open(path, StoreTestEmbedding()) as again:
        stats = again.stats()
        assert stats.documents == {"kb_articles": 0, "resolved_tickets": 2}
        assert stats.chunks["resolved_tickets"] == 1 + len(chunk_records(doc("8", LONG_TEXT)))
        assert stats.last_sync == datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
        assert stats.embedding_function == "psa_copilot_store_test_hash"
        assert stats.path == str(path)
        assert again.high_water("resolved_tickets") == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
        assert again.version("resolved_tickets") == 1
        # The collections were reopened with the configured function, in cosine space.
        for kind in KINDS:
            collection = again.dense(kind).collection
            assert collection.configuration["hnsw"]["space"] == "cosine"
            assert collection.configuration["embedding_function"].name() == "psa_copilot_store_test_hash"


def test_default_embedding_is_the_offline_minilm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never chromadb's default function (it downloads a model): the env-chosen one, MiniLM by default."""
    monkeypatch.delenv("COPILOT_EMBEDDINGS", raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path / "data"))
    with KnowledgeStore.open() as store:
        assert store.path == tmp_path / "data" / "kb"
        assert store.stats().embedding_function == "psa_copilot_minilm_l6_v2_int8"
        assert (tmp_path / "data" / "kb" / "state.db").exists()


def test_reopening_with_another_embedding_function_says_what_to_do(tmp_path: Path) -> None:
    from kb_index.embedding import MiniLMEmbeddingFunction

    KnowledgeStore.open(tmp_path / "kb", StoreTestEmbedding()).close()
    with pytest.raises(ValueError, match="another embedding function.*COPILOT_EMBEDDINGS"):
        KnowledgeStore.open(tmp_path / "kb", MiniLMEmbeddingFunction())
