"""The TweetSumm benchmark runs offline end to end (rouge-score needs no downloads)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis import bench

# Three dialogues written for these tests in TweetSumm's file format (the real set is for `python -m analysis.bench`).
SAMPLE = Path(__file__).parent / "fixtures" / "tweetsumm"

RECORD = {
    "conversation_id": "c1",
    "dialog_text": "12345: @acme_help My order never arrived and tracking shows nothing.\n"
    "acme_help: @12345 Sorry about that! Please DM us your order number https://t.co/x\n"
    "12345: @acme_help Sent it.\n"
    "acme_help: @12345 Thanks, we have reshipped the order, it arrives Friday.\n",
    "abstractive_summaries": ["Customer says the order never arrived. Agent reshipped the order."] * 3,
}


def test_dialogue_to_thread_maps_speakers_to_roles() -> None:
    d = bench.parse_dialogue(RECORD)
    t = bench.as_thread(d)
    assert [(n.role, n.kind) for n in t.notes] == [
        ("contact", "description"), ("member", "discussion"), ("contact", "discussion"), ("member", "discussion")
    ]
    assert "@" not in t.notes[0].text and "https://" not in t.notes[1].text


def test_evaluate_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / bench.TEST_FILE
    path.write_text(json.dumps(RECORD) + "\n")
    assert bench.main([str(tmp_path), "--json"]) == 0
    report = bench.Report.model_validate_json(capsys.readouterr().out)
    assert report.dialogues == 1 and {s.name for s in report.systems} >= {"lead-3"}
    extractive = report.systems[-1]
    assert 0 < extractive.max_ref["rouge1"] <= 100 and extractive.words > 0
    assert "reshipped" in bench.extractive_summary(bench.parse_dialogue(RECORD))


def test_a_tweetsumm_file_parses() -> None:
    dialogues = bench.load(SAMPLE)
    assert [len(d.references) for d in dialogues] == [3, 2, 4]
    assert all(d.turns and d.turns[0][0] for d in dialogues)  # every dialogue opens with the customer
    refund = dialogues[1]
    assert [text for _, text in refund.turns].count("I was charged twice for my order last week") == 1  # repeat dropped
    assert not any("@" in text or "https://" in text for d in dialogues for _, text in d.turns)
    assert [is_customer for is_customer, _ in refund.turns] == [True, False, True, False]
    assert len(bench.load(SAMPLE, limit=2)) == 2

