"""Shared pieces of the agent tests: a sandbox (40 tickets), the scripted model on loopback, and an Agent over an
in-process server whose confirmations come from a scripted human."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from openai import AsyncOpenAI

from agent.loop import Agent
from agent.session import open_session
from agent.stub import ChatStub
from guardrails.policy import Policy
from psa.connectwise.provider import ConnectWiseProvider
from server import build_server
from writes_harness import Harness

TICKETS = 40


@dataclass
class ScriptedHuman:
    """The front-end's confirm(): answers from a list (True/False), records every preview it was shown."""

    answers: list[bool] = field(default_factory=list)
    previews: list[str] = field(default_factory=list)
    schemas: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, message: str, schema: dict[str, Any]) -> bool:
        self.previews.append(message)
        self.schemas.append(schema)
        return self.answers.pop(0) if self.answers else False


def stub_llm(stub: ChatStub) -> AsyncOpenAI:
    # No retries: each scripted reply answers exactly one request.
    return AsyncOpenAI(api_key="sk-test", base_url=stub.url, timeout=10, max_retries=0)


@asynccontextmanager
async def agent_over(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, human: ScriptedHuman, **options: Any
) -> AsyncIterator[Agent]:
    policy = Policy()
    server = build_server(provider, policy, guard=h.guard(policy))
    async with open_session(server=server, confirm=human) as client, stub_llm(stub) as llm:
        yield Agent(client, llm, "stub-model", **options)
