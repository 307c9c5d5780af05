"""The suite's results for people (a rich table per scenario, then totals) and for machines (JSON)."""

from __future__ import annotations

import json
from statistics import mean

from rich.console import Console
from rich.table import Table

from agent.eval.runner import SuiteResult, TrialResult


def to_json(suite: SuiteResult) -> str:
    data = suite.model_dump(mode="json")
    data["pass_hat"] = {f"pass^{k}": v for k, v in suite.pass_hat.items()}
    return json.dumps(data, indent=2, ensure_ascii=False)


def print_report(suite: SuiteResult, console: Console) -> None:
    by_task: dict[str, list[TrialResult]] = {}
    for r in suite.results:
        by_task.setdefault(r.scenario_id, []).append(r)
    table = Table(title=f"Agent scenario suite: {suite.model}, {suite.trials} trial(s) per scenario")
    for column in ("scenario", "category", "passed", "s / trial", "tokens / trial", "tools (trial 1)", "why it failed"):
        table.add_column(column, overflow="fold")
    for task, runs in by_task.items():
        passed = sum(r.passed for r in runs)
        failure = next((r for r in runs if not r.passed), None)
        style = "green" if passed == len(runs) else ("red" if passed == 0 else "yellow")
        table.add_row(
            task,
            runs[0].category,
            f"[{style}]{passed}/{len(runs)}[/{style}]",
            f"{mean(r.seconds for r in runs):.2f}",
            f"{mean(r.usage.total_tokens for r in runs):.0f}",
            ", ".join(runs[0].tool_calls) or "-",
            "; ".join(failure.reasons) if failure else "",
        )
    console.print(table)
    scores = "  ".join(f"pass^{k} = {v:.3f}" for k, v in suite.pass_hat.items())
    console.print(
        f"[bold]{scores}[/bold]  over {len(by_task)} scenarios; {suite.seconds:.1f} s; tokens: "
        f"{suite.usage.prompt_tokens} prompt + {suite.usage.completion_tokens} completion = "
        f"{suite.usage.total_tokens}"
    )
