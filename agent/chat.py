"""`psa-copilot chat`: the agent in a terminal.

The model's text streams to stdout; the trace of tool calls, token usage, and confirmation questions go to
stderr, so `--once` output can be piped while a human (or a script) still sees and answers the questions.
Confirmations are read as one line from stdin: `y`/`yes` writes, anything else (and end of input) declines.

Exit codes: 0 answered (or the chat was left, with /exit, Ctrl-D or Ctrl-C); 1 the turn failed (model
unreachable, step limit) or the server could not be reached; 2 configuration error (no model, bad COPILOT_*/CW_*
settings); 130 `--once` interrupted by Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import anyio
from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from agent.llm import LLMConfigError, LLMSettings
from agent.loop import Agent, AgentEvent, TextDelta, ToolCallFinished, ToolCallStarted, TurnResult
from agent.session import agent_server, open_session
from server import endable_stdin, until_stopped

YES = frozenset({"y", "yes"})
EXIT_WORDS = frozenset({"/exit", "/quit", "exit", "quit"})
_ARGS_SHOWN = 160


class Terminal:
    """The front-end: renders agent events and asks the human to confirm writes."""

    def __init__(self) -> None:
        # Consoles follow sys.stdout/sys.stderr at write time; markup off: model and ticket text are not markup.
        self.out = Console(markup=False, highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
        self._mid_line = False

    async def readline(self) -> str | None:
        """One line from stdin without blocking the event loop; None at end of input."""
        line = await anyio.to_thread.run_sync(sys.stdin.readline)
        return line.rstrip("\n") if line else None

    async def confirm(self, message: str, _schema: dict[str, Any]) -> bool:
        self._end_line()
        self.err.print(Rule("confirmation needed", style="yellow"))
        self.err.print(Text(message))  # the server's preview, exactly as sent
        self.err.print(Rule(style="yellow"))
        self.err.print(Text("Write this? [y/N] ", style="bold yellow"), end="")
        line = await self.readline()
        if line is None:
            self.err.print(Text("(end of input: declined)", style="red"))
            return False
        confirmed = line.strip().lower() in YES
        self.err.print(Text("confirmed" if confirmed else "declined", style="green" if confirmed else "red"))
        return confirmed

    def on_event(self, event: AgentEvent) -> None:
        if isinstance(event, TextDelta):
            self.out.print(Text(event.text), end="")
            self._mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolCallStarted):
            self._end_line()
            args = json.dumps(event.arguments, ensure_ascii=False)
            shown = args if len(args) <= _ARGS_SHOWN else args[: _ARGS_SHOWN - 1] + "…"
            self.err.print(Text(f"→ {event.name} {shown}", style="cyan"))
        elif isinstance(event, ToolCallFinished):
            record = event.record
            status, style = ("error", "red") if record.is_error else ("ok", "green")
            self.err.print(Text(f"  {status} · {record.result_chars} chars", style=style))

    def finish(self, result: TurnResult) -> None:
        self._end_line()
        if result.stopped == "error":
            self.err.print(Text(result.answer, style="bold red"))
        elif result.stopped == "step_limit":
            self.out.print(Text(result.answer))
        u = result.usage
        self.err.print(
            Text(
                f"[{result.steps} step(s) · {len(result.tool_calls)} tool call(s) · tokens: {u.prompt_tokens} prompt"
                f" + {u.completion_tokens} completion = {u.total_tokens}]",
                style="dim",
            )
        )

    def finish_interrupted(self) -> None:
        self._end_line()
        self.err.print(Text("interrupted", style="dim"))

    def _end_line(self) -> None:
        if self._mid_line:
            self.out.print()
            self._mid_line = False


def run_chat(*, server_url: str | None = None, once: str | None = None, max_steps: int = 10) -> int:
    from guardrails.policy import PolicyError

    err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
    try:
        if max_steps < 1:
            raise ValueError("--max-steps must be at least 1")
        _quiet_logging()
        settings = LLMSettings.from_env()
        server = None if server_url else agent_server()
    except (LLMConfigError, PolicyError, ValueError) as exc:
        err.print(f"psa-copilot chat: configuration error: {exc}")
        return 2
    ui = Terminal()

    async def main() -> int:
        async with (
            open_session(server_url=server_url, confirm=ui.confirm, server=server) as client,
            settings.client() as llm,
            endable_stdin() as end_input,
        ):
            agent = Agent(client, llm, settings.model, max_steps=max_steps, tool_timeout_s=settings.tool_timeout_s)
            conversation = anyio.CancelScope()
            code = 0

            async def talk() -> None:
                nonlocal code
                with conversation:
                    if once is not None:
                        result = await agent.run_turn(once, on_event=ui.on_event)
                        ui.finish(result)
                        code = 0 if result.stopped == "answer" else 1
                    else:
                        await _converse(agent, ui, f"model {settings.model} · {server_url or 'in-process server'}")

            def interrupt() -> None:
                end_input()  # a prompt waiting for its line (in a thread no cancellation reaches) returns now
                conversation.cancel()

            # Ctrl-C ends the conversation, not the session: the server and the sandbox still close cleanly.
            if await until_stopped(talk, interrupt):
                ui.finish_interrupted()
                return 130 if once is not None else 0
            return code

    try:
        return anyio.run(main)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - e.g. the server URL is unreachable: one line, not a traceback
        cause = _leaf(exc)
        err.print(f"psa-copilot chat: {type(cause).__name__}: {cause}")
        return 1


async def _converse(agent: Agent, ui: Terminal, where: str) -> None:
    """Questions from stdin, one per line, until /exit or end of input; history carries across them."""
    ui.err.print(Text(f"psa-copilot chat · {where} · /exit or Ctrl-D to leave", style="dim"))
    while True:
        ui.err.print(Text("you> ", style="bold"), end="")
        line = await ui.readline()
        if line is None:
            ui.err.print()
            return
        text = line.strip()
        if text.lower() in EXIT_WORDS:
            return
        if text:
            ui.finish(await agent.run_turn(text, on_event=ui.on_event))


def _quiet_logging() -> None:
    """Logging to stderr at COPILOT_LOG_LEVEL (default WARNING). Called before the server is built: the MCP SDK
    otherwise configures INFO logging, one line per HTTP request, over the conversation."""
    level = (os.environ.get("COPILOT_LOG_LEVEL") or "WARNING").strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(f"COPILOT_LOG_LEVEL={level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # Filter at the handlers too: bm25s sets its own logger to DEBUG when first imported (at the first KB
    # search), and a logger's own level overrides the root's, so its per-search lines would get through.
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setLevel(root.level)


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside task-group wrappers (their own message says only "unhandled errors")."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
