"""`psa-copilot users`: technicians, bearer tokens and Slack ids, through the real CLI, with member identifiers
checked against a sandbox over loopback HTTP."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli import main
from identity.technicians import Technicians, lookup_by_email, lookup_by_slack_id, lookup_by_token
from identity.tokens import PREFIX, hash_token, new_token
from psa.connectwise.settings import SANDBOX_CLIENT_ID, SANDBOX_COMPANY_ID, SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY
from sandbox.helpdesk.runner import start_helpdesk
from sandbox.runner import RunningSandbox, start_sandbox
from storage.technicians import TechnicianStore

ROOT = Path(__file__).resolve().parents[1]
TICKETS = 20
_ENV = ("COPILOT_AUTH", "COPILOT_SECRET_KEY", "CW_SITE", "CW_COMPANY_ID", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY",
        "CW_CLIENT_ID", "CW_MAX_ATTEMPTS", "COPILOT_SANDBOX_TICKETS", "COPILOT_PROVIDER", "HELPDESK_URL",
        "HELPDESK_TOKEN")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    # Its database is named sandbox.db so that its folder can also serve as an embedded data dir.
    running = start_sandbox(db_path=tmp_path_factory.mktemp("cw") / "sandbox.db", tickets=TICKETS)
    yield running
    running.stop()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def site(sandbox: RunningSandbox, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CW_* pointing at the sandbox, as for a real site."""
    for name, value in (("CW_SITE", sandbox.url), ("CW_COMPANY_ID", SANDBOX_COMPANY_ID),
                        ("CW_PUBLIC_KEY", SANDBOX_PUBLIC_KEY), ("CW_PRIVATE_KEY", SANDBOX_PRIVATE_KEY),
                        ("CW_CLIENT_ID", SANDBOX_CLIENT_ID)):
        monkeypatch.setenv(name, value)
    return data_dir


def users(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["users", *args])
    out, err = capsys.readouterr()
    return code, out, err


def last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


def test_tokens_look_right_and_hash_the_same_way() -> None:
    token, token_hash = new_token()
    assert token.startswith(PREFIX) and len(token) > 40 and token_hash == hash_token(token) != token
    assert new_token()[0] != token


def test_add_in_tokens_mode_prints_a_working_token_last(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPILOT_AUTH", "tokens")
    code, out, err = users(capsys, "add", "Kevin.Brooks@Example.com", "--member", "KBROOKS", "--slack-id", "U0KB")
    assert (code, err) == (0, "")
    token = last_line(out)
    assert token.startswith(PREFIX)
    found = Technicians().lookup_by_token(token)
    # Lower-cased email; the member identifier as ConnectWise spells it.
    assert found is not None
    assert (found.email, found.member, found.slack_id) == ("kevin.brooks@example.com", "kbrooks", "U0KB")
    # Only the hash is stored.
    assert token.encode() not in (site / "copilot.db").read_bytes()
    with sqlite3.connect(site / "copilot.db") as conn:
        assert conn.execute("SELECT token_hash FROM technicians").fetchone() == (hash_token(token),)


def test_add_in_other_modes_prints_no_token(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = users(capsys, "add", "kb@example.com", "--member", "kbrooks")
    assert code == 0
    assert PREFIX not in out and "COPILOT_AUTH=tokens" in last_line(out) and "users token" in last_line(out)
    technician = lookup_by_email("KB@example.com")
    assert technician is not None and not technician.has_token


def test_list_shows_technicians_and_never_a_token_or_key(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = users(capsys, "list")
    assert code == 0 and out.startswith("no technicians yet")
    assert users(capsys, "list", "--json")[:2] == (0, "[]\n")
    monkeypatch.setenv("COPILOT_AUTH", "tokens")
    token = last_line(users(capsys, "add", "b@example.com", "--member", "kbrooks", "--slack-id", "U1")[1])
    users(capsys, "add", "a@example.com", "--member", "kbrooks")
    code, out, _ = users(capsys, "list", "--json")
    assert code == 0 and token not in out and hash_token(token) not in out
    rows = json.loads(out)
    assert [(r["email"], r["member"], r["slack_id"], r["has_keys"]) for r in rows] == [
        ("a@example.com", "kbrooks", None, False), ("b@example.com", "kbrooks", "U1", False)]
    assert all(r["created_at"] for r in rows)
    table = users(capsys, "list")[1]
    assert "a@example.com" in table and "U1" in table and token not in table


def test_duplicate_add_is_refused(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert users(capsys, "add", "dup@example.com", "--member", "kbrooks")[0] == 0
    code, out, err = users(capsys, "add", "DUP@example.com", "--member", "kbrooks")
    assert (code, out) == (2, "") and "already exists" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("email", ["no-at-sign", "two@@example.com", "a b@example.com", "@example.com", "a@"])
def test_a_bad_email_is_refused(data_dir: Path, capsys: pytest.CaptureFixture[str], email: str) -> None:
    code, _, err = users(capsys, "add", email, "--member", "kbrooks")
    assert code == 2 and "not an email address" in err and len(err.splitlines()) == 1
    assert TechnicianStore().list() == []


def test_an_unknown_member_is_refused_when_the_site_answers(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = users(capsys, "add", "ghost@example.com", "--member", "nosuchmember")
    assert (code, out) == (2, "") and "nosuchmember" in err and len(err.splitlines()) == 1
    assert TechnicianStore().list() == []


def test_an_unreachable_site_warns_and_stores(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CW_SITE", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("CW_MAX_ATTEMPTS", "1")
    code, _, err = users(capsys, "add", "far@example.com", "--member", "whoever")
    assert code == 0 and "could not be checked" in err and len(err.splitlines()) == 1
    assert TechnicianStore().by_email("far@example.com") is not None


def test_without_cw_site_the_embedded_sandbox_is_asked_when_it_exists(
    sandbox: RunningSandbox, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = users(capsys, "add", "early@example.com", "--member", "nosuchmember")
    assert code == 0 and "could not be checked" in err  # no sandbox.db yet: accepted with a warning
    monkeypatch.setenv("COPILOT_DATA_DIR", str(sandbox.store.path.parent))
    code, _, err = users(capsys, "add", "ghost@example.com", "--member", "nosuchmember")
    assert code == 2 and "nosuchmember" in err
    code, _, err = users(capsys, "add", "kb@example.com", "--member", "kbrooks")
    assert (code, err) == (0, "")


def test_on_the_helpdesk_the_member_is_one_of_its_technicians(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPILOT_PROVIDER", "helpdesk")
    with start_helpdesk(db_path=data_dir / "hd.db", tickets=TICKETS) as helpdesk:
        monkeypatch.setenv("HELPDESK_URL", helpdesk.url)
        monkeypatch.setenv("HELPDESK_TOKEN", helpdesk.token)
        code, out, err = users(capsys, "add", "kim@example.com", "--member", "KBrooks")
        assert (code, err) == (0, "") and "helpdesk technician kbrooks" in out
        code, out, err = users(capsys, "add", "ghost@example.com", "--member", "nosuchtech")
        assert (code, out) == (2, "") and "no helpdesk technician 'nosuchtech'" in err and len(err.splitlines()) == 1
    monkeypatch.delenv("HELPDESK_TOKEN")
    code, _, err = users(capsys, "add", "x@example.com", "--member", "kbrooks")
    assert code == 2 and "HELPDESK_TOKEN" in err and len(err.splitlines()) == 1
    assert [t.member for t in TechnicianStore().list()] == ["kbrooks"]


def test_a_new_token_replaces_the_old_one(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPILOT_AUTH", "tokens")
    old = last_line(users(capsys, "add", "t@example.com", "--member", "kbrooks")[1])
    code, out, _ = users(capsys, "token", "T@example.com")
    new = last_line(out)
    assert code == 0 and new.startswith(PREFIX) and new != old
    # The server's entry point, on the default store.
    assert lookup_by_token(old) is None
    found = lookup_by_token(new)
    assert found is not None and found.email == "t@example.com"
    assert users(capsys, "token", "nobody@example.com")[0] == 2


def test_lookups_refuse_strings_that_are_not_current_tokens(data_dir: Path) -> None:
    technicians = Technicians()
    assert technicians.lookup_by_token("") is None and technicians.lookup_by_token(PREFIX) is None
    assert technicians.lookup_by_token(new_token()[0]) is None
    assert not (data_dir / "copilot.db").exists()  # a lookup creates nothing


def test_link_sets_a_unique_slack_id(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    users(capsys, "add", "s1@example.com", "--member", "kbrooks")
    users(capsys, "add", "s2@example.com", "--member", "kbrooks")
    assert users(capsys, "link", "s1@example.com", "--slack-id", "U0S1")[0] == 0
    found = lookup_by_slack_id("U0S1")
    assert found is not None and found.email == "s1@example.com"
    code, _, err = users(capsys, "link", "s2@example.com", "--slack-id", "U0S1")
    assert code == 2 and "already linked to s1@example.com" in err
    assert users(capsys, "link", "s2@example.com", "--slack-id", "not a slack id")[0] == 2
    assert users(capsys, "link", "nobody@example.com", "--slack-id", "U0S3")[0] == 2


def test_remove_deletes_the_technician_and_their_token(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPILOT_AUTH", "tokens")
    token = last_line(users(capsys, "add", "r@example.com", "--member", "kbrooks")[1])
    assert users(capsys, "remove", "R@example.com")[:2] == (0, "removed r@example.com\n")
    assert Technicians().lookup_by_token(token) is None and TechnicianStore().list() == []
    code, _, err = users(capsys, "remove", "r@example.com")
    assert code == 2 and "no technician r@example.com" in err


def test_the_command_in_a_child_process_prints_the_token_last(site: Path) -> None:
    env = {**os.environ, "COPILOT_AUTH": "tokens", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "users", "add", "child@example.com", "--member", "kbrooks"],
        capture_output=True, text=True, env=env, cwd=site, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    token = last_line(proc.stdout)
    found = Technicians(TechnicianStore(site / "copilot.db")).lookup_by_token(token)
    assert found is not None and found.email == "child@example.com"
