"""`BackgroundIndexer`: run a sync as an asyncio task next to the server, never in its way.

The server starts it and keeps serving at once: fetching is async I/O, and the CPU-bound part (embedding and
chromadb writes) runs in a worker thread inside `kb_index.sync`, so the event loop stays free. Tools read
`status` to tell the user how far indexing has got, and `ready` to know whether search can answer yet.
A failed sync is reported in `status`, never raised into the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kb_index.store import KINDS, Kind, KnowledgeStore
from kb_index.sync import SyncProgress, SyncReport, sync
from psa.provider import KnowledgeSource

log = logging.getLogger("psa_copilot.kb_index")

SourceFactory = Callable[[], AbstractAsyncContextManager[KnowledgeSource]]

_KIND_LABEL: dict[Kind, str] = {"kb_articles": "KB articles", "resolved_tickets": "resolved tickets"}


class IndexStatus(BaseModel):
    state: Literal["idle", "indexing", "ready", "failed"]
    phase: Kind | None = Field(None, description="the kind being indexed while state is indexing")
    done: int = 0
    total: int | None = None
    error: str | None = None
    last_sync: datetime | None = None
    documents: dict[Kind, int] = Field(default_factory=dict, description="documents in the index, per kind")

    @property
    def message(self) -> str:
        """One line for a tool to show, e.g. "indexing resolved tickets: 340 of 1,612 documents"."""
        if self.state == "indexing":
            what = _KIND_LABEL[self.phase] if self.phase else "the knowledge base"
            amount = f"{self.done:,} of {self.total:,}" if self.total is not None else f"{self.done:,}"
            return f"indexing {what}: {amount} documents"
        if self.state == "failed":
            return f"indexing failed: {self.error}"
        held = " and ".join(f"{self.documents.get(k, 0):,} {_KIND_LABEL[k]}" for k in KINDS)
        if self.state == "ready":
            return f"ready: {held} indexed"
        return f"not indexing; {held} indexed" if self.last_sync else "the knowledge index has not been built yet"


class BackgroundIndexer:
    """`source`: an open knowledge source (used, not closed), or a factory of async context managers yielding one
    (opened for each sync and closed after it)."""

    def __init__(self, source: KnowledgeSource | SourceFactory, store: KnowledgeStore, *,
                 full: bool = False, interval_s: float | None = None) -> None:
        self._source = source
        self.store = store
        self.full = full
        self.interval_s = interval_s
        """Seconds between syncs after the first (incremental ones); None: the first only."""
        self.report: SyncReport | None = None
        self._task: asyncio.Task[None] | None = None
        self._status = IndexStatus(state="idle", last_sync=store.last_sync())
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def status(self) -> IndexStatus:
        return self._status.model_copy(update={"documents": {k: self.store.count(k) for k in KINDS}})

    @property
    def ready(self) -> bool:
        """True once a sync has completed, in this process or an earlier one: search then has a whole index
        (maybe a little stale) rather than the partial one a first sync is still building."""
        return self.store.last_sync() is not None

    def start(self) -> asyncio.Task[None]:
        """Schedule a sync (and, with `interval_s`, the ones after it) in the running loop and return at once; a
        task already running is reused."""
        if self._task is None or self._task.done():
            self._status = IndexStatus(state="indexing", last_sync=self.store.last_sync())
            self._idle.clear()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="kb-index-sync")
        return self._task

    async def wait(self) -> IndexStatus:
        """Once the sync under way (if any) has finished."""
        if self._task is not None and not self._task.done():
            idle = asyncio.create_task(self._idle.wait())
            await asyncio.wait({idle, self._task}, return_when=asyncio.FIRST_COMPLETED)
            idle.cancel()
        return self.status

    async def _loop(self) -> None:
        while True:
            self._idle.clear()
            try:
                await self._run()
            finally:
                self._idle.set()
            if self.interval_s is None:
                return
            await asyncio.sleep(self.interval_s)
            self.full = False  # a first `full` pass re-checked everything; the ones after follow changes

    async def aclose(self) -> None:
        """Cancel a running sync (for server shutdown). A batch already being embedded finishes first, so
        the store is consistent when the caller closes it."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        try:
            if callable(self._source):
                async with self._source() as source:
                    report = await sync(source, self.store, progress=self._on_progress, full=self.full)
            else:
                report = await sync(self._source, self.store, progress=self._on_progress, full=self.full)
        except asyncio.CancelledError:
            self._status = self._status.model_copy(update={"state": "idle"})
            raise
        except Exception as exc:  # the server must keep running; the error is shown through status
            log.exception("knowledge index sync failed")
            self._status = IndexStatus(state="failed", phase=self._status.phase, done=self._status.done,
                                       total=self._status.total, error=f"{type(exc).__name__}: {exc}",
                                       last_sync=self.store.last_sync())
            return
        self.report = report
        self._status = IndexStatus(state="ready", last_sync=report.finished)
        log.info("knowledge index ready in %.1f s: %s", report.duration_s,
                 ", ".join(f"{k} +{r.added} ~{r.updated} -{r.removed}" for k, r in report.kinds.items()))

    def _on_progress(self, progress: SyncProgress) -> None:
        self._status = IndexStatus(state="indexing", phase=progress.kind, done=progress.done, total=progress.total,
                                   last_sync=self._status.last_sync)
