"""`psa-copilot demo` through cli.main: no model configured, no CW_SITE, a fresh data dir with a small embedded
sandbox. The tour must finish, show every step, and write only when --yes is passed (checked over REST on the
sandbox database the demo used, and in the audit log)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from agent_testing import TICKETS
from cli import main
from guardrails.audit import AuditLog
from psa.connectwise.settings import ConnectWiseSettings
from writes_harness import harness_for

STEPS = (
    "step 1/6 · find the newest open tickets",
    "step 2/6 · open a ticket and summarise its notes",
    "step 3/6 · suggest KB articles",
    "step 4/6 · draft an internal-analysis note",
    "step 5/6 · post the note (asks for confirmation)",
    "step 6/6 · a prompt-injection ticket, read safely",
)


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("CW_", "COPILOT_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", str(TICKETS))
    # No background index build: the KB step must then answer at once with the tool's own "empty" status.
    monkeypatch.setenv("COPILOT_KB_AUTOSYNC", "0")
    return tmp_path


def drafted_notes(data_dir: Path, ticket_id: int) -> list[str]:
    """The ticket's notes that are the demo's draft, read over REST from the sandbox database the demo used."""
    from sandbox.runner import start_sandbox

    running = start_sandbox(db_path=data_dir / "sandbox.db", tickets=TICKETS)
    try:
        notes = harness_for(ConnectWiseSettings.sandbox(running.url), data_dir).notes(ticket_id)
    finally:
        running.stop()
    return [n["text"] for n in notes if n["text"].startswith(f"Internal analysis (draft) - ticket #{ticket_id}")]


def test_demo_declines_by_default_and_writes_to_the_sandbox_with_yes(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0

    out, err = capsys.readouterr()
    for step in STEPS:
        assert step in err
    ticket_id = int(re.search(r"you> Open #(\d+) and summarise", err).group(1))  # type: ignore[union-attr]
    assert "newest open tickets on the Help Desk board" in out and f"#{ticket_id} is for" in out
    assert "The knowledge index is empty" in out  # the KB tool's own status, not a hang
    assert "Nothing is written unless you confirm" in err and "Exact request: POST" in err  # the exact preview
    assert "declined" in err and "nothing was written" in err
    assert "Not posted: The user declined." in out  # the answer is built from the tool's outcome
    assert "all read-only, so nothing was written" in err and "instructions aimed at an AI assistant" in out
    (row,) = AuditLog(data_dir / "audit.db").entries()
    assert (row.tool, row.ticket_id, row.outcome, row.confirmation) == (
        "add_ticket_note", ticket_id, "not_written", "declined"
    )
    assert drafted_notes(data_dir, ticket_id) == []

    # Same data dir: the sandbox database is reused, and the same ticket is toured.
    assert main(["demo", "--yes"]) == 0

    out, err = capsys.readouterr()
    assert f"you> Open #{ticket_id} and summarise" in err
    assert "Done: Note #" in out and "was written to the embedded sandbox" in err
    newest = AuditLog(data_dir / "audit.db").entries(limit=1)[0]
    assert (newest.outcome, newest.confirmation) == ("written", "accepted")
    assert len(drafted_notes(data_dir, ticket_id)) == 1


def test_yes_is_refused_while_cw_site_is_set(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CW_SITE", "https://api-na.myconnectwise.net")
    assert main(["demo", "--yes"]) == 2
    assert "--yes is refused while CW_SITE is set" in capsys.readouterr().err
    assert not (data_dir / "sandbox.db").exists()  # refused before anything started


def test_a_configured_site_is_ignored_and_its_data_dir_left_alone(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = "https://api-na.myconnectwise.net"
    monkeypatch.setenv("CW_SITE", site)
    assert main(["demo"]) == 0
    assert "the demo ignores it" in capsys.readouterr().err
    # The tour ran in a temporary data dir: no sandbox, KB index or audit entry of the demo's in the site's.
    assert list(data_dir.iterdir()) == []
    assert os.environ["CW_SITE"] == site and os.environ["COPILOT_DATA_DIR"] == str(data_dir)
