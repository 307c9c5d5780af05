"""Shared pieces of the write-tool tests: a server with its own audit log and token clock, scripted human
answers to elicitation, and ConnectWise read back over plain HTTP (never through the code under test)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client
from mcp_types import ElicitRequestParams, ElicitResult

from storage.audit import AuditLog, AuditRow
from guardrails.guard import WriteGuard
from guardrails.policy import Policy
from guardrails.tokens import TokenBook
from psa.connectwise.auth import auth_headers
from psa.connectwise.settings import ConnectWiseSettings
from server import build_server
from sandbox.seed import INJECTION_TICKET_IDS


class Clock:
    """A settable clock for token expiry."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Human:
    """Answers elicitation requests from a script: each answer is 'accept', 'reject' (accept, confirm=false),
    'decline', 'cancel', a raw ElicitResult (whatever a client might send), a number of seconds to sleep before
    accepting (a slow human), or a callable run first (e.g. to change the ticket) and then answering."""

    answers: list[Any] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    schemas: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, _ctx: Any, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        self.schemas.append(params.requested_schema)  # type: ignore[union-attr]
        answer = self.answers.pop(0) if self.answers else "decline"
        while callable(answer):
            answer = answer()
        if isinstance(answer, ElicitResult):
            return answer
        if isinstance(answer, float):
            await anyio.sleep(answer)
            answer = "accept"
        if answer == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        if answer == "reject":
            return ElicitResult(action="accept", content={"confirm": False})
        return ElicitResult(action=answer)


@dataclass
class Harness:
    settings: ConnectWiseSettings
    audit: AuditLog
    clock: Clock

    def guard(self, policy: Policy, ttl_seconds: int = 600) -> WriteGuard:
        return WriteGuard(
            policy=policy, tokens=TokenBook(ttl_seconds=ttl_seconds, clock=self.clock), audit_log=self.audit
        )

    def client(
        self, provider: Any, policy: Policy, human: Human | None = None, mode: str = "auto", ttl_seconds: int = 600
    ) -> Client:
        server = build_server(provider, policy, guard=self.guard(policy, ttl_seconds))
        return Client(server, elicitation_callback=human, mode=mode)

    # ---- ConnectWise over plain HTTP

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.settings.api_root, headers=auth_headers(self.settings), timeout=30)

    def notes(self, ticket_id: int) -> list[dict[str, Any]]:
        with self.http() as http:
            response = http.get(f"/service/tickets/{ticket_id}/notes", params={"pageSize": 1000})
            response.raise_for_status()
            return response.json()

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        with self.http() as http:
            response = http.get(f"/service/tickets/{ticket_id}")
            response.raise_for_status()
            return response.json()

    def patch_ticket(self, ticket_id: int, **fields: Any) -> None:
        ops = [{"op": "replace", "path": k, "value": v} for k, v in fields.items()]
        with self.http() as http:
            http.patch(f"/service/tickets/{ticket_id}", json=ops).raise_for_status()

    def count(self, path: str, **params: Any) -> int:
        with self.http() as http:
            response = http.get(f"{path}/count", params=params)
            response.raise_for_status()
            return int(response.json()["count"])

    def tickets(self, conditions: str | None = None) -> list[dict[str, Any]]:
        """Ordinary (non-injection) tickets, oldest first."""
        params: dict[str, Any] = {"pageSize": 1000, "orderBy": "id asc"}
        if conditions:
            params["conditions"] = conditions
        with self.http() as http:
            response = http.get("/service/tickets", params=params)
            response.raise_for_status()
        return [t for t in response.json() if t["id"] not in INJECTION_TICKET_IDS]

    def last_audit(self) -> AuditRow:
        rows = self.audit.entries(limit=1)
        assert rows, "no audit row"
        return rows[0]


def harness_for(settings: ConnectWiseSettings, tmp: Path) -> Harness:
    return Harness(settings=settings, audit=AuditLog(tmp / "audit.db"), clock=Clock())
