"""From a ticket's close in ConnectWise to its presence in `find_similar_tickets`: through callbacks, against the
periodic background sync, in one run.

    python -m benchmarks.callback_latency [--tickets 500] [--closes 50] [--interval 60] [--gap 1.0] [--json]

Setup (not timed): a sandbox seeded with `--tickets` tickets (seed 42) in a temporary folder, and two
`psa-copilot serve --transport http` child processes pointed at it (CW_SITE), each with its own data folder and
COPILOT_KB_AUTOSYNC=1:
  callbacks  COPILOT_KB_SYNC_INTERVAL_SECONDS=0 (it syncs once at start, never again) and a Ticket/Owner
             callback entry pointing at its /connectwise/callbacks;
  sync       COPILOT_KB_SYNC_INTERVAL_SECONDS=`--interval` and no callback entry: the index follows ConnectWise
             only through the periodic incremental sync.
Both first build their index; then `--closes` open tickets are closed one after another, `--gap` seconds apart,
each with a resolution note carrying a word no other ticket has. For each ticket and each server, the clock runs
from the moment the close (the PATCH of its status) returned to the first `find_similar_tickets(text=...)`
answer that lists it. One poller per server asks for its pending tickets one call at a time, so the pollers'
load is the same small one on both.

The sync server's wait is, by design, about half the interval plus one incremental sync: the default interval
(900 s) would make the run take half an hour, so `--interval` is shorter here and the report says what it used.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from benchmarks.team_load import ROOT, open_client, percentile, serving

AUTH = {"Authorization": "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode(),
        "clientId": "sandbox-client"}
READY_TIMEOUT_S = 600.0
FOUND_TIMEOUT_S = 1800.0


class Side(BaseModel):
    name: str
    found: int
    p50_s: float
    p95_s: float
    max_s: float


class Report(BaseModel):
    tickets: int
    closes: int
    interval_s: float
    gap_s: float
    sides: list[Side]
    ratio_p50: float
    """sync p50 over callbacks p50."""
    ratio_p95: float


def _env(data_dir: Path, site: str, interval: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_"))}
    env.update(
        COPILOT_DATA_DIR=str(data_dir), COPILOT_KB_AUTOSYNC="1", COPILOT_KB_SYNC_INTERVAL_SECONDS=str(interval),
        COPILOT_LOG_LEVEL="WARNING", COPILOT_WRITE_MODE="read_only", PYTHONPATH=str(ROOT),
        CW_SITE=site, CW_COMPANY_ID="sandbox", CW_PUBLIC_KEY="sandbox-public", CW_PRIVATE_KEY="sandbox-private",
        CW_CLIENT_ID="sandbox-client",
    )
    return env


def _word(i: int) -> str:
    return f"zorblax{i:03d}"


async def _similar(client: Any, text: str) -> dict[str, Any]:
    result = await client.call_tool("find_similar_tickets", {"text": text, "limit": 3})
    return result.structured_content or {}


async def _wait_ready(client: Any) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not (await _similar(client, "printer offline"))["index"]["ready"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the server's first index sync did not finish")
        await asyncio.sleep(1.0)


async def _poll(client: Any, closed: dict[int, tuple[int, float]], total: int, found: dict[int, float]) -> None:
    """Until every one of `total` tickets is found: ask for each closed, not yet found ticket in turn."""
    deadline = time.monotonic() + FOUND_TIMEOUT_S
    while len(found) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{total - len(found)} closed tickets never appeared")
        pending = [(i, tid, at) for i, (tid, at) in list(closed.items()) if i not in found]
        for i, ticket_id, closed_at in pending:
            answer = await _similar(client, f"{_word(i)} relay fault")
            if ticket_id in [t["id"] for t in answer.get("items", [])]:
                found[i] = time.monotonic() - closed_at
        await asyncio.sleep(0.05)


def _side(name: str, found: dict[int, float]) -> Side:
    values = sorted(found.values())
    return Side(name=name, found=len(values), p50_s=round(percentile(values, 50), 2),
                p95_s=round(percentile(values, 95), 2), max_s=round(values[-1], 2))


async def _measure(rest: httpx.AsyncClient, callbacks_url: str, sync_url: str, closes: int,
                   gap: float) -> tuple[dict[int, float], dict[int, float]]:
    tickets = (await rest.get("/service/tickets", params={"conditions": "closedFlag=false", "pageSize": closes,
                                                           "orderBy": "id asc"})).json()
    if len(tickets) < closes:
        raise RuntimeError(f"only {len(tickets)} open tickets to close; seed more with --tickets")
    statuses: dict[int, int] = {}
    for board_id in {t["board"]["id"] for t in tickets}:
        listed = (await rest.get(f"/service/boards/{board_id}/statuses", params={"pageSize": 100})).json()
        statuses[board_id] = next(s["id"] for s in listed if s.get("closedStatus"))
    closed: dict[int, tuple[int, float]] = {}
    found_cb: dict[int, float] = {}
    found_sync: dict[int, float] = {}
    async with open_client(callbacks_url, None) as cb, open_client(sync_url, None) as sy:
        await asyncio.gather(_wait_ready(cb), _wait_ready(sy))
        pollers = [asyncio.create_task(_poll(cb, closed, closes, found_cb)),
                   asyncio.create_task(_poll(sy, closed, closes, found_sync))]
        for i, ticket in enumerate(tickets[:closes]):
            note = {"text": f"Resolved: the {_word(i)} relay fault, fixed by reseating the relay.",
                    "resolutionFlag": True}
            (await rest.post(f"/service/tickets/{ticket['id']}/notes", json=note)).raise_for_status()
            patch = [{"op": "replace", "path": "status", "value": {"id": statuses[ticket["board"]["id"]]}}]
            (await rest.patch(f"/service/tickets/{ticket['id']}", json=patch)).raise_for_status()
            closed[i] = (ticket["id"], time.monotonic())
            await asyncio.sleep(gap)
        await asyncio.gather(*pollers)
    return found_cb, found_sync


def run(args: argparse.Namespace) -> Report:
    from sandbox.runner import start_sandbox

    root = Path(tempfile.mkdtemp(prefix="psa-callback-bench-"))
    try:
        with start_sandbox(db_path=root / "sandbox.db", tickets=args.tickets) as sandbox:
            cb_dir, sync_dir = root / "callbacks", root / "sync"
            cb_dir.mkdir()
            sync_dir.mkdir()
            with serving(_env(cb_dir, sandbox.url, 0), cb_dir / "server.log") as (cb_url, _), \
                    serving(_env(sync_dir, sandbox.url, args.interval), sync_dir / "server.log") as (sync_url, _):
                receiver = cb_url.removesuffix("/mcp") + "/connectwise/callbacks"
                httpx.post(f"{sandbox.api_base}/system/callbacks", headers=AUTH, json={
                    "description": "benchmark", "url": receiver, "objectId": 1, "type": "Ticket", "level": "Owner",
                }).raise_for_status()

                async def go() -> tuple[dict[int, float], dict[int, float]]:
                    async with httpx.AsyncClient(base_url=sandbox.api_base, headers=AUTH, timeout=60) as rest:
                        return await _measure(rest, cb_url, sync_url, args.closes, args.gap)

                found_cb, found_sync = asyncio.run(go())
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}", file=sys.stderr)
    sides = [_side("callbacks", found_cb), _side(f"sync every {args.interval} s", found_sync)]
    return Report(tickets=args.tickets, closes=args.closes, interval_s=args.interval, gap_s=args.gap, sides=sides,
                  ratio_p50=round(sides[1].p50_s / sides[0].p50_s, 1), ratio_p95=round(sides[1].p95_s / sides[0].p95_s, 1))


def print_report(report: Report) -> None:
    print(f"{report.closes} tickets closed {report.gap_s:g} s apart on a {report.tickets}-ticket sandbox")
    print("| path | found | p50 s | p95 s | max s |")
    print("|---|---:|---:|---:|---:|")
    for side in report.sides:
        print(f"| {side.name} | {side.found} | {side.p50_s} | {side.p95_s} | {side.max_s} |")
    print(f"sync over callbacks: p50 {report.ratio_p50}x, p95 {report.ratio_p95}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.callback_latency", description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500, help="tickets seeded into the sandbox (default 500)")
    parser.add_argument("--closes", type=int, default=50, help="tickets closed and timed (default 50)")
    parser.add_argument("--interval", type=int, default=60,
                        help="the sync server's COPILOT_KB_SYNC_INTERVAL_SECONDS (30-86400, default 60)")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between two closes (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and the servers' logs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    report = run(args)
    print(report.model_dump_json(indent=2) if args.json else "", end="")
    if not args.json:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
