"""Works through the callback inbox in the background: the receiver only stores and acknowledges.

Per record (deliveries for the same record are handled together, so a burst costs one read):
- a ticket: the knowledge index updates that one document (kb_index/refresh.py: re-read, closed -> written,
  reopened or deleted -> removed); a ticket *added* through a Board-level entry (a watched board, from
  `psa-copilot callbacks register --board`) also gets its hints, once, handed to every sink;
- a KB article: the index updates that article;
- anything else (companies, contacts, configurations): recorded, nothing to do yet.

Nothing here writes to ConnectWise, so a callback can never cause another one. A failure (ConnectWise down) is
retried with backoff and, after MAX_ATTEMPTS, left as failed in the inbox; the periodic sync still catches up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import anyio

from callbacks.hints import HintSink, TicketHints, compute_hints
from kb_index.refresh import refresh_article, refresh_ticket
from psa.connectwise.callbacks import CallbackEntry
from psa.connectwise.knowledge import ConnectWiseKnowledge
from psa.connectwise.errors import ConnectWiseError, ConnectWiseNotFoundError
from psa.connectwise.provider import ConnectWiseProvider
from settings import one_line
from storage.callbacks import CallbackStore, InboxMessage

if TYPE_CHECKING:
    from kb_index.search import KnowledgeSearch
    from kb_index.store import KnowledgeStore

log = logging.getLogger("psa_copilot.callbacks")

MAX_ATTEMPTS = 6
RETRY_DELAYS_S = (2.0, 10.0, 60.0, 300.0, 1800.0)
IDLE_POLL_S = 30.0
"""Between wake-ups: retries come due, and another process sharing the inbox may have stored deliveries."""
ENTRY_CACHE_S = 300.0
KEEP_DONE = timedelta(days=7)
"""How long handled MessageIds are remembered: ConnectWise retries within hours, never days later."""
BATCH = 100


class CallbackWorker:
    def __init__(self, inbox: CallbackStore, provider: ConnectWiseProvider, *,
                 index: KnowledgeStore | None = None, search: KnowledgeSearch | None = None,
                 sinks: list[HintSink] | None = None, index_note: str | None = None,
                 retry_delays_s: Sequence[float] = RETRY_DELAYS_S) -> None:
        self.inbox = inbox
        self.provider = provider
        self.knowledge = ConnectWiseKnowledge(provider)
        self.index = index
        self.search = search
        self.sinks: list[HintSink] = sinks if sinks is not None else []
        self.index_note = index_note
        self.retry_delays_s = tuple(retry_delays_s)
        self._entries: dict[int, tuple[CallbackEntry | None, float]] = {}
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Look at the inbox now; callable from any thread (the receiver may run on another event loop)."""
        if self._loop is None or self._wake is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Until cancelled."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        await anyio.to_thread.run_sync(self.inbox.prune, KEEP_DONE)
        while True:
            self._wake.clear()
            due = await anyio.to_thread.run_sync(self.inbox.due, BATCH)
            if due:
                await self.handle(due)
                continue
            await self._sleep()

    async def _sleep(self) -> None:
        assert self._wake is not None
        next_due = await anyio.to_thread.run_sync(self.inbox.next_due)
        wait = IDLE_POLL_S
        if next_due is not None:
            wait = min(wait, max(0.0, (next_due - datetime.now(UTC)).total_seconds()) + 0.01)
        with anyio.move_on_after(wait):
            await self._wake.wait()

    async def handle(self, messages: Sequence[InboxMessage]) -> None:
        groups: dict[tuple[str, int], list[InboxMessage]] = defaultdict(list)
        for message in messages:
            groups[(message.kind, message.record_id)].append(message)
        for (kind, record_id), group in groups.items():
            ids = [m.message_id for m in group]
            try:
                outcome = await self._record(kind, record_id, group)
            except Exception as exc:  # noqa: BLE001 - one record's failure must not stop the others
                attempts = max(m.attempts for m in group)
                delay = self.retry_delays_s[min(attempts, len(self.retry_delays_s) - 1)]
                reason = one_line(exc) if isinstance(exc, ConnectWiseError) else f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, ConnectWiseError):
                    log.exception("callback for %s %s failed", kind, record_id)
                else:
                    log.warning("callback for %s %s failed (retrying in %.0f s): %s", kind, record_id, delay, reason)
                await anyio.to_thread.run_sync(self.inbox.retry_later, ids, reason, delay, MAX_ATTEMPTS)
                continue
            await anyio.to_thread.run_sync(self.inbox.finish, ids, outcome)
            log.info("callback: %s %s -> %s", kind, record_id, outcome)

    async def _record(self, kind: str, record_id: int, group: list[InboxMessage]) -> str:
        if kind == "ticket":
            outcomes = []
            if self.index is not None:
                outcomes.append(f"index {await refresh_ticket(self.knowledge, self.index, record_id)}")
            if any(m.action == "added" for m in group) and await self._watched(group):
                outcomes.append(await self._hints(record_id))
            return ", ".join(outcomes) or "nothing to do"
        if kind == "knowledgebasearticle":
            if self.index is None:
                return "nothing to do (no index)"
            return f"index {await refresh_article(self.knowledge, self.index, record_id)}"
        return "ignored"

    async def _watched(self, group: list[InboxMessage]) -> bool:
        """Whether one of the deliveries came through an active Ticket entry at Board level: a watched board."""
        for entry_id in {m.entry_id for m in group if m.action == "added" and m.entry_id is not None}:
            entry = await self._entry(entry_id)
            if entry is not None and (entry.type or "").lower() == "ticket" and (entry.level or "").lower() == "board" \
                    and not entry.inactiveFlag:
                return True
        return False

    async def _entry(self, entry_id: int) -> CallbackEntry | None:
        cached = self._entries.get(entry_id)
        if cached is not None and time.monotonic() - cached[1] < ENTRY_CACHE_S:
            return cached[0]
        try:
            entry: CallbackEntry | None = await self.provider.get_callback(entry_id)
        except ConnectWiseNotFoundError:
            entry = None
        self._entries[entry_id] = (entry, time.monotonic())
        return entry

    async def _hints(self, ticket_id: int) -> str:
        if not await anyio.to_thread.run_sync(self.inbox.claim_hints, ticket_id):
            return "hints already made"
        try:
            hints = await compute_hints(self.provider.neutral(), self.search, ticket_id, self.index_note)
        except ConnectWiseNotFoundError:
            await anyio.to_thread.run_sync(self.inbox.release_hints, ticket_id)
            return "ticket gone: no hints"
        except BaseException:
            with anyio.CancelScope(shield=True):  # a stopping server still gives the claim back
                await anyio.to_thread.run_sync(self.inbox.release_hints, ticket_id)
            raise
        await anyio.to_thread.run_sync(self.inbox.save_hints, ticket_id, hints.model_dump_json())
        await self._deliver(hints)
        return f"hints for {len(self.sinks)} sink(s)"

    async def _deliver(self, hints: TicketHints) -> None:
        for sink in self.sinks:
            try:
                await sink.deliver(hints)
            except Exception:  # noqa: BLE001 - the hints are stored; one sink failing must not stop the rest
                log.exception("delivering hints for ticket %s to %s failed", hints.ticket_id, type(sink).__name__)
