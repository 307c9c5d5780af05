"""`KnowledgeStore`: the persistent knowledge index under COPILOT_DATA_DIR/kb.

Two parts kept in step, one folder:
- chromadb (PersistentClient): one cosine-space collection per kind holding the embedded chunks
  (layout from kb_index.dense.chunk_records), with the configured offline embedding function;
- a sidecar SQLite file (state.db): every full document (BM25 is built from these, and tools read them
  back), its content hash and chunk count, a version per kind, and the sync state (high-water marks,
  last sync time).

Writes go to chromadb first and to the sidecar second. A crash in between leaves the sidecar behind,
never ahead: the next sync sees the old hash, rewrites the same ids (upserts are idempotent) and clears
any chunk left over, so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel

import settings
from kb_index.dense import DOC_ID_KEY, ChromaDenseIndex, chunk_records
from kb_index.types import Document

Kind = Literal["kb_articles", "resolved_tickets"]
KINDS: tuple[Kind, ...] = get_args(Kind)

STATE_FILE = "state.db"
# Metadata that changes on every touch of a record without changing what is indexed; a re-sync of a
# record that only got a new timestamp is not a change (re-embedding it would be wasted minutes).
VOLATILE_METADATA = frozenset({"last_updated", "updated_ts"})
# chromadb caps how many ids one `$in` filter or delete may carry; stay well under it.
_ID_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    hash TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kinds (
    kind TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 0,
    high_water TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class KnowledgeStats(BaseModel):
    path: str
    embedding_function: str
    documents: dict[Kind, int]
    chunks: dict[Kind, int]
    last_sync: datetime | None


def content_hash(doc: Document) -> str:
    """A fingerprint of what gets indexed: title, text and the non-volatile metadata."""
    stable = {k: v for k, v in doc.metadata.items() if k not in VOLATILE_METADATA}
    payload = json.dumps([doc.title, doc.text, stable], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def default_path() -> Path:
    return settings.data_dir() / "kb"


def _batches(items: list[str], size: int = _ID_BATCH) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _embedding_name(embedding_function: Any) -> str:
    name = getattr(embedding_function, "name", None)
    return str(name()) if callable(name) else type(embedding_function).__name__


class KnowledgeStore:
    """Open with `KnowledgeStore.open()`; safe to share between the event loop and one writer thread."""

    def __init__(self, path: Path, client: Any, collections: dict[Kind, Any], db: sqlite3.Connection,
                 embedding_name: str) -> None:
        self.path = path
        self._client = client
        self._collections = collections
        self._db = db
        self._embedding_name = embedding_name
        # sqlite3 connections are not safe for concurrent use; searches (event loop) and sync (worker thread)
        # share this one, so every statement goes through the lock.
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | None = None, embedding_function: Any = None) -> KnowledgeStore:
        import chromadb
        from chromadb.config import Settings

        from kb_index.embedding import embedding_function_from_env

        path = Path(path) if path is not None else default_path()
        path.mkdir(parents=True, exist_ok=True)
        # Never chromadb's default embedding function: it downloads a model on first use.
        embedding_function = embedding_function if embedding_function is not None else embedding_function_from_env()
        client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
        try:
            collections: dict[Kind, Any] = {
                kind: client.get_or_create_collection(
                    kind, embedding_function=embedding_function, configuration={"hnsw": {"space": "cosine"}}
                )
                for kind in KINDS
            }
        except ValueError as exc:
            client.close()
            if "conflict" not in str(exc).lower():
                raise
            # Vectors from two models cannot share a collection; say how to get out of it.
            raise ValueError(f"the knowledge index in {path} was built with another embedding function ({exc}); "
                             "set COPILOT_EMBEDDINGS back, or delete that folder and run `psa-copilot kb sync`") from exc
        db = sqlite3.connect(path / STATE_FILE, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        db.executemany("INSERT OR IGNORE INTO kinds (kind) VALUES (?)", [(k,) for k in KINDS])
        return cls(path, client, collections, db, _embedding_name(embedding_function))

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._client.close()

    def __enter__(self) -> KnowledgeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reads ------------------------------------------------------------------------------------------

    def dense(self, kind: Kind) -> ChromaDenseIndex:
        return ChromaDenseIndex(self._collections[kind])

    def documents(self, kind: Kind) -> list[Document]:
        """Every document of the kind, in ConnectWise id order (what BM25 is built from)."""
        rows = self._query("SELECT id, title, text, metadata FROM documents WHERE kind = ? "
                           "ORDER BY length(id), id", (kind,))
        return [Document(id=r[0], title=r[1], text=r[2], metadata=json.loads(r[3])) for r in rows]

    def get(self, kind: Kind, doc_id: str) -> Document | None:
        rows = self._query("SELECT id, title, text, metadata FROM documents WHERE kind = ? AND id = ?",
                           (kind, doc_id))
        if not rows:
            return None
        found_id, title, text, metadata = rows[0]
        return Document(id=found_id, title=title, text=text, metadata=json.loads(metadata))

    def count(self, kind: Kind) -> int:
        return int(self._query("SELECT count(*) FROM documents WHERE kind = ?", (kind,))[0][0])

    def chunk_count(self, kind: Kind) -> int:
        return int(self._collections[kind].count())

    def ids(self, kind: Kind) -> set[str]:
        return {r[0] for r in self._query("SELECT id FROM documents WHERE kind = ?", (kind,))}

    def hashes(self, kind: Kind) -> dict[str, str]:
        """doc id -> content hash, for deciding what a sync must rewrite."""
        return dict(self._query("SELECT id, hash FROM documents WHERE kind = ?", (kind,)))

    def hash_of(self, kind: Kind, doc_id: str) -> str | None:
        """One document's content hash (a callback's refresh of one record), None when it is not stored."""
        rows = self._query("SELECT hash FROM documents WHERE kind = ? AND id = ?", (kind, doc_id))
        return rows[0][0] if rows else None

    def version(self, kind: Kind) -> int:
        """Bumped by every write that changes the kind's documents: searchers rebuild BM25 when it moves."""
        return int(self._query("SELECT version FROM kinds WHERE kind = ?", (kind,))[0][0])

    def high_water(self, kind: Kind) -> datetime | None:
        """The `_info/lastUpdated` from which the next incremental sync of the kind fetches."""
        value = self._query("SELECT high_water FROM kinds WHERE kind = ?", (kind,))[0][0]
        return datetime.fromisoformat(value) if value else None

    def last_sync(self) -> datetime | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'last_sync'", ())
        return datetime.fromisoformat(rows[0][0]) if rows else None

    def stats(self) -> KnowledgeStats:
        return KnowledgeStats(
            path=str(self.path),
            embedding_function=self._embedding_name,
            documents={kind: self.count(kind) for kind in KINDS},
            chunks={kind: self.chunk_count(kind) for kind in KINDS},
            last_sync=self.last_sync(),
        )

    # ---- writes -----------------------------------------------------------------------------------------

    def upsert(self, kind: Kind, docs: list[Document], on_progress: Callable[[int], None] | None = None) -> int:
        """Embed and store `docs` (new or changed), replacing all of their previous chunks; returns chunks
        written. CPU-bound (embedding): call it from a worker thread in async code."""
        docs = list({d.id: d for d in docs}.values())  # one id once: the last version wins
        if not docs:
            return 0
        collection = self._collections[kind]
        written = ChromaDenseIndex(collection).add(docs, on_progress=on_progress)
        chunks = {d.id: [chunk_id for chunk_id, _, _ in chunk_records(d)] for d in docs}
        fresh = {chunk_id for ids in chunks.values() for chunk_id in ids}
        stale = [i for i in self._chunk_ids(collection, list(chunks)) if i not in fresh]
        for batch in _batches(stale):
            collection.delete(ids=batch)
        rows = [
            (kind, d.id, d.title, d.text, json.dumps(d.metadata, ensure_ascii=False), content_hash(d),
             len(chunks[d.id]))
            for d in docs
        ]
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO documents (kind, id, title, text, metadata, hash, chunks) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self._bump(kind)
        return written

    def delete(self, kind: Kind, doc_ids: Iterable[str]) -> int:
        """Remove documents and all their chunks; returns how many documents the sidecar held."""
        ids = sorted(set(doc_ids))
        if not ids:
            return 0
        collection = self._collections[kind]
        for batch in _batches(ids):
            collection.delete(where={DOC_ID_KEY: {"$in": batch}})
        removed = 0
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for batch in _batches(ids):
                marks = ",".join("?" * len(batch))
                cursor = self._db.execute(f"DELETE FROM documents WHERE kind = ? AND id IN ({marks})", (kind, *batch))
                removed += cursor.rowcount
            if removed:
                self._bump(kind)
        return removed

    def set_high_water(self, kind: Kind, value: datetime) -> None:
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        with self._lock:
            self._db.execute("UPDATE kinds SET high_water = ? WHERE kind = ?", (moment.isoformat(), kind))

    def clear_high_water(self, kind: Kind) -> None:
        with self._lock:
            self._db.execute("UPDATE kinds SET high_water = NULL WHERE kind = ?", (kind,))

    def set_last_sync(self, value: datetime) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sync', ?)", (value.isoformat(),))

    # ---- helpers ----------------------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _bump(self, kind: Kind) -> None:
        self._db.execute("UPDATE kinds SET version = version + 1 WHERE kind = ?", (kind,))

    @staticmethod
    def _chunk_ids(collection: Any, doc_ids: list[str]) -> list[str]:
        """Every chunk id chromadb holds for these documents (asked of chromadb, not the sidecar, so chunks
        written by an interrupted run that never reached the sidecar are found too)."""
        found: list[str] = []
        for batch in _batches(doc_ids):
            found.extend(collection.get(where={DOC_ID_KEY: {"$in": batch}}, include=[])["ids"])
        return found
