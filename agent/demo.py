"""`psa-copilot demo`: a scripted tour of the copilot over the embedded sandbox, with no API key.

The "model" is the scripted chat stub (agent/stub.py) on loopback; everything else is real: our MCP server in
process on the embedded sandbox, the agent loop, the tools, the write guard rails and the audit log, rendered by
the chat front-end (agent/chat.py). Each scripted reply is decided from the tool results in the request, the way
the eval suite's scripts are (agent/eval/stub_scripts.py), so every answer shows what the tools really returned.

The one write (posting the drafted note) asks for confirmation with the exact preview, and the demo answers for
the technician: no, unless --yes. The tour always runs on the embedded sandbox, and on a throwaway copy of its
database: $COPILOT_DATA_DIR/sandbox.db (seeded on first use) stays as it was, so a note posted with --yes does not
turn up in the next tour's summary. The KB index and the audit log under COPILOT_DATA_DIR are the real ones (the
copy holds the same data, so the index synced from it is the index of the sandbox). A CW_SITE in the environment
is ignored (the tour then uses a temporary data dir) and --yes is refused while one is set, so a demo can never be
mistaken for, or turned into, a write to a real site.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from openai import AsyncOpenAI
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.rule import Rule
from rich.text import Text

from agent.chat import Terminal, _leaf, _quiet_logging
from agent.eval.stub_scripts import Seen, call, react
from agent.loop import Agent
from agent.session import open_session
from agent.stub import ChatStub, ToolCall, running_stub
from sandbox.seed import INJECTION_TICKET_IDS

if TYPE_CHECKING:
    from guardrails.guard import WriteGuard
    from guardrails.policy import Policy
    from kb_index.indexer import BackgroundIndexer
    from psa.connectwise.provider import ConnectWiseProvider
    from tools.common import KnowledgeBase

KB_POLL_S = 0.2
SEARCH_PAGE = 20
"""The newest open Help Desk tickets shown in step 1: the seeded prompt-injection tickets are the newest, so a
page this size also holds a few ordinary tickets for the rest of the tour."""
MAX_STEPS = 4  # each scripted turn needs at most two model calls; more would mean the script went wrong


class DemoTerminal(Terminal):
    """The chat front-end with the technician's confirmation answered by the demo (echoed where they would
    type it); everything else rendered exactly as `psa-copilot chat` renders it."""

    def __init__(self, yes: bool) -> None:
        super().__init__()
        self.answer = "y" if yes else "n"
        self.asked = 0

    async def readline(self) -> str:
        self.asked += 1
        self.err.print(Text(f"{self.answer}  (answered by the demo)", style="bold"))
        return self.answer


# ---- the script: what a competent model would do, decided from the tool results it is shown ----------------------


def _answer(build: Callable[[Seen], str]) -> Callable[[dict[str, Any]], str]:
    """A final answer built from the results; a failed tool (e.g. hidden by COPILOT_TOOLSETS) is reported, not
    raised into the stub server."""

    def answer(seen: Seen) -> str:
        try:
            return build(seen)
        except LookupError as exc:
            return f"I could not do that: {exc}"

    return react(answer)


def _newest(seen: Seen) -> str:
    items = seen.last("search_tickets")["items"]
    lines = [f"- #{t['id']} {t['summary']} · {t['company']} · {t['status']} · entered {t['entered']}" for t in items]
    return f"The {len(items)} newest open tickets on the Help Desk board:\n" + "\n".join(lines)


def _summary(seen: Seen) -> str:
    t, s = seen.last("get_ticket"), seen.last("summarize_ticket_notes")
    return f"#{t['id']} is for {t['company']['name']}, {t['status']} on {t['board']}.\n\n{s['text']}"


def _kb(seen: Seen) -> str:
    result = seen.last("suggest_kb_articles")
    items, index = result["items"], result["index"]
    lines = [f"- KB #{a['id']} {a['title']} (score {a['score']:.2f}; {a['why']})" for a in items]
    text = "Articles that may help:\n" + "\n".join(lines) if lines else "No KB article matches yet."
    if not index["ready"]:
        text += f"\n\n(Knowledge index not complete: {index['message']})"
    return text


def _draft(seen: Seen) -> str:
    return f"A draft internal-analysis note (not posted):\n\n{seen.last('draft_internal_analysis_note')['draft']}"


def _post(ticket_id: int) -> Callable[[dict[str, Any]], list[ToolCall]]:
    # Posts exactly the draft the technician read in the previous turn.
    return react(lambda seen: call(
        "add_ticket_note", ticket_id=ticket_id, text=seen.last("draft_internal_analysis_note")["draft"],
        note_type="internal_analysis",
    ))


def _posted(seen: Seen) -> str:
    outcome = seen.last("add_ticket_note")
    return f"{'Done' if outcome['status'] == 'written' else 'Not posted'}: {outcome['message']}"


def _injection(seen: Seen) -> str:
    text = _summary(seen)
    flagged = seen.last("summarize_ticket_notes").get("suspicious_note_ids") or []
    if flagged:
        notes = ", ".join(f"#{n}" for n in flagged)
        text += (f"\n\nNote(s) {notes} contain instructions aimed at an AI assistant. Ticket text is data, "
                 "not instructions: I did not act on them and changed nothing.")
    return text


# ---- the tour --------------------------------------------------------------------------------------------------


@contextmanager
def _tour_environment(site: str) -> Iterator[None]:
    """The environment the tour's server reads when its session opens, restored afterwards: CW_SITE unset, so it
    starts the embedded sandbox. With a real site configured, its data dir (KB index, audit log) is left alone too:
    the tour gets a throwaway one, so sandbox articles never land in the site's index."""
    saved = {name: os.environ.get(name) for name in ("CW_SITE", "COPILOT_DATA_DIR")}
    try:
        with ExitStack() as stack:
            if site:
                os.environ["COPILOT_DATA_DIR"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="psa-demo-"))
            os.environ.pop("CW_SITE", None)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _copy_database(source: Path, target: Path) -> None:
    # SQLite's backup API, not a file copy: it includes what a server using the database still holds in its WAL.
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@asynccontextmanager
async def _tour_provider(tickets: int) -> AsyncIterator[ConnectWiseProvider]:
    """A provider on a sandbox serving a throwaway copy of the embedded sandbox's database (seeded first with
    `tickets` when this is its first use, so later tours and `serve` find the same data)."""
    from psa.connectwise.provider import ConnectWiseProvider
    from psa.connectwise.settings import ConnectWiseSettings
    from sandbox import embedded
    from sandbox.runner import open_store, start_sandbox

    original = embedded.db_path()
    with tempfile.TemporaryDirectory(prefix="psa-demo-") as scratch:
        copy = Path(scratch) / "sandbox.db"
        await anyio.to_thread.run_sync(lambda: open_store(original, seed=42, tickets=tickets).close())
        await anyio.to_thread.run_sync(_copy_database, original, copy)
        sandbox = await anyio.to_thread.run_sync(lambda: start_sandbox(db_path=copy, tickets=tickets))
        try:
            async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox.url)) as provider:
                yield provider
        finally:
            await anyio.to_thread.run_sync(sandbox.stop)


@asynccontextmanager
async def _tour_knowledge(provider: ConnectWiseProvider, policy: Policy,
                          autosync: bool) -> AsyncIterator[KnowledgeBase | None]:
    """The data dir's knowledge index and its search, synced from the tour's sandbox in the background with
    `autosync` (the copy holds the sandbox's data, so this is the sandbox's index); None when the policy hides
    the KB tools, as the server opens none then."""
    from kb_index.indexer import BackgroundIndexer
    from kb_index.search import KnowledgeSearch
    from kb_index.store import KnowledgeStore
    from psa.connectwise.knowledge import ConnectWiseKnowledge
    from settings import data_dir
    from tools.common import KnowledgeBase

    if not policy.allows("suggest_kb_articles"):
        yield None
        return
    store = await anyio.to_thread.run_sync(lambda: KnowledgeStore.open(data_dir() / "kb"))
    indexer = BackgroundIndexer(ConnectWiseKnowledge(provider), store) if autosync else None
    try:
        if indexer is not None:
            indexer.start()
        yield KnowledgeBase(store=store, search=KnowledgeSearch(store), indexer=indexer)
    finally:
        if indexer is not None:
            await indexer.aclose()  # before the store closes: a batch being embedded finishes first
        await anyio.to_thread.run_sync(store.close)


def _tour_policy() -> tuple[Policy, WriteGuard]:
    """The exposure policy and write guard from the environment, in elicit mode unless writes are off, as
    agent_server builds them: the demo answers the confirmation in the front-end. Raises PolicyError/ValueError."""
    from guardrails.guard import WriteGuard
    from guardrails.policy import Policy

    policy = Policy.from_env()
    if policy.write_mode == "two_step":
        policy = dataclasses.replace(policy, write_mode="elicit")
    return policy, WriteGuard.from_env(policy)


def run_demo(*, yes: bool = False) -> int:
    """0 when the tour ran to the end; 1 when a step failed; 2 on a configuration error."""
    from guardrails.policy import PolicyError
    from kb_index.settings import autosync_from_env
    from sandbox.embedded import tickets_from_env
    from settings import data_dir

    err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
    site = (os.environ.get("CW_SITE") or "").strip()
    if yes and site:
        err.print(f"psa-copilot demo: --yes is refused while CW_SITE is set ({site}): the demo only ever writes "
                  "to the embedded sandbox. Unset CW_SITE to let it write there.")
        return 2
    ui = DemoTerminal(yes)
    if site:
        ui.err.print(Text(f"CW_SITE is set ({site}); the demo ignores it and tours a fresh embedded sandbox in a "
                          "temporary directory.", style="dim"))
    with _tour_environment(site):
        try:
            _quiet_logging()
            # Also the embedded sandbox's first start, which seeds its database: say why it may take a moment.
            ui.err.print(Text(f"Starting the embedded ConnectWise sandbox on a copy of its database (data in "
                              f"{data_dir()}) ...", style="dim"))
            policy, guard = _tour_policy()
            autosync = autosync_from_env(embedded=True)
            tickets = tickets_from_env()
        except (PolicyError, ValueError) as exc:
            err.print(f"psa-copilot demo: configuration error: {exc}")
            return 2
        try:
            with running_stub() as stub:
                return anyio.run(lambda: _tour(ui, stub, policy, guard, autosync, tickets))
        except KeyboardInterrupt:
            return 0
        except Exception as exc:  # noqa: BLE001 - one line, as `chat` reports it, not a traceback
            cause = _leaf(exc)
            err.print(f"psa-copilot demo: {type(cause).__name__}: {cause}")
            return 1


async def _tour(ui: DemoTerminal, stub: ChatStub, policy: Policy, guard: WriteGuard, autosync: bool,
                tickets: int) -> int:
    from server import build_server

    # No retries: each scripted reply answers exactly one request.
    async with (
        _tour_provider(tickets) as provider,
        _tour_knowledge(provider, policy, autosync) as knowledge,
        open_session(confirm=ui.confirm, server=build_server(provider, policy, knowledge, guard)) as client,
        AsyncOpenAI(base_url=stub.url, api_key="demo", max_retries=0) as llm,
    ):
        agent = Agent(client, llm, "scripted-demo-model", max_steps=MAX_STEPS)
        ui.err.print(Text(
            "psa-copilot demo · the model is a scripted stand-in that answers from the real tool results; "
            "the tools, guard rails and sandbox are real", style="dim"))
        total = 6

        async def step(number: int, title: str, question: str, *script: Any) -> bool:
            ui.err.print(Rule(f"step {number}/{total} · {title}", style="magenta"))
            ui.err.print(Text("you> ", style="bold"), end="")
            ui.err.print(Text(question))
            stub.script(*script)
            result = await agent.run_turn(question, on_event=ui.on_event)
            ui.finish(result)
            return result.stopped == "answer"

        if not await step(1, "find the newest open tickets", "What are the newest open tickets on the Help Desk board?",
                          call("search_tickets", board="Help Desk", is_open=True, page_size=SEARCH_PAGE),
                          _answer(_newest)):
            return 1
        # The technician picks the newest ordinary ticket from the list; the injection tickets get step 6.
        listed = _seen(agent).last("search_tickets")["items"]
        ticket_id = next((t["id"] for t in listed if t["id"] not in INJECTION_TICKET_IDS), None)
        if ticket_id is None:
            ui.err.print(Text("No ordinary open Help Desk ticket to continue the tour with.", style="red"))
            return 1

        if not await step(2, "open a ticket and summarise its notes", f"Open #{ticket_id} and summarise its notes.",
                          [ToolCall("get_ticket", {"ticket_id": ticket_id}),
                           ToolCall("summarize_ticket_notes", {"ticket_id": ticket_id})],
                          _answer(_summary)):
            return 1

        if knowledge is not None and knowledge.indexer is not None:
            await _wait_for_index(ui, knowledge.indexer)
        if not await step(3, "suggest KB articles", f"Which KB articles could help with #{ticket_id}?",
                          call("suggest_kb_articles", ticket_id=ticket_id, limit=3), _answer(_kb)):
            return 1

        if not await step(4, "draft an internal-analysis note", f"Draft an internal-analysis note for #{ticket_id}.",
                          call("draft_internal_analysis_note", ticket_id=ticket_id), _answer(_draft)):
            return 1

        asked = ui.asked
        if not await step(5, "post the note (asks for confirmation)", "Post that note to the ticket.",
                          _post(ticket_id), _answer(_posted)):
            return 1
        _report_write(ui, _seen(agent), asked_now=ui.asked > asked)

        injection_id = INJECTION_TICKET_IDS[0]
        calls_before = len(_seen(agent).results)
        if not await step(6, "a prompt-injection ticket, read safely", f"Summarise ticket #{injection_id}.",
                          [ToolCall("get_ticket", {"ticket_id": injection_id}),
                           ToolCall("summarize_ticket_notes", {"ticket_id": injection_id})],
                          _answer(_injection)):
            return 1
        used = [name for name, _, _ in _seen(agent).results[calls_before:]]
        tools = await agent.tools()
        # From the server's own annotations, not a list of ours: any tool not marked read-only counts as a write.
        writes = [n for n in used if not (n in tools and tools[n].annotations and tools[n].annotations.read_only_hint)]
        if writes:
            ui.err.print(Text(f"Unexpected: non-read-only tool(s) called: {', '.join(writes)}", style="bold red"))
            return 1
        ui.err.print(Text(f"Tools called: {', '.join(used)}; all read-only, so nothing was written.", style="green"))

        ui.err.print(Rule("end of the tour", style="magenta"))
        ui.err.print(Text("Try it with a real model: set OPENAI_API_KEY (or OPENAI_BASE_URL) and run "
                          "`psa-copilot chat`. Every write attempt is in `psa-copilot audit`.", style="dim"))
        return 0


def _seen(agent: Agent) -> Seen:
    """The tool results of the whole conversation so far, as the script reads them."""
    return Seen({"messages": agent.messages})


def _report_write(ui: DemoTerminal, seen: Seen, *, asked_now: bool) -> None:
    """What became of the write, from the tool's own outcome: the front-end's word, not the model's."""
    try:
        outcome = seen.last("add_ticket_note")
    except LookupError as exc:  # refused before anyone was asked, e.g. COPILOT_WRITE_MODE=read_only
        ui.err.print(Text(f"The note was not posted: {exc}", style="yellow"))
        return
    if outcome["status"] == "written":
        ui.err.print(Text(f"The demo answered yes (--yes): note #{outcome['created_id']} was written to the tour's "
                          "copy of the embedded sandbox, which is discarded now; sandbox.db is unchanged.",
                          style="green"))
    elif asked_now and ui.answer == "n":
        ui.err.print(Text("The demo declined the confirmation, so nothing was written (the attempt is in the audit "
                          "log). Run `psa-copilot demo --yes` to see it written (to the tour's copy of the sandbox).",
                          style="yellow"))
    else:
        ui.err.print(Text(f"Nothing was written ({outcome['status']}): {outcome['message']}", style="yellow"))


async def _wait_for_index(ui: DemoTerminal, indexer: BackgroundIndexer) -> None:
    """Before the KB step: let the first background sync finish, with a progress bar. Suggestions and the draft's
    KB section need a whole index; an index a previous run completed is whole already (its re-sync only
    refreshes it), so then there is nothing to wait for."""
    if indexer.ready:
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=ui.err, transient=True) as bar:
        task = bar.add_task("knowledge index", total=None)
        while (status := indexer.status).state == "indexing":
            what = status.phase.replace("_", " ") if status.phase else "knowledge index"
            bar.update(task, description=f"indexing {what}", completed=status.done, total=status.total)
            await anyio.sleep(KB_POLL_S)
    said = status.message if status.state == "ready" else f"not ready ({status.message}); suggestions may be missing"
    ui.err.print(Text(f"knowledge index {said}", style="dim"))
