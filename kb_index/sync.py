"""Sync a product's KB articles and closed tickets (psa.provider.KnowledgeSource) into the KnowledgeStore,
incrementally.

Per kind:
1. Take the high-water mark for the *next* run before scanning: the newest `_info/lastUpdated` on the
   server. Anything changed during or after the scan is stamped at or after it (server clock, `>=`), so
   the next run sees it; taking the mark from our own clock would be exposed to clock skew.
2. Fetch records with `lastUpdated >= previous mark` (everything on the first or a `full` run), forward-only
   paging; build Documents (a ticket's text needs its notes) and compare content hashes with the store, so
   only what really changed is embedded. Changed documents are written in batches in a worker thread
   (embedding is CPU-bound), while the next batch is fetched.
3. List every current id and delete what the store has but the product no
   longer does: deleted articles, and tickets deleted or reopened (no longer closed).
4. Only then store the new mark. An interrupted run leaves the old mark, so the re-run fetches the same
   records again; ids are idempotent and unchanged hashes are skipped, so nothing is duplicated or lost.

On real ConnectWise a ticket's lastUpdated moves when a note is added; the sandbox stamps notes only, so a
note added to an already closed sandbox ticket is picked up by `full=True` (which re-checks every record
but still embeds only what changed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from kb_index.records import kb_article_document, resolved_ticket_document
from kb_index.store import KINDS, Kind, KnowledgeStore, content_hash
from kb_index.types import Document
from psa.provider import KnowledgeSource

# Documents embedded per worker-thread call: big enough to batch the model well, small enough that an
# interruption loses little work and progress moves (a few seconds each). Measured on the 2,000-ticket
# sandbox, 2 cores: 64 -> 41 docs/s, 128 -> 51, 256 -> 50.
DEFAULT_BATCH_SIZE = 128


class SyncProgress(BaseModel):
    kind: Kind
    stage: Literal["fetching", "removing"]
    done: int = Field(description="records of this kind checked (and written, if they changed) so far")
    total: int | None = Field(None, description="records of this kind to check, when known")


class KindReport(BaseModel):
    fetched: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = Field(0, description="documents in the index after the sync that were not written")
    chunks_written: int = 0


class SyncReport(BaseModel):
    full: bool
    started: datetime
    finished: datetime
    duration_s: float
    kinds: dict[Kind, KindReport]

    @property
    def changed(self) -> int:
        return sum(r.added + r.updated + r.removed for r in self.kinds.values())


@dataclass(frozen=True)
class _Source:
    """How one kind is read from the product."""

    latest_update: Callable[[], Awaitable[datetime | None]]
    count: Callable[[datetime | None], Awaitable[int]]
    documents: Callable[[datetime | None], AsyncIterator[Document]]
    ids: Callable[[], AsyncIterator[int]]


def _kb_source(source: KnowledgeSource) -> _Source:
    async def documents(since: datetime | None) -> AsyncIterator[Document]:
        async for article in source.iterate_articles(since):
            yield kb_article_document(article)

    return _Source(
        latest_update=source.latest_article_update,
        count=source.count_articles,
        documents=documents,
        ids=source.iterate_article_ids,
    )


def _ticket_source(source: KnowledgeSource) -> _Source:
    async def documents(since: datetime | None) -> AsyncIterator[Document]:
        async for ticket in source.iterate_resolved(since):
            yield resolved_ticket_document(ticket)

    return _Source(
        latest_update=source.latest_resolved_update,
        count=source.count_resolved,
        documents=documents,
        ids=source.iterate_resolved_ids,
    )


class _Writer:
    """Writes batches of changed documents in a worker thread, one batch in flight, so fetching the next
    batch overlaps embedding this one."""

    def __init__(self, store: KnowledgeStore, kind: Kind, on_written: Callable[[int], None]) -> None:
        self.store, self.kind, self.on_written = store, kind, on_written
        self.chunks = 0
        self._pending: tuple[asyncio.Task[int], int] | None = None

    async def submit(self, docs: list[Document]) -> None:
        await self.drain()
        task = asyncio.create_task(asyncio.to_thread(self.store.upsert, self.kind, docs))
        self._pending = (task, len(docs))

    async def drain(self) -> None:
        if self._pending is None:
            return
        task, count = self._pending
        # Shielded: cancelling the sync must not orphan the thread's result; `settle` still waits for it.
        self.chunks += await asyncio.shield(task)
        self._pending = None
        self.on_written(count)

    async def settle(self) -> None:
        """Wait for a batch still in flight without reporting it (used when the sync is failing): the thread
        cannot be cancelled, and the store must not be closed under it."""
        if self._pending is not None:
            task, _ = self._pending
            self._pending = None
            await asyncio.gather(task, return_exceptions=True)


async def _sync_kind(source: _Source, store: KnowledgeStore, kind: Kind, *, full: bool, batch_size: int,
                     progress: Callable[[SyncProgress], None] | None) -> KindReport:
    since = None if full else store.high_water(kind)
    next_mark = await source.latest_update()
    total = await source.count(since)
    known = store.hashes(kind)
    report = KindReport()
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(SyncProgress(kind=kind, stage="fetching", done=done, total=total))

    # Announce the kind and its size before the first batch is embedded (seconds on 2 cores), so a status
    # reader sees "0 of 163" at once rather than a bare count with no total.
    advance(0)
    writer = _Writer(store, kind, advance)
    batch: list[Document] = []
    written: set[str] = set()
    try:
        async for doc in source.documents(since):
            report.fetched += 1
            previous = known.get(doc.id)
            if previous == content_hash(doc):
                advance(1)
                continue
            if previous is None:
                report.added += 1
            else:
                report.updated += 1
            batch.append(doc)
            written.add(doc.id)
            if len(batch) >= batch_size:
                await writer.submit(batch)
                batch = []
        if batch:
            await writer.submit(batch)
        await writer.drain()
    finally:
        await writer.settle()
    report.chunks_written = writer.chunks

    if progress is not None:
        progress(SyncProgress(kind=kind, stage="removing", done=done, total=total))
    current = {str(i) async for i in source.ids()}
    gone = store.ids(kind) - current
    if gone:
        report.removed = await asyncio.to_thread(store.delete, kind, gone)
    report.unchanged = len(store.ids(kind) - written)
    if next_mark is not None:
        store.set_high_water(kind, next_mark)
    else:  # nothing on the server: the next run starts from scratch too
        store.clear_high_water(kind)
    return report


async def sync(source: KnowledgeSource, store: KnowledgeStore, *,
               progress: Callable[[SyncProgress], None] | None = None, full: bool = False,
               batch_size: int = DEFAULT_BATCH_SIZE) -> SyncReport:
    """Bring `store` up to date with the product: KB articles, then resolved (closed) tickets."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = datetime.now(UTC)
    clock = time.perf_counter()
    sources: dict[Kind, _Source] = {"kb_articles": _kb_source(source), "resolved_tickets": _ticket_source(source)}
    kinds: dict[Kind, KindReport] = {}
    for kind in KINDS:
        kinds[kind] = await _sync_kind(sources[kind], store, kind, full=full, batch_size=batch_size,
                                       progress=progress)
    finished = datetime.now(UTC)
    store.set_last_sync(finished)
    return SyncReport(full=full, started=started, finished=finished,
                      duration_s=round(time.perf_counter() - clock, 3), kinds=kinds)
