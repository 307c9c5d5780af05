"""Records shared by the index modules: what goes in (Document) and what comes out (Hit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

# chromadb metadata values are scalars; filters compare against them.
MetadataValue = Union[str, int, float, bool]
Metadata = dict[str, MetadataValue]
Where = dict[str, Any]


@dataclass(frozen=True)
class Document:
    """One retrievable unit (a KB article, a resolved ticket, a BEIR passage)."""

    id: str
    text: str
    title: str = ""
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """A document returned by one retriever; score is retriever-specific (BM25 or cosine)."""

    doc_id: str
    score: float
