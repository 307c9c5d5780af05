"""Fault injection and the request log, applied by an ASGI wrapper outside the Starlette app.

Faults are off until a rule is added, in-process (`RunningSandbox.faults.add(...)`) or over HTTP
(`/__sandbox/faults`). A rule matches a method and a path regex and fires a fixed number of times:
a status (e.g. 429 with Retry-After), added latency, or a dropped connection, either before the request
is handled or after it was handled but before the response is sent (so clients can prove they don't
retry a POST that did reach the server).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, Field, field_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.errors import ErrorBody, error_response


class FaultRule(BaseModel):
    method: str | None = None  # None matches every method
    path: str = ".*"  # regex, searched in the request path (e.g. "/service/tickets$")
    status: int | None = Field(default=None, ge=400, le=599)
    retry_after: float | None = None  # seconds, sent as Retry-After with `status`
    latency: float = Field(default=0.0, ge=0)  # seconds added before the request is handled
    drop: Literal["before", "after"] | None = None
    times: int | None = Field(default=1, ge=1)  # None: fire until cleared

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid path regex: {exc}") from None
        return value


class ActiveRule(FaultRule):
    id: int
    fired: int = 0


class _Firing(Protocol):
    id: int
    fired: int
    times: int | None


A = TypeVar("A", bound=_Firing)


class RuleBook(Generic[A]):
    """Thread-safe rule list; a request consumes one firing of the first matching live rule, and a rule that has
    fired its `times` leaves. Shared by the request faults here and the callback faults (sandbox/callbacks.py),
    which differ only in what a rule matches."""

    def __init__(self, active: Callable[..., A]) -> None:
        self._active = active
        self._lock = threading.Lock()
        self._rules: list[A] = []
        self._next_id = 1

    def _add(self, rule: BaseModel) -> A:
        with self._lock:
            active = self._active(id=self._next_id, **rule.model_dump())
            self._next_id += 1
            self._rules.append(active)
        return active

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[A]:
        with self._lock:
            return [r.model_copy() for r in self._rules]  # type: ignore[attr-defined]

    def _take(self, matches: Callable[[A], bool]) -> A | None:
        with self._lock:
            for rule in self._rules:
                if not matches(rule):
                    continue
                rule.fired += 1
                if rule.times is not None and rule.fired >= rule.times:
                    self._rules.remove(rule)
                return rule.model_copy()  # type: ignore[attr-defined,no-any-return]
        return None


class Faults(RuleBook[ActiveRule]):
    def __init__(self) -> None:
        super().__init__(ActiveRule)

    def add(self, rule: FaultRule | None = None, **fields: Any) -> ActiveRule:
        return self._add(rule if rule is not None else FaultRule(**fields))

    def take(self, method: str, path: str) -> ActiveRule | None:
        return self._take(lambda rule: (not rule.method or rule.method.upper() == method.upper())
                          and re.search(rule.path, path) is not None)


class LoggedRequest(BaseModel):
    method: str
    path: str
    query: str
    status: int | None  # None until a response starts (and forever when dropped before handling)
    fault: int | None = None  # id of the fault rule that fired, if any
    dropped: bool = False  # the connection was closed without sending a response
    at: float


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def count(self, method: str, path_regex: str) -> int:
        return sum(1 for e in self.entries() if e.method == method.upper() and re.search(path_regex, e.path))


def _drop_connection(send: Send) -> None:
    # uvicorn's `send` is a bound method of its per-request cycle, which holds the socket transport.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("fault injection: drop connection")
    transport.abort()


class FaultMiddleware:
    """Outermost ASGI layer: logs every request under the API prefix and applies fault rules to it."""

    def __init__(self, app: ASGIApp, faults: Faults, log: RequestLog, prefix: str) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        entry = LoggedRequest(method=method, path=path, query=scope.get("query_string", b"").decode("latin-1"),
                              status=None, at=time.time())
        self.log.append(entry)
        rule = self.faults.take(method, path)
        if rule is not None:
            entry.fault = rule.id
            if rule.latency:
                await asyncio.sleep(rule.latency)
            if rule.drop == "before":
                entry.dropped = True
                _drop_connection(send)
                return
            if rule.status is not None:
                headers = {"Retry-After": f"{rule.retry_after:g}"} if rule.retry_after is not None else None
                body = ErrorBody(code="TooManyRequests" if rule.status == 429 else "ServerError",
                                 message=f"Injected fault: HTTP {rule.status}")
                response = error_response(rule.status, body, headers)
                entry.status = rule.status
                await response(scope, receive, send)
                return

        drop_after = rule is not None and rule.drop == "after"

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            if not drop_after:
                await send(message)

        await self.app(scope, receive, recording_send)
        if drop_after:
            entry.dropped = True
            _drop_connection(send)
