"""Shared by the eval tests: run scenarios through the real runner on the chat stub, with the fast trigram
embedding for the knowledge index (the suite's KB scenarios test the plumbing, not the model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from openai import AsyncOpenAI

from agent.eval.model import Scenario
from agent.eval.runner import SuiteResult, run_suite
from agent.eval.stub_scripts import StubModel
from agent.stub import ChatStub, running_stub
from kb_testing import TrigramEmbeddingFunction


class WrongScript(StubModel):
    """A driver that plays a deliberately wrong script, to prove the grader fails a bad run."""

    def __init__(self, stub: ChatStub, script: Callable[[Scenario], list[Any]]) -> None:
        super().__init__(stub)
        self.wrong = script

    def before(self, scenario: Scenario) -> None:
        self.stub.script(*self.wrong(scenario))


def run_on_stub(
    scenarios: list[Scenario], root: Path, *, trials: int = 1, wrong: Callable[[Scenario], list[Any]] | None = None
) -> SuiteResult:
    with running_stub() as stub:
        driver = StubModel(stub) if wrong is None else WrongScript(stub, wrong)

        async def evaluate() -> SuiteResult:
            # Closed on this loop: a client left for the collector would close itself on a later test's loop.
            async with AsyncOpenAI(base_url=stub.url, api_key="stub", max_retries=0, timeout=30) as llm:
                return await run_suite(
                    scenarios, llm, "stub", root, trials=trials, driver=driver,
                    embedding_function=TrigramEmbeddingFunction(),
                )

        return anyio.run(evaluate)
