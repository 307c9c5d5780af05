"""Benchmark BM25, dense and hybrid retrieval on a BEIR folder, the way the product runs them.

The dense side is an ephemeral chromadb collection with the product's embedding function, so the
indexing rate includes chunking, chromadb and HNSW insertion; the model's own rate on the same texts
is measured in the same run to show what the pipeline costs on top of the model. Query latency is
hybrid search end to end (query embedding, chromadb query, BM25, fusion) per query.

Each long phase (indexing, the bare-model timing, which embeds the corpus a second time, and scoring the
queries) reports through `Phases`, so a progress display never sits still for minutes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from kb_index.beir import BeirDataset
from kb_index.dense import ADD_BATCH, ChromaDenseIndex, chunk_records
from kb_index.embedding import MiniLMEmbeddingFunction
from kb_index.hybrid import FusionConfig, HybridSearcher
from kb_index.lexical import BM25Index
from kb_index.metrics import mean, mrr_at_k, recall_at_k

METHODS = ("bm25", "dense", "hybrid")
DEFAULT_KS = (1, 5, 10)
MRR_DEPTH = 10

Advance = Callable[[int], None]
Phases = Callable[[str, int], Advance]
"""phase(description, total) is called as a phase starts and returns what to call with each step done."""


def _silent(description: str, total: int) -> Advance:
    return lambda done: None


class BenchResult(BaseModel):
    """Scores per method ({"recall@1": .., "mrr@10": ..}) and the run's throughput and latency."""

    bm25: dict[str, float]
    dense: dict[str, float]
    hybrid: dict[str, float]
    docs_per_s: float
    model_docs_per_s: float | None  # None when the bare-model timing was skipped
    query_ms_p50: float
    query_ms_p95: float
    docs: int
    chunks: int
    queries: int


@dataclass
class BenchIndex:
    """The three retrievers over one corpus, as built by `build_index`."""

    dense: ChromaDenseIndex
    lexical: BM25Index
    hybrid: HybridSearcher
    embedding_function: MiniLMEmbeddingFunction
    chunks: int
    seconds: float


def ephemeral_collection(embedding_function: object) -> object:
    """A fresh in-memory chromadb collection (cosine space) using `embedding_function`."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
    return client.create_collection(
        name=f"bench-{uuid.uuid4().hex[:12]}",
        embedding_function=embedding_function,  # type: ignore[arg-type]
        configuration={"hnsw": {"space": "cosine"}},
    )


def build_index(dataset: BeirDataset, embedding_function: MiniLMEmbeddingFunction, fusion: FusionConfig,
                phases: Phases = _silent) -> BenchIndex:
    start = time.perf_counter()
    dense = ChromaDenseIndex(ephemeral_collection(embedding_function))
    chunks = dense.add(dataset.corpus, on_progress=phases("indexing", len(dataset.corpus)))
    lexical = BM25Index(dataset.corpus)
    seconds = time.perf_counter() - start
    return BenchIndex(dense, lexical, HybridSearcher(dense, lexical, fusion), embedding_function, chunks, seconds)


def model_throughput(dataset: BeirDataset, embedding_function: MiniLMEmbeddingFunction,
                     phases: Phases = _silent) -> float:
    """Documents per second of the bare model on exactly the texts indexing embeds (all chunks), handed over
    in the same calls of ADD_BATCH chunks that indexing makes."""
    texts = [text for doc in dataset.corpus for _, text, _ in chunk_records(doc)]
    advance = phases("timing the model alone (chunks)", len(texts))
    start = time.perf_counter()
    for at in range(0, len(texts), ADD_BATCH):
        batch = texts[at : at + ADD_BATCH]
        embedding_function.embed(batch)
        advance(len(batch))
    return len(dataset.corpus) / max(time.perf_counter() - start, 1e-9)


def score(rankings: dict[str, Sequence[str]], qrels: dict[str, dict[str, int]], ks: Sequence[int]) -> dict[str, float]:
    """Mean recall@k for each k and MRR@10 over the queries in `rankings`."""
    out = {f"recall@{k}": mean([recall_at_k(rankings[q], qrels[q], k) for q in rankings]) for k in ks}
    out[f"mrr@{MRR_DEPTH}"] = mean([mrr_at_k(rankings[q], qrels[q], MRR_DEPTH) for q in rankings])
    return out


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q)) if seconds else 0.0


def evaluate(index: BenchIndex, dataset: BeirDataset, ks: Sequence[int],
             phases: Phases = _silent) -> tuple[dict[str, dict[str, float]], list[float]]:
    """Metrics per method, and the hybrid query latencies in seconds."""
    depth = max(max(ks), MRR_DEPTH)
    rankings: dict[str, dict[str, list[str]]] = {m: {} for m in METHODS}
    latencies: list[float] = []
    advance = phases("scoring queries", len(dataset.queries))
    for qid, text in dataset.queries.items():
        rankings["bm25"][qid] = [h.doc_id for h in index.lexical.search(text, depth)]
        rankings["dense"][qid] = [h.doc_id for h in index.dense.search(text, depth)]
        start = time.perf_counter()
        hits = index.hybrid.search(text, depth)
        latencies.append(time.perf_counter() - start)
        rankings["hybrid"][qid] = [h.doc_id for h in hits]
        advance(1)
    return {m: score(rankings[m], dataset.qrels, ks) for m in METHODS}, latencies


def run_bench(dataset: BeirDataset, ks: Sequence[int] = DEFAULT_KS, fusion: FusionConfig = FusionConfig(),
              phases: Phases = _silent, measure_model: bool = True) -> tuple[BenchResult, BenchIndex]:
    """Index the corpus, score every method and time queries; the index is returned for further timing."""
    embedding_function = MiniLMEmbeddingFunction()
    embedding_function.embed(["warm-up"])  # session creation is a one-off, not indexing cost
    index = build_index(dataset, embedding_function, fusion, phases)
    model_rate = model_throughput(dataset, embedding_function, phases) if measure_model else None
    metrics, latencies = evaluate(index, dataset, ks, phases)
    result = BenchResult(
        **metrics,
        docs_per_s=len(dataset.corpus) / max(index.seconds, 1e-9),
        model_docs_per_s=model_rate,
        query_ms_p50=percentile_ms(latencies, 50),
        query_ms_p95=percentile_ms(latencies, 95),
        docs=len(dataset.corpus),
        chunks=index.chunks,
        queries=len(dataset.queries),
    )
    return result, index
