"""Cold start over stdio: spawn to the `tools/list` answer (and to a first tool call's answer), for
`psa-copilot serve` on the embedded sandbox with a fresh and with a warm data folder, and for a minimal
`MCPServer` with one tool in the same interpreter, as a baseline.

    python -m benchmarks.cold_start [--runs 10] [--json] [--compare-tree DIR]

The targets are spawned in turn within each round, so load on a shared machine falls on all of them alike;
medians and the ratio to the baseline are what to compare, not the absolute times. `--compare-tree` adds
`serve` from another source tree of this project (e.g. `git archive <rev> | tar -x -C DIR`) on the same warm
data folder: a before/after comparison in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120.0

MINIMAL_SERVER = """\
from mcp.server.mcpserver import MCPServer

server = MCPServer("minimal")


@server.tool()
def ping() -> str:
    return "pong"


server.run()
"""

_INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}


class Timing(BaseModel):
    tools_list_s: float
    first_call_s: float


class Summary(BaseModel):
    target: str
    runs: int
    tools_list_median_s: float
    first_call_median_s: float
    tools_list_ratio: float
    """Median spawn-to-tools/list against the minimal server's."""


def measure(command: list[str], env: dict[str, str], tool: str) -> Timing:
    """Spawn `command`, do the handshake, list the tools, call `tool`; the two answers' times since the spawn."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, cwd=str(ROOT))
    assert proc.stdin is not None and proc.stdout is not None
    try:
        def ask(message: dict[str, object]) -> None:
            proc.stdin.write((json.dumps(message) + "\n").encode())  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]

        def answer(request_id: int) -> dict[str, object]:
            while True:
                line = proc.stdout.readline()  # type: ignore[union-attr]
                if not line:
                    raise RuntimeError(f"{command[-1]} exited before answering request {request_id}")
                message = json.loads(line)
                if message.get("id") == request_id:
                    return message

        ask(_INITIALIZE)
        answer(1)
        ask({"jsonrpc": "2.0", "method": "notifications/initialized"})
        ask({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        answer(2)
        listed = time.perf_counter() - started
        ask({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": tool, "arguments": {}}})
        called = answer(3)
        first_call = time.perf_counter() - started
        if called.get("error") or (called.get("result") or {}).get("isError"):  # type: ignore[union-attr]
            raise RuntimeError(f"{tool} failed: {called}")
        return Timing(tools_list_s=listed, first_call_s=first_call)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _env(data_dir: Path, tree: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_"))}
    env.update(COPILOT_DATA_DIR=str(data_dir), PYTHONPATH=str(tree))
    return env


def run(runs: int, compare_tree: Path | None = None) -> list[Summary]:
    serve = [sys.executable, str(ROOT / "cli.py"), "serve"]
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        base = Path(tmp)
        minimal = base / "minimal_server.py"
        minimal.write_text(MINIMAL_SERVER)
        warm = base / "warm"
        # The warm folder holds a seeded sandbox and a synced index, as after a user's first session.
        measure(serve, _env(warm), "list_boards")
        subprocess.run([*serve[:-1], "kb", "sync"], env=_env(warm), cwd=str(ROOT), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        targets: dict[str, Callable[[int], Timing]] = {
            "minimal MCPServer, one tool": lambda _: measure([sys.executable, str(minimal)], _env(base), "ping"),
            "psa-copilot serve, fresh data folder": lambda i: measure(serve, _env(base / f"fresh-{i}"), "list_boards"),
            "psa-copilot serve, warm data folder": lambda _: measure(serve, _env(warm), "list_boards"),
        }
        if compare_tree is not None:
            other = [sys.executable, str(compare_tree / "cli.py"), "serve"]
            targets[f"serve from {compare_tree}, warm data folder"] = (
                lambda _: measure(other, _env(warm, compare_tree), "list_boards")
            )
        timings: dict[str, list[Timing]] = {name: [] for name in targets}
        for i in range(runs):
            for name, target in targets.items():
                timings[name].append(target(i))
    baseline = statistics.median(t.tools_list_s for t in timings["minimal MCPServer, one tool"])
    return [
        Summary(
            target=name,
            runs=len(ts),
            tools_list_median_s=statistics.median(t.tools_list_s for t in ts),
            first_call_median_s=statistics.median(t.first_call_s for t in ts),
            tools_list_ratio=statistics.median(t.tools_list_s for t in ts) / baseline,
        )
        for name, ts in timings.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_start", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds (each spawns every target once; default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--compare-tree", type=Path, default=None, metavar="DIR",
                        help="also time `serve` from this source tree (another revision) on the warm data folder")
    args = parser.parse_args(argv)
    summaries = run(args.runs, args.compare_tree)
    if args.json:
        print(json.dumps([s.model_dump() for s in summaries], indent=2))
        return 0
    print("| target | runs | spawn → tools/list (median) | ratio | spawn → first tool answer (median) |")
    print("|---|---:|---:|---:|---:|")
    for s in summaries:
        print(f"| {s.target} | {s.runs} | {s.tools_list_median_s:.2f} s | {s.tools_list_ratio:.2f}x "
              f"| {s.first_call_median_s:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
