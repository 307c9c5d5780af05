"""The sandbox delivers `/system/callbacks` the way ConnectWise does: which writes reach which entries, the
payload, its signature (checked here with the guide's algorithm, written out independently), retries, delivery
faults, signing keys, and the sender's lifecycle. A real HTTP receiver on loopback records what arrives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from sandbox.runner import RunningSandbox, start_sandbox

HEADERS = {"Authorization": "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode(),
           "clientId": "sandbox-client"}
PAYLOAD_KEYS = {"MessageId", "FromUrl", "CompanyId", "MemberId", "Action", "Type", "ID", "Entity", "Metadata",
                "CallbackObjectRecId"}
WAIT = 60.0  # a ceiling for deliveries to finish on a busy machine, never a measured duration


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """A callback receiver: records every request; answers 500 to the next `fail` requests, then 200."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self.fail = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver._calls.append(Call("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                                body))
                    failing = receiver.fail > 0
                    if failing:
                        receiver.fail -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def calls(self, path: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if path is None or c.path == path]

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self.fail = 0

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    db = tmp_path_factory.mktemp("callbacks") / "s.db"
    with start_sandbox(db_path=db, tickets=40, callback_retry_delays=[0.05, 0.1, 0.2]) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_base, headers=HEADERS, timeout=30) as c:
        yield c


def _settle(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    assert sandbox.callbacks.wait_idle(WAIT)
    for entry in client.get("/system/callbacks", params={"pageSize": 1000}).json():
        assert client.delete(f"/system/callbacks/{entry['id']}").status_code == 204
    sandbox.callbacks.faults.clear()
    sandbox.callbacks.clear_deliveries()
    receiver.reset()


@pytest.fixture(autouse=True)
def clean(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> Iterator[None]:
    _settle(sandbox, client, receiver)
    yield
    _settle(sandbox, client, receiver)


def entry(client: httpx.Client, url: str, type_: str = "Ticket", level: str = "Owner", object_id: int = 1,
          inactive: bool = False) -> dict[str, Any]:
    r = client.post("/system/callbacks", json={"description": f"{type_} {level}", "url": url, "type": type_,
                                               "level": level, "objectId": object_id, "inactiveFlag": inactive})
    assert r.status_code == 201, r.text
    return r.json()


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def delivered(sandbox: RunningSandbox, receiver: Receiver, path: str | None = None) -> list[dict[str, Any]]:
    assert sandbox.callbacks.wait_idle(WAIT)
    return [c.payload for c in receiver.calls(path)]


def summary(payloads: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(p["Action"], p["Type"], p["ID"]) for p in payloads]


def guide_signature(key: str, body: bytes) -> str:
    """The developer guide's C#: new HMACSHA256(SHA256(UTF8(key))).ComputeHash(UTF8(body)), base64."""
    hashed_key = hashlib.sha256(key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(hashed_key, body, hashlib.sha256).digest()).decode("ascii")


def key_at(key_url: str) -> str:
    r = httpx.get(key_url)  # no auth, as on ConnectWise
    assert r.status_code == 200, r.text
    return r.json()["signing_key"]


def assert_signed(call: Call) -> None:
    key = key_at(call.payload["Metadata"]["key_url"])
    assert hmac.compare_digest(call.headers["x-content-signature"], guide_signature(key, call.body))


# what is sent -------------------------------------------------------------------------------------

def test_created_ticket_sends_one_signed_added_payload(sandbox: RunningSandbox, client: httpx.Client,
                                                       receiver: Receiver) -> None:
    hook = entry(client, f"{receiver.url}/hook")
    ticket = created(client.post("/service/tickets", json={
        "summary": "Printer offline", "company": {"id": 1}, "initialDescription": "It blinks orange.",
        "initialInternalAnalysis": "Probably the fuser."}))
    assert sandbox.callbacks.wait_idle(WAIT)
    [call] = receiver.calls()  # one added: not one more update per note the POST wrote
    assert call.method == "POST" and call.path == "/hook"
    assert call.headers["content-type"] == "application/json"
    payload = call.payload
    assert set(payload) == PAYLOAD_KEYS
    assert uuid.UUID(payload["MessageId"]).version == 4
    assert payload["FromUrl"] == sandbox.url
    assert payload["CompanyId"] == "sandbox"
    assert payload["MemberId"] == "SandboxAPI"
    assert (payload["Action"], payload["Type"], payload["ID"]) == ("added", "ticket", ticket["id"])
    assert payload["CallbackObjectRecId"] == hook["id"]
    assert isinstance(payload["Entity"], str)
    entity = json.loads(payload["Entity"])
    assert entity == client.get(f"/service/tickets/{ticket['id']}").json()
    assert "initialDescription" not in entity
    assert payload["Metadata"]["key_url"].startswith(
        f"{sandbox.url}/v4_6_release/system/callbackkey/index.rails?id=")
    assert_signed(call)


def test_member_keys_name_the_member(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    identifier = client.get("/system/members", params={"pageSize": 1}).json()[0]["identifier"]
    entry(client, f"{receiver.url}/hook")
    auth = base64.b64encode(f"sandbox+{identifier}-public:{identifier}-private".encode()).decode()
    created(httpx.post(f"{sandbox.api_base}/service/tickets", json={"summary": "As a member", "company": {"id": 1}},
                       headers={"Authorization": f"Basic {auth}", "clientId": "sandbox-client"}, timeout=30))
    [payload] = delivered(sandbox, receiver)
    assert payload["MemberId"] == identifier


def test_notes_and_configurations_are_updates_of_the_ticket(sandbox: RunningSandbox, client: httpx.Client,
                                                            receiver: Receiver) -> None:
    ticket = created(client.post("/service/tickets", json={"summary": "VPN drops", "company": {"id": 1}}))
    entry(client, f"{receiver.url}/hook")
    tid = ticket["id"]
    note = created(client.post(f"/service/tickets/{tid}/notes", json={"text": "Called", "detailDescriptionFlag": True}))
    assert client.patch(f"/service/tickets/{tid}/notes/{note['id']}",
                        json=[{"op": "replace", "path": "text", "value": "Called twice"}]).status_code == 200
    assert client.put(f"/service/tickets/{tid}/notes/{note['id']}",
                      json={"text": "Called thrice", "internalAnalysisFlag": True}).status_code == 200
    assert client.delete(f"/service/tickets/{tid}/notes/{note['id']}").status_code == 204
    created(client.post(f"/service/tickets/{tid}/configurations", json={"id": 1}))
    assert client.delete(f"/service/tickets/{tid}/configurations/1").status_code == 204
    payloads = delivered(sandbox, receiver)
    assert summary(payloads) == [("updated", "ticket", tid)] * 6
    assert [json.loads(p["Entity"])["id"] for p in payloads] == [tid] * 6


def test_board_and_status_levels_follow_their_own(sandbox: RunningSandbox, client: httpx.Client,
                                                  receiver: Receiver) -> None:
    boards = client.get("/service/boards").json()
    first, second = boards[0]["id"], boards[1]["id"]
    on_first = created(client.post("/service/tickets", json={"summary": "a", "company": {"id": 1},
                                                             "board": {"id": first}}))
    entry(client, f"{receiver.url}/board", level="Board", object_id=first)
    entry(client, f"{receiver.url}/status", level="Status", object_id=on_first["status"]["id"])
    created(client.post("/service/tickets", json={"summary": "b", "company": {"id": 1}, "board": {"id": second}}))
    assert client.patch(f"/service/tickets/{on_first['id']}",
                        json=[{"op": "replace", "path": "summary", "value": "a2"}]).status_code == 200
    assert summary(delivered(sandbox, receiver, "/board")) == [("updated", "ticket", on_first["id"])]
    assert summary(delivered(sandbox, receiver, "/status")) == [("updated", "ticket", on_first["id"])]
    assert len(receiver.calls()) == 2


def test_inactive_entry_sends_nothing(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/inactive", inactive=True)
    entry(client, f"{receiver.url}/active")
    ticket = created(client.post("/service/tickets", json={"summary": "quiet", "company": {"id": 1}}))
    assert summary(delivered(sandbox, receiver, "/active")) == [("added", "ticket", ticket["id"])]
    assert receiver.calls("/inactive") == []


def test_kb_articles_companies_contacts_and_configurations(sandbox: RunningSandbox, client: httpx.Client,
                                                          receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/kb", type_="KnowledgeBaseArticle")
    entry(client, f"{receiver.url}/company", type_="Company")
    entry(client, f"{receiver.url}/company-type", type_="Company", level="Type", object_id=7)
    entry(client, f"{receiver.url}/contact", type_="Contact")
    entry(client, f"{receiver.url}/configuration", type_="Configuration")
    entry(client, f"{receiver.url}/configuration-type", type_="Configuration", level="Type", object_id=2)
    article = created(client.post("/service/knowledgeBaseArticles", json={"title": "Reset MFA", "issue": "i",
                                                                         "resolution": "r"}))
    assert client.patch(f"/service/knowledgeBaseArticles/{article['id']}",
                        json=[{"op": "replace", "path": "title", "value": "Reset MFA (Entra)"}]).status_code == 200
    company = created(client.post("/company/companies", json={"identifier": "HookCo", "name": "Hook Co",
                                                              "types": [{"id": 3}, {"id": 7}]}))
    assert client.put(f"/company/companies/{company['id']}",
                      json={"identifier": "HookCo", "name": "Hook Co Ltd"}).status_code == 200
    contact = created(client.post("/company/contacts", json={"firstName": "Hana", "company": {"id": company["id"]}}))
    config = created(client.post("/company/configurations", json={"name": "HOOK-FW", "company": {"id": 1},
                                                                  "type": {"id": 2}}))
    created(client.post("/company/configurations", json={"name": "HOOK-LT", "company": {"id": 1}, "type": {"id": 1}}))
    assert summary(delivered(sandbox, receiver, "/kb")) == [("added", "knowledgebasearticle", article["id"]),
                                                           ("updated", "knowledgebasearticle", article["id"])]
    assert json.loads(receiver.calls("/kb")[1].payload["Entity"])["title"] == "Reset MFA (Entra)"
    assert summary(delivered(sandbox, receiver, "/company")) == [("added", "company", company["id"]),
                                                                ("updated", "company", company["id"])]
    # The PUT dropped the types: only the company as created carried type 7.
    assert summary(delivered(sandbox, receiver, "/company-type")) == [("added", "company", company["id"])]
    assert summary(delivered(sandbox, receiver, "/contact")) == [("added", "contact", contact["id"])]
    assert summary(delivered(sandbox, receiver, "/configuration-type")) == [("added", "configuration", config["id"])]
    assert len(receiver.calls("/configuration")) == 2


def test_delete_sends_the_deleted_record(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    ticket = created(client.post("/service/tickets", json={"summary": "to delete", "company": {"id": 1}}))
    entry(client, f"{receiver.url}/hook")
    assert client.delete(f"/service/tickets/{ticket['id']}").status_code == 204
    [payload] = delivered(sandbox, receiver)
    assert (payload["Action"], payload["Type"], payload["ID"]) == ("deleted", "ticket", ticket["id"])
    assert json.loads(payload["Entity"])["summary"] == "to delete"


def test_store_writes_as_seeding_makes_them_send_nothing(sandbox: RunningSandbox, client: httpx.Client,
                                                         receiver: Receiver) -> None:
    """Seeding writes straight to the store, as here; only REST writes are changes ConnectWise reports."""
    entry(client, f"{receiver.url}/hook")
    sandbox.store.bulk_insert("tickets", [{"id": 90_001, "summary": "seeded", "board": {"id": 1}}])
    sandbox.store.insert("kb_articles", {"title": "seeded too"})
    marker = created(client.post("/service/tickets", json={"summary": "through the API", "company": {"id": 1}}))
    assert summary(delivered(sandbox, receiver)) == [("added", "ticket", marker["id"])]


# retries ------------------------------------------------------------------------------------------

def test_failed_deliveries_are_retried_until_accepted(sandbox: RunningSandbox, client: httpx.Client,
                                                      receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/hook")
    receiver.fail = 2
    created(client.post("/service/tickets", json={"summary": "retry me", "company": {"id": 1}}))
    assert sandbox.callbacks.wait_idle(WAIT)
    calls = receiver.calls()
    assert len(calls) == 3
    assert len({c.payload["MessageId"] for c in calls}) == 1
    assert len({c.body for c in calls}) == 1
    log = sandbox.callbacks.deliveries()
    assert [(d.attempt, d.status) for d in log] == [(1, 500), (2, 500), (3, 200)]


def test_retries_end_after_the_last_delay(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/down")
    receiver.fail = 1000
    created(client.post("/service/tickets", json={"summary": "nobody home", "company": {"id": 1}}))
    assert sandbox.callbacks.wait_idle(WAIT)
    assert len(receiver.calls("/down")) == 4  # the first attempt and one per configured delay
    assert [d.attempt for d in sandbox.callbacks.deliveries()] == [1, 2, 3, 4]


def test_unreachable_receiver_is_a_failed_attempt(sandbox: RunningSandbox, client: httpx.Client) -> None:
    with socket.socket() as probe:  # a port that was just free: connections to it are refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    entry(client, f"http://127.0.0.1:{closed_port}/gone")
    created(client.post("/service/tickets", json={"summary": "refused", "company": {"id": 1}}))
    assert sandbox.callbacks.wait_idle(WAIT)
    log = sandbox.callbacks.deliveries()
    assert [d.attempt for d in log] == [1, 2, 3, 4]
    assert all(d.status is None and d.error for d in log)


# delivery faults ----------------------------------------------------------------------------------

def test_duplicate_sends_the_same_payload_twice(sandbox: RunningSandbox, client: httpx.Client,
                                                receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/hook")
    sandbox.callbacks.faults.add(kind="duplicate")
    created(client.post("/service/tickets", json={"summary": "twice", "company": {"id": 1}}))
    assert sandbox.callbacks.wait_idle(WAIT)
    first, second = receiver.calls()
    assert first.body == second.body
    assert first.headers["x-content-signature"] == second.headers["x-content-signature"]
    assert_signed(second)
    assert [d.fault for d in sandbox.callbacks.deliveries()] == ["duplicate", "duplicate"]


def test_drop_loses_the_payload(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/lost")
    entry(client, f"{receiver.url}/kept")
    sandbox.callbacks.faults.add(kind="drop", url="/lost$", type="Ticket")
    created(client.post("/service/tickets", json={"summary": "half", "company": {"id": 1}}))
    assert len(delivered(sandbox, receiver, "/kept")) == 1
    assert receiver.calls("/lost") == []
    dropped = [d for d in sandbox.callbacks.deliveries() if d.fault == "drop"]
    assert [(d.attempt, d.status) for d in dropped] == [(0, None)]
    assert sandbox.callbacks.faults.rules() == []  # fired its one time


def test_delay_holds_the_first_attempt(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/slow")  # the older entry: without the fault its payload goes first
    entry(client, f"{receiver.url}/fast")
    sandbox.callbacks.faults.add(kind="delay", seconds=0.5, url="/slow$")
    created(client.post("/service/tickets", json={"summary": "one change", "company": {"id": 1}}))
    assert sandbox.callbacks.wait_idle(WAIT)
    assert [c.path for c in receiver.calls()] == ["/fast", "/slow"]
    assert [(d.url.rsplit("/", 1)[1], d.fault) for d in sandbox.callbacks.deliveries()] == [("fast", None),
                                                                                           ("slow", "delay")]


def test_reorder_sends_a_payload_after_the_next(sandbox: RunningSandbox, client: httpx.Client,
                                                receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/hook")
    sandbox.callbacks.faults.add(kind="reorder")
    first = created(client.post("/service/tickets", json={"summary": "first", "company": {"id": 1}}))
    second = created(client.post("/service/tickets", json={"summary": "second", "company": {"id": 1}}))
    assert [p["ID"] for p in delivered(sandbox, receiver)] == [second["id"], first["id"]]


def test_reorder_with_nothing_after_still_sends(sandbox: RunningSandbox, client: httpx.Client,
                                                receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/hook")
    sandbox.callbacks.faults.add(kind="reorder")
    ticket = created(client.post("/service/tickets", json={"summary": "alone", "company": {"id": 1}}))
    assert [p["ID"] for p in delivered(sandbox, receiver)] == [ticket["id"]]


def test_fault_rules_and_the_log_over_http(sandbox: RunningSandbox, client: httpx.Client, receiver: Receiver) -> None:
    control = f"{sandbox.url}/__sandbox"
    r = httpx.post(f"{control}/callback-faults", json={"kind": "delay", "seconds": 0.01, "times": None,
                                                        "type": "ticket"})
    assert r.status_code == 201
    rule = r.json()
    assert (rule["kind"], rule["times"], rule["seconds"], rule["url"], rule["type"]) == ("delay", None, 0.01, None,
                                                                                        "ticket")
    assert httpx.post(f"{control}/callback-faults", json={"kind": "explode"}).status_code == 400
    assert httpx.post(f"{control}/callback-faults", json={"kind": "drop", "url": "("}).status_code == 400
    assert [f["id"] for f in httpx.get(f"{control}/callback-faults").json()] == [rule["id"]]
    entry(client, f"{receiver.url}/hook")
    ticket = created(client.post("/service/tickets", json={"summary": "logged", "company": {"id": 1}}))
    assert sandbox.callbacks.wait_idle(WAIT)
    [row] = httpx.get(f"{control}/callback-deliveries").json()
    assert set(row) == {"message_id", "callback_id", "url", "action", "type", "id", "attempt", "status", "error", "at",
                        "fault"}
    assert (row["action"], row["type"], row["id"], row["status"], row["fault"]) == ("added", "ticket", ticket["id"],
                                                                                  200, "delay")
    assert row["message_id"] == receiver.calls()[0].payload["MessageId"]
    assert httpx.delete(f"{control}/callback-faults").status_code == 204
    assert httpx.get(f"{control}/callback-faults").json() == []
    assert httpx.delete(f"{control}/callback-deliveries").status_code == 204
    assert httpx.get(f"{control}/callback-deliveries").json() == []


# keys ---------------------------------------------------------------------------------------------

def test_rotated_key_signs_new_payloads_and_old_keys_still_answer(sandbox: RunningSandbox, client: httpx.Client,
                                                                  receiver: Receiver) -> None:
    entry(client, f"{receiver.url}/hook")
    created(client.post("/service/tickets", json={"summary": "before", "company": {"id": 1}}))
    [before] = delivered(sandbox, receiver)
    r = httpx.post(f"{sandbox.url}/__sandbox/callback-key")
    assert r.status_code == 201
    rotated = r.json()
    assert rotated["key_url_path"] == f"/v4_6_release/system/callbackkey/index.rails?id={rotated['id']}"
    receiver.reset()
    created(client.post("/service/tickets", json={"summary": "after", "company": {"id": 1}}))
    assert sandbox.callbacks.wait_idle(WAIT)
    [call] = receiver.calls()
    assert call.payload["Metadata"]["key_url"] == sandbox.url + rotated["key_url_path"]
    assert_signed(call)
    old_url = before["Metadata"]["key_url"]
    assert old_url != call.payload["Metadata"]["key_url"]
    assert key_at(old_url) != key_at(call.payload["Metadata"]["key_url"])
    in_process = sandbox.callbacks.rotate_key()
    assert in_process.id > rotated["id"]
    assert key_at(sandbox.url + in_process.key_url_path)


@pytest.mark.parametrize("query", ["?id=999999", "?id=abc", ""])
def test_unknown_key_is_404(sandbox: RunningSandbox, query: str) -> None:
    r = httpx.get(f"{sandbox.url}/v4_6_release/system/callbackkey/index.rails{query}")
    assert r.status_code == 404
    assert set(r.json()) == {"code", "message", "errors"}


def _senders() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "cw-sandbox-callbacks")


def test_keys_survive_a_restart_and_stop_ends_the_sender(tmp_path: Path, receiver: Receiver) -> None:
    db = tmp_path / "restart.db"
    before = _senders()
    with start_sandbox(db_path=db, tickets=40, callback_retry_delays=[30.0]) as first:
        assert _senders() == before + 1
        with httpx.Client(base_url=first.api_base, headers=HEADERS, timeout=30) as c:
            entry(c, f"{receiver.url}/restart")
            receiver.fail = 1
            created(c.post("/service/tickets", json={"summary": "pending", "company": {"id": 1}}))
        deadline = time.monotonic() + WAIT
        while not first.callbacks.deliveries() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [d.status for d in first.callbacks.deliveries()] == [500]
        assert not first.callbacks.wait_idle(0)  # its retry is 30 s away when the sandbox stops
    assert _senders() == before  # stop() abandoned the retry and ended the sender
    [call] = receiver.calls("/restart")
    key_url = urlsplit(call.payload["Metadata"]["key_url"])
    with start_sandbox(db_path=db, tickets=40) as second:
        key = key_at(f"{second.url}{key_url.path}?{key_url.query}")
    assert guide_signature(key, call.body) == call.headers["x-content-signature"]
