"""`psa-copilot demo` through cli.main: no model configured, no CW_SITE, a fresh data dir with a small embedded
sandbox. The tour must finish, show every step, wait for a fresh knowledge index before suggesting articles, and
write only when --yes is passed, then only to its own copy of the sandbox: the data dir's sandbox.db is unchanged
(checked byte for byte and over REST), and the audit log has the attempt."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

import kb_index.embedding
from agent_testing import TICKETS
from cli import main
from storage.audit import AuditLog
from kb_testing import TrigramEmbeddingFunction
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
    # No background index build unless a test asks for one: the KB step then answers at once with the tool's
    # own "empty" status.
    monkeypatch.setenv("COPILOT_KB_AUTOSYNC", "0")
    return tmp_path


@pytest.fixture
def autosync(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default for the embedded sandbox: the server indexes in the background (with fast stand-in vectors)."""
    monkeypatch.delenv("COPILOT_KB_AUTOSYNC")
    monkeypatch.setattr(kb_index.embedding, "embedding_function_from_env", TrigramEmbeddingFunction)
    return data_dir


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def drafted_notes(data_dir: Path, ticket_id: int) -> list[str]:
    """The ticket's notes that are the demo's draft, read over REST from the sandbox database the demo used."""
    from sandbox.runner import start_sandbox

    running = start_sandbox(db_path=data_dir / "sandbox.db", tickets=TICKETS)
    try:
        notes = harness_for(ConnectWiseSettings.sandbox(running.url), data_dir).notes(ticket_id)
    finally:
        running.stop()
    return [n["text"] for n in notes if n["text"].startswith(f"Internal analysis (draft) - ticket #{ticket_id}")]


def test_demo_waits_for_the_index_declines_by_default_and_writes_only_to_its_copy_with_yes(
    autosync: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = autosync
    assert main(["demo"]) == 0

    out, err = capsys.readouterr()
    for step in STEPS:
        assert step in err
    ticket_id = int(re.search(r"you> Open #(\d+) and summarise", err).group(1))  # type: ignore[union-attr]
    assert "newest open tickets on the Help Desk board" in out and f"#{ticket_id} is for" in out
    # A fresh data dir: the tour waited for the first index before the KB step, which then suggests articles.
    assert err.index("knowledge index ready: ") < err.index(STEPS[2])
    assert re.search(r"Articles that may help:\n- KB #\d+ ", out) and "No KB article matches yet" not in out
    assert "Knowledge index not complete" not in out
    assert "Nothing is written unless you confirm" in err and "Exact request: POST" in err  # the exact preview
    assert "declined" in err and "nothing was written" in err
    assert "Not posted: The user declined." in out  # the answer is built from the tool's outcome
    assert "all read-only, so nothing was written" in err and "instructions aimed at an AI assistant" in out
    row = AuditLog(data_dir / "audit.db").entries(limit=1)[0]
    assert (row.tool, row.ticket_id, row.outcome, row.confirmation) == (
        "add_ticket_note", ticket_id, "not_written", "declined"
    )
    assert drafted_notes(data_dir, ticket_id) == []

    # Same data dir: the sandbox database and the index are reused, and the same ticket is toured.
    before = digest(data_dir / "sandbox.db")
    assert main(["demo", "--yes"]) == 0

    out, err = capsys.readouterr()
    assert f"you> Open #{ticket_id} and summarise" in err
    assert "knowledge index" not in err  # the index a previous tour completed is whole: nothing to wait for
    assert "Done: Note #" in out and "written to the tour's copy of the embedded sandbox" in err
    newest = AuditLog(data_dir / "audit.db").entries(limit=1)[0]
    assert (newest.outcome, newest.confirmation) == ("written", "accepted")
    # The note went to the tour's copy: the data dir's sandbox is as it was, so the next tour does not find it.
    assert digest(data_dir / "sandbox.db") == before
    assert drafted_notes(data_dir, ticket_id) == []


def test_without_autosync_the_kb_step_reports_the_empty_index_at_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out, err = capsys.readouterr()
    assert "The knowledge index is empty" in out  # the KB tool's own status, not a hang
    assert "knowledge index ready" not in err and STEPS[-1] in err


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
