"""`psa-copilot eval`: run the scenario suite against the configured model, or the scripted stub (--stub)."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import anyio
from rich.console import Console

from agent.eval.model import Scenario


def add_eval_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "eval",
        help="run the agent scenario suite (pass^1, pass^k) against the configured model",
        description="Runs each scenario on a fresh seeded sandbox with our agent and grades the sandbox's end "
        "state and the final answer. The model comes from OPENAI_BASE_URL / OPENAI_API_KEY / COPILOT_MODEL.",
    )
    parser.add_argument("--scenarios", nargs="+", metavar="ID", help="only these scenario ids (default: all)")
    parser.add_argument("--trials", type=int, default=1, help="trials per scenario; reports pass^1..pass^k")
    parser.add_argument("--model", default=None, help="model name (default: COPILOT_MODEL)")
    parser.add_argument("--stub", action="store_true", help="use the scripted stub model (no network, no key)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--workdir", default=None, help="keep sandboxes and audit logs here (default: a temp dir)")


def _select(ids: list[str] | None) -> list[Scenario]:
    from agent.eval.scenarios import all_scenarios, scenario_by_id

    if not ids:
        return list(all_scenarios())
    known = scenario_by_id()
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KeyError(f"unknown scenario id(s): {', '.join(unknown)} (see `psa-copilot eval --list`)")
    return [known[i] for i in ids]


def run_eval(args: argparse.Namespace) -> int:
    from agent.eval.report import print_report, to_json
    from agent.eval.runner import ModelDriver, SuiteResult, TrialResult, run_suite
    from agent.llm import LLMConfigError, LLMSettings

    console = Console(stderr=args.json)
    try:
        scenarios = _select(args.scenarios)
    except KeyError as exc:
        print(f"psa-copilot eval: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.list:
        for s in scenarios:
            console.print(f"[bold]{s.id}[/bold] ({s.category}, human: {s.confirm}): {s.checks}")
        return 0
    if args.trials < 1:
        print("psa-copilot eval: --trials must be at least 1", file=sys.stderr)
        return 2
    # Per-request HTTP logs (sandbox reads, model calls) would bury the report.
    for name in ("httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)

    with ExitStack() as stack:
        from openai import AsyncOpenAI

        driver: ModelDriver | None = None
        if args.stub:
            from agent.eval.stub_scripts import StubModel
            from agent.stub import running_stub

            stub = stack.enter_context(running_stub())

            def make_llm() -> AsyncOpenAI:
                # No retries: each scripted reply answers exactly one request.
                return AsyncOpenAI(base_url=stub.url, api_key="stub", max_retries=0)

            model, driver = args.model or "stub", StubModel(stub)
        else:
            try:
                settings = LLMSettings.from_env()
            except LLMConfigError as exc:
                print(f"psa-copilot eval: {exc} (or pass --stub)", file=sys.stderr)
                return 2
            make_llm, model = settings.client, args.model or settings.model
        root = Path(args.workdir) if args.workdir else Path(stack.enter_context(tempfile.TemporaryDirectory()))

        def progress(r: TrialResult) -> None:
            mark = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
            console.print(f"{mark} {r.scenario_id} (trial {r.trial}, {r.seconds:.1f} s)")

        async def evaluate() -> SuiteResult:
            # Opened and closed on this loop: an unclosed client's finaliser would run on whatever loop is
            # current when it is collected.
            async with make_llm() as llm:
                return await run_suite(
                    scenarios, llm, model, root, trials=args.trials, driver=driver, on_result=progress
                )

        suite = anyio.run(evaluate)
    if args.json:
        print(to_json(suite))
    else:
        print_report(suite, console)
    # A real model's score is a measurement, not an error; the stub's script is a competent run, so any failure
    # there means the harness or the tools broke (what CI runs --stub to catch).
    return 1 if args.stub and suite.pass_hat[1] < 1.0 else 0
