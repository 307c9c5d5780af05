"""Query latency at a corpus size the benchmark folder does not have (e.g. 10,000 documents).

The corpus is grown synthetically from an indexed one: each copy of a document drops a random tenth
of its words (so BM25 statistics change and copies do not tie) and its chunk vectors get small
Gaussian noise before re-normalisation (so HNSW sees distinct points). Reusing the vectors avoids
re-embedding thousands of documents just to time queries; query-time work — embedding the query,
HNSW search over every chunk, BM25 over every document, fusion — is the same as for real documents.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

import numpy as np

from kb_index.bench import ephemeral_collection, percentile_ms
from kb_index.dense import ADD_BATCH, CHUNK_KEY, DOC_ID_KEY, ChromaDenseIndex
from kb_index.hybrid import FusionConfig, HybridSearcher
from kb_index.lexical import BM25Index
from kb_index.types import Document

NOISE = 0.02  # per-dimension std before re-normalisation: cosine to the original stays ~0.93


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    kept = [w for w in words if rng.random() >= 0.1]
    return " ".join(kept or words)


def scaled_latency(source: ChromaDenseIndex, embedding_function: object, corpus: Sequence[Document],
                   queries: Sequence[str], n_docs: int, fusion: FusionConfig = FusionConfig(), seed: int = 0,
                   on_progress: Callable[[int], None] | None = None) -> dict[str, float]:
    """Hybrid query latency p50/p95 (ms) over `queries` on a corpus grown to n_docs documents."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    stored = source.collection.get(include=["embeddings", "metadatas", "documents"])
    chunks_of: dict[str, list[int]] = {}
    for i, meta in enumerate(stored["metadatas"]):
        chunks_of.setdefault(str(meta[DOC_ID_KEY]), []).append(i)
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)

    target = ChromaDenseIndex(ephemeral_collection(embedding_function))
    docs: list[Document] = []
    ids: list[str] = []
    texts: list[str] = []
    embeddings: list[np.ndarray] = []
    metas: list[dict] = []
    pending = 0
    for n in range(n_docs):
        original = corpus[n % len(corpus)]
        copy = n // len(corpus)
        doc_id = original.id if copy == 0 else f"{original.id}~{copy}"
        text = original.text if copy == 0 else _perturb(original.text, rng)
        docs.append(Document(doc_id, text, original.title, dict(original.metadata)))
        for j, row in enumerate(chunks_of.get(original.id, [])):
            vec = vectors[row] if copy == 0 else vectors[row] + noise.normal(0, NOISE, vectors.shape[1]).astype(np.float32)
            ids.append(f"{doc_id}#{j}")
            texts.append(stored["documents"][row])
            embeddings.append(vec / np.linalg.norm(vec))
            metas.append({**original.metadata, DOC_ID_KEY: doc_id, CHUNK_KEY: j})
        pending += 1
        if len(ids) >= ADD_BATCH or n == n_docs - 1:
            target.collection.add(ids=ids, documents=texts, embeddings=embeddings, metadatas=metas)
            if on_progress:
                on_progress(pending)
            ids, texts, embeddings, metas, pending = [], [], [], [], 0

    searcher = HybridSearcher(target, BM25Index(docs), fusion)
    searcher.search(queries[0], 10)  # first query pays one-off HNSW loading
    latencies = []
    for query in queries:
        start = time.perf_counter()
        searcher.search(query, 10)
        latencies.append(time.perf_counter() - start)
    return {"scale_docs": float(n_docs), "scale_chunks": float(target.collection.count()),
            "scale_query_ms_p50": percentile_ms(latencies, 50), "scale_query_ms_p95": percentile_ms(latencies, 95)}
