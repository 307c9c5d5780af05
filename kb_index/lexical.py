"""BM25 over documents with bm25s: our own tokeniser (so index and queries agree), top-k with doc ids,
and the same metadata filter the dense side gets.

Stemming uses PyStemmer's English Snowball stemmer when it is installed (bm25s's optional stemmer);
it is not a dependency, so without it tokens are only lower-cased and stop-word filtered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import bm25s
import numpy as np
import numpy.typing as npt
from bm25s.stopwords import STOPWORDS_EN

from kb_index.filters import matches
from kb_index.types import Document, Hit, Where

# bm25s sets its own logger to DEBUG when imported, and a logger's level overrides the root's: every index build
# would print "Building index from tokens" through the host's handlers (the MCP SDK's, on the server's stderr).
# Its progress bars are off per call (show_progress=False).
logging.getLogger("bm25s").setLevel(logging.WARNING)

# Words of 2+ alphanumerics, as bm25s/scikit-learn; keeps "vpn", "o365", "0x80070005".
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN)


def _default_stemmer() -> Callable[[list[str]], list[str]] | None:
    try:
        import Stemmer  # PyStemmer
    except ImportError:
        return None
    return Stemmer.Stemmer("english").stemWords


class Analyzer:
    """text -> BM25 terms: lower-case, split on word characters, drop stop words, stem if possible."""

    def __init__(self, stemmer: Callable[[list[str]], list[str]] | None = None, use_default_stemmer: bool = True):
        self.stemmer = stemmer if stemmer is not None else (_default_stemmer() if use_default_stemmer else None)

    def __call__(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]
        return self.stemmer(words) if self.stemmer else words


def document_terms(doc: Document, analyzer: Analyzer, title_weight: int) -> list[str]:
    """Terms of title (repeated title_weight times: a title term is stronger evidence) and body."""
    return analyzer(doc.title) * title_weight + analyzer(doc.text)


class BM25Index:
    """An in-memory BM25 index (Lucene variant, k1=1.2, b=0.75: the usual defaults)."""

    def __init__(self, documents: Sequence[Document], *, analyzer: Analyzer | None = None, title_weight: int = 2,
                 k1: float = 1.2, b: float = 0.75):
        self.analyzer = analyzer or Analyzer()
        self.ids = [d.id for d in documents]
        self.metadatas = [d.metadata for d in documents]
        self._retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
        corpus = [document_terms(d, self.analyzer, title_weight) for d in documents]
        if corpus:
            self._retriever.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, where: Where | None) -> npt.NDArray[np.float32] | None:
        """1.0 for documents the filter admits, 0.0 otherwise (None when there is no filter)."""
        if not where:
            return None
        return np.fromiter((matches(where, m) for m in self.metadatas), dtype=np.float32, count=len(self.metadatas))

    def scores(self, query: str, where: Where | None = None) -> npt.NDArray[np.float32]:
        """BM25 score of every document (0 for filtered-out ones), in index order."""
        terms = self.analyzer(query)
        if not terms or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        scores = np.asarray(self._retriever.get_scores(terms), dtype=np.float32)
        mask = self.mask(where)
        return scores if mask is None else scores * mask

    def search(self, query: str, k: int = 10, where: Where | None = None) -> list[Hit]:
        """The top-k documents with a positive score, best first."""
        return top_hits(self.ids, self.scores(query, where), k)


def top_hits(ids: Sequence[str], scores: npt.NDArray[np.float32], k: int) -> list[Hit]:
    """Top-k positive scores as hits, best first (ties broken by index order, for determinism)."""
    if k <= 0 or len(scores) == 0:
        return []
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    return [Hit(ids[i], float(scores[i])) for i in top if scores[i] > 0]
