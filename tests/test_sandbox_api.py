"""The sandbox's ConnectWise REST surface over real loopback HTTP, on a small fixture of our own."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.runner import RunningSandbox, start_sandbox
from sandbox.store import Store

AUTH = "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode()
HEADERS = {"Authorization": AUTH, "clientId": "sandbox-client",
           "Accept": "application/vnd.connectwise.com+json; version=2025.8"}
N_TICKETS = 60


def _ref(id_: int, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "name": name, **extra, "_info": {}}


def _fixture_docs() -> dict[str, list[dict[str, Any]]]:
    info = {"lastUpdated": "2026-01-01T00:00:00Z", "updatedBy": "fixture"}
    boards = [{"id": 1, "name": "Help Desk", "_info": info}, {"id": 2, "name": "Projects", "_info": info}]
    statuses = []
    for board in boards:
        for offset, (name, closed, default) in enumerate((("New", False, True), ("In Progress", False, False),
                                                          ("Closed", True, False))):
            statuses.append({"id": board["id"] * 10 + offset, "name": name, "board": _ref(board["id"], board["name"]),
                             "closedStatus": closed, "defaultFlag": default, "sortOrder": offset, "_info": info})
    companies = [{"id": i, "identifier": f"Co{i}", "name": f"Company {i}", "_info": info} for i in (1, 2, 3)]
    tickets = []
    for i in range(1, N_TICKETS + 1):
        board = boards[i % 2]
        status = next(s for s in statuses if s["board"]["id"] == board["id"] and s["name"] == ("Closed" if i % 3 == 0 else "New"))
        company = companies[i % 3]
        tickets.append({
            "id": i, "summary": f"Ticket {i:03d} {'VPN down' if i % 5 == 0 else 'printer jam'}",
            "board": _ref(board["id"], board["name"]), "status": _ref(status["id"], status["name"]),
            "company": _ref(company["id"], company["name"], identifier=company["identifier"]),
            "closedFlag": i % 3 == 0, "budgetHours": i / 10,
            "customFields": [{"id": 1, "caption": "Tier", "value": "Gold" if i % 4 == 0 else "Silver"}],
            "_info": {"lastUpdated": f"2026-02-{(i % 28) + 1:02d}T10:00:00Z", "dateEntered": "2026-01-01T00:00:00Z",
                      "updatedBy": "fixture"},
        })
    return {
        "boards": boards, "board_statuses": statuses,
        "board_types": [{"id": 1, "name": "Incident", "board": _ref(1, "Help Desk"), "_info": info}],
        "priorities": [{"id": 1, "name": "Priority 3 - Normal", "defaultFlag": True, "_info": info}],
        "companies": companies,
        "sites": [{"id": 1, "name": "Main", "company": _ref(1, "Company 1"), "_info": info}],
        "contacts": [{"id": 1, "firstName": "Ada", "lastName": "Lovelace", "company": _ref(1, "Company 1"),
                      "communicationItems": [{"communicationType": "Email", "value": "ada@example.com"}],
                      "_info": info}],
        "members": [{"id": 1, "identifier": "jdoe", "firstName": "Jane", "lastName": "Doe", "_info": info}],
        "configurations": [{"id": 1, "name": "FW-01", "deviceIdentifier": "fw01", "company": _ref(1, "Company 1"),
                            "_info": info}],
        "tickets": tickets,
        "ticket_notes": [{"id": 1, "ticketId": 1, "text": "first", "detailDescriptionFlag": True,
                          "dateCreated": "2026-01-01T00:00:00Z", "_info": info}],
    }


def prepare_db(path: Path) -> None:
    """A database with our fixture and a seed marker, so the demo-data generator never runs here."""
    store = Store(path)
    store.set_meta("seed", "test-fixture")
    for resource, docs in _fixture_docs().items():
        store.bulk_insert(resource, docs)
    store.close()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    db = tmp_path_factory.mktemp("sandbox") / "sandbox.db"
    prepare_db(db)
    with start_sandbox(db_path=db) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_base, headers=HEADERS, timeout=10) as c:
        yield c


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()]


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert isinstance(body["code"], str) and body["message"]
    return body


# auth ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},
    {"clientId": "sandbox-client"},
    {"Authorization": AUTH},
    {"Authorization": AUTH, "clientId": "other"},
    {"Authorization": "Basic " + base64.b64encode(b"sandbox+sandbox-public:wrong").decode(), "clientId": "sandbox-client"},
    {"Authorization": "Basic !!!", "clientId": "sandbox-client"},
    {"Authorization": "Bearer x", "clientId": "sandbox-client"},
])
def test_auth_failures_are_401(sandbox: RunningSandbox, headers: dict[str, str]) -> None:
    assert_error(httpx.get(f"{sandbox.api_base}/service/tickets", headers=headers), 401)


def test_plain_json_accept_and_company_case(sandbox: RunningSandbox) -> None:
    auth = "Basic " + base64.b64encode(b"SANDBOX+sandbox-public:sandbox-private").decode()
    r = httpx.get(f"{sandbox.api_base}/service/boards",
                  headers={"Authorization": auth, "clientid": "sandbox-client", "Accept": "application/json"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")


# reads --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "count"), [
    ("/service/tickets", N_TICKETS), ("/service/boards", 2), ("/service/boards/1/statuses", 3),
    ("/service/boards/1/types", 1), ("/service/priorities", 1), ("/company/companies", 3),
    ("/company/companies/1/sites", 1), ("/company/contacts", 1), ("/company/configurations", 1),
    ("/system/members", 1), ("/service/tickets/1/notes", 1), ("/service/knowledgeBaseArticles", 0),
    ("/time/entries", 0), ("/system/callbacks", 0),
])
def test_list_and_count(client: httpx.Client, path: str, count: int) -> None:
    assert client.get(f"{path}/count").json() == {"count": count}
    assert len(client.get(path, params={"pageSize": 1000}).json()) == count


def test_get_by_id_and_404(client: httpx.Client) -> None:
    assert client.get("/service/tickets/7").json()["summary"].startswith("Ticket 007")
    assert_error(client.get("/service/tickets/9999"), 404)
    assert_error(client.get("/service/tickets/9999/notes"), 404)
    assert_error(client.get("/service/boards/2/statuses/10"), 404)  # status 10 belongs to board 1
    assert_error(client.get("/no/such/endpoint"), 404)


# conditions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("conditions", "expected"), [
    ('board/name="Help Desk"', [i for i in range(1, 61) if i % 2 == 0]),
    ('board/name="help desk" and closedFlag=false', [i for i in range(1, 61) if i % 2 == 0 and i % 3]),
    ("closedFlag = True", [i for i in range(1, 61) if i % 3 == 0]),
    ('summary contains "vpn"', [i for i in range(1, 61) if i % 5 == 0]),
    ('summary not contains "vpn" and id <= 4', [1, 2, 3, 4]),
    ('summary like "Ticket 01*"', list(range(10, 20))),
    ('summary like "Ticket 01%"', list(range(10, 20))),
    ("id in (3, 5, 99)", [3, 5]),
    ("id not in (1, 2) and id < 5", [3, 4]),
    ("company/id = 1 and (id < 5 or id > 55)", [3, 57, 60]),
    ('company/identifier = "co2" and id < 10', [1, 4, 7]),
    ("not (id > 3)", [1, 2, 3]),
    ("budgetHours >= 5.8", [58, 59, 60]),
    ("lastUpdated >= [2026-02-28T00:00:00Z]", [27, 55]),
    ("_info/lastUpdated < [2026-02-02T00:00:00Z]", [28, 56]),
    ("contact = null and id = 1", [1]),
    ("status/name != null and id = 2", [2]),
])
def test_conditions(client: httpx.Client, conditions: str, expected: list[int]) -> None:
    assert ids(client.get("/service/tickets", params={"conditions": conditions, "pageSize": 1000})) == expected
    assert client.get("/service/tickets/count", params={"conditions": conditions}).json() == {"count": len(expected)}


@pytest.mark.parametrize("conditions", ['summary = "x', "summary ==", "id in 3", "(id = 1", ""])
def test_bad_conditions_are_400(client: httpx.Client, conditions: str) -> None:
    if conditions:
        assert_error(client.get("/service/tickets", params={"conditions": conditions}), 400)


@pytest.mark.parametrize("payload", [
    '" or 1=1 --', "' or '1'='1", '"); DROP TABLE tickets; --', "%", "_", "\\", "*",
    'Ticket 001 printer jam" or id > 0 or summary = "',
])
def test_injection_attempts_match_literally(client: httpx.Client, payload: str) -> None:
    escaped = payload.replace("\\", "\\\\").replace('"', '\\"')
    for op in ("=", "contains"):
        r = client.get("/service/tickets", params={"conditions": f'summary {op} "{escaped}"'})
        assert ids(r) == []
    assert client.get("/service/tickets/count").json() == {"count": N_TICKETS}


def test_unknown_field_is_400(client: httpx.Client) -> None:
    assert_error(client.get("/service/tickets", params={"conditions": "summry = \"x\""}), 400)
    assert_error(client.get("/service/tickets", params={"orderBy": "nope desc"}), 400)
    assert ids(client.get("/service/tickets", params={"conditions": 'Board/Name = "Projects" and ID < 4'})) == [1, 3]


def test_injection_in_field_name_is_rejected(client: httpx.Client) -> None:
    assert_error(client.get("/service/tickets", params={"orderBy": "id; DROP TABLE tickets"}), 400)
    assert_error(client.get("/service/tickets", params={"conditions": "summary') = 1 --"}), 400)


def test_custom_field_and_child_conditions(client: httpx.Client) -> None:
    gold = client.get("/service/tickets", params={"customFieldConditions": 'caption="Tier" AND value="Gold"',
                                                  "conditions": "id < 13"})
    assert ids(gold) == [4, 8, 12]
    found = client.get("/company/contacts", params={
        "childConditions": 'communicationItems/value like "ada@*" AND communicationItems/communicationType="Email"'})
    assert ids(found) == [1]
    missing = client.get("/company/contacts", params={
        "childConditions": 'communicationItems/value like "ada@*" AND communicationItems/communicationType="Phone"'})
    assert ids(missing) == []


def test_search_endpoint(client: httpx.Client) -> None:
    r = client.post("/service/tickets/search", params={"pageSize": 5},
                    json={"conditions": "closedFlag = true", "orderBy": "id desc"})
    assert ids(r) == [60, 57, 54, 51, 48]
    assert "/service/tickets?" in r.headers["link"]
    assert_error(client.post("/service/tickets/search", json={"conditions": "nope"}), 400)


# orderBy / fields ---------------------------------------------------------------------------------

def test_order_by(client: httpx.Client) -> None:
    assert ids(client.get("/service/tickets", params={"orderBy": "id desc", "pageSize": 3})) == [60, 59, 58]
    multi = client.get("/service/tickets", params={"orderBy": "board/name asc, id desc", "pageSize": 2,
                                                   "conditions": "id < 10"})
    assert ids(multi) == [8, 6]
    by_date = client.get("/service/tickets", params={"orderBy": "_info/lastUpdated desc", "pageSize": 2})
    assert ids(by_date) == [27, 55]
    assert_error(client.get("/service/tickets", params={"orderBy": "id sideways"}), 400)


def test_fields_projection(client: httpx.Client) -> None:
    r = client.get("/service/tickets", params={"fields": "id,summary,board/name,_info/lastUpdated", "pageSize": 1})
    assert r.json() == [{"id": 1, "summary": "Ticket 001 printer jam", "board": {"name": "Projects"},
                         "_info": {"lastUpdated": "2026-02-02T10:00:00Z"}}]
    one = client.get("/service/tickets/2", params={"fields": "status/name"})
    assert one.json() == {"status": {"name": "New"}}


# paging -------------------------------------------------------------------------------------------

def _links(response: httpx.Response) -> dict[str, httpx.URL]:
    return {rel: httpx.URL(link["url"]) for rel, link in response.links.items()}


def test_navigable_paging_and_link_header(client: httpx.Client) -> None:
    first = client.get("/service/tickets", params={"conditions": "closedFlag=false", "pageSize": 15})
    assert len(first.json()) == 15
    links = _links(first)
    assert set(links) == {"next", "last"}
    assert links["next"].params["page"] == "2" and links["last"].params["page"] == "3"
    assert links["next"].params["conditions"] == "closedFlag=false"
    assert links["next"].path.endswith("/v4_6_release/apis/3.0/service/tickets")
    seen = ids(first)
    url: httpx.URL | None = links["next"]
    while url is not None:
        page = client.get(url)
        seen += ids(page)
        url = _links(page).get("next")
        if "prev" in _links(page):
            assert _links(page)["first"].params["page"] == "1"
    assert seen == [i for i in range(1, 61) if i % 3]
    assert client.get("/service/tickets", params={"page": 99}).json() == []
    assert "link" not in client.get("/service/boards").headers  # a single page has nowhere to link to


def test_default_and_max_page_size(client: httpx.Client) -> None:
    assert len(client.get("/service/tickets").json()) == 25
    assert len(client.get("/service/tickets", params={"pagesize": 1000}).json()) == N_TICKETS
    assert_error(client.get("/service/tickets", params={"pageSize": 1001}), 400)
    assert_error(client.get("/service/tickets", params={"pageSize": 0}), 400)
    assert_error(client.get("/service/tickets", params={"page": "x"}), 400)


def test_forward_only_paging(client: httpx.Client) -> None:
    headers = {"pagination-type": "forward-only"}
    params: dict[str, Any] = {"pageSize": 25, "conditions": "closedFlag=false"}
    seen: list[int] = []
    r = client.get("/service/tickets", params=params, headers=headers)
    while r.json():
        seen += ids(r)
        next_url = _links(r)["next"]
        assert next_url.params["pageId"] == str(seen[-1])
        r = client.get(next_url, headers=headers)
    assert seen == [i for i in range(1, 61) if i % 3]
    assert "link" not in r.headers
    assert_error(client.get("/service/tickets", params={"orderBy": "id desc"}, headers=headers), 400)


# writes -------------------------------------------------------------------------------------------

def test_create_ticket_by_names_and_patch_status(client: httpx.Client) -> None:
    r = client.post("/service/tickets", json={"summary": "Email bounce", "company": {"identifier": "Co2"},
                                              "board": {"name": "Help Desk"}, "status": {"name": "In Progress"},
                                              "owner": {"identifier": "jdoe"}})
    assert r.status_code == 201, r.text
    ticket = r.json()
    assert ticket["company"]["id"] == 2 and ticket["company"]["name"] == "Company 2"
    assert ticket["board"] == {"id": 1, "name": "Help Desk",
                               "_info": {"board_href": "/v4_6_release/apis/3.0/service/boards/1"}}
    assert ticket["status"]["id"] == 11 and ticket["owner"]["name"] == "Jane Doe"
    assert ticket["priority"]["name"] == "Priority 3 - Normal" and ticket["closedFlag"] is False
    assert ticket["_info"]["dateEntered"] and ticket["_info"]["updatedBy"]
    assert r.headers["location"].endswith(f"/service/tickets/{ticket['id']}")

    patched = client.patch(f"/service/tickets/{ticket['id']}", json=[
        {"op": "replace", "path": "status", "value": {"name": "Closed"}},
        {"op": "replace", "path": "summary", "value": "Email bounce (fixed)"},
    ])
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["status"]["name"] == "Closed" and body["closedFlag"] is True and body["closedDate"]
    assert body["closedBy"] and body["summary"] == "Email bounce (fixed)"
    assert body["_info"]["dateEntered"] == ticket["_info"]["dateEntered"]
    reopened = client.patch(f"/service/tickets/{ticket['id']}",
                            json=[{"op": "replace", "path": "status", "value": {"id": 10}}]).json()
    assert reopened["closedFlag"] is False and reopened["closedDate"] is None
    assert client.get(f"/service/tickets/{ticket['id']}").json()["status"]["name"] == "New"


def test_default_board_status_on_create(client: httpx.Client) -> None:
    ticket = client.post("/service/tickets", json={"summary": "x", "company": {"id": 1},
                                                   "board": {"id": 2}}).json()
    assert ticket["status"]["name"] == "New" and ticket["status"]["id"] == 20


@pytest.mark.parametrize(("body", "field"), [
    ({"company": {"id": 1}}, "summary"),
    ({"summary": "x"}, "company"),
    ({"summary": "x" * 101, "company": {"id": 1}}, "summary"),
    ({"summary": "x", "company": {"id": 999}}, "company"),
    ({"summary": "x", "company": {"identifier": "nope"}}, "company"),
    ({"summary": "x", "company": {"id": 1}, "board": {"name": "Nope"}}, "board"),
    ({"summary": "x", "company": {"id": 1}, "board": {"id": 1}, "status": {"id": 20}}, "status"),
    ({"summary": "x", "company": "Co1"}, "company"),
])
def test_ticket_validation_400(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    errors = assert_error(client.post("/service/tickets", json=body), 400)["errors"]
    assert any(e["field"] == field for e in errors)
    assert all(set(e) == {"code", "message", "resource", "field"} for e in errors)


def test_malformed_json_is_400(client: httpx.Client) -> None:
    assert_error(client.post("/service/tickets", content=b"{not json", headers={"Content-Type": "application/json"}), 400)


@pytest.mark.parametrize("ops", [
    {"op": "replace", "path": "summary", "value": "x"},  # not an array
    [{"op": "move", "path": "summary", "value": "x"}],
    [{"op": "replace", "path": "noSuchField", "value": "x"}],
    [{"op": "replace", "path": "company/identifier", "value": "Co2"}],
    [{"op": "replace", "path": "id", "value": 5}],
    [{"op": "replace", "path": "summary", "value": "x" * 101}],
    [{"op": "replace", "path": "status", "value": {"name": "No Such Status"}}],
    [{"op": "replace", "path": "summary"}],
])
def test_bad_patch_400(client: httpx.Client, ops: Any) -> None:
    assert_error(client.patch("/service/tickets/1", json=ops), 400)
    assert client.get("/service/tickets/1").json()["summary"] == "Ticket 001 printer jam"


def test_patch_404(client: httpx.Client) -> None:
    assert_error(client.patch("/service/tickets/9999", json=[{"op": "replace", "path": "summary", "value": "x"}]), 404)


def test_put_replaces_and_delete(client: httpx.Client) -> None:
    created = client.post("/service/tickets", json={"summary": "temp", "company": {"id": 1},
                                                    "poNumber": "PO-1"}).json()
    put = client.put(f"/service/tickets/{created['id']}", json={"summary": "temp 2", "company": {"id": 3}})
    assert put.status_code == 200
    assert put.json()["company"]["id"] == 3 and "poNumber" not in put.json()
    client.post(f"/service/tickets/{created['id']}/notes", json={"text": "n", "detailDescriptionFlag": True})
    assert client.delete(f"/service/tickets/{created['id']}").status_code == 204
    assert_error(client.get(f"/service/tickets/{created['id']}"), 404)
    assert_error(client.delete(f"/service/tickets/{created['id']}"), 404)


def test_note_changes_move_the_tickets_last_updated(sandbox: RunningSandbox, client: httpx.Client) -> None:
    stale = "2020-01-01T00:00:00Z"
    ticket = sandbox.store.get("tickets", 3)
    ticket["_info"]["lastUpdated"] = stale
    sandbox.store.replace("tickets", ticket)
    body = {"text": "Called the user back", "detailDescriptionFlag": True}
    note = client.post("/service/tickets/3/notes", json=body).json()
    after_create = client.get("/service/tickets/3").json()["_info"]["lastUpdated"]
    assert after_create > stale
    for call in (lambda: client.patch(f"/service/tickets/3/notes/{note['id']}",
                                      json=[{"op": "replace", "path": "text", "value": "edited"}]),
                 lambda: client.delete(f"/service/tickets/3/notes/{note['id']}")):
        ticket = sandbox.store.get("tickets", 3)
        ticket["_info"]["lastUpdated"] = stale
        sandbox.store.replace("tickets", ticket)
        assert call().status_code in (200, 204)
        assert client.get("/service/tickets/3").json()["_info"]["lastUpdated"] > stale


def test_notes_crud_and_validation(client: httpx.Client) -> None:
    body = {"text": "Checked the VPN logs", "internalAnalysisFlag": True, "internalFlag": True,
            "member": {"identifier": "jdoe"}}
    created = client.post("/service/tickets/2/notes", json=body)
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["ticketId"] == 2 and note["internalAnalysisFlag"] and note["detailDescriptionFlag"] is False
    assert note["member"]["identifier"] == "jdoe" and note["dateCreated"]
    errors = assert_error(client.post("/service/tickets/2/notes", json={"text": "no flag"}), 400)["errors"]
    assert errors[0]["field"] == "detailDescriptionFlag"
    assert_error(client.post("/service/tickets/9999/notes", json=body), 404)
    notes = client.get("/service/tickets/2/notes", params={"conditions": "internalAnalysisFlag = true"})
    assert ids(notes) == [note["id"]]
    assert client.get("/service/tickets/2/notes/count").json() == {"count": 1}
    patched = client.patch(f"/service/tickets/2/notes/{note['id']}",
                           json=[{"op": "replace", "path": "text", "value": "edited"}])
    assert patched.json()["text"] == "edited"
    assert_error(client.get(f"/service/tickets/3/notes/{note['id']}"), 404)  # wrong parent
    all_notes = client.get("/service/tickets/2/allNotes").json()
    assert [n["text"] for n in all_notes] == ["edited"]
    assert client.delete(f"/service/tickets/2/notes/{note['id']}").status_code == 204
    assert client.get("/service/tickets/2/notes/count").json() == {"count": 0}


def test_time_entries(client: httpx.Client) -> None:
    r = client.post("/time/entries", json={"chargeToType": "ServiceTicket", "chargeToId": 4,
                                           "timeStart": "2026-03-01T09:00:00Z", "timeEnd": "2026-03-01T10:30:00Z",
                                           "notes": "Replaced toner", "addToDetailDescriptionFlag": True})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["actualHours"] == 1.5 and entry["ticket"]["id"] == 4 and entry["company"]["id"] == 2
    assert entry["member"]["identifier"] == "jdoe"
    assert ids(client.get("/time/entries", params={"conditions": "chargeToId = 4"})) == [entry["id"]]
    all_notes = client.get("/service/tickets/4/allNotes").json()
    assert all_notes[-1]["text"] == "Replaced toner" and all_notes[-1]["detailDescriptionFlag"] is True
    patched = client.patch(f"/time/entries/{entry['id']}", json=[{"op": "replace", "path": "notes", "value": "x"}])
    assert patched.json()["notes"] == "x"
    assert_error(client.post("/time/entries", json={"chargeToType": "ServiceTicket", "chargeToId": 4}), 400)
    assert_error(client.post("/time/entries", json={"chargeToType": "ServiceTicket", "chargeToId": 9999,
                                                    "timeStart": "2026-03-01T09:00:00Z"}), 400)
    assert client.delete(f"/time/entries/{entry['id']}").status_code == 204


def test_kb_articles(client: httpx.Client) -> None:
    assert_error(client.post("/service/knowledgeBaseArticles", json={"title": "only a title"}), 400)
    r = client.post("/service/knowledgeBaseArticles", json={
        "title": "Reset VPN token", "issue": "Token expired", "resolution": "Re-enrol in the portal",
        "board": {"name": "Help Desk"}, "categoryId": 3})
    assert r.status_code == 201, r.text
    article = r.json()
    assert article["board"]["id"] == 1 and article["dateCreated"]
    found = client.get("/service/knowledgeBaseArticles", params={"conditions": 'title contains "vpn"'})
    assert ids(found) == [article["id"]]
    patched = client.patch(f"/service/knowledgeBaseArticles/{article['id']}",
                           json=[{"op": "replace", "path": "resolution", "value": "Call the help desk"}])
    assert patched.json()["resolution"] == "Call the help desk"
    assert client.get("/service/knowledgeBaseArticles/count").json()["count"] >= 1


def test_companies_conflict_and_sites(client: httpx.Client) -> None:
    body = assert_error(client.post("/company/companies", json={"identifier": "co1", "name": "Dup"}), 409)
    assert body["errors"][0]["field"] == "identifier"
    created = client.post("/company/companies", json={"identifier": "NewCo", "name": "New Co"})
    assert created.status_code == 201
    company_id = created.json()["id"]
    assert_error(client.patch(f"/company/companies/{company_id}",
                              json=[{"op": "replace", "path": "identifier", "value": "Co2"}]), 409)
    site = client.post(f"/company/companies/{company_id}/sites", json={"name": "HQ"})
    assert site.status_code == 201 and site.json()["company"]["id"] == company_id
    assert ids(client.get(f"/company/companies/{company_id}/sites")) == [site.json()["id"]]


def test_board_status_conflict(client: httpx.Client) -> None:
    assert_error(client.post("/service/boards/1/statuses", json={"name": "new"}), 409)
    created = client.post("/service/boards/2/statuses", json={"name": "Waiting on Customer"})
    assert created.status_code == 201 and created.json()["board"]["id"] == 2


def test_members_are_read_only_403(client: httpx.Client) -> None:
    assert_error(client.delete("/system/members/1"), 403)
    assert_error(client.post("/system/members", json={"identifier": "x"}), 403)
    assert_error(client.patch("/system/members/1", json=[{"op": "replace", "path": "firstName", "value": "x"}]), 403)
    assert client.get("/system/members/1").json()["identifier"] == "jdoe"


def test_ticket_configurations(client: httpx.Client) -> None:
    assert client.get("/service/tickets/5/configurations").json() == []
    added = client.post("/service/tickets/5/configurations", json={"id": 1})
    assert added.status_code == 201 and added.json()["deviceIdentifier"] == "fw01"
    assert ids(client.get("/service/tickets/5/configurations")) == [1]
    assert client.get("/service/tickets/5/configurations/count").json() == {"count": 1}
    assert_error(client.post("/service/tickets/5/configurations", json={"id": 1}), 409)
    assert_error(client.post("/service/tickets/5/configurations", json={"id": 99}), 400)
    assert client.delete("/service/tickets/5/configurations/1").status_code == 204


def test_callbacks(client: httpx.Client) -> None:
    r = client.post("/system/callbacks", json={"description": "ticket hook", "url": "https://example.com/hook",
                                               "type": "Ticket", "level": "Owner", "objectId": 1})
    assert r.status_code == 201
    cb = r.json()
    assert client.get(f"/system/callbacks/{cb['id']}").json()["url"] == "https://example.com/hook"
    assert_error(client.post("/system/callbacks", json={"description": "x" * 101, "url": "u", "type": "Ticket",
                                                        "level": "Owner"}), 400)
    assert client.delete(f"/system/callbacks/{cb['id']}").status_code == 204


def test_hot_queries_use_indexes(sandbox: RunningSandbox) -> None:
    from sandbox.query import FieldResolver, compile_expr, compile_order_by, parse_conditions

    resolver = FieldResolver(sandbox.store, "tickets")
    for text in ('board/name = "Help Desk"', "closedFlag = false", 'status/name = "New"', "company/id = 3"):
        where, params = compile_expr(parse_conditions(text, "conditions"), resolver)
        plan = " ".join(sandbox.store.explain(f"SELECT doc FROM tickets WHERE {where}", params))
        assert "USING INDEX" in plan, (text, plan)
    order = compile_order_by("_info/lastUpdated desc", resolver)
    plan = " ".join(sandbox.store.explain(f"SELECT doc FROM tickets ORDER BY {order} LIMIT 25", []))
    assert "SCAN tickets USING INDEX" in plan or "USING INDEX" in plan, plan
