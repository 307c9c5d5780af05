"""`psa-copilot demo`: a scripted tour of the copilot over the embedded sandbox, with no API key.

The "model" is the scripted chat stub (agent/stub.py) on loopback; everything else is real: our MCP server in
process on the embedded sandbox, the agent loop, the tools, the write guard rails and the audit log, rendered by
the chat front-end (agent/chat.py). Each scripted reply is decided from the tool results in the request, the way
the eval suite's scripts are (agent/eval/stub_scripts.py), so every answer shows what the tools really returned.

The one write (posting the drafted note) asks for confirmation with the exact preview, and the demo answers for
the technician: no, unless --yes. The tour always runs on the embedded sandbox (the sandbox database and KB
index under COPILOT_DATA_DIR are reused between runs). A CW_SITE in the environment is ignored (the tour then
uses a temporary data dir) and --yes is refused while one is set, so a demo can never be mistaken for, or turned
into, a write to a real site.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import anyio
from openai import AsyncOpenAI
from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from agent.chat import Terminal, _leaf, _quiet_logging
from agent.eval.stub_scripts import Seen, call, react
from agent.loop import Agent
from agent.session import agent_server, open_session
from agent.stub import ChatStub, ToolCall, running_stub
from sandbox.seed import INJECTION_TICKET_IDS

KB_WAIT_S = 10.0
"""How long the KB step waits for a first background sync. KB articles index in seconds; the resolved tickets
take longer on a fresh 2,000-ticket sandbox, and suggestions do not need them, so the tour moves on and shows
the tool's own progress message rather than keeping a viewer waiting."""
KB_POLL_S = 1.0
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


def run_demo(*, yes: bool = False) -> int:
    """0 when the tour ran to the end; 1 when a step failed; 2 on a configuration error."""
    from guardrails.policy import PolicyError
    from server import autosync_from_env
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
            ui.err.print(Text(f"Starting the embedded ConnectWise sandbox (data in {data_dir()}) ...", style="dim"))
            server = agent_server()
            autosync = autosync_from_env(embedded=True)
        except (PolicyError, ValueError) as exc:
            err.print(f"psa-copilot demo: configuration error: {exc}")
            return 2
        try:
            with running_stub() as stub:
                return anyio.run(lambda: _tour(ui, stub, server, autosync))
        except KeyboardInterrupt:
            return 0
        except Exception as exc:  # noqa: BLE001 - one line, as `chat` reports it, not a traceback
            cause = _leaf(exc)
            err.print(f"psa-copilot demo: {type(cause).__name__}: {cause}")
            return 1


async def _tour(ui: DemoTerminal, stub: ChatStub, server: Any, autosync: bool) -> int:
    # No retries: each scripted reply answers exactly one request.
    async with (
        open_session(confirm=ui.confirm, server=server) as client,
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

        if autosync:
            await _wait_for_index(ui, agent)
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
        ui.err.print(Text(f"The demo answered yes (--yes): note #{outcome['created_id']} was written to the "
                          "embedded sandbox.", style="green"))
    elif asked_now and ui.answer == "n":
        ui.err.print(Text("The demo declined the confirmation, so nothing was written (the attempt is in the audit "
                          "log). Run `psa-copilot demo --yes` to let it write to the sandbox.", style="yellow"))
    else:
        ui.err.print(Text(f"Nothing was written ({outcome['status']}): {outcome['message']}", style="yellow"))


async def _wait_for_index(ui: DemoTerminal, agent: Agent) -> None:
    """Give the server's first background sync a little time, showing its progress; never more than KB_WAIT_S.
    Polls the tool the step uses (a one-result text query), so the state shown is the tool's own."""
    deadline = time.monotonic() + KB_WAIT_S
    shown = None
    while True:
        result = await agent.client.call_tool("suggest_kb_articles", {"text": "password reset", "limit": 1})
        index = (result.structured_content or {}).get("index") or {}
        if result.is_error or index.get("ready"):
            return
        if index.get("message") != shown:
            shown = index.get("message")
            ui.err.print(Text(f"waiting for the knowledge index: {shown}", style="dim"))
        if time.monotonic() >= deadline:
            ui.err.print(Text(f"not ready after {KB_WAIT_S:g} s; going on (suggestions may be partial)", style="dim"))
            return
        await anyio.sleep(KB_POLL_S)
