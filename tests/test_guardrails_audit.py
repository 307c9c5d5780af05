"""The audit log: append-only, hash-chained, listed by `psa-copilot audit`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cli import main
from guardrails.audit import AuditEntry, AuditLog


def entry(i: int, outcome: str = "written") -> AuditEntry:
    return AuditEntry(
        tool="add_ticket_note", ticket_id=i, payload={"body": {"text": f"n{i}"}}, outcome=outcome,  # type: ignore[arg-type]
        confirmation="accepted", cw_id=100 + i,
    )


def test_rows_round_trip_newest_first(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.db")
    assert log.entries() == [] and not (tmp_path / "audit.db").exists()
    for i in range(3):
        log.record(entry(i))
    rows = log.entries(limit=2)
    assert [r.ticket_id for r in rows] == [2, 1]
    assert rows[0].payload == {"body": {"text": "n2"}} and rows[0].cw_id == 102 and rows[0].connection == "local"
    assert log.verify() == []


def test_update_and_delete_are_refused(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.db")
    log.record(entry(1))
    with sqlite3.connect(log.path) as conn:
        for sql in ("UPDATE audit SET outcome = 'denied'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    assert log.entries()[0].outcome == "written"


def test_edits_behind_sqlites_back_break_the_chain(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.db")
    for i in range(3):
        log.record(entry(i))
    with sqlite3.connect(log.path) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET outcome = 'not_written' WHERE ticket_id = 1")
    assert log.verify() == [2]


def test_default_location_is_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    AuditLog().record(entry(1))
    assert (tmp_path / "audit.db").exists()


def test_cli_lists_rows_as_json_and_as_a_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    log = AuditLog()
    for i in range(3):
        log.record(entry(i, "denied" if i == 1 else "written"))
    assert main(["audit", "--limit", "2", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["ticket_id"], r["outcome"]) for r in lines] == [(2, "written"), (1, "denied")]
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "add_ticket_note" in out and "denied" in out


def test_cli_reports_a_broken_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    AuditLog().record(entry(1))
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit SET cw_id = 999")
    assert main(["audit", "--json"]) == 1
    assert "hash chain broken" in capsys.readouterr().err
