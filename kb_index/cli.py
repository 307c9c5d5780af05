"""`psa-copilot kb ...`: one entry in COMMANDS per subcommand (a function adding arguments and a handler
returning the exit code). Progress goes to stderr, results to stdout.

Exit codes: 0 done; 1 failed (e.g. ConnectWise unreachable); 2 a bad setting or argument (the caller checks
the settings a command declares before running it, see `KbCommand`); 130 interrupted. Failures are one line
on stderr, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from settings import ConfigError, one_line

if TYPE_CHECKING:
    from kb_index.store import KnowledgeStats, KnowledgeStore
    from kb_index.sync import SyncProgress, SyncReport

KIND_CHOICES = ("kb_articles", "resolved_tickets")


@dataclass(frozen=True)
class KbCommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    psa: bool = False
    """Reads ConnectWise (or the embedded sandbox): its CW_* / COPILOT_SANDBOX_TICKETS settings are checked."""
    index: bool = False
    """Opens the knowledge index: COPILOT_EMBEDDINGS and the data folder are checked."""


class UsageError(Exception):
    """A bad argument (e.g. a folder that is not a BEIR folder): one line on stderr, exit 2."""


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
    try:
        dataset = load_beir(args.dir)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{args.dir} is not a readable BEIR folder ({type(exc).__name__}: {one_line(exc)})") from exc
    fusion = FusionConfig(method=args.fusion)
    if args.lexical_weight is not None:
        fusion = FusionConfig(method=args.fusion, lexical_weight=args.lexical_weight)
    with _progress(err) as progress:

        def phase(description: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(description, total=total)
            return lambda n: progress.advance(task, n)

        result, index = run_bench(dataset, ks=sorted(set(args.k)), fusion=fusion, phases=phase,
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
    model_rate = payload["model_docs_per_s"]
    model = f", model alone {model_rate:.1f} docs/s" if model_rate is not None else ""
    console.print(
        f"{payload['docs']} docs ({payload['chunks']} chunks), {payload['queries']} queries | "
        f"indexing {payload['docs_per_s']:.1f} docs/s{model} | "
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


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true",
                        help="re-check every record, not only those updated since the last sync")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")


async def _sync_from_env(store: KnowledgeStore, full: bool, progress: Callable[[SyncProgress], None]) -> SyncReport:
    from kb_index.sync import sync
    from products import open_knowledge_source

    async with open_knowledge_source() as source:
        return await sync(source, store, progress=progress, full=full)


def _open_store() -> KnowledgeStore:
    from kb_index.store import KnowledgeStore

    try:
        return KnowledgeStore.open()
    except ValueError as exc:  # e.g. an index built with another COPILOT_EMBEDDINGS; the message says what to do
        raise ConfigError(one_line(exc)) from exc


def _run_sync(args: argparse.Namespace) -> int:
    with _open_store() as store, _progress(Console(stderr=True)) as progress:
        tasks = {kind: progress.add_task(kind.replace("_", " "), total=None, start=False) for kind in KIND_CHOICES}

        def show(update: SyncProgress) -> None:
            task = tasks[update.kind]
            progress.start_task(task)
            progress.update(task, completed=update.done, total=update.total)

        report = asyncio.run(_sync_from_env(store, args.full, show))
    if args.json:
        print(report.model_dump_json())
        return 0
    table = Table(title=f"kb sync ({'full' if report.full else 'incremental'}) in {report.duration_s:.1f} s")
    columns = ("fetched", "added", "updated", "removed", "unchanged", "chunks_written")
    table.add_column("kind", no_wrap=True)
    for column in columns:
        table.add_column(column.removesuffix("_written"), justify="right")
    for kind, counts in report.kinds.items():
        table.add_row(kind, *(f"{getattr(counts, c):,}" for c in columns))
    Console().print(table)
    return 0


def _stats_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _run_stats(args: argparse.Namespace) -> int:
    with _open_store() as store:
        stats = store.stats()
    if args.json:
        print(stats.model_dump_json())
    else:
        _print_stats(stats)
    return 0


def _print_stats(stats: KnowledgeStats) -> None:
    table = Table(title=f"knowledge index: {stats.path}")
    table.add_column("kind")
    table.add_column("documents", justify="right")
    table.add_column("chunks", justify="right")
    for kind, count in stats.documents.items():
        table.add_row(kind, f"{count:,}", f"{stats.chunks.get(kind, 0):,}")
    console = Console()
    console.print(table)
    last = stats.last_sync.strftime("%Y-%m-%d %H:%M:%S UTC") if stats.last_sync else "never"
    console.print(f"last sync: {last} | embeddings: {stats.embedding_function}")


def _search_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="free text, e.g. a ticket summary")
    parser.add_argument("--kind", choices=KIND_CHOICES, default="kb_articles")
    parser.add_argument("--k", type=int, default=5, help="results to show (default 5)")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")


def _run_search(args: argparse.Namespace) -> int:
    from kb_index.search import KnowledgeSearch

    with _open_store() as store:
        if store.count(args.kind) == 0:
            Console(stderr=True).print(f"the {args.kind} index is empty: run `psa-copilot kb sync` first")
        matches = KnowledgeSearch(store).search(args.kind, args.query, k=args.k, where=None)
    if args.json:
        print(json.dumps([
            {"id": m.document.id, "title": m.document.title, "score": m.score, "dense": m.dense,
             "lexical": m.lexical, "matched_terms": m.matched_terms, "metadata": m.document.metadata}
            for m in matches
        ]))
        return 0
    table = Table(title=f"{args.kind}: {args.query}")
    for column, justify in (("#", "right"), ("id", "right"), ("title", "left"), ("score", "right"),
                            ("cosine", "right"), ("bm25", "right"), ("matched", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for rank, m in enumerate(matches, start=1):
        table.add_row(str(rank), m.document.id, m.document.title, f"{m.score:.3f}",
                      "-" if m.dense is None else f"{m.dense:.3f}", f"{m.lexical:.2f}", ", ".join(m.matched_terms))
    Console().print(table)
    return 0


COMMANDS: list[KbCommand] = [
    KbCommand("sync", "index KB articles and resolved tickets from ConnectWise (incremental)", _sync_arguments,
              _run_sync, psa=True, index=True),
    KbCommand("search", "hybrid search of the index", _search_arguments, _run_search, index=True),
    KbCommand("stats", "documents and chunks per kind, last sync time", _stats_arguments, _run_stats, index=True),
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
        parser.set_defaults(kb_run=command.run, kb_psa=command.psa, kb_index=command.index)


def run_kb(args: argparse.Namespace) -> int:
    """Run the parsed subcommand; its exit code (see the module docstring)."""
    from psa.errors import PSAAuthError, PSAError, PSAPermissionError

    try:
        return int(args.kb_run(args))
    except KeyboardInterrupt:
        # A sync stores batch by batch and a re-run skips what is stored unchanged (kb_index/sync.py): nothing lost.
        print("psa-copilot: interrupted" + ("; re-run to resume" if args.kb_command == "sync" else ""),
              file=sys.stderr)
        return 130
    except Exception as exc:
        error = _leaf(exc)
        if isinstance(error, (ConfigError, PSAAuthError, PSAPermissionError)):
            print(f"psa-copilot: configuration error: {one_line(error)}", file=sys.stderr)
            return 2
        if isinstance(error, UsageError):
            print(f"psa-copilot kb {args.kb_command}: {error}", file=sys.stderr)
            return 2
        if isinstance(error, PSAError):
            print(f"psa-copilot kb {args.kb_command}: {one_line(error)}", file=sys.stderr)
            return 1
        raise


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside task-group wrappers (their own message says only "unhandled errors")."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc

