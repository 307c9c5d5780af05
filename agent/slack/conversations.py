"""Agent turns per Slack thread: history kept per thread (bounded), one turn at a time in a thread, threads
in parallel. Each turn opens its own MCP client acting as the technician who wrote the message, shows its
progress and trace in a status message, asks for each write with buttons, and posts the answer in the thread.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp_types import CallToolResult, TextContent

from agent.llm import LLMSettings
from agent.loop import Agent, AgentEvent, ToolCallFinished, ToolCallStarted, TurnResult
from agent.slack import render
from agent.slack.approvals import Approvals, PendingWrite
from agent.slack.mcp import SharedServer
from agent.slack.people import Person
from agent.slack.web import SlackOut

log = logging.getLogger("psa_copilot.slack")

MAX_TURNS = 12
"""Turns of a thread the model sees again; older ones are dropped whole (tool results stay with their calls)."""
MAX_HISTORY_CHARS = 80_000
"""About 20k tokens of history, whatever the turn count: tool results can be long."""
MAX_THREADS = 500
"""Threads remembered; the least recently used is forgotten first."""
PROGRESS_EVERY_S = 1.0
"""At most one status update a second: chat.update is rate-limited per channel."""

REFUSAL = (
    "Sorry {name}, I can only work for technicians of this service desk, and your Slack account is not linked "
    "to one. An admin can link you with `psa-copilot users link YOUR_EMAIL --slack-id {slack_id}`."
)
NO_MODEL = "No language model is configured for this bot, so I cannot chat; `/psa help` lists what works without one."


@dataclass(frozen=True)
class Where:
    channel: str
    thread_ts: str


@dataclass
class Thread:
    history: list[dict[str, Any]] = field(default_factory=list)
    """The conversation without the system prompt, as the Agent keeps it."""
    lock: anyio.Lock = field(default_factory=anyio.Lock)


def bounded(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest turns that fit MAX_TURNS and MAX_HISTORY_CHARS (the newest turn always kept)."""
    starts = [i for i, m in enumerate(history) if m.get("role") == "user"]
    for start in starts:
        kept = history[start:]
        turns = sum(1 for m in kept if m.get("role") == "user")
        if turns <= MAX_TURNS and sum(len(str(m.get("content") or "")) for m in kept) <= MAX_HISTORY_CHARS:
            return kept
    return history[starts[-1] :] if starts else []


class Conversations:
    def __init__(
        self, mcp: SharedServer, slack: SlackOut, approvals: Approvals, llm: LLMSettings | None, *, max_steps: int = 10
    ) -> None:
        self.mcp = mcp
        self.slack = slack
        self.approvals = approvals
        self.llm = llm
        self.max_steps = max_steps
        self._threads: OrderedDict[Where, Thread] = OrderedDict()

    def knows(self, where: Where) -> bool:
        return where in self._threads

    def _thread(self, where: Where) -> Thread:
        thread = self._threads.pop(where, None) or Thread()
        self._threads[where] = thread
        while len(self._threads) > MAX_THREADS:
            self._threads.popitem(last=False)
        return thread

    async def turn(self, person: Person, where: Where, text: str) -> None:
        if person.identity is None:
            await self.slack.post(where.channel, where.thread_ts, {"text": REFUSAL.format(name=render.escape(person.name), slack_id=person.slack_id)})
            return
        if self.llm is None:
            await self.slack.post(where.channel, where.thread_ts, {"text": NO_MODEL})
            return
        thread = self._thread(where)
        async with thread.lock:
            status_ts = await self.slack.post(where.channel, where.thread_ts, render.status_message("_Working on it…_", []))
            progress = _Progress(self.slack, where, status_ts)
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(progress.run)
                    try:
                        result = await self._run(person, where, thread, text, progress)
                    finally:
                        tg.cancel_scope.cancel()
            except Exception as exc:  # noqa: BLE001 - the technician must hear that the turn failed
                log.exception("a Slack turn failed")
                result = TurnResult(answer=f"Sorry, that failed: {type(exc).__name__}.", stopped="error", error=str(exc))
            await progress.finish(result)
            await self.slack.post(where.channel, where.thread_ts, render.answer_message(result.answer, self.mcp.site))

    async def _run(self, person: Person, where: Where, thread: Thread, text: str, progress: _Progress) -> TurnResult:
        assert person.identity is not None and self.llm is not None
        writes = _Writes(self.approvals, self.slack, person, where)
        async with self.mcp.session(person.identity, writes.confirm) as client, self.llm.client() as llm:
            agent = Agent(
                _Observed(client, writes.finished),  # type: ignore[arg-type]  # a Client with one call observed
                llm,
                self.llm.model,
                max_steps=self.max_steps,
                tool_timeout_s=self.llm.tool_timeout_s,
            )
            agent.messages.extend(thread.history)
            try:
                return await agent.run_turn(text, on_event=progress.on_event)
            finally:
                thread.history = bounded(agent.messages[1:])


class _Observed:
    """The turn's MCP client, telling `after` each tool result (or None when the call raised): the approval
    message shows the write's outcome, which only the result carries."""

    def __init__(self, client: Any, after: Any) -> None:
        self._client = client
        self._after = after

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def call_tool(self, name: str, arguments: dict[str, Any], *args: Any, **kwargs: Any) -> CallToolResult:
        try:
            result = await self._client.call_tool(name, arguments, *args, **kwargs)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._after(None)
            raise
        await self._after(result)
        return result


class _Writes:
    """The turn's confirm(): a message with the preview and the buttons, then waiting for the requester."""

    def __init__(self, approvals: Approvals, slack: SlackOut, person: Person, where: Where) -> None:
        self.approvals = approvals
        self.slack = slack
        self.person = person
        self.where = where
        self.current: PendingWrite | None = None

    async def confirm(self, message: str, _schema: dict[str, Any]) -> bool:
        pending = self.approvals.open(
            requester=self.person.slack_id,
            requester_name=self.person.name,
            channel=self.where.channel,
            thread_ts=self.where.thread_ts,
            preview=message,
        )
        self.current = pending
        try:
            pending.message_ts = await self.slack.post(self.where.channel, self.where.thread_ts, render.approval_message(pending))
            # A preview nobody could see is never approved.
            approved = pending.message_ts is not None and await self.approvals.wait(pending)
        finally:
            self.approvals.cancel(pending)
        if approved:
            headline = f"… Approved by {render.escape(self.person.name)}: writing…"
        else:
            headline = render.outcome_headline(pending, None)
        await self.slack.update(pending.channel, pending.message_ts, render.outcome_message(pending, headline))
        return approved

    async def finished(self, result: CallToolResult | None) -> None:
        pending, self.current = self.current, None
        if pending is None or pending.decision != "approved":
            return
        if result is None:
            headline = "? *Outcome unknown*: the tool call failed or timed out; check the ticket before retrying."
        else:
            text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
            headline = render.outcome_headline(pending, result.structured_content, text)
        await self.slack.update(pending.channel, pending.message_ts, render.outcome_message(pending, headline))


class _Progress:
    """The status message: what the agent is doing, updated as tool calls start and finish (throttled)."""

    def __init__(self, slack: SlackOut, where: Where, ts: str | None) -> None:
        self.slack = slack
        self.where = where
        self.ts = ts
        self.calls: list[tuple[str, dict[str, Any], str | None]] = []
        self._changed = anyio.Event()

    def on_event(self, event: AgentEvent) -> None:
        if isinstance(event, ToolCallStarted):
            self.calls.append((event.name, event.arguments, None))
        elif isinstance(event, ToolCallFinished) and self.calls:
            name, arguments, _ = self.calls[-1]
            self.calls[-1] = (name, arguments, "error" if event.record.is_error else "ok")
        else:
            return
        self._changed.set()

    def _trace(self) -> list[str]:
        return [render.trace_line(name, arguments, status) for name, arguments, status in self.calls]

    async def run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed = anyio.Event()
            await self.slack.update(self.where.channel, self.ts, render.status_message("_Working on it…_", self._trace()))
            await anyio.sleep(PROGRESS_EVERY_S)

    async def finish(self, result: TurnResult) -> None:
        count = len(self.calls)
        done = {"answer": "Done", "step_limit": "Stopped at the step limit", "error": "Failed"}[result.stopped]
        headline = f"{done} · {count} tool call{'s' if count != 1 else ''}"
        await self.slack.update(self.where.channel, self.ts, render.status_message(headline, self._trace()))
