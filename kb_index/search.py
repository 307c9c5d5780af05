"""Hybrid search over the knowledge store, the way the server and the CLI ask it: per kind, with filters, and
with the evidence for each hit (fused score, cosine, BM25, and which query words the document contains).

The dense side is the store's chromadb collection; the lexical side is an in-memory BM25 index built from
`store.documents(kind)`. BM25 has no incremental update, so the index is rebuilt whenever
`store.version(kind)` moves (a sync wrote or deleted something); between syncs every search reuses it.

`suggest_articles` is the one ranking of KB articles for a ticket: the suggestion tool and the internal-analysis
draft both call it, so they agree.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kb_index.hybrid import FusionConfig, HybridSearcher
from kb_index.lexical import _TOKEN, Analyzer, BM25Index
from kb_index.ranking import CompanyNames, prefer_company
from kb_index.types import Document, Where

if TYPE_CHECKING:
    from kb_index.store import Kind, KnowledgeStore


@dataclass(frozen=True)
class Match:
    document: Document
    score: float
    """Fused score in [0, 1] (per query: 1 is the best candidate, not an absolute relevance)."""
    dense: float | None
    """Cosine similarity of the document's best chunk; None when the dense side did not return it."""
    lexical: float
    """BM25 score; 0 when no query term occurs in the document."""
    matched_terms: list[str] = field(default_factory=list)
    """Query words (lower-cased) whose analysed form occurs in the document, rarest in the corpus first: the
    words that tell this document apart lead, the ones half the corpus shares trail."""


@dataclass(frozen=True)
class _Snapshot:
    """One kind's lexical index as of one store version; immutable, so searches share it without a lock."""

    version: int
    searcher: HybridSearcher
    documents: dict[str, Document]
    doc_freq: Counter[str]
    """Analysed term -> number of documents containing it."""


class KnowledgeSearch:
    """Hybrid search per kind over one KnowledgeStore. Safe to call from several worker threads at once."""

    def __init__(self, store: KnowledgeStore, fusion: FusionConfig = FusionConfig()):
        self.store = store
        self.fusion = fusion
        self.analyzer = Analyzer()
        self._snapshots: dict[str, _Snapshot] = {}
        # Serialises rebuilds only: two searches arriving after a sync must not both build the same index.
        self._build_lock = threading.Lock()
        self._companies: tuple[int, CompanyNames] | None = None

    def search(self, kind: Kind, query: str, k: int = 5, where: Where | None = None) -> list[Match]:
        """The top-k documents of `kind` for `query`, best first; [] for an empty store or a blank query.

        Blocking (embeds the query, reads chromadb): call it from a worker thread in async code."""
        snapshot = self._snapshot(kind) if k > 0 and query.strip() else None
        if snapshot is None:
            return []
        return [self._explained(query, m, snapshot) for m in self._ranked(kind, snapshot, query, k, where)]

    def suggest_articles(self, query: str, company: str | None = None, k: int = 5) -> list[Match]:
        """The top-k KB articles for a ticket of `company`: hybrid order, except that an article tied only to
        other companies never outranks a general one (kb_index.ranking). Without a company (a free-text
        question), plain hybrid order. Blocking, like `search`."""
        snapshot = self._snapshot("kb_articles") if k > 0 and query.strip() else None
        if snapshot is None:
            return []
        # Cut from every candidate the fusion scored, so that moving other clients' articles down still leaves
        # general ones to fill the list (a topic can have one near-identical article per client).
        ranked = self._ranked("kb_articles", snapshot, query, max(k, self.fusion.pool), None)
        if company and company.strip():
            ranked = prefer_company(ranked, company, self._company_names())
        return [self._explained(query, m, snapshot) for m in ranked[:k]]

    def _ranked(self, kind: Kind, snapshot: _Snapshot, query: str, k: int, where: Where | None) -> list[Match]:
        """The top-k as matches without matched terms (those are worked out only for what is returned)."""
        matches: list[Match] = []
        for hit in snapshot.searcher.search(query, k=k, where=where):
            # The dense side reads the live collection, which a running sync may have moved past the snapshot.
            doc = snapshot.documents.get(hit.doc_id) or self.store.get(kind, hit.doc_id)
            if doc is not None:  # None: deleted since the snapshot
                matches.append(Match(doc, hit.score, hit.dense, hit.lexical))
        return matches

    def _explained(self, query: str, match: Match, snapshot: _Snapshot) -> Match:
        return replace(match, matched_terms=self._matched_terms(query, match.document, snapshot))

    def _company_names(self) -> CompanyNames:
        """The companies of the indexed resolved tickets: the clients this desk works for, so the ones whose
        articles can be told apart. Rebuilt when that kind's version moves."""
        version = self.store.version("resolved_tickets")
        cached = self._companies
        if cached is None or cached[0] != version:
            names = {str(d.metadata["company"]) for d in self.store.documents("resolved_tickets")
                     if d.metadata.get("company")}
            cached = (version, CompanyNames(names))
            self._companies = cached
        return cached[1]

    def _terms(self, doc: Document) -> set[str]:
        return set(self.analyzer(doc.title)) | set(self.analyzer(doc.text))

    def _matched_terms(self, query: str, doc: Document, snapshot: _Snapshot) -> list[str]:
        """The query's words that occur in `doc` after the same analysis BM25 applies (lower-cased, stop words
        dropped, stemmed when PyStemmer is installed), so the list explains the lexical score."""
        doc_terms = self._terms(doc)
        found: dict[str, int] = {}
        for word in dict.fromkeys(_TOKEN.findall(query.lower())):
            terms = self.analyzer(word)
            if terms and terms[0] in doc_terms:
                found[word] = snapshot.doc_freq.get(terms[0], 0)
        return sorted(found, key=found.__getitem__)  # stable: equally rare words keep query order

    def _snapshot(self, kind: Kind) -> _Snapshot | None:
        version = self.store.version(kind)
        current = self._snapshots.get(kind)
        if current is not None and current.version == version:
            return current
        with self._build_lock:
            current = self._snapshots.get(kind)
            if current is not None and current.version == version:
                return current  # another thread built it while this one waited
            documents = self.store.documents(kind)
            if not documents:
                self._snapshots.pop(kind, None)
                return None
            lexical = BM25Index(documents, analyzer=self.analyzer)
            searcher = HybridSearcher(self.store.dense(kind), lexical, self.fusion)
            # Tagged with the version read *before* the documents: a write in between makes the next search
            # rebuild again rather than keep a snapshot that claims to be newer than it is.
            doc_freq = Counter(term for d in documents for term in self._terms(d))
            current = _Snapshot(version, searcher, {d.id: d for d in documents}, doc_freq)
            self._snapshots[kind] = current
            return current
