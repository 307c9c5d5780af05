"""Metrics on hand-computed cases, the BEIR loader, chunking, and `psa-copilot kb bench --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb_index.beir import load_beir
from kb_index.chunking import _tokenizer, chunk_document
from kb_index.metrics import mrr_at_k, recall_at_k


def test_recall_at_k() -> None:
    qrels = {"d1": 1, "d2": 2, "d3": 0}  # grade 0 is not relevant
    ranked = ["d9", "d2", "d3", "d1"]
    assert recall_at_k(ranked, qrels, 1) == 0.0
    assert recall_at_k(ranked, qrels, 2) == 0.5
    assert recall_at_k(ranked, qrels, 4) == 1.0
    assert recall_at_k(ranked, {"d1": 0}, 4) == 0.0


def test_mrr_at_10() -> None:
    assert mrr_at_k(["a", "b", "c"], {"c": 1}) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["c"], {"c": 1}) == 0.0  # rank 11 is past the cut-off
    assert mrr_at_k(["c", "d"], {"c": 1, "d": 1}) == 1.0


def write_beir(root: Path) -> Path:
    docs = [
        ("kb1", "Reset a password", "Unlock the account in AD and reset the password."),
        ("kb2", "Printer jam", "Remove the jammed sheet from tray 2 and restart the spooler."),
        ("kb3", "VPN", "Re-import the VPN profile and check the pre-shared key."),
        ("kb4", "Outlook prompts", "Rebuild the Outlook profile when it keeps asking for credentials."),
    ]
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in docs))
    (root / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in [
        ("q1", "user forgot password, account locked"),
        ("q2", "paper stuck in the printer"),
        ("q3", "no qrels for this one"),
    ]))
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tkb1\t1\nq2\tkb2\t2\n")
    return root


def test_load_beir_skips_queries_without_qrels(tmp_path: Path) -> None:
    ds = load_beir(write_beir(tmp_path / "beir"))
    assert [d.id for d in ds.corpus] == ["kb1", "kb2", "kb3", "kb4"]
    assert ds.corpus[0].title == "Reset a password"
    assert set(ds.queries) == {"q1", "q2"}
    assert ds.qrels == {"q1": {"kb1": 1}, "q2": {"kb2": 2}}
    with pytest.raises(FileNotFoundError):
        load_beir(tmp_path)


def test_chunks_fit_the_model_and_carry_the_title() -> None:
    text = " ".join(f"sentence {i} about firewall rules and NAT." for i in range(200))
    chunks = chunk_document("d", "Firewall runbook", text)
    assert len(chunks) > 1
    assert all(c.text.startswith("Firewall runbook\n") for c in chunks)
    assert all(len(_tokenizer().encode(c.text).ids) <= 256 for c in chunks)
    assert chunk_document("d", "", "short")[0].text == "short"


def test_cli_bench_json(tmp_path: Path, capsys) -> None:
    from cli import main

    folder = write_beir(tmp_path / "beir")
    assert main(["kb", "bench", str(folder), "--json", "--k", "1", "5", "10"]) == 0
    out = capsys.readouterr().out.strip()
    payload = json.loads(out)  # exactly one JSON object on stdout
    for method in ("bm25", "dense", "hybrid"):
        assert set(payload[method]) == {"recall@1", "recall@5", "recall@10", "mrr@10"}
        assert 0.0 <= payload[method]["recall@5"] <= 1.0
    for key in ("docs_per_s", "query_ms_p50", "query_ms_p95", "model_docs_per_s"):
        assert payload[key] > 0
    assert payload["docs"] == 4 and payload["queries"] == 2
    assert payload["hybrid"]["recall@5"] == 1.0


def test_seed_bench_folder_is_valid_beir(tmp_path: Path) -> None:
    from kb_index.bench_data import write_seed_bench

    stats = write_seed_bench(tmp_path / "seed", seed=7, tickets=300)
    ds = load_beir(tmp_path / "seed")
    assert len(ds.corpus) == stats.docs and len(ds.queries) == stats.queries > 0
    corpus_ids = {d.id for d in ds.corpus}
    assert all(set(rel) <= corpus_ids for rel in ds.qrels.values())
