"""The audit log: append-only, hash-chained, listed by `psa-copilot audit`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cli import main
from storage.audit import AuditEntry, AuditLog


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


def test_a_log_from_before_attempts_still_verifies_and_takes_new_rows(tmp_path: Path) -> None:
    from storage.audit import _GENESIS, _row_hash

    path = tmp_path / "audit.db"
    with sqlite3.connect(path) as conn:  # the schema as it was, with one row hashed the old way
        conn.execute(
            "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, connection TEXT NOT NULL, "
            "tool TEXT NOT NULL, ticket_id INTEGER, payload TEXT NOT NULL, outcome TEXT NOT NULL, "
            "confirmation TEXT NOT NULL, cw_id INTEGER, error TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"
        )
        values = ("2026-01-01T00:00:00.000+00:00", "local", "add_ticket_note", 1, "null", "written", "accepted", 7, None)
        conn.execute(
            "INSERT INTO audit (at, connection, tool, ticket_id, payload, outcome, confirmation, cw_id, error, "
            "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (*values, _GENESIS, _row_hash(_GENESIS, values, (None, None, None))),
        )
    log = AuditLog(path)
    first = log.record(entry(2, "pending"))
    log.record(AuditEntry(tool="add_ticket_note", outcome="written", confirmation="accepted", attempt=first))
    assert log.verify() == []
    assert [r.attempt for r in log.entries()] == [first, None, None]


def test_ensure_writable_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    from storage.audit import AuditUnavailable

    (tmp_path / "audit.db").mkdir()
    with pytest.raises(AuditUnavailable, match=r"audit\.db cannot be written .*COPILOT_DATA_DIR"):
        AuditLog(tmp_path / "audit.db").ensure_writable()
    AuditLog(tmp_path / "ok.db").ensure_writable()
    assert AuditLog(tmp_path / "ok.db").entries() == []  # the probe row was rolled back
