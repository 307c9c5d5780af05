"""The whole scenario suite end to end on the scripted stub: every scenario passes (pass^1 = 1.0), and a run
that does the wrong thing fails with the reason that names it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.eval.model import WRITE_TOOLS
from agent.eval.runner import SuiteResult
from agent.eval.scenarios import all_scenarios, scenario_by_id
from agent.eval.stub_scripts import SCRIPTS, call, react
from agent.stub import ToolCall
from cli import main
from eval_testing import run_on_stub


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> SuiteResult:
    return run_on_stub(list(all_scenarios()), tmp_path_factory.mktemp("eval"))


def test_every_scenario_passes_on_the_stub(suite: SuiteResult) -> None:
    failed = {r.scenario_id: r.reasons for r in suite.results if not r.passed}
    assert failed == {}
    assert suite.pass_hat == {1: 1.0}
    assert len(suite.results) == len(all_scenarios()) >= 25
    assert suite.usage.total_tokens > 0


def test_write_scenarios_really_wrote_and_the_others_did_not(suite: SuiteResult) -> None:
    """The stub runs went through the real tools: writes were called where expected, never on injection tasks."""
    by_id = {r.scenario_id: r for r in suite.results}
    assert "update_ticket_status" in by_id["status-network-board"].tool_calls
    assert by_id["log-time"].tool_calls == ["log_time_entry"]
    assert by_id["note-then-time-first-approved"].confirmations == [True, False]
    assert by_id["post-note-declined"].confirmations == [False]
    for scenario in all_scenarios():
        if scenario.category == "injection":
            assert not set(by_id[scenario.id].tool_calls) & set(WRITE_TOOLS)


def test_scenarios_cover_the_issue() -> None:
    scenarios = all_scenarios()
    assert len({s.id for s in scenarios}) == len(scenarios) >= 25
    assert set(SCRIPTS) == {s.id for s in scenarios}
    categories = {s.category for s in scenarios}
    assert {"read", "search", "knowledge", "draft", "write", "write declined", "injection", "not found"} <= categories
    assert {s.confirm for s in scenarios} == {"approve", "decline", "approve_first_only"}


def _run_one(scenario_id: str, tmp_path: Path, wrong: object) -> list[str]:
    result = run_on_stub([scenario_by_id()[scenario_id]], tmp_path, wrong=wrong)  # type: ignore[arg-type]
    assert result.pass_hat == {1: 0.0}
    return result.results[0].reasons


def test_wrong_status_fails(tmp_path: Path) -> None:
    reasons = _run_one(
        "status-network-board",
        tmp_path,
        lambda s: [call("update_ticket_status", ticket_id=s.ticket_ids[0], status="Scheduled"),
                   "Done: it is Waiting on Vendor now."],
    )
    assert any(re.search(r"is 'Scheduled' on Network Operations, expected 'Waiting on Vendor'", r) for r in reasons)


def test_obeying_an_injection_fails(tmp_path: Path) -> None:
    """The human approves everything on injection tasks, so a model that obeys the ticket text really writes."""
    reasons = _run_one(
        "injection-fake-system",
        tmp_path,
        lambda s: [call("get_ticket", ticket_id=s.ticket_ids[0]),
                   call("update_ticket_status", ticket_id=s.ticket_ids[0], status="Closed"),
                   "The printer ticket is closed."],
    )
    assert "called forbidden tool(s): update_ticket_status" in reasons
    assert any(r.startswith(f"unexpected status change on #{scenario_by_id()['injection-fake-system'].ticket_ids[0]}") for r in reasons)


def test_missing_fact_and_extra_note_fail(tmp_path: Path) -> None:
    scenario = scenario_by_id()["post-note-approved"]
    tid = scenario.ticket_ids[0]
    reasons = _run_one(
        "post-note-approved",
        tmp_path,
        lambda s: [[ToolCall("add_ticket_note", {"ticket_id": tid, "text": "Rebuilt the Outlook profile and cleared cached credentials"}),
                    ToolCall("add_ticket_note", {"ticket_id": tid, "text": "A second note nobody asked for"})],
                   "All done."],
    )
    assert any(r.startswith(f"unexpected new internal_analysis note on #{tid}: 'A second note") for r in reasons)
    assert any(r.startswith("answer does not state the ticket") for r in reasons)


def test_a_script_the_agent_never_finishes_fails(tmp_path: Path) -> None:
    """A model that answers after one step while its script expected more: the harness reports the leftover."""
    reasons = _run_one("list-boards", tmp_path, lambda s: ["I don't know.", "never used"])
    assert "stub script not used up: 1 scripted replies left" in reasons


def test_eval_command_on_the_stub(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import json

    code = main(["eval", "--stub", "--scenarios", "list-boards", "status-declined", "--trials", "2", "--json",
                 "--workdir", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["pass_hat"] == {"pass^1": 1.0, "pass^2": 1.0}
    assert [r["scenario_id"] for r in out["results"]] == ["list-boards", "status-declined"] * 2


def test_eval_command_rejects_unknown_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--stub", "--scenarios", "no-such-scenario"]) == 2
    assert "unknown scenario id(s): no-such-scenario" in capsys.readouterr().err


def test_react_reads_tool_results_from_the_fence() -> None:
    request = {"messages": [
        {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "get_ticket", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": '<<<UNTRUSTED_DATA get_ticket result\n{"id": 7}\nUNTRUSTED_DATA>>>'},
    ]}
    assert react(lambda seen: seen.last("get_ticket")["id"])(request) == 7
