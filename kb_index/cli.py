"""`psa-copilot kb ...`: one entry in COMMANDS per subcommand (bench here; sync/search/stats slot in
the same way: a function adding arguments and a handler returning the exit code)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


@dataclass(frozen=True)
class KbCommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--k", type=int, nargs="+", default=[1, 5, 10], help="recall cut-offs (default 1 5 10)")
    parser.add_argument("--fusion", choices=["convex", "rrf"], default="convex", help="hybrid fusion method")
    parser.add_argument("--lexical-weight", type=float, default=None, help="BM25 share in the fusion (0..1)")
    parser.add_argument("--scale", type=int, default=0, metavar="N",
                        help="also time hybrid queries on the corpus grown synthetically to N documents")
    parser.add_argument("--no-model-rate", action="store_true",
                        help="skip timing the bare model on the same texts (halves the run time)")


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def _run_bench(args: argparse.Namespace) -> int:
    from kb_index.beir import load_beir
    from kb_index.bench import run_bench
    from kb_index.hybrid import FusionConfig

    err = Console(stderr=True)
    dataset = load_beir(args.dir)
    fusion = FusionConfig(method=args.fusion)
    if args.lexical_weight is not None:
        fusion = FusionConfig(method=args.fusion, lexical_weight=args.lexical_weight)
    with _progress(err) as progress:
        task = progress.add_task("indexing", total=len(dataset.corpus))
        result, index = run_bench(dataset, ks=sorted(set(args.k)), fusion=fusion,
                                   on_progress=lambda n: progress.advance(task, n),
                                   measure_model=not args.no_model_rate)
        extra: dict[str, float] = {}
        if args.scale:
            from kb_index.scale import scaled_latency

            grow = progress.add_task(f"growing to {args.scale} docs", total=args.scale)
            extra = scaled_latency(index.dense, index.embedding_function, dataset.corpus,
                                   list(dataset.queries.values()), args.scale, fusion,
                                   on_progress=lambda n: progress.advance(grow, n))
    payload = {**result.model_dump(), **extra}
    if args.json:
        print(json.dumps(payload))
    else:
        _print_table(payload, sorted(set(args.k)), args.dir)
    return 0


def _print_table(payload: dict, ks: list[int], title: str) -> None:
    console = Console()
    columns = [f"recall@{k}" for k in ks] + ["mrr@10"]
    table = Table(title=f"kb bench: {title}")
    table.add_column("method")
    for column in columns:
        table.add_column(column, justify="right")
    for method in ("bm25", "dense", "hybrid"):
        table.add_row(method, *(f"{payload[method][c]:.3f}" for c in columns))
    console.print(table)
    console.print(
        f"{payload['docs']} docs ({payload['chunks']} chunks), {payload['queries']} queries | "
        f"indexing {payload['docs_per_s']:.1f} docs/s, model alone {payload['model_docs_per_s']:.1f} docs/s | "
        f"hybrid query p50 {payload['query_ms_p50']:.1f} ms, p95 {payload['query_ms_p95']:.1f} ms"
    )
    if "scale_docs" in payload:
        console.print(
            f"at {int(payload['scale_docs'])} docs ({int(payload['scale_chunks'])} chunks): hybrid query "
            f"p50 {payload['scale_query_ms_p50']:.1f} ms, p95 {payload['scale_query_ms_p95']:.1f} ms"
        )


def _bench_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="folder to write (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    parser.add_argument("--seed", type=int, default=42, help="sandbox seed")
    parser.add_argument("--tickets", type=int, default=3000, help="seeded tickets to draw queries from")


def _run_bench_data(args: argparse.Namespace) -> int:
    from kb_index.bench_data import write_seed_bench

    stats = write_seed_bench(args.out, seed=args.seed, tickets=args.tickets)
    Console(stderr=True).print(f"wrote {args.out}: {stats.docs} KB articles, {stats.queries} ticket queries")
    return 0


COMMANDS: list[KbCommand] = [
    KbCommand("bench", "score bm25, dense and hybrid retrieval on a BEIR folder", _bench_arguments, _run_bench),
    KbCommand("bench-data", "write a BEIR folder from the sandbox's seeded KB articles and tickets",
              _bench_data_arguments, _run_bench_data),
]


def add_kb_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `kb` and its subcommands on the top-level parser."""
    kb = subparsers.add_parser("kb", help="knowledge-base index: " + ", ".join(c.name for c in COMMANDS))
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    for command in COMMANDS:
        parser = kb_sub.add_parser(command.name, help=command.help)
        command.add_arguments(parser)
        parser.set_defaults(kb_run=command.run)


def run_kb(args: argparse.Namespace) -> int:
    return int(args.kb_run(args))

