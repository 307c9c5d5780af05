"""The helpdesk sandbox over real loopback HTTP: the TicketsApi of docs/helpdesk-api.md, seeded from the MSP
world the ConnectWise sandbox serves. Tests that change a ticket register their own, so they share one sandbox."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import cli
from sandbox.helpdesk.embedded import check_embedded_settings
from sandbox.helpdesk.runner import RunningHelpdesk, start_helpdesk
from sandbox.seed import generate

ROOT = Path(__file__).resolve().parents[1]
API = "/api/TicketsApi"
TICKETS = 40
JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHelpdesk]:
    with start_helpdesk(db_path=tmp_path_factory.mktemp("helpdesk") / "helpdesk.db", tickets=TICKETS) as running:
        yield running


@pytest.fixture(scope="module")
def client(helpdesk: RunningHelpdesk) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=helpdesk.url, headers={"Authorization": f"Bearer {helpdesk.token}"},
                      timeout=10) as c:
        yield c


@pytest.fixture(scope="module")
def meta(client: httpx.Client) -> dict[str, Any]:
    return client.get(f"{API}/metadata").json()


def _status_id(meta: dict[str, Any], name: str) -> int:
    return next(s["id"] for s in meta["status"] if s["status"] == name)


def _register(client: httpx.Client, meta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    requester = meta["requesters"][0]
    data = {"Title": "Printer on floor 2 jams", "Description": "Jams on every duplex job.",
            "CreatorId": requester["id"], "SiteId": str(meta["sites"][0]["id"]),
            "DepartmentId": str(meta["departments"][0]["id"]), "TicketStatusId": str(_status_id(meta, "New")),
            "TicketType": "Ticket", **extra}
    r = client.post(f"{API}/register", data=data, files=[("Uploads", ("log.txt", b"paper jam x3", "text/plain"))])
    assert r.status_code == 201, r.text
    return r.json()


def _newest(client: httpx.Client) -> dict[str, Any]:
    rows, _ = _list(client, listType="AllTickets", pageSize=1)
    return rows[0]


def _list(client: httpx.Client, **params: Any) -> tuple[list[dict[str, Any]], int]:
    r = client.get(API, params=params)
    assert r.status_code == 200, r.text
    return r.json(), int(r.headers["X-Total-Count"])


# lists ---------------------------------------------------------------------------------------------------------

def test_all_tickets_are_the_connectwise_tickets_newest_first_in_pages(client: httpx.Client) -> None:
    seeded = {r.doc["id"] for r in generate(seed=42, tickets=TICKETS) if r.resource == "tickets"}
    first, total = _list(client, listType="AllTickets", pageSize=100)
    assert {row["id"] for row in first} >= seeded and total == len(first)
    created = [row["createdOn"] for row in first]
    assert created == sorted(created, reverse=True)
    page2, total2 = _list(client, listType="AllTickets", page=2, pageSize=10)
    assert total2 == total and [row["id"] for row in page2] == [row["id"] for row in first[10:20]]
    beyond, _ = _list(client, page=total, pageSize=100)
    assert beyond == []


def test_my_open_tickets_are_the_token_technicians(client: httpx.Client) -> None:
    rows, total = _list(client, listType="MyOpenTickets")
    assert rows and total == len(rows)
    assert {(r["technicianUserName"], r["statusType"]) for r in rows} == {("kbrooks", "Open")}


def test_completed_tickets_are_resolved_or_closed_and_carry_their_resolution(client: httpx.Client) -> None:
    rows, _ = _list(client, listType="CompletedTickets", pageSize=100)
    assert rows and {r["statusType"] for r in rows} <= {"Resolved", "Closed"}
    for row in rows[:5]:
        ticket = client.get(f"{API}/{row['id']}").json()
        assert ticket["resolution"]["text"] and ticket["resolvedOn"]


def test_unassigned_tickets(client: httpx.Client, meta: dict[str, Any]) -> None:
    ticket = _register(client, meta)
    rows, _ = _list(client, listType="UnassignedTickets", pageSize=100)
    assert ticket["id"] in {r["id"] for r in rows} and {r["technician"] for r in rows} == {None}


def test_search_by_subject_id_and_requester(client: httpx.Client) -> None:
    rows, total = _list(client, search="outlook", searchFields="Subject")
    assert rows and total == len(rows) and all("outlook" in r["title"].lower() for r in rows)
    some = rows[0]
    by_id, _ = _list(client, search=str(some["id"]), searchFields="TicketId")
    assert [r["id"] for r in by_id] == [some["id"]]
    mine, _ = _list(client, search=some["requesterUserName"], searchFields="Requester,Priority")
    assert some["id"] in {r["id"] for r in mine}


@pytest.mark.parametrize(("params", "field"), [
    ({"listType": "Everything"}, "listType"),
    ({"search": "x", "searchFields": "Subject,Body"}, "searchFields"),
    ({"pageSize": "101"}, "pageSize"),
    ({"page": "0"}, "page"),
])
def test_bad_list_queries_are_400_by_field(client: httpx.Client, params: dict[str, str], field: str) -> None:
    r = client.get(API, params=params)
    assert r.status_code == 400 and r.json()["message"] == "One or more validation errors occurred."
    assert list(r.json()["errors"]) == [field]


# one ticket --------------------------------------------------------------------------------------------------

def test_a_closed_ticket_has_its_description_resolution_and_conversations_oldest_first(client: httpx.Client) -> None:
    rows, _ = _list(client, listType="CompletedTickets", pageSize=100)
    closed = next(r for r in rows if r["statusType"] == "Closed")
    ticket = client.get(f"{API}/{closed['id']}").json()
    assert ticket["closedOn"] and ticket["description"] and ticket["creator"]["id"].startswith("req-")
    assert ticket["status"] == {"id": ticket["status"]["id"], "status": closed["status"], "statusType": "Closed"}
    created = [c["createdOn"] for c in ticket["conversations"]]
    assert created == sorted(created) and "Resolution" in {c["type"] for c in ticket["conversations"]}


def test_missing_ticket_is_404(client: httpx.Client) -> None:
    r = client.get(f"{API}/424242")
    assert r.status_code == 404 and r.json() == {"status": 404, "message": "Ticket 424242 was not found"}


# creating ----------------------------------------------------------------------------------------------------

def test_register_is_201_with_location_tags_and_upload_metadata(helpdesk: RunningHelpdesk, client: httpx.Client,
                                                               meta: dict[str, Any]) -> None:
    technician = next(t for t in meta["technicians"] if t["userName"] == "anguyen")
    r = client.post(f"{API}/register", data={
        "Title": "VPN drops every hour", "Description": "Since the update.", "CreatorId": meta["requesters"][1]["id"],
        "SiteId": meta["sites"][0]["id"], "DepartmentId": meta["departments"][0]["id"],
        "TicketStatusId": _status_id(meta, "New"), "TicketType": "problem", "SelectedTags": ["3", "5"],
        "AssignedUser": technician["id"], "TicketPriorityId": meta["priorities"][1]["id"]},
        files=[("Uploads", ("a.png", b"x" * 10, "image/png")), ("Uploads", ("b.log", b"yy", "text/plain"))])
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert r.headers["Location"] == f"{API}/{ticket['id']}"
    assert client.get(r.headers["Location"]).json() == ticket
    assert (ticket["source"], ticket["ticketType"], ticket["assignee"]["userName"]) == ("Manual", "Problem", "anguyen")
    assert [(a.name, a.size) for a in helpdesk.store.attachments(ticket["id"])] == [("a.png", 10), ("b.log", 2)]
    assignment = [e for e in helpdesk.emails() if e.ticket_id == ticket["id"]]
    assert [(e.kind, e.to) for e in assignment] == [("assignment", "alicia.nguyen@brightpathit.com")]


def test_register_validation_lists_errors_per_field(client: httpx.Client, meta: dict[str, Any]) -> None:
    r = client.post(f"{API}/register", data={"Title": "x" * 256, "SiteId": "abc"}, files=[("Uploads", ("", b""))])
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors["Title"] == ["The field Title must be a string with a maximum length of 255."]
    assert errors["Description"] == ["The Description field is required."]
    assert errors["SiteId"] == ["The value 'abc' is not valid for SiteId."]
    r = client.post(f"{API}/register", data={
        "Title": "t", "Description": "d", "CreatorId": "tech-kbrooks", "SiteId": "999", "DepartmentId": "1",
        "TicketStatusId": "1", "TicketType": "Ticket"})
    assert r.json()["errors"] == {"CreatorId": ["No requester has the id 'tech-kbrooks'."],
                                  "SiteId": ["Site 999 was not found."]}


def test_new_by_requester_user_name_takes_the_defaults(client: httpx.Client, meta: dict[str, Any]) -> None:
    requester = meta["requesters"][2]
    r = client.post(f"{API}/new", data={"Title": "Teams keeps crashing", "Description": "On launch.",
                                        "Requester": requester["userName"]})
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert r.headers["Location"] == f"{API}/{ticket['id']}"
    assert (ticket["source"], ticket["creator"]["id"], ticket["status"]["status"]) == ("Api", requester["id"], "New")
    assert (ticket["site"]["title"], ticket["department"]["title"]) == ("Remote", "IT")
    assert [c["type"] for c in ticket["conversations"]] == ["Created"]
    r = client.post(f"{API}/new", data={"Title": "t", "Description": "d", "Requester": "nobody"})
    assert r.status_code == 400 and "Requester" in r.json()["errors"]


# changing ----------------------------------------------------------------------------------------------------

def test_update_changes_status_and_assignee(helpdesk: RunningHelpdesk, client: httpx.Client,
                                            meta: dict[str, Any]) -> None:
    ticket = _register(client, meta)
    r = client.post(f"{API}/update/{ticket['id']}", data={
        "Id": ticket["id"], "CreatorId": ticket["creator"]["id"], "AssignedUser": "tech-kbrooks",
        "TicketStatusId": _status_id(meta, "Waiting on Client"), "DueDate": "2030-01-02T03:04:05Z"})
    assert r.status_code == 204, r.text
    after = client.get(f"{API}/{ticket['id']}").json()
    assert (after["status"]["statusType"], after["assignee"]["id"], after["dueDate"]) == (
        "Pending", "tech-kbrooks", "2030-01-02T03:04:05Z")
    assert any(e.kind == "assignment" and e.ticket_id == ticket["id"] for e in helpdesk.emails())
    r = client.post(f"{API}/update/424242", data={"CreatorId": ticket["creator"]["id"]})
    assert r.status_code == 400 and r.json() == {"status": 400, "message": "Ticket 424242 was not found"}


@pytest.mark.parametrize(("verb", "kind", "answer"), [("reply", "Reply", "Reply sent"),
                                                      ("forward", "Forward", "Forwarded")])
def test_reply_and_forward_send_an_email_and_log_a_conversation(
        helpdesk: RunningHelpdesk, client: httpx.Client, meta: dict[str, Any], verb: str, kind: str,
        answer: str) -> None:
    ticket = _register(client, meta)
    r = client.post(f"{API}/{verb}/{ticket['id']}", data={
        "Id": ticket["id"], "Title": "About your printer", "SendTo": "someone@example.com", "CcTo": "boss@example.com",
        "Message": "Try tray 2."})
    assert r.status_code == 200 and r.json() == {"message": answer}
    sent = client.get("/__sandbox/emails").json()
    assert {"ticket_id": ticket["id"], "kind": verb, "to": "someone@example.com", "cc": "boss@example.com",
            "subject": "About your printer", "body": "Try tray 2."}.items() <= sent[-1].items()
    last = client.get(f"{API}/{ticket['id']}").json()["conversations"][-1]
    assert (last["type"], last["sendTo"], last["from"]["userName"]) == (kind, "someone@example.com", "kbrooks")
    bad = client.post(f"{API}/{verb}/{ticket['id']}", data={"Id": ticket["id"], "Title": "t", "SendTo": "nope"})
    assert bad.json()["errors"] == {"SendTo": ["The SendTo field is not a valid e-mail address."]}
    mismatch = client.post(f"{API}/{verb}/{ticket['id']}", data={"Id": 1, "Title": "t", "SendTo": "a@b.co"})
    assert mismatch.status_code == 400


def test_close_then_already_closed_and_missing(helpdesk: RunningHelpdesk, client: httpx.Client,
                                               meta: dict[str, Any]) -> None:
    ticket = _register(client, meta)
    form = {"TicketId": ticket["id"], "CloseBy": "tech-kbrooks", "Acknowledged": "true", "Comments": "Fixed."}
    r = client.post(f"{API}/close/{ticket['id']}", data=form)
    assert r.status_code == 204, r.text
    after = client.get(f"{API}/{ticket['id']}").json()
    assert (after["status"]["status"], after["conversations"][-1]["type"]) == ("Closed", "Closure")
    assert after["closedOn"]
    closure = [e for e in helpdesk.emails() if e.ticket_id == ticket["id"]]
    assert [(e.kind, e.to) for e in closure] == [("closure", ticket["creator"]["email"])]
    assert client.post(f"{API}/close/{ticket['id']}", data=form).status_code == 200
    assert client.post(f"{API}/close/424242", data={**form, "TicketId": 424242}).status_code == 404


def test_resolve_saves_the_resolution_and_a_requester_reply_reopens(helpdesk: RunningHelpdesk, client: httpx.Client,
                                                                    meta: dict[str, Any]) -> None:
    ticket = _register(client, meta)
    r = client.post(f"{API}/resolve/{ticket['id']}", data={
        "Id": ticket["id"], "Resolution": "Replaced the fuser.", "ResolvedBy": "tech-kbrooks"})
    assert r.status_code == 204, r.text
    resolved = client.get(f"{API}/{ticket['id']}").json()
    assert resolved["status"]["statusType"] == "Resolved"
    assert resolved["resolution"] == {"text": "Replaced the fuser.", "resolvedBy": "tech-kbrooks",
                                      "resolvedOn": resolved["resolvedOn"]}
    assert [e.kind for e in helpdesk.emails() if e.ticket_id == ticket["id"]] == ["resolution"]
    r = client.post(f"{API}/reqreply/{ticket['id']}", data={
        "Id": ticket["id"], "Username": ticket["creator"]["userName"], "Title": "Still jams", "Message": "Sorry!"})
    assert r.status_code == 200, r.text
    reopened = client.get(f"{API}/{ticket['id']}").json()
    assert (reopened["status"]["status"], reopened["resolvedOn"]) == ("New", None)
    assert reopened["conversations"][-1]["type"] == "RequesterReply"
    assert client.post(f"{API}/resolve/424242", data={"Id": 424242, "Resolution": "r",
                                                      "ResolvedBy": "tech-kbrooks"}).status_code == 404


def test_delete_is_soft_and_hides_the_ticket(client: httpx.Client, meta: dict[str, Any]) -> None:
    ticket = _register(client, meta)
    r = client.delete(f"{API}/{ticket['id']}")
    assert r.status_code == 200 and r.json()["isDeleted"] is True and r.json()["deletedOn"]
    assert client.get(f"{API}/{ticket['id']}").status_code == 404
    assert _list(client, search=str(ticket["id"]), searchFields="TicketId") == ([], 0)
    assert client.delete(f"{API}/{ticket['id']}").status_code == 404


# lookups and per-user lists -------------------------------------------------------------------------------------

def test_metadata_and_appmetadata(client: httpx.Client, meta: dict[str, Any]) -> None:
    assert set(meta) == {"groups", "levels", "priorities", "categories", "sub_categories", "items", "status",
                         "clients", "sites", "departments", "technicians", "requesters"}
    assert {s["status"]: s["statusType"] for s in meta["status"]}.items() >= {
        "New": "Open", "Waiting on Client": "Pending", "Resolved": "Resolved", "Closed": "Closed"}.items()
    assert {g["group"] for g in meta["groups"]} == {"Help Desk", "Network Operations", "Alerts", "Onboarding"}
    scoped = client.get(f"{API}/metadata/1").json()  # a seeded ticket, so it has a category
    assert "requesters" not in scoped and len(scoped["sub_categories"]) < len(meta["sub_categories"])
    app = client.get(f"{API}/appmetadata").json()
    assert set(app) == {"groups", "levels", "priorities", "categories", "status", "clients", "sites", "departments"}
    assert client.get(f"{API}/metadata/424242").status_code == 400


def test_list_by_username_is_their_tickets_newest_first(client: httpx.Client) -> None:
    some = _newest(client)
    r = client.post(f"{API}/list", data={"username": some["requesterUserName"]})
    assert r.status_code == 200
    tickets = r.json()
    assert tickets and {t["creator"]["userName"] for t in tickets} == {some["requesterUserName"]}
    assert [t["createdOn"] for t in tickets] == sorted((t["createdOn"] for t in tickets), reverse=True)
    assert client.post(f"{API}/list", data={"username": "nobody"}).status_code == 400


def test_a_requester_sees_only_their_own_tickets(helpdesk: RunningHelpdesk, client: httpx.Client) -> None:
    some = _newest(client)
    token = client.post("/__sandbox/tokens", json={"user": some["requesterUserName"]}).json()["token"]
    rows = httpx.get(f"{helpdesk.url}{API}", params={"pageSize": 100},
                     headers={"Authorization": f"Bearer {token}"}).json()
    assert rows and {r["requesterUserName"] for r in rows} == {some["requesterUserName"]}


# auth ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer not-a-jwt", "Basic a2Jyb29rczp4"])
def test_missing_or_invalid_token_is_401(helpdesk: RunningHelpdesk, header: str | None) -> None:
    r = httpx.get(f"{helpdesk.url}{API}", headers={"Authorization": header} if header else {})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer" and r.json()["status"] == 401


def test_expired_token_is_401(helpdesk: RunningHelpdesk) -> None:
    expired = helpdesk.token_for("kbrooks", ttl_seconds=-60)
    r = httpx.get(f"{helpdesk.url}{API}", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json() == {"status": 401, "message": "The token has expired"}


def test_a_token_without_the_permission_is_403(helpdesk: RunningHelpdesk, client: httpx.Client,
                                               meta: dict[str, Any]) -> None:
    ticket = _register(client, meta)
    headers = {"Authorization": f"Bearer {helpdesk.token_for('kbrooks', ['Tickets.Reply'])}"}
    r = httpx.post(f"{helpdesk.url}{API}/close/{ticket['id']}", headers=headers, data={"TicketId": ticket["id"]})
    assert r.status_code == 403 and r.json() == {"status": 403, "message": "Missing permission Tickets.Close"}
    r = httpx.post(f"{helpdesk.url}{API}/reply/{ticket['id']}", headers=headers,
                   data={"Id": ticket["id"], "Title": "t", "SendTo": "a@b.co"})
    assert r.status_code == 200


def test_the_request_log(helpdesk: RunningHelpdesk, client: httpx.Client) -> None:
    client.delete("/__sandbox/requests")
    client.get(f"{API}/424242")
    assert [(e["method"], e["path"], e["status"]) for e in client.get("/__sandbox/requests").json()] == [
        ("GET", f"{API}/424242", 404)]
    assert helpdesk.requests()[-1].status == 404


# running it ----------------------------------------------------------------------------------------------------

def test_tokens_survive_a_restart_and_the_data_is_not_reseeded(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with start_helpdesk(db_path=db, tickets=0) as first:
        token = first.token
        total = httpx.get(f"{first.url}{API}", headers={"Authorization": f"Bearer {token}"}).headers["X-Total-Count"]
    with start_helpdesk(db_path=db, tickets=5) as second:
        r = httpx.get(f"{second.url}{API}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.headers["X-Total-Count"] == total


def test_a_bad_db_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "helpdesk.db").write_bytes(b"not a database at all" * 10)
    for db in (tmp_path / "helpdesk.db", tmp_path / "helpdesk.db" / "below-a-file.db"):
        assert cli.main(["sandbox", "--product", "helpdesk", "--db", str(db)]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="not a helpdesk sandbox database"):
        check_embedded_settings()


def test_the_cli_prints_a_working_token_last_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "cli.py", "sandbox", "--product", "helpdesk", "--port", "0", "--db", str(tmp_path / "h.db"),
         "--tickets", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "COPILOT_DATA_DIR": str(tmp_path)})
    lines: list[str] = []
    # A watchdog, not a measurement: a sandbox that never prints its token must not hang the suite.
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if JWT.match(lines[-1]):
                break
        url = next(line.split("=", 1)[1] for line in lines if line.strip().startswith("HELPDESK_URL="))
        r = httpx.get(f"{url}{API}", params={"listType": "MyOpenTickets"},
                      headers={"Authorization": f"Bearer {lines[-1]}"})
        assert r.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait() == 0
        assert proc.stdout.read() == ""  # the token was the last line
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
