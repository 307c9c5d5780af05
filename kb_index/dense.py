"""Dense retrieval over a chromadb collection: documents are stored as title-prefixed chunks and a
document scores as its best chunk (cosine similarity).

The collection is the product's store; this module only defines how documents map to chunk records
(id `<doc_id>#<n>`, metadata = the document's metadata plus `doc_id` and `chunk`) and how chunk hits
fold back into document hits, so sync code and the benchmark write and read the same layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kb_index.chunking import Chunk, chunk_document
from kb_index.types import Document, Hit, Metadata, Where

DOC_ID_KEY = "doc_id"
CHUNK_KEY = "chunk"
# chromadb hands every add() to the embedding function in one call; ~500 chunks per call let
# the function sort by length and pack batches well while progress still moves.
ADD_BATCH = 512


def chunk_records(doc: Document) -> list[tuple[str, str, Metadata]]:
    """(chunk id, chunk text, chunk metadata) for one document."""
    chunks: list[Chunk] = chunk_document(doc.id, doc.title, doc.text)
    return [
        (f"{doc.id}#{c.index}", c.text, {**doc.metadata, DOC_ID_KEY: doc.id, CHUNK_KEY: c.index})
        for c in chunks
    ]


class ChromaDenseIndex:
    """Dense side of hybrid search on a chromadb collection created with a cosine-space embedding function."""

    def __init__(self, collection: Any):
        hnsw = (collection.configuration or {}).get("hnsw") or {}
        if hnsw.get("space", "cosine") != "cosine":
            raise ValueError("the dense index expects a collection with hnsw space 'cosine'")
        self.collection = collection

    def add(self, documents: Iterable[Document], on_progress: Callable[[int], None] | None = None) -> int:
        """Chunk, embed (via the collection's embedding function) and upsert; returns chunks written.
        on_progress receives the number of documents finished after each batch."""
        ids: list[str] = []
        texts: list[str] = []
        metas: list[Metadata] = []
        pending_docs = 0
        written = 0

        def flush() -> None:
            nonlocal ids, texts, metas, pending_docs, written
            if ids:
                self.collection.upsert(ids=ids, documents=texts, metadatas=metas)
                written += len(ids)
            if on_progress and pending_docs:
                on_progress(pending_docs)
            ids, texts, metas, pending_docs = [], [], [], 0

        for doc in documents:
            for chunk_id, text, meta in chunk_records(doc):
                ids.append(chunk_id)
                texts.append(text)
                metas.append(meta)
            pending_docs += 1
            if len(ids) >= ADD_BATCH:
                flush()
        flush()
        return written

    def search(self, query: str, k: int = 10, where: Where | None = None, chunks_per_doc: int = 3) -> list[Hit]:
        """Top-k documents by best-chunk cosine similarity, best first.

        The collection returns chunks, so it is asked for k * chunks_per_doc of them: enough that k
        distinct documents survive max-pooling unless many documents have more than that many good chunks.
        """
        count = self.collection.count()
        if k <= 0 or count == 0:
            return []
        result = self.collection.query(
            query_texts=[query],
            n_results=min(count, k * chunks_per_doc),
            where=where or None,
            include=["metadatas", "distances"],
        )
        best: dict[str, float] = {}
        for meta, distance in zip(result["metadatas"][0], result["distances"][0]):
            doc_id = str(meta[DOC_ID_KEY])
            similarity = 1.0 - float(distance)  # chromadb's cosine distance is 1 - cosine similarity
            if similarity > best.get(doc_id, -2.0):
                best[doc_id] = similarity
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [Hit(doc_id, score) for doc_id, score in ranked[:k]]

