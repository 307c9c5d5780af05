"""The team service under load: `psa-copilot serve --transport http` with COPILOT_AUTH=tokens, one technician
against twenty at once, and what signing in costs per call.

    python -m benchmarks.team_load [--calls 240] [--per-technician 24] [--technicians 20] [--rounds 2]
                                   [--tickets 2000] [--sign-ins 2000] [--json]

Setup (not timed): a temporary COPILOT_DATA_DIR with the embedded sandbox seeded (COPILOT_SANDBOX_TICKETS,
seed 42), `psa-copilot users add` run once per technician (members from the sandbox seed, checked against it;
the bearer token is the last stdout line), and two servers started as child processes on loopback from the same
seeded data: one with COPILOT_AUTH=tokens, one with COPILOT_AUTH=none (COPILOT_MEMBER set to the single
technician's member, so `owner="me"` means the same person on both). Both expose COPILOT_TOOLSETS=
tickets,directory with COPILOT_WRITE_MODE=read_only, so no knowledge index is opened or synced.

Measured, in one run, over the MCP SDK's streamable HTTP client (one session per technician, opened before the
clock starts):
  (a) one technician, `--calls` calls one after another (the baseline);
  (b) `--technicians` technicians at once, each in its own session, `--per-technician` calls each;
  (a-none) as (a) on the COPILOT_AUTH=none server: what signing in costs on the whole request path (the
           bearer lookup per HTTP request, and tools/acting.py's key lookup per tools/call).
The mix is the same everywhere: search_tickets (three filter variants, one of them owner="me"), get_ticket
(cycling through 50 ticket ids), list_boards, in turn. Phases run in the order a, a-none, b, then reversed
(b, a-none, a) for each further pair of rounds, so drift on a shared machine falls on all of them alike.
  (c) in process: `webapp.auth.TokenAuth().sign_in(token)` in a loop against `NoAuth().sign_in(None)`, the
store lookup alone (`Technicians().lookup_by_token`) without the worker-thread hop, and the per-call key lookup
(`identity.technicians.keys_for`, in a worker thread as tools/acting.py does it), interleaved in blocks.
Each phase also reports the CPU time the serving process and this process (the clients) spent per call.

The load generator runs in this process, on the same cores as the servers: on a 2-core machine (b) measures
the server and its client together. Compare ratios, not absolute milliseconds. Takes ~3-4 minutes with the
defaults (2 cores); the data folder is temporary (`--keep` keeps it, with the servers' logs).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
URL_LINE = re.compile(r"psa-copilot MCP server \(streamable HTTP\): (http://\S+/mcp)")
START_TIMEOUT_S = 300.0
SINGLE_MEMBER = "kbrooks"
SEARCHES: tuple[dict[str, Any], ...] = (
    {"owner": "me", "page_size": 10},
    {"text": "VPN", "page_size": 10},
    {"board": "Help Desk", "is_open": True, "page_size": 10},
)


class Phase(BaseModel):
    name: str
    sessions: int
    calls: int
    errors: int
    wall_s: float
    throughput: float
    """calls per second, wall clock from the first call to the last answer"""
    p50_ms: float
    p95_ms: float
    per_tool_p50_ms: dict[str, float]
    server_cpu_ms_per_call: float
    """CPU time (user + system) of the server process that served the phase, per call"""
    client_cpu_ms_per_call: float
    """CPU time of this process (the MCP clients, the load generator), per call"""


class SignIn(BaseModel):
    name: str
    loops: int
    median_us: float
    """median over blocks of the mean time per call in the block"""


class Report(BaseModel):
    tickets: int
    technicians: int
    rounds: int
    setup_s: dict[str, float]
    phases: list[Phase]
    ratios: dict[str, float]
    sign_in: list[SignIn]
    sign_in_share_of_a_p50: float
    """(TokenAuth.sign_in - NoAuth.sign_in) / p50 of a tool call in (a)"""


# ---- setup ----------------------------------------------------------------------------------------------------


def base_env(data_dir: Path, tickets: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_"))}
    env.update(
        COPILOT_DATA_DIR=str(data_dir),
        COPILOT_SANDBOX_TICKETS=str(tickets),
        COPILOT_TOOLSETS="tickets,directory",
        COPILOT_WRITE_MODE="read_only",
        COPILOT_KB_AUTOSYNC="0",
        COPILOT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def seed_sandbox(env: dict[str, str]) -> None:
    """The embedded sandbox's first start, as the server would do it (seeds $COPILOT_DATA_DIR/sandbox.db)."""
    code = "from sandbox.embedded import start_embedded; start_embedded().stop()"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=str(ROOT), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def technician_members() -> list[str]:
    from sandbox.seed.catalog import MEMBERS

    return [m.identifier for m in MEMBERS if m.technician and not m.api]


def add_technicians(env: dict[str, str], count: int) -> list[tuple[str, str, str]]:
    """`psa-copilot users add` per technician: [(email, member, bearer token)]; the first is SINGLE_MEMBER."""
    members = technician_members()
    members.remove(SINGLE_MEMBER)
    members.insert(0, SINGLE_MEMBER)
    added = []
    for i in range(count):
        email, member = f"tech{i + 1:02d}@bench.example", members[i % len(members)]
        proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "users", "add", email, "--member", member],
                              env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"psa-copilot users add {email} failed ({proc.returncode}): {proc.stderr.strip()}")
        if proc.stderr.strip():
            print(f"users add {email}: {proc.stderr.strip()}", file=sys.stderr)
        token = proc.stdout.strip().splitlines()[-1]
        if not token.startswith("psa_"):
            raise RuntimeError(f"psa-copilot users add {email} printed no token last: {proc.stdout!r}")
        added.append((email, member, token))
    return added


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """`psa-copilot serve --transport http` on a free loopback port: its MCP URL once it accepts connections,
    and its process id."""
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "serve", "--transport", "http", "--host", "127.0.0.1",
             "--port", "0"],
            env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=err,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while (found := URL_LINE.search(log.read_text())) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the HTTP server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield found.group(1), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- the request mix ------------------------------------------------------------------------------------------


@asynccontextmanager
async def open_client(url: str, token: str | None) -> AsyncIterator[Any]:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else None
    # The transport does not close a client it was given.
    async with create_mcp_http_client(headers=headers) as http, Client(streamable_http_client(url, http_client=http)) as client:
        yield client


def mix(i: int, ticket_ids: list[int]) -> tuple[str, dict[str, Any]]:
    """The i-th call of the mix: search_tickets, get_ticket, list_boards, in turn."""
    step, k = i % 3, i // 3
    if step == 0:
        return "search_tickets", SEARCHES[k % len(SEARCHES)]
    if step == 1:
        return "get_ticket", {"ticket_id": ticket_ids[k % len(ticket_ids)]}
    return "list_boards", {}


class Recorder:
    def __init__(self) -> None:
        self.samples: list[tuple[str, float]] = []
        self.errors = 0

    async def run(self, client: Any, calls: int, offset: int, ticket_ids: list[int]) -> None:
        for i in range(offset, offset + calls):
            name, args = mix(i, ticket_ids)
            started = time.perf_counter()
            result = await client.call_tool(name, args)
            elapsed = time.perf_counter() - started
            if result.is_error:
                self.errors += 1
                if self.errors == 1:
                    print(f"{name}({args}) failed: {result.content[0].text}", file=sys.stderr)
            self.samples.append((name, elapsed))


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Span:
    """Wall clock, the server's CPU and this process's CPU over one timed stretch."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.wall = self.server_cpu = self.client_cpu = 0.0

    def __enter__(self) -> Span:
        self._wall, self._client = time.perf_counter(), time.process_time()
        self._server = process_cpu_s(self.server_pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.server_cpu = process_cpu_s(self.server_pid) - self._server
        self.client_cpu = time.process_time() - self._client


def summarise(name: str, sessions: int, recorders: list[Recorder], spans: list[Span]) -> Phase:
    samples = [s for r in recorders for s in r.samples]
    latencies = sorted(t for _, t in samples)
    per_tool: dict[str, list[float]] = {}
    for tool, t in samples:
        per_tool.setdefault(tool, []).append(t)
    wall = sum(s.wall for s in spans)
    return Phase(
        name=name, sessions=sessions, calls=len(samples), errors=sum(r.errors for r in recorders), wall_s=wall,
        throughput=len(samples) / wall,
        p50_ms=1000 * percentile(latencies, 50), p95_ms=1000 * percentile(latencies, 95),
        per_tool_p50_ms={tool: 1000 * statistics.median(ts) for tool, ts in sorted(per_tool.items())},
        server_cpu_ms_per_call=1000 * sum(s.server_cpu for s in spans) / len(samples),
        client_cpu_ms_per_call=1000 * sum(s.client_cpu for s in spans) / len(samples),
    )


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(q / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def load(tokens: tuple[str, int], none: tuple[str, int], technicians: list[tuple[str, str, str]], calls: int,
               per_technician: int, rounds: int) -> list[Phase]:
    """`tokens`, `none`: each server's (MCP URL, process id)."""
    (tokens_url, tokens_pid), (none_url, none_pid) = tokens, none
    single_token = technicians[0][2]
    async with open_client(tokens_url, single_token) as warm:
        found = await warm.call_tool("search_tickets", {"page_size": 50})
        if found.is_error:
            raise RuntimeError(f"search_tickets failed: {found.content[0].text}")
        ticket_ids = [item["id"] for item in found.structured_content["items"]]
    async with open_client(none_url, None) as warm:
        await warm.call_tool("list_boards", {})  # the none server's sandbox and imports, before the clock

    recorded: dict[str, tuple[list[Recorder], list[Span], int]] = {}

    def slot(name: str, sessions: int) -> tuple[list[Recorder], list[Span]]:
        recorders, spans, _ = recorded.setdefault(name, ([], [], sessions))
        return recorders, spans

    async def one(name: str, url: str, pid: int, token: str | None) -> None:
        recorders, spans = slot(name, 1)
        recorder = Recorder()
        async with open_client(url, token) as client:
            await recorder.run(client, 3, 0, ticket_ids)  # the session's own warm-up, untimed
            recorder.samples.clear()
            with Span(pid) as span:
                await recorder.run(client, calls, 0, ticket_ids)
        recorders.append(recorder)
        spans.append(span)

    async def many() -> None:
        recorders, spans = slot("b", len(technicians))
        ready, finished = anyio.Event(), anyio.Event()
        entered = done = 0

        async def technician(index: int, token: str) -> None:
            nonlocal entered, done
            recorder = Recorder()
            async with open_client(tokens_url, token) as client:
                await recorder.run(client, 3, index, ticket_ids)  # untimed, as in (a)
                recorder.samples.clear()
                entered += 1
                if entered == len(technicians):
                    ready.set()
                await ready.wait()
                await recorder.run(client, per_technician, index, ticket_ids)
                done += 1
                if done == len(technicians):
                    finished.set()
                await finished.wait()  # sessions close after the clock stops, not inside it
            recorders.append(recorder)

        async with anyio.create_task_group() as tg:
            for index, (_, _, token) in enumerate(technicians):
                tg.start_soon(technician, index, token)
            await ready.wait()
            with Span(tokens_pid) as span:
                await finished.wait()
        spans.append(span)

    order = [("a", lambda: one("a", tokens_url, tokens_pid, single_token)),
             ("a-none", lambda: one("a-none", none_url, none_pid, None)),
             ("b", many)]
    for r in range(rounds):
        for name, run in (order if r % 2 == 0 else order[::-1]):
            print(f"round {r + 1}: {name}", file=sys.stderr, flush=True)
            await run()
    return [summarise(name, sessions, recorders, spans)
            for name, (recorders, spans, sessions) in sorted(recorded.items())]


# ---- (c) sign-in alone ----------------------------------------------------------------------------------------


async def sign_in_costs(data_dir: Path, email: str, token: str, loops: int, block: int = 200) -> list[SignIn]:
    os.environ["COPILOT_DATA_DIR"] = str(data_dir)
    sys.path.insert(0, str(ROOT))
    from identity.technicians import Technicians, keys_for
    from webapp.auth import NoAuth, TokenAuth

    tokens, none, technicians = TokenAuth(), NoAuth(), Technicians()
    if (await tokens.sign_in(token)).technician is None:
        raise RuntimeError("TokenAuth did not sign the technician in")

    async def token_sign_in() -> None:
        await tokens.sign_in(token)

    async def no_auth() -> None:
        await none.sign_in(None)

    async def lookup() -> None:
        technicians.lookup_by_token(token)

    async def acting_keys() -> None:
        await anyio.to_thread.run_sync(keys_for, email)

    cases = {
        "NoAuth().sign_in(None) (baseline)": no_auth,
        "TokenAuth().sign_in(token)": token_sign_in,
        "Technicians().lookup_by_token(token), no thread hop": lookup,
        "keys_for(email) in a worker thread (tools/acting.py, per tools/call; no keys set)": acting_keys,
    }
    blocks: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(max(1, loops // block)):
        for name, case in cases.items():
            started = time.perf_counter()
            for _ in range(block):
                await case()
            blocks[name].append((time.perf_counter() - started) / block)
    return [SignIn(name=name, loops=block * len(ts), median_us=1e6 * statistics.median(ts))
            for name, ts in blocks.items()]


# ---- main -----------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Report:
    setup: dict[str, float] = {}
    tmp = Path(tempfile.mkdtemp(prefix="team-load-"))
    try:
        tokens_dir, none_dir = tmp / "tokens", tmp / "none"
        tokens_env = base_env(tokens_dir, args.tickets, COPILOT_AUTH="tokens")
        started = time.perf_counter()
        seed_sandbox(tokens_env)
        setup["seed sandbox"] = time.perf_counter() - started
        none_dir.mkdir()
        shutil.copy2(tokens_dir / "sandbox.db", none_dir / "sandbox.db")  # the same data for the none server
        started = time.perf_counter()
        technicians = add_technicians(tokens_env, args.technicians)
        setup[f"users add x{args.technicians}"] = time.perf_counter() - started
        none_env = base_env(none_dir, args.tickets, COPILOT_AUTH="none", COPILOT_MEMBER=SINGLE_MEMBER)
        started = time.perf_counter()
        with serving(tokens_env, tmp / "tokens.log") as tokens, serving(none_env, tmp / "none.log") as none:
            setup["start both servers"] = time.perf_counter() - started
            phases = anyio.run(load, tokens, none, technicians, args.calls, args.per_technician, args.rounds)
        sign_in = anyio.run(sign_in_costs, tokens_dir, technicians[0][0], technicians[0][2], args.sign_ins)
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    by = {p.name: p for p in phases}
    a, b, a_none = by["a"], by["b"], by["a-none"]
    ratios = {
        "b/a throughput": b.throughput / a.throughput,
        "b/a p50": b.p50_ms / a.p50_ms,
        "b/a p95": b.p95_ms / a.p95_ms,
        "a/a-none throughput": a.throughput / a_none.throughput,
        "a/a-none p50": a.p50_ms / a_none.p50_ms,
        "a/a-none p95": a.p95_ms / a_none.p95_ms,
    }
    cost = {s.name: s.median_us for s in sign_in}
    extra_us = cost["TokenAuth().sign_in(token)"] - cost["NoAuth().sign_in(None) (baseline)"]
    return Report(tickets=args.tickets, technicians=args.technicians, rounds=args.rounds, setup_s=setup,
                  phases=phases, ratios=ratios, sign_in=sign_in, sign_in_share_of_a_p50=extra_us / 1000 / a.p50_ms)


def print_report(report: Report) -> None:
    print(f"sandbox: {report.tickets} tickets; {report.technicians} technicians; {report.rounds} rounds")
    print("setup: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.setup_s.items()))
    print()
    print("| phase | sessions | calls | errors | calls/s | p50 ms | p95 ms | p50 search / get / boards ms "
          "| server CPU ms/call | client CPU ms/call |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in report.phases:
        tools = " / ".join(f"{p.per_tool_p50_ms.get(t, float('nan')):.1f}"
                           for t in ("search_tickets", "get_ticket", "list_boards"))
        print(f"| {p.name} | {p.sessions} | {p.calls} | {p.errors} | {p.throughput:.1f} | {p.p50_ms:.1f} "
              f"| {p.p95_ms:.1f} | {tools} | {p.server_cpu_ms_per_call:.1f} | {p.client_cpu_ms_per_call:.1f} |")
    print()
    for name, value in report.ratios.items():
        print(f"{name}: {value:.2f}x")
    print()
    print("| sign-in | calls | median µs per call |")
    print("|---|---:|---:|")
    for s in report.sign_in:
        print(f"| {s.name} | {s.loops} | {s.median_us:.1f} |")
    print(f"TokenAuth over NoAuth, as a share of a tool call's p50 in (a): {100 * report.sign_in_share_of_a_p50:.2f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.team_load", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=240, help="calls per round for the single technician (a)")
    parser.add_argument("--per-technician", type=int, default=24, help="calls per technician per round in (b)")
    parser.add_argument("--technicians", type=int, default=20, help="technicians created and used at once in (b)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of a, a-none, b (order reversed every other)")
    parser.add_argument("--tickets", type=int, default=2000, help="COPILOT_SANDBOX_TICKETS (default 2000)")
    parser.add_argument("--sign-ins", type=int, default=2000, help="sign-ins per case in (c)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder and the server logs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
