"""`psa-copilot callbacks register|list|remove` through the real CLI, against a sandbox over loopback HTTP; what
ConnectWise holds afterwards is read back over REST, not through the code under test.

The URLs registered are on 127.0.0.1 ports nothing listens on: the sandbox may try to deliver to them when a
record changes, and those failures are background retries that change nothing here."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from callbacks.register import CallbackInputError, callback_url, describe
from cli import main
from psa.connectwise.settings import SANDBOX_CLIENT_ID, SANDBOX_COMPANY_ID, SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY
from sandbox.runner import RunningSandbox, start_sandbox

TICKETS = 20
API = "/v4_6_release/apis/3.0"
HEADERS = {
    "Authorization": "Basic " + base64.b64encode(
        f"{SANDBOX_COMPANY_ID}+{SANDBOX_PUBLIC_KEY}:{SANDBOX_PRIVATE_KEY}".encode()).decode(),
    "clientId": SANDBOX_CLIENT_ID,
}
_ENV = ("CW_SITE", "CW_COMPANY_ID", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID", "CW_MAX_ATTEMPTS",
        "COPILOT_SANDBOX_TICKETS")


def _unused_port() -> int:
    with socket.socket() as sock:  # nothing listens on it once closed
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BASE = f"http://127.0.0.1:{_unused_port()}"
URL = f"{BASE}/connectwise/callbacks"
OTHER_URL = f"http://127.0.0.1:{_unused_port()}/someone/else"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_sandbox(db_path=tmp_path / "s.db", tickets=TICKETS)
    yield running
    running.stop()


@pytest.fixture
def site(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """CW_* pointing at the sandbox, as for a real site."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path / "data"))
    for name, value in (("CW_SITE", sandbox.url), ("CW_COMPANY_ID", SANDBOX_COMPANY_ID),
                        ("CW_PUBLIC_KEY", SANDBOX_PUBLIC_KEY), ("CW_PRIVATE_KEY", SANDBOX_PRIVATE_KEY),
                        ("CW_CLIENT_ID", SANDBOX_CLIENT_ID)):
        monkeypatch.setenv(name, value)
    return sandbox


@pytest.fixture
def rest(site: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url + API, headers=HEADERS) as client:
        yield client


def callbacks(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["callbacks", *args])
    out, err = capsys.readouterr()
    return code, out, err


def entries(rest: httpx.Client) -> list[dict[str, Any]]:
    response = rest.get("/system/callbacks", params={"pageSize": 1000})
    response.raise_for_status()
    return response.json()


def key(entry: dict[str, Any]) -> tuple[str, str, int, str]:
    return entry["type"], entry["level"], entry["objectId"], entry["url"]


def board_id(rest: httpx.Client, name: str) -> int:
    boards = rest.get("/service/boards", params={"pageSize": 1000}).json()
    return next(board["id"] for board in boards if board["name"] == name)


def test_register_creates_the_owner_entries_and_one_per_watched_board(
    rest: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = callbacks(capsys, "register", "--url", URL, "--board", "help desk")
    assert (code, err) == (0, "")
    help_desk = board_id(rest, "Help Desk")
    stored = entries(rest)
    assert sorted(key(e) for e in stored) == sorted([
        ("Ticket", "Owner", 1, URL), ("KnowledgeBaseArticle", "Owner", 1, URL), ("Ticket", "Board", help_desk, URL),
    ])
    assert all(e["inactiveFlag"] is False and e["description"].startswith("psa-copilot: ") for e in stored)
    by_key = {key(e): e for e in stored}
    assert out.splitlines() == [
        f"created #{by_key[('Ticket', 'Owner', 1, URL)]['id']} Ticket Owner 1 {URL}",
        f"created #{by_key[('KnowledgeBaseArticle', 'Owner', 1, URL)]['id']} KnowledgeBaseArticle Owner 1 {URL}",
        f"created #{by_key[('Ticket', 'Board', help_desk, URL)]['id']} Ticket Board {help_desk} {URL}",
    ]
    assert by_key[("Ticket", "Board", help_desk, URL)]["description"] == "psa-copilot: hints for new tickets on Help Desk"


def test_a_rerun_creates_nothing(rest: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert callbacks(capsys, "register", "--url", URL, "--board", "Help Desk")[0] == 0
    before = entries(rest)
    # The same board twice, in another case, and the same URL as a bare origin: still the same three entries.
    code, out, err = callbacks(capsys, "register", "--url", BASE + "/", "--board", "HELP DESK", "--board", "help desk")
    assert (code, err) == (0, "")
    assert entries(rest) == before
    assert [line.split()[0] for line in out.splitlines()] == ["exists"] * 3
    assert {line.split()[1] for line in out.splitlines()} == {f"#{e['id']}" for e in before}


def test_an_inactive_entry_is_reactivated(rest: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert callbacks(capsys, "register", "--url", URL)[0] == 0
    ticket = next(e for e in entries(rest) if e["type"] == "Ticket")
    switched_off = rest.patch(f"/system/callbacks/{ticket['id']}",
                              json=[{"op": "replace", "path": "inactiveFlag", "value": True}])
    assert switched_off.status_code == 200, switched_off.text
    code, out, _ = callbacks(capsys, "register", "--url", URL)
    assert code == 0
    assert f"reactivated #{ticket['id']} Ticket Owner 1 {URL}" in out.splitlines()
    assert len(entries(rest)) == 2 and all(e["inactiveFlag"] is False for e in entries(rest))


def test_a_bare_origin_gets_the_receiver_path(rest: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert callbacks(capsys, "register", "--url", BASE)[0] == 0
    assert {e["url"] for e in entries(rest)} == {URL}
    assert callback_url(BASE + "/") == URL and callback_url(f"  {OTHER_URL} ") == OTHER_URL


def test_an_unknown_board_names_the_valid_ones_and_creates_nothing(
    rest: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = callbacks(capsys, "register", "--url", URL, "--board", "Help Desk", "--board", "Nowhere")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "'Nowhere'" in err and "Help Desk" in err and "Alerts" in err
    assert entries(rest) == []


@pytest.mark.parametrize("bad", ["ftp://127.0.0.1/x", "127.0.0.1:8000", "http://", "http://host:port/", "not a url"])
def test_a_bad_url_is_one_line_and_exit_2(rest: httpx.Client, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    code, out, err = callbacks(capsys, "register", "--url", bad)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and "http(s) URL" in err
    assert entries(rest) == []
    with pytest.raises(CallbackInputError):
        callback_url(bad)


def test_a_refused_kb_type_is_a_warning_and_the_rest_goes_on(
    site: RunningSandbox, rest: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callbacks(capsys, "register", "--url", URL)[0] == 0
    rest.delete(f"/system/callbacks/{next(e['id'] for e in entries(rest) if e['type'] == 'KnowledgeBaseArticle')}")
    # The Ticket Owner entry exists, so the next POST is the KB article's: ConnectWise refuses it as a real
    # site without KB callbacks would.
    site.faults.add(method="POST", path="/system/callbacks$", status=400, times=1)
    code, out, err = callbacks(capsys, "register", "--url", URL, "--board", "Alerts")
    assert code == 0
    assert len(err.splitlines()) == 1 and "warning" in err and "KnowledgeBaseArticle" in err
    assert [line.split()[0] for line in out.splitlines()] == ["exists", "created"]
    assert sorted(e["type"] + "/" + e["level"] for e in entries(rest)) == ["Ticket/Board", "Ticket/Owner"]


def test_list_shows_every_entry_and_json_has_the_documented_keys(
    rest: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = callbacks(capsys, "list")
    assert code == 0 and out.startswith("no callback entries")
    foreign = rest.post("/system/callbacks", json={"url": OTHER_URL, "type": "Company", "level": "Owner",
                                                   "objectId": 1, "description": "someone else's", "inactiveFlag": True})
    assert foreign.status_code == 201, foreign.text
    assert callbacks(capsys, "register", "--url", URL)[0] == 0
    code, out, _ = callbacks(capsys, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["id", "type", "level", "object", "active", "url", "description"]
    assert len(lines) == 4 and any("Company" in line and "no" in line.split() and OTHER_URL in line for line in lines)
    code, out, _ = callbacks(capsys, "list", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 3
    assert all(list(row) == ["id", "type", "level", "object_id", "active", "url", "description"] for row in listed)
    assert {"id": foreign.json()["id"], "type": "Company", "level": "Owner", "object_id": 1, "active": False,
            "url": OTHER_URL, "description": "someone else's"} in listed


def test_remove_by_url_removes_only_ours(rest: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert rest.post("/system/callbacks", json={"url": OTHER_URL, "type": "Ticket", "level": "Owner", "objectId": 1,
                                                "description": "someone else's"}).status_code == 201
    assert callbacks(capsys, "register", "--url", URL, "--board", "Alerts")[0] == 0
    ours = sorted(e["id"] for e in entries(rest) if e["url"] == URL)
    code, out, err = callbacks(capsys, "remove", "--url", BASE)
    assert (code, err) == (0, "")
    assert sorted(int(line.split()[1].lstrip("#")) for line in out.splitlines()) == ours
    assert all(line.startswith("removed #") and line.endswith(URL) for line in out.splitlines())
    assert [e["url"] for e in entries(rest)] == [OTHER_URL]
    code, out, err = callbacks(capsys, "remove", "--url", URL)
    assert (code, out, err) == (0, f"no callback entries for {URL}\n", "")


def test_remove_by_id_and_an_unknown_id_removes_nothing(rest: httpx.Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert callbacks(capsys, "register", "--url", URL)[0] == 0
    first, second = sorted(e["id"] for e in entries(rest))
    code, out, err = callbacks(capsys, "remove", str(first), "99999")
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and "#99999" in err
    assert len(entries(rest)) == 2
    code, out, err = callbacks(capsys, "remove", str(first))
    assert (code, err) == (0, "") and out == f"removed #{first} Ticket Owner 1 {URL}\n"
    assert [e["id"] for e in entries(rest)] == [second]


@pytest.mark.parametrize("args", [[], ["--url", URL, "1"], ["0"]])
def test_remove_needs_either_a_url_or_ids(site: RunningSandbox, capsys: pytest.CaptureFixture[str],
                                          args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["callbacks", "remove", *args])
    assert exited.value.code == 2 and "usage:" in capsys.readouterr().err


def test_an_unreachable_site_is_one_line_and_exit_1(
    site: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CW_SITE", "http://127.0.0.1:1")
    monkeypatch.setenv("CW_MAX_ATTEMPTS", "1")
    for args in (["register", "--url", URL], ["list"], ["remove", "--url", URL], ["remove", "1"]):
        code, out, err = callbacks(capsys, *args)
        assert (code, out) == (1, "") and len(err.splitlines()) == 1 and "CW_SITE" in err, (args, err)


def test_refused_keys_and_bad_settings_exit_2(
    site: RunningSandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CW_PRIVATE_KEY", "wrong")
    code, out, err = callbacks(capsys, "list")
    assert (code, out) == (2, "") and err.startswith("psa-copilot: configuration error:") and len(err.splitlines()) == 1
    monkeypatch.delenv("CW_PUBLIC_KEY")
    code, out, err = callbacks(capsys, "list")
    assert (code, out) == (2, "") and err.startswith("psa-copilot: configuration error:") and "CW_PUBLIC_KEY" in err


def test_without_cw_site_it_works_on_the_embedded_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", "8")
    code, out, err = callbacks(capsys, "register", "--url", URL)
    assert code == 0 and "embedded sandbox" in err
    assert [line.split()[0] for line in out.splitlines()] == ["created", "created"]
    # Kept in the embedded sandbox's database: a later run sees them.
    code, out, _ = callbacks(capsys, "list", "--json")
    assert code == 0 and {row["url"] for row in json.loads(out)} == {URL}


def test_descriptions_fit_connectwise_on_one_line() -> None:
    long = describe("psa-copilot: hints for new tickets on " + "Very Long Board\nName " * 10)
    assert len(long) == 100 and long.endswith("…") and "\n" not in long
    assert describe("psa-copilot: knowledge index (tickets)") == "psa-copilot: knowledge index (tickets)"
