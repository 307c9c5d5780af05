"""A scripted OpenAI-compatible chat server on loopback, for tests of the LLM backend.

mcp 2.x and openai 3.x use httpx2, which respx cannot intercept, so the tests talk to a real server instead:
each POST /v1/chat/completions is recorded and answered with the next scripted reply (a string: a completion
with that content; an int: that HTTP status).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class LLMStub:
    url: str = ""
    replies: list[str | int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    default: str | int = 500

    def script(self, *replies: str | int) -> None:
        self.replies[:] = list(replies)
        self.requests.clear()


def _app(stub: LLMStub) -> Starlette:
    async def completions(request: Request) -> JSONResponse:
        body = await request.json()
        stub.requests.append(body)
        reply = stub.replies.pop(0) if stub.replies else stub.default
        if isinstance(reply, int):
            return JSONResponse({"error": {"message": "scripted failure", "type": "server_error"}}, status_code=reply)
        return JSONResponse(
            {
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "stub"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


@contextmanager
def running_llm_stub() -> Iterator[LLMStub]:
    stub = LLMStub()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app(stub), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the LLM stub did not start")
        time.sleep(0.01)
    stub.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield stub
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
