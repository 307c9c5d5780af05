"""A fake Slack on loopback for the bot's tests: the Web API methods the bot calls (recorded, in order) and
Socket Mode's websocket. `users.info` and `users.lookupByEmail` answer from `slack.users`; `conversations.open`
gives a user's DM the channel id `D<user id>`.

    with running_fake_slack() as slack:
        slack.users["U1"] = {"name": "ana", "real_name": "Ana Admin", "profile": {"email": "ana@msp.example"}}
        ... SLACK_API_URL=slack.api_url ...
        slack.calls            # [Call(method, params)], every Web API call
        slack.wait_for(lambda c: c.method == "chat.update")
        slack.socket_send(envelope)   # a Socket Mode envelope to the connected bot; slack.socket_acks
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

BOT_USER = "UBOT"
TEAM = "T0FAKE"


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    ts: str | None = None
    """The ts the fake gave a posted message."""

    def text(self) -> str:
        """The message's text and its blocks' text, for assertions on what a person would read."""
        parts = [str(self.params.get("text") or "")]
        for block in self.blocks():
            parts.append(_block_text(block))
        return "\n".join(p for p in parts if p)

    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    def buttons(self) -> dict[str, str]:
        """action_id -> value of the message's buttons."""
        return {
            e["action_id"]: e.get("value", "")
            for b in self.blocks()
            if b.get("type") == "actions"
            for e in b.get("elements", [])
        }


def _block_text(block: dict[str, Any]) -> str:
    if isinstance(block.get("text"), dict):
        return str(block["text"].get("text") or "")
    return "\n".join(str(e.get("text") or "") for e in block.get("elements", []) if isinstance(e, dict) and "action_id" not in e)


@dataclass
class FakeSlack:
    url: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    socket_connected: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _socket: WebSocket | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def record(self, method: str, params: dict[str, Any], ts: str | None = None) -> None:
        with self._lock:
            self.calls.append(Call(method, params, ts))

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, match: Callable[[Call], bool], timeout: float = 60.0) -> Call:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = next((c for c in self.calls if match(c)), None)
            if found is not None:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no matching Slack call within {timeout} s; calls: {[c.method for c in self.calls]}")

    def next_ts(self) -> str:
        with self._lock:
            return f"1700000{next(self._ts):03d}.000100"

    def socket_send(self, envelope: dict[str, Any]) -> None:
        assert self._socket is not None and self._loop is not None, "no Socket Mode client is connected"
        asyncio.run_coroutine_threadsafe(self._socket.send_text(json.dumps(envelope)), self._loop).result(10)


async def _params(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json") and raw:
        return dict(json.loads(raw))
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    params.update({k: v for k, v in request.query_params.items()})
    return params


def _app(slack: FakeSlack) -> Starlette:
    async def api(request: Request) -> Response:
        method = request.path_params["method"]
        params = await _params(request)
        ts = slack.next_ts() if method in ("chat.postMessage", "chat.postEphemeral") else None
        slack.record(method, params, ts)
        if method == "auth.test":
            return JSONResponse({"ok": True, "user_id": BOT_USER, "bot_id": "BFAKE", "team_id": TEAM, "user": "copilot", "url": slack.url})
        if method == "users.info":
            user = slack.users.get(str(params.get("user")))
            if user is None:
                return JSONResponse({"ok": False, "error": "user_not_found"})
            return JSONResponse({"ok": True, "user": {"id": params.get("user"), **user}})
        if method == "users.lookupByEmail":
            email = str(params.get("email") or "").lower()
            found = next((uid for uid, u in slack.users.items() if (u.get("profile") or {}).get("email", "").lower() == email), None)
            if found is None:
                return JSONResponse({"ok": False, "error": "users_not_found"})
            return JSONResponse({"ok": True, "user": {"id": found, **slack.users[found]}})
        if method == "conversations.open":
            # A DM's channel id, stable per user as Slack's is: D + the user id.
            user = str(params.get("users") or "").split(",")[0]
            if user not in slack.users:
                return JSONResponse({"ok": False, "error": "user_not_found"})
            return JSONResponse({"ok": True, "channel": {"id": f"D{user}"}})
        if method == "chat.postMessage":
            return JSONResponse({"ok": True, "channel": params.get("channel"), "ts": ts, "message": {"ts": ts, "text": params.get("text")}})
        if method == "chat.update":
            return JSONResponse({"ok": True, "channel": params.get("channel"), "ts": params.get("ts")})
        if method == "chat.postEphemeral":
            return JSONResponse({"ok": True, "message_ts": ts})
        if method == "conversations.replies":
            thread = str(params.get("ts"))
            messages = [
                {"ts": thread, "text": c.params.get("text")}
                for c in slack.calls_of("chat.postMessage")
                if c.params.get("thread_ts") == thread
            ]
            return JSONResponse({"ok": True, "messages": messages, "has_more": False})
        if method == "apps.connections.open":
            return JSONResponse({"ok": True, "url": slack.url.replace("http://", "ws://") + "/link"})
        return JSONResponse({"ok": False, "error": "unknown_method"})

    async def link(websocket: WebSocket) -> None:
        await websocket.accept()
        slack._socket, slack._loop = websocket, asyncio.get_running_loop()
        await websocket.send_text(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AFAKE"}}))
        slack.socket_connected.set()
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                with slack._lock:
                    slack.socket_acks.append(message)
        except WebSocketDisconnect:
            pass
        finally:
            slack._socket = None
            slack.socket_connected.clear()

    return Starlette(routes=[Route("/api/{method}", api, methods=["GET", "POST"]), WebSocketRoute("/link", link)])


@contextmanager
def running_fake_slack() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app(slack), log_level="warning", lifespan="off", ws_ping_interval=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fake Slack did not start")
        time.sleep(0.01)
    slack.url = f"http://127.0.0.1:{port}"
    try:
        yield slack
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
