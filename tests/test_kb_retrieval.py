"""BM25, chromadb dense search, fusion and metadata filters on a tiny IT corpus."""

from __future__ import annotations

import pytest

from kb_index.bench import ephemeral_collection
from kb_index.dense import ChromaDenseIndex
from kb_index.embedding import MiniLMEmbeddingFunction
from kb_index.filters import matches
from kb_index.hybrid import FusionConfig, HybridSearcher, fuse
from kb_index.lexical import Analyzer, BM25Index
from kb_index.types import Document, Hit

CORPUS = [
    Document("kb1", "Unlock the account in Active Directory and reset the password; user must change it at next logon.",
             "Unlock and reset a locked-out account", {"kind": "kb", "board": 1}),
    Document("kb2", "Open the printer tray, remove the jammed sheet and restart the print spooler.",
             "Clear a printer paper jam", {"kind": "kb", "board": 1}),
    Document("kb3", "Error 0x80070005 during Windows Update: reset the SoftwareDistribution folder and retry.",
             "Windows Update fails with 0x80070005", {"kind": "kb", "board": 2}),
    Document("t9", "Customer forgot her password and is locked out of Windows; unlocked in AD.",
             "Locked out after password change", {"kind": "ticket", "board": 1}),
    Document("kb4", "Re-register the VPN client, check the pre-shared key and the firewall's WAN rule.",
             "VPN tunnel will not connect from home", {"kind": "kb", "board": 3}),
]


@pytest.fixture(scope="module")
def searcher() -> HybridSearcher:
    dense = ChromaDenseIndex(ephemeral_collection(MiniLMEmbeddingFunction()))
    dense.add(CORPUS)
    return HybridSearcher(dense, BM25Index(CORPUS))


def test_analyzer_drops_stopwords_and_lowercases() -> None:
    assert Analyzer(use_default_stemmer=False)("The VPN is DOWN for o365") == ["vpn", "down", "o365"]


def test_bm25_finds_exact_terms_with_ids() -> None:
    index = BM25Index(CORPUS)
    hits = index.search("0x80070005 windows update", k=2)
    assert hits[0].doc_id == "kb3"
    assert hits[0].score > 0
    assert index.search("zebra quantum", k=3) == []
    assert index.search("", k=3) == []


def test_bm25_applies_where_filter() -> None:
    index = BM25Index(CORPUS)
    hits = index.search("password locked", k=5, where={"kind": "ticket"})
    assert [h.doc_id for h in hits] == ["t9"]


def test_dense_finds_paraphrase(searcher: HybridSearcher) -> None:
    hits = searcher.dense.search("sheet of paper stuck in the printer", k=2)
    assert hits[0].doc_id == "kb2"
    assert -1.0 <= hits[1].score <= hits[0].score <= 1.0


def test_dense_long_document_is_chunked_and_max_pooled() -> None:
    filler = " ".join(f"Step {i}: check the cabling and the patch panel labels." for i in range(80))
    long_doc = Document("long", filler + " Finally the Outlook profile was rebuilt to stop password prompts.")
    dense = ChromaDenseIndex(ephemeral_collection(MiniLMEmbeddingFunction()))
    assert dense.add([long_doc, CORPUS[1]]) > 2
    hits = dense.search("Outlook keeps prompting for the password, profile rebuilt", k=2)
    assert [h.doc_id for h in hits] == ["long", "kb2"]  # one hit per document, not per chunk


def test_hybrid_ranks_and_filters(searcher: HybridSearcher) -> None:
    assert searcher.search("windows update error 0x80070005", k=3)[0].doc_id == "kb3"
    assert searcher.search("I forgot my password and I'm locked out", k=2)[0].doc_id in {"kb1", "t9"}
    only_kb = searcher.search("I forgot my password and I'm locked out", k=5, where={"kind": "kb"})
    assert only_kb and all(h.doc_id.startswith("kb") for h in only_kb)
    board = searcher.search("printer", k=5, where={"$and": [{"kind": "kb"}, {"board": {"$in": [2, 3]}}]})
    assert {h.doc_id for h in board} <= {"kb3", "kb4"}


def test_fuse_convex_keeps_score_gaps_that_rrf_flattens() -> None:
    # BM25 is certain about "a" (score far above the rest); dense mildly prefers "b".
    dense = [Hit("b", 0.60), Hit("a", 0.58), Hit("c", 0.20)]
    lexical = [Hit("a", 20.0), Hit("b", 2.0)]
    scores = {"a": 20.0, "b": 2.0, "c": 0.0}
    assert fuse(dense, lexical, scores, 3)[0].doc_id == "a"
    rrf = fuse(dense, lexical, scores, 3, FusionConfig(method="rrf"))
    assert {h.doc_id for h in rrf[:2]} == {"a", "b"}
    assert fuse([], [], {}, 3) == []


def test_fuse_imputes_dense_floor_for_lexical_only() -> None:
    fused = fuse([Hit("a", 0.9), Hit("b", 0.5)], [Hit("z", 5.0)], {"z": 5.0}, 3)
    by_id = {h.doc_id: h for h in fused}
    assert by_id["z"].dense is None and by_id["z"].lexical == 5.0
    assert by_id["a"].score == pytest.approx(0.5)  # best dense, no BM25: (1 - w) * 1
    assert by_id["z"].score == pytest.approx(0.5)  # best BM25, dense floor: w * 1


@pytest.mark.parametrize("where,meta,expected", [
    ({"kind": "kb"}, {"kind": "kb"}, True),
    ({"kind": {"$ne": "kb"}}, {}, True),
    ({"board": {"$gte": 2}}, {"board": 1}, False),
    ({"board": {"$gt": 2}}, {"board": "x"}, False),
    ({"$or": [{"kind": "ticket"}, {"board": {"$nin": [1, 2]}}]}, {"kind": "kb", "board": 3}, True),
    ({"missing": 1}, {"kind": "kb"}, False),
    (None, {"kind": "kb"}, True),
])
def test_where_semantics(where, meta, expected) -> None:
    assert matches(where, meta) is expected


def test_where_rejects_unknown_operator() -> None:
    with pytest.raises(ValueError):
        matches({"kind": {"$regex": "k.*"}}, {"kind": "kb"})
