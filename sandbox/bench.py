"""Sandbox list latency at two data sizes, measured side by side in one run.

    python -m sandbox.bench [--sizes 2000 100000] [--repeat 40] [--json]

Each size gets its own database under COPILOT_DATA_DIR/bench (seeded once, reused by later runs, since
seeding 100,000 tickets takes a minute or two). Every query is timed end to end over loopback HTTP with
one shared client, so the figures include routing, SQL, JSON and the Link-header count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import httpx
from pydantic import BaseModel

import settings
from psa.connectwise.auth import auth_headers
from psa.connectwise.settings import ConnectWiseSettings
from sandbox.runner import start_sandbox

QUERIES: dict[str, tuple[str, dict[str, str]]] = {
    "newest 25 tickets": ("/service/tickets", {"orderBy": "id desc", "pageSize": "25"}),
    "open on a board": (
        "/service/tickets",
        {"conditions": 'closedFlag = false and board/name = "Help Desk"', "orderBy": "id desc", "pageSize": "25"},
    ),
    "one company's tickets": (
        "/service/tickets",
        {"conditions": "company/id = 5", "orderBy": "id desc", "pageSize": "25"},
    ),
    "updated since a date": (
        "/service/tickets",
        {"conditions": "lastUpdated > [2026-10-01T00:00:00Z]", "orderBy": "id desc", "pageSize": "25"},
    ),
    "summary contains": (
        "/service/tickets",
        {"conditions": 'summary contains "VPN"', "orderBy": "id desc", "pageSize": "25"},
    ),
    "count open tickets": ("/service/tickets/count", {"conditions": "closedFlag = false"}),
    "notes of a ticket": ("/service/tickets/7/notes", {"pageSize": "25"}),
    "KB articles page": ("/service/knowledgeBaseArticles", {"pageSize": "25"}),
}


class Timing(BaseModel):
    p50_ms: float
    p95_ms: float


def _time_queries(api_base: str, headers: dict[str, str], repeat: int) -> dict[str, Timing]:
    results: dict[str, Timing] = {}
    with httpx.Client(base_url=api_base, headers=headers, timeout=30.0) as http:
        for name, (path, params) in QUERIES.items():
            http.get(path, params=params).raise_for_status()  # warm caches once, not timed
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                http.get(path, params=params).raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            results[name] = Timing(
                p50_ms=round(statistics.median(samples), 2),
                p95_ms=round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 2),
            )
    return results


def run(sizes: list[int], repeat: int) -> dict[int, dict[str, Timing]]:
    bench_dir = settings.data_dir() / "bench"
    bench_dir.mkdir(exist_ok=True)
    measured: dict[int, dict[str, Timing]] = {}
    for size in sizes:
        print(f"sandbox with {size:,} tickets (seeding on first use) ...", file=sys.stderr)
        with start_sandbox(db_path=bench_dir / f"sandbox-{size}.db", tickets=size) as sandbox:
            headers = auth_headers(ConnectWiseSettings.sandbox(sandbox.url))
            measured[size] = _time_queries(sandbox.api_base, headers, repeat)
    return measured


def _table(measured: dict[int, dict[str, Timing]]) -> str:
    sizes = list(measured)
    head = "| query | " + " | ".join(f"p50 / p95 ms at {s:,}" for s in sizes)
    if len(sizes) == 2:
        head += f" | p50 ratio {sizes[1]:,} / {sizes[0]:,}"
    lines = [head + " |", "|" + "---|" * (head.count("|"))]
    for name in QUERIES:
        cells = [f"{measured[s][name].p50_ms:.1f} / {measured[s][name].p95_ms:.1f}" for s in sizes]
        if len(sizes) == 2:
            cells.append(f"{measured[sizes[1]][name].p50_ms / measured[sizes[0]][name].p50_ms:.1f}x")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 100000])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    measured = run(args.sizes, args.repeat)
    if args.json:
        print(json.dumps({str(s): {q: t.model_dump() for q, t in m.items()} for s, m in measured.items()}))
    else:
        print(_table(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
