"""Hybrid search: fuse dense (cosine) and lexical (BM25) candidates into one ranking.

Fusion is a convex combination of scores normalised per query over the union of both candidate
pools: score = w * norm(bm25) + (1 - w) * norm(cosine), with min-max normalisation. Why not plain RRF:
ranks throw away how *much* better the first hit is than the tenth. When BM25 finds an exact
error code or product name its score towers over the rest, and RRF flattens that to 1/61 vs 1/62;
a normalised score keeps it (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval",
TOIS 2023, found the convex combination better than RRF in and out of domain and robust to its one
parameter). Normalising over the union, not each list alone, puts both sides on the same candidate
set, and every candidate gets its real BM25 score (the lexical index scores any document cheaply),
so a document found only by the dense side is not treated as lexically worthless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from kb_index.lexical import BM25Index, top_hits
from kb_index.types import Hit, Where


class DenseRetriever(Protocol):
    """What hybrid search needs from the dense side (kb_index.dense.ChromaDenseIndex implements it)."""

    def search(self, query: str, k: int = 10, where: Where | None = None) -> list[Hit]: ...


@dataclass(frozen=True)
class FusionConfig:
    """method: `convex` (default) or `rrf` (reciprocal rank fusion, kept as the baseline).
    lexical_weight: share of the BM25 side in the convex combination (and RRF weight).
    pool: candidates taken from each side before fusion; deeper than k so that a document ranked
    modestly by both sides can still rise."""

    method: Literal["convex", "rrf"] = "convex"
    lexical_weight: float = 0.5
    pool: int = 50
    rrf_k: int = 60


@dataclass(frozen=True)
class HybridHit:
    doc_id: str
    score: float
    dense: float | None  # cosine similarity of the best chunk, None if the dense side did not return it
    lexical: float  # BM25 score (0 when no query term occurs in the document)


def _minmax(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:  # one candidate or all equal: the side does not discriminate here
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)


def fuse(dense: Sequence[Hit], lexical: Sequence[Hit], lexical_scores: dict[str, float], k: int,
         config: FusionConfig = FusionConfig()) -> list[HybridHit]:
    """Fuse two candidate lists (each best first) into the top-k.

    lexical_scores holds the BM25 score of every candidate from either list (missing = 0). A dense
    score missing for a lexical-only candidate is imputed as the lowest cosine in the dense pool: the
    dense side ranked it below everything it returned, so that is an upper bound on what it thinks.
    """
    ids = list(dict.fromkeys([h.doc_id for h in dense] + [h.doc_id for h in lexical]))
    if not ids or k <= 0:
        return []
    dense_score = {h.doc_id: h.score for h in dense}
    w = config.lexical_weight
    if config.method == "rrf":
        dense_rank = {h.doc_id: r for r, h in enumerate(dense, start=1)}
        lexical_rank = {h.doc_id: r for r, h in enumerate(lexical, start=1)}
        fused = np.array([
            (w / (config.rrf_k + lexical_rank[d]) if d in lexical_rank else 0.0)
            + ((1 - w) / (config.rrf_k + dense_rank[d]) if d in dense_rank else 0.0)
            for d in ids
        ])
    else:
        floor = min(dense_score.values()) if dense_score else 0.0
        cos = np.array([dense_score.get(d, floor) for d in ids], dtype=np.float64)
        bm25 = np.array([lexical_scores.get(d, 0.0) for d in ids], dtype=np.float64)
        fused = w * _minmax(bm25) + (1 - w) * _minmax(cos)
    order = sorted(range(len(ids)), key=lambda i: (-fused[i], ids[i]))[:k]
    return [HybridHit(ids[i], float(fused[i]), dense_score.get(ids[i]), float(lexical_scores.get(ids[i], 0.0)))
            for i in order]


class HybridSearcher:
    """Dense + BM25 search over the same documents, with one metadata filter applied to both sides."""

    def __init__(self, dense: DenseRetriever, lexical: BM25Index, config: FusionConfig = FusionConfig()):
        self.dense = dense
        self.lexical = lexical
        self.config = config
        self._position = {doc_id: i for i, doc_id in enumerate(lexical.ids)}

    def search(self, query: str, k: int = 10, where: Where | None = None) -> list[HybridHit]:
        pool = max(k, self.config.pool)
        dense_hits = self.dense.search(query, k=pool, where=where)
        bm25 = self.lexical.scores(query, where)
        lexical_hits = top_hits(self.lexical.ids, bm25, pool)
        candidates = {h.doc_id for h in dense_hits}.union(h.doc_id for h in lexical_hits)
        lexical_scores = {d: float(bm25[self._position[d]]) for d in candidates if d in self._position}
        return fuse(dense_hits, lexical_hits, lexical_scores, k, self.config)
