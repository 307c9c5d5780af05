"""The tool-calling loop: OpenAI chat completions (streamed) over the tools of an MCP session.

One turn: the technician's message goes to the model with our tools; each tool call the model makes runs on the
MCP server (writes ask the human through the session's elicitation callback, never the model); results go back
fenced as data; repeat until the model answers without tool calls or the step limit is hit. The conversation
is kept on the Agent, so follow-up questions see earlier turns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any, Literal

import anyio
from mcp import Client
from mcp_types import CallToolResult, TextContent, Tool
from openai import AsyncOpenAI, OpenAIError
from pydantic import BaseModel, Field

from agent.session import HumanConfirm
from products import configured_product
from prompts import FENCE_CLOSE, FENCE_OPEN, fence, render

log = logging.getLogger("psa_copilot.agent")

HIDDEN_TOOLS = frozenset({"confirm_write"})
"""Never offered to the model: confirming a write is the human's job (a remote two_step server may list it)."""
MAX_RESULT_CHARS = 24_000
"""Tool output shown to the model per call; more only crowds the context (search results are paged anyway)."""
DEFAULT_TOOL_TIMEOUT_S = 60.0


class ToolCallRecord(BaseModel):
    name: str
    arguments: dict[str, Any]
    is_error: bool
    result_chars: int = Field(description="Length of the tool's text result (before any truncation for the model).")


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def add(self, other: Any) -> None:
        self.prompt_tokens += getattr(other, "prompt_tokens", 0) or 0
        self.completion_tokens += getattr(other, "completion_tokens", 0) or 0
        self.total_tokens += getattr(other, "total_tokens", 0) or 0


class TurnResult(BaseModel):
    answer: str
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    steps: int = Field(0, description="Model calls made in this turn.")
    stopped: Literal["answer", "step_limit", "error"]
    error: str | None = None


# ---- events for front-ends -------------------------------------------------------------------------------------


class TextDelta(BaseModel):
    kind: Literal["text"] = "text"
    text: str


class ToolCallStarted(BaseModel):
    kind: Literal["tool_call"] = "tool_call"
    name: str
    arguments: dict[str, Any]


class ToolCallFinished(BaseModel):
    kind: Literal["tool_result"] = "tool_result"
    record: ToolCallRecord


AgentEvent = TextDelta | ToolCallStarted | ToolCallFinished
EventFn = Callable[[AgentEvent], None]


class _Call(BaseModel):
    """One tool call as assembled from streamed deltas."""

    id: str = ""
    name: str = ""
    arguments: str = ""


class _Reply(BaseModel):
    content: str = ""
    calls: list[_Call] = Field(default_factory=list)


def default_system_prompt() -> str:
    """The agent's rules, naming the configured product (COPILOT_PROVIDER) the tools read and write."""
    product = configured_product()
    return render("agent_system.j2", fence_open=FENCE_OPEN, fence_close=FENCE_CLOSE, product=product.title,
                  source=product.called)


class Agent:
    def __init__(
        self,
        client: Client,
        llm: AsyncOpenAI,
        model: str,
        *,
        max_steps: int = 10,
        tool_timeout_s: float = DEFAULT_TOOL_TIMEOUT_S,
        system_prompt: str | None = None,
        llm_timeout_s: float | None = None,
    ) -> None:
        if max_steps < 1:
            raise ValueError("max_steps must be at least 1")
        self.client = client
        self.llm = llm
        self.model = model
        self.max_steps = max_steps
        self.tool_timeout_s = tool_timeout_s
        self.llm_timeout_s = llm_timeout_s
        """None: the AsyncOpenAI client's own timeout."""
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_prompt if system_prompt is not None else default_system_prompt()}
        ]
        self._tools: dict[str, Tool] | None = None

    async def tools(self) -> dict[str, Tool]:
        """The server's tools the model may call (listed once per Agent)."""
        if self._tools is None:
            tools: dict[str, Tool] = {}
            cursor: str | None = None
            while True:
                page = await self.client.list_tools(cursor=cursor)
                tools.update({t.name: t for t in page.tools if t.name not in HIDDEN_TOOLS})
                cursor = page.next_cursor
                if not cursor:
                    break
            self._tools = tools
        return self._tools

    async def run_turn(self, user_text: str, on_event: EventFn | None = None) -> TurnResult:
        emit: EventFn = on_event or (lambda _event: None)
        tools = await self.tools()
        openai_tools = [_openai_tool(t) for t in tools.values()]
        self.messages.append({"role": "user", "content": user_text})
        records: list[ToolCallRecord] = []
        usage = Usage()
        for step in range(1, self.max_steps + 1):
            try:
                reply = await self._complete(openai_tools, usage, emit)
            except (OpenAIError, TimeoutError) as exc:
                message = f"The model request failed: {type(exc).__name__}: {exc}"
                log.info("LLM call failed: %s", message)  # the result carries it; front-ends show it
                return TurnResult(
                    answer=message, tool_calls=records, usage=usage, steps=step, stopped="error", error=message
                )
            self.messages.append(_assistant_message(reply, step))
            if not reply.calls:
                return TurnResult(answer=reply.content, tool_calls=records, usage=usage, steps=step, stopped="answer")
            last_step = step == self.max_steps
            for call in reply.calls:
                if last_step:
                    # The model will not be asked again this turn, so running these (writes included) would act
                    # on requests whose results nobody reads. Each call still gets a result: the API requires it.
                    self._tool_message(call, f"Not run: the step limit ({self.max_steps}) was reached.")
                    continue
                records.append(await self._run_tool(call, tools, emit))
        answer = (
            f"Stopped: the step limit of {self.max_steps} model calls was reached before a final answer "
            f"({len(records)} tool calls made). Ask a narrower question, or allow more steps (--max-steps)."
        )
        return TurnResult(answer=answer, tool_calls=records, usage=usage, steps=self.max_steps, stopped="step_limit")

    # ---- the model

    async def _complete(self, tools: list[dict[str, Any]], usage: Usage, emit: EventFn) -> _Reply:
        options: dict[str, Any] = {}
        if tools:
            options["tools"] = tools
        if self.llm_timeout_s is not None:
            options["timeout"] = self.llm_timeout_s
        stream = await self.llm.chat.completions.create(
            model=self.model,
            messages=self.messages,
            stream=True,
            stream_options={"include_usage": True},
            **options,
        )
        reply = _Reply()
        calls: dict[int, _Call] = {}
        async with stream:
            async for chunk in stream:
                if chunk.usage is not None:
                    usage.add(chunk.usage)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        reply.content += delta.content
                        emit(TextDelta(text=delta.content))
                    for part in delta.tool_calls or []:
                        call = calls.setdefault(part.index, _Call())
                        if part.id:
                            call.id = part.id
                        if part.function is not None:
                            call.name += part.function.name or ""
                            call.arguments += part.function.arguments or ""
        reply.calls = [calls[i] for i in sorted(calls)]
        return reply

    # ---- tools

    async def _run_tool(self, call: _Call, tools: dict[str, Tool], emit: EventFn) -> ToolCallRecord:
        arguments, problem = _parse_arguments(call.arguments)
        emit(ToolCallStarted(name=call.name, arguments=arguments))
        if problem is None and call.name not in tools:
            problem = f"There is no tool named {call.name!r}. Available tools: {', '.join(sorted(tools))}."
        if problem is not None:
            record = ToolCallRecord(name=call.name, arguments=arguments, is_error=True, result_chars=len(problem))
            self._tool_message(call, f"ERROR: {problem}")
        else:
            is_error, text = await self._call_tool(call.name, arguments)
            record = ToolCallRecord(name=call.name, arguments=arguments, is_error=is_error, result_chars=len(text))
            self._tool_message(call, _for_model(call.name, text, is_error))
        emit(ToolCallFinished(record=record))
        return record

    async def _call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
        """(is_error, text) for the model. Failures become text the model can act on, never exceptions."""
        try:
            async with AsyncExitStack() as stack:
                scope = stack.enter_context(anyio.fail_after(self.tool_timeout_s))
                confirm = self.client.elicitation_callback
                if isinstance(confirm, HumanConfirm):
                    await stack.enter_async_context(confirm.paused_while_asking(scope))
                result = await self.client.call_tool(name, arguments)
        except TimeoutError:
            return True, (
                f"The tool did not answer within {self.tool_timeout_s:g} seconds. If it was a write, its outcome is "
                "unknown: check (e.g. list the ticket's notes) before trying again."
            )
        except Exception as exc:  # noqa: BLE001 - a transport or protocol failure is the model's to report
            log.info("tool %s failed: %s", name, exc)  # shown to the model and in the trace
            return True, f"The tool call failed: {type(exc).__name__}: {exc}"
        return result.is_error, _result_text(result)

    def _tool_message(self, call: _Call, content: str) -> None:
        self.messages.append({"role": "tool", "tool_call_id": call.id, "content": content})


def _openai_tool(tool: Tool) -> dict[str, Any]:
    description = tool.description or (tool.title or tool.name)
    return {
        "type": "function",
        "function": {"name": tool.name, "description": description, "parameters": tool.input_schema},
    }


def _assistant_message(reply: _Reply, step: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.calls:
        for index, call in enumerate(reply.calls):
            # Some OpenAI-compatible servers omit ids; the tool message must still name its call.
            call.id = call.id or f"call_{step}_{index}"
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments or "{}"}}
            for c in reply.calls
        ]
    return message


def _parse_arguments(raw: str) -> tuple[dict[str, Any], str | None]:
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"the arguments are not valid JSON ({exc.msg} at character {exc.pos}); send a JSON object."
    if not isinstance(value, dict):
        return {}, "the arguments must be a JSON object."
    return value, None


def _result_text(result: CallToolResult) -> str:
    parts = [c.text if isinstance(c, TextContent) else f"[{c.type} content omitted]" for c in result.content]
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)


def _for_model(name: str, text: str, is_error: bool) -> str:
    shown = text
    if len(text) > MAX_RESULT_CHARS:
        shown = text[:MAX_RESULT_CHARS] + f"\n[truncated: {MAX_RESULT_CHARS} of {len(text)} characters shown]"
    # Fenced: tool output carries ticket text, which customers (and attackers) write.
    if is_error:
        return f"ERROR from {name} (fix the call or tell the technician):\n{fence(shown, f'{name} error')}"
    return fence(shown, f"{name} result")
