"""Run scenarios: a fresh sandbox per trial, our agent on our MCP server, a scripted human, then the grader.

The sandbox is seeded once into a base database and copied per trial, so every trial starts from the same state
and no trial sees another's writes. The knowledge index is built once (only when a selected scenario needs it)
from that base data and shared read-only: the ids it holds are the same in every copy.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import anyio
from openai import AsyncOpenAI
from pydantic import BaseModel, Field

from agent.eval.grader import RunRecord, grade
from agent.eval.metrics import suite_pass_hat_k
from agent.eval.model import ConfirmPolicy, Scenario
from agent.eval.seedfacts import SEED, TICKETS
from agent.eval.state import SandboxReader, diff
from agent.loop import Agent, Usage
from agent.session import open_session
from storage.audit import AuditLog
from guardrails.guard import WriteGuard
from guardrails.policy import Policy
from psa.connectwise.knowledge import ConnectWiseKnowledge
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from sandbox.runner import RunningSandbox, open_store, start_sandbox
from server import build_server
from tools.common import KnowledgeBase

MAX_STEPS = 10


class TrialResult(BaseModel):
    scenario_id: str
    category: str
    trial: int
    passed: bool
    reasons: list[str] = Field(default_factory=list)
    seconds: float
    usage: Usage = Field(default_factory=Usage)
    tool_calls: list[str] = Field(default_factory=list)
    confirmations: list[bool] = Field(default_factory=list, description="The human's answers, in order.")
    answer: str = ""


class SuiteResult(BaseModel):
    model: str
    trials: int
    results: list[TrialResult]
    pass_hat: dict[int, float] = Field(description="pass^k for k = 1..trials.")
    seconds: float
    usage: Usage

    def outcomes(self) -> dict[str, list[bool]]:
        by_task: dict[str, list[bool]] = {}
        for r in self.results:
            by_task.setdefault(r.scenario_id, []).append(r.passed)
        return by_task


class ModelDriver(Protocol):
    """Hooks around each trial: the stub loads the scenario's script before and reports a mis-scripted run after;
    a real model needs neither."""

    def before(self, scenario: Scenario) -> None: ...

    def after(self, scenario: Scenario) -> list[str]: ...


class RealModel:
    def before(self, scenario: Scenario) -> None:
        return None

    def after(self, scenario: Scenario) -> list[str]:
        return []


class ScriptedHuman:
    """The technician at the confirmation prompt, answering by the scenario's policy."""

    def __init__(self, policy: ConfirmPolicy) -> None:
        self.policy = policy
        self.answers: list[bool] = []

    async def __call__(self, message: str, schema: dict[str, Any]) -> bool:
        yes = self.policy == "approve" or (self.policy == "approve_first_only" and not self.answers)
        self.answers.append(yes)
        return yes


@dataclass
class Workspace:
    root: Path
    base_db: Path
    knowledge: KnowledgeBase | None = None

    def close(self) -> None:
        if self.knowledge is not None:
            self.knowledge.store.close()


async def prepare(root: Path, scenarios: list[Scenario], embedding_function: Any = None) -> Workspace:
    """Seed the base database under `root`; build the knowledge index if any scenario needs it.
    `embedding_function`: None is the configured one (COPILOT_EMBEDDINGS); tests pass a fast stand-in."""
    root.mkdir(parents=True, exist_ok=True)
    base_db = root / "base.db"
    await anyio.to_thread.run_sync(lambda: open_store(base_db, SEED, TICKETS).close())
    workspace = Workspace(root=root, base_db=base_db)
    if any(s.needs_kb for s in scenarios):
        workspace.knowledge = await _build_knowledge(workspace, embedding_function)
    return workspace


async def _build_knowledge(workspace: Workspace, embedding_function: Any) -> KnowledgeBase:
    from kb_index.search import KnowledgeSearch
    from kb_index.store import KnowledgeStore
    from kb_index.sync import sync

    sandbox = await _start(workspace, "kb-source")
    try:
        store = await anyio.to_thread.run_sync(
            lambda: KnowledgeStore.open(workspace.root / "kb", embedding_function=embedding_function)
        )
        async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox.url)) as provider:
            await sync(ConnectWiseKnowledge(provider), store)
    finally:
        await anyio.to_thread.run_sync(sandbox.stop)
    return KnowledgeBase(store=store, search=KnowledgeSearch(store))


async def _start(workspace: Workspace, name: str) -> RunningSandbox:
    db = workspace.root / f"{name}.db"
    shutil.copyfile(workspace.base_db, db)
    return await anyio.to_thread.run_sync(lambda: start_sandbox(db_path=db, seed=SEED, tickets=TICKETS))


async def run_scenario(
    workspace: Workspace, scenario: Scenario, llm: AsyncOpenAI, model: str, driver: ModelDriver, trial: int = 1
) -> TrialResult:
    started = time.perf_counter()
    sandbox = await _start(workspace, f"{scenario.id}-{trial}")
    settings = ConnectWiseSettings.sandbox(sandbox.url)
    reader = SandboxReader(settings)
    run = RunRecord()
    usage = Usage()
    try:
        before = reader.snapshot(set(scenario.ticket_ids))
        human = ScriptedHuman(scenario.confirm)
        driver.before(scenario)
        try:
            await _converse(workspace, scenario, settings, llm, model, human, run, usage, trial)
        except Exception as exc:  # noqa: BLE001 - a crashed run is a failed trial with its reason, not a dead suite
            run.errors.append(f"{type(exc).__name__}: {exc}")
        run.confirmations = human.answers
        changes = diff(before, reader.snapshot_after(before))
        result = grade(scenario, changes, run)
        reasons = result.reasons + driver.after(scenario)
    finally:
        reader.close()
        await anyio.to_thread.run_sync(sandbox.stop)
    return TrialResult(
        scenario_id=scenario.id,
        category=scenario.category,
        trial=trial,
        passed=not reasons,
        reasons=reasons,
        seconds=round(time.perf_counter() - started, 3),
        usage=usage,
        tool_calls=run.tool_calls,
        confirmations=run.confirmations,
        answer=run.answers[-1] if run.answers else "",
    )


async def _converse(
    workspace: Workspace,
    scenario: Scenario,
    settings: ConnectWiseSettings,
    llm: AsyncOpenAI,
    model: str,
    human: ScriptedHuman,
    run: RunRecord,
    usage: Usage,
    trial: int,
) -> None:
    # The same server the chat front-end gets (elicit mode, every tool), on this trial's sandbox, with its own
    # audit log so trials never share write history.
    policy = Policy()
    guard = WriteGuard(policy=policy, audit_log=AuditLog(workspace.root / f"{scenario.id}-{trial}-audit.db"))
    async with ConnectWiseProvider.from_settings(settings) as provider:
        server = build_server(provider, policy, knowledge=workspace.knowledge, guard=guard)
        async with open_session(server=server, confirm=human) as client:
            agent = Agent(client, llm, model, max_steps=MAX_STEPS)
            for message in scenario.messages:
                turn = await agent.run_turn(message)
                usage.add(turn.usage)
                run.answers.append(turn.answer)
                run.stopped.append(turn.stopped)
                run.tool_calls += [c.name for c in turn.tool_calls]
                if turn.error:
                    run.errors.append(turn.error)
                if turn.stopped != "answer":
                    break


async def run_suite(
    scenarios: list[Scenario],
    llm: AsyncOpenAI,
    model: str,
    root: Path,
    *,
    trials: int = 1,
    driver: ModelDriver | None = None,
    embedding_function: Any = None,
    on_result: Callable[[TrialResult], None] | None = None,
) -> SuiteResult:
    if trials < 1:
        raise ValueError("trials must be at least 1")
    driver = driver or RealModel()
    started = time.perf_counter()
    workspace = await prepare(root, scenarios, embedding_function)
    results: list[TrialResult] = []
    try:
        for trial in range(1, trials + 1):
            for scenario in scenarios:
                result = await run_scenario(workspace, scenario, llm, model, driver, trial)
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        workspace.close()
    total = Usage()
    for r in results:
        total.add(r.usage)
    suite = SuiteResult(
        model=model, trials=trials, results=results, pass_hat={}, seconds=round(time.perf_counter() - started, 2),
        usage=total,
    )
    suite.pass_hat = {k: round(suite_pass_hat_k(suite.outcomes(), k), 4) for k in range(1, trials + 1)}
    return suite
