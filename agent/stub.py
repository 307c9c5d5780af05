"""A scripted OpenAI-compatible chat server on loopback: the model in tests, in CI's scenario runs and in demos.

mcp 2.x and openai 3.x use httpx2, which respx cannot intercept, so tests talk to a real server instead. Each
POST /v1/chat/completions is recorded and answered with the next scripted reply:

    str                      assistant text
    list[ToolCall]           assistant tool calls (shorthand for Assistant(tool_calls=[...]))
    Assistant(...)           text and/or tool calls
    int                      that HTTP status, with an OpenAI-style error body
    callable(request) -> reply   decided when the request arrives (e.g. from the last tool result)

Both `stream: true` (server-sent events, text and tool-call arguments split into small deltas the way real
servers send them, usage in a final chunk when `stream_options.include_usage`) and plain JSON are served.

    with running_stub() as stub:
        stub.script([ToolCall("get_ticket", {"ticket_id": 5})], "Ticket 5 is about the VPN.")
        ... OPENAI_BASE_URL=stub.url ...
        stub.requests      # every request body, in order
        stub.usages        # the usage reported for each answered request
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    """A dict is sent as JSON; a str is sent verbatim (to script a model that emits broken JSON)."""
    id: str | None = None


@dataclass(frozen=True)
class Assistant:
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)


Reply: TypeAlias = "str | int | list[ToolCall] | Assistant | Callable[[dict[str, Any]], Reply]"

_MAX_CALLABLE_DEPTH = 10


@dataclass
class ChatStub:
    url: str = ""
    """Base URL for OPENAI_BASE_URL / AsyncOpenAI(base_url=...), ending in /v1."""
    replies: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    usages: list[dict[str, int]] = field(default_factory=list)
    default: Any = 500
    """The reply once the script is used up: by default a 500, so a model asked more than scripted fails loudly."""
    chunk_chars: int = 7
    """Streamed text and tool-call arguments are cut into pieces this long (small: split deltas get exercised)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def script(self, *replies: Reply) -> None:
        """Replace the script and forget earlier requests."""
        with self._lock:
            self.replies[:] = list(replies)
            self.requests.clear()
            self.usages.clear()

    def _next(self, body: dict[str, Any]) -> Any:
        with self._lock:
            self.requests.append(body)
            reply = self.replies.pop(0) if self.replies else self.default
        for _ in range(_MAX_CALLABLE_DEPTH):
            if not callable(reply):
                return reply
            reply = reply(body)
        raise RuntimeError("a scripted reply kept returning callables")

    @property
    def remaining(self) -> int:
        """Scripted replies not yet used (a test can assert the model was asked exactly as often as scripted)."""
        with self._lock:
            return len(self.replies)


# ---- helpers for callable replies --------------------------------------------------------------------------------


def last_tool_result(request: dict[str, Any]) -> str | None:
    """The content of the last tool message in a request (what the agent showed the model), or None."""
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "tool":
            return _text_of(message.get("content"))
    return None


def last_user_text(request: dict[str, Any]) -> str | None:
    for message in reversed(request.get("messages", [])):
        if message.get("role") == "user":
            return _text_of(message.get("content"))
    return None


def _text_of(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


# ---- the server ------------------------------------------------------------------------------------------------------


def _as_assistant(reply: str | list[ToolCall] | Assistant) -> Assistant:
    if isinstance(reply, Assistant):
        return reply
    if isinstance(reply, str):
        return Assistant(content=reply)
    if isinstance(reply, list) and all(isinstance(c, ToolCall) for c in reply):
        return Assistant(tool_calls=reply)
    raise TypeError(f"not a scripted reply: {reply!r}")


def _wire_calls(message: Assistant, request_no: int) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id or f"call_{request_no}_{i}",
            "type": "function",
            "function": {
                "name": c.name,
                "arguments": c.arguments if isinstance(c.arguments, str) else json.dumps(c.arguments),
            },
        }
        for i, c in enumerate(message.tool_calls)
    ]


def _usage(body: dict[str, Any], message: Assistant, calls: list[dict[str, Any]]) -> dict[str, int]:
    """Deterministic token counts (about four characters a token), so tests can check the agent's sums."""
    prompt = len(json.dumps(body.get("messages", []))) // 4 + 1
    completion = (len(message.content or "") + len(json.dumps(calls))) // 4 + 1
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _chunk(model: str, delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    payload = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": choices,
        "usage": usage,
    }
    return f"data: {json.dumps(payload)}\n\n"


def _stream(stub: ChatStub, body: dict[str, Any], message: Assistant, calls: list[dict[str, Any]], usage: dict[str, int]) -> Iterator[str]:
    model = body.get("model", "stub")
    yield _chunk(model, {"role": "assistant", "content": ""})
    if message.content:
        for piece in _pieces(message.content, stub.chunk_chars):
            yield _chunk(model, {"content": piece})
    for index, call in enumerate(calls):
        # As OpenAI does: id, type and name first with empty arguments, then the arguments in pieces.
        head = {"index": index, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
        yield _chunk(model, {"tool_calls": [head]})
        for piece in _pieces(call["function"]["arguments"], stub.chunk_chars):
            yield _chunk(model, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield _chunk(model, {}, finish="tool_calls" if calls else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield _chunk(model, None, usage=usage)
    yield "data: [DONE]\n\n"


def _app(stub: ChatStub) -> Starlette:
    async def completions(request: Request) -> Response:
        body = await request.json()
        reply = stub._next(body)
        if isinstance(reply, int):
            return JSONResponse({"error": {"message": f"scripted HTTP {reply}", "type": "server_error"}}, status_code=reply)
        message = _as_assistant(reply)
        calls = _wire_calls(message, len(stub.requests))
        usage = _usage(body, message, calls)
        stub.usages.append(usage)
        if body.get("stream"):
            chunks = list(_stream(stub, body, message, calls, usage))

            async def events() -> AsyncIterator[str]:
                for chunk in chunks:
                    yield chunk

            return StreamingResponse(events(), media_type="text/event-stream")
        wire_message: dict[str, Any] = {"role": "assistant", "content": message.content}
        if calls:
            wire_message["tool_calls"] = calls
        return JSONResponse(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "stub"),
                "choices": [{"index": 0, "message": wire_message, "finish_reason": "tool_calls" if calls else "stop"}],
                "usage": usage,
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@contextmanager
def running_stub() -> Iterator[ChatStub]:
    """A stub serving on a free loopback port in a daemon thread, stopped on exit."""
    stub = ChatStub()
    # IPPROTO_TCP so asyncio sets TCP_NODELAY (else each kept-alive answer waits for a delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app(stub), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the chat stub did not start")
        time.sleep(0.01)
    stub.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield stub
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
