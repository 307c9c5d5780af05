"""Shared by the knowledge-base tests: a fast stand-in embedding function and a store synced from a sandbox.

The real MiniLM model embeds the small sandbox's 163 KB articles in ~15 s on two cores; these tests are about
search plumbing, tools and the server's lifecycle, not the model (tests/test_kb_embedding.py covers that), so
they embed with hashed character trigrams: offline, deterministic, milliseconds, and similar texts still get
similar vectors.
"""

from __future__ import annotations

import threading
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from kb_index.store import KnowledgeStore
from kb_index.sync import SyncReport, sync
from psa.connectwise.knowledge import ConnectWiseKnowledge
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings

DIM = 256


@register_embedding_function
class TrigramEmbeddingFunction(EmbeddingFunction[Documents]):
    """Unit-norm bag of hashed character trigrams. With `gate` set, every call first waits for it: a test holds
    the background index in the "indexing" state that way, for as long as it needs."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate

    @staticmethod
    def name() -> str:
        return "psa_copilot_test_trigrams"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> TrigramEmbeddingFunction:
        return TrigramEmbeddingFunction()

    def __call__(self, input: Documents) -> Embeddings:
        if self.gate is not None and not self.gate.wait(timeout=60):
            raise TimeoutError("the test never opened the embedding gate")
        out = np.zeros((len(input), DIM), dtype=np.float32)
        for row, text in enumerate(input):
            padded = f"  {text.lower()} "
            for i in range(len(padded) - 2):
                out[row, zlib.crc32(padded[i : i + 3].encode()) % DIM] += 1.0
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return list(out)


async def synced_store(sandbox_url: str, path: Path) -> tuple[KnowledgeStore, SyncReport]:
    """A store at `path` filled by the real sync from the sandbox at `sandbox_url`."""
    store = KnowledgeStore.open(path, embedding_function=TrigramEmbeddingFunction())
    async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox_url)) as provider:
        report = await sync(ConnectWiseKnowledge(provider), store)
    return store, report
