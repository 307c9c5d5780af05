"""The offline embedding function: semantics, shape, batching invariance, chromadb round trip."""

from __future__ import annotations

import numpy as np
import pytest

from kb_index.embedding import EMBEDDING_DIM, MiniLMEmbeddingFunction, embedding_function_from_env

# (query, closer, farther): orderings any competent sentence encoder gets right.
TRIPLES = [
    ("reset my password", "I forgot my password and am locked out", "the printer is jammed"),
    ("outlook keeps asking for credentials", "Outlook prompts for the password repeatedly", "replace the UPS battery"),
    ("VPN will not connect from home", "remote access tunnel fails to establish", "install Adobe Reader on a new laptop"),
    ("printer shows paper jam", "remove stuck paper from the printer tray", "reset multi-factor authentication"),
    ("backup job failed last night", "the nightly backup did not complete", "the monitor is flickering"),
]


@pytest.fixture(scope="module")
def ef() -> MiniLMEmbeddingFunction:
    return MiniLMEmbeddingFunction()


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


@pytest.mark.parametrize("query,closer,farther", TRIPLES)
def test_similarity_orderings(ef: MiniLMEmbeddingFunction, query: str, closer: str, farther: str) -> None:
    q, c, f = ef.embed([query, closer, farther])
    assert _cos(q, c) > _cos(q, f) + 0.1


def test_unit_norm_384(ef: MiniLMEmbeddingFunction) -> None:
    vectors = ef(["a", "the printer is jammed", "x " * 600])  # the chromadb entry point
    assert len(vectors) == 3
    for v in vectors:
        assert v.shape == (EMBEDDING_DIM,)
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-4
    assert ef.embed([]).shape == (0, EMBEDDING_DIM)


def test_batching_does_not_change_vectors(ef: MiniLMEmbeddingFunction) -> None:
    text = "Outlook keeps asking for my password since this morning"
    long_texts = [f"paragraph {i}: " + "the mailbox migration moved every user to the new tenant " * 20 for i in range(6)]
    alone = ef.embed([text])[0]
    batched = MiniLMEmbeddingFunction(batch_tokens=4096).embed(long_texts + [text] + long_texts)[len(long_texts)]
    assert _cos(alone, batched) >= 0.999


def test_truncates_at_256_tokens(ef: MiniLMEmbeddingFunction) -> None:
    assert ef.count_tokens(["word " * 1000]) == [256]


def test_config_round_trip_and_registration(ef: MiniLMEmbeddingFunction) -> None:
    from chromadb.utils.embedding_functions import config_to_embedding_function

    rebuilt = config_to_embedding_function({"name": ef.name(), "config": ef.get_config()})
    assert isinstance(rebuilt, MiniLMEmbeddingFunction)
    assert rebuilt.get_config() == ef.get_config()
    assert not ef.is_legacy()


def test_persistent_collection_reopens_with_our_function(tmp_path) -> None:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    collection = chromadb.PersistentClient(str(tmp_path), settings=settings).create_collection(
        "kb-test", embedding_function=MiniLMEmbeddingFunction())
    collection.add(ids=["a", "b"], documents=["I forgot my password", "the printer is jammed"])
    reopened = chromadb.PersistentClient(str(tmp_path), settings=settings).get_collection("kb-test")
    assert isinstance(reopened.configuration["embedding_function"], MiniLMEmbeddingFunction)
    result = reopened.query(query_texts=["reset my password"], n_results=1)
    assert result["ids"][0] == ["a"]


def test_factory_selects_backend(monkeypatch) -> None:
    monkeypatch.delenv("COPILOT_EMBEDDINGS", raising=False)
    assert isinstance(embedding_function_from_env(), MiniLMEmbeddingFunction)
    monkeypatch.setenv("COPILOT_EMBEDDINGS", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("COPILOT_EMBEDDING_MODEL", "nomic-embed-text")
    remote = embedding_function_from_env()
    assert remote.name() == "openai"
    assert remote.get_config()["model_name"] == "nomic-embed-text"
    assert remote.get_config()["api_base"] == "http://127.0.0.1:9/v1"
    monkeypatch.setenv("COPILOT_EMBEDDINGS", "bogus")
    with pytest.raises(ValueError):
        embedding_function_from_env()
