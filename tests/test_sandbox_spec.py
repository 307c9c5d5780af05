"""The seeded sandbox as third-party ConnectWise clients see it, over real loopback HTTP.

Every seeded resource kind is read back and parsed with the spec's field types (required fields, enums,
booleans, integers, strings) from tests/fixtures/connectwise_schemas.json, a trimmed extract of
../shared/connectwise-spec (so this runs on a plain clone). Then the wire behaviour those clients rely on:
write-only initial* ticket fields, `reference/id` PATCH paths, unknown condition fields, ids that never repeat,
trailing slashes, the lookup endpoints and callback validation.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.runner import RunningSandbox, start_sandbox

AUTH = "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode()
HEADERS = {"Authorization": AUTH, "clientId": "sandbox-client",
           "Accept": "application/vnd.connectwise.com+json; version=2025.8"}
SCHEMAS: dict[str, Any] = json.loads((Path(__file__).parent / "fixtures" / "connectwise_schemas.json").read_text())
# Fields we emit that the (partial) spec extract lacks but the live API returns.
EXTRA_FIELDS = {"Member": {"emailAddress"}}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with start_sandbox(db_path=tmp_path_factory.mktemp("spec") / "sandbox.db", tickets=30) as running:
        yield running


@pytest.fixture(scope="module")
def client(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_base, headers=HEADERS, timeout=20) as c:
        yield c


def _all(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get(path, params={"pageSize": 1000, **params})
    assert r.status_code == 200, (path, r.text)
    return r.json()


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "errors"} and body["message"]
    return body


# the spec's field types --------------------------------------------------------------------------

def _check_value(where: str, type_: str, value: Any) -> None:
    if value is None:
        return
    if type_.startswith("integer"):
        assert isinstance(value, int) and not isinstance(value, bool), (where, type_, value)
    elif type_.startswith("number"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (where, type_, value)
    elif type_ == "boolean":
        assert isinstance(value, bool), (where, type_, value)
    elif (enum := re.fullmatch(r"string enum\[(.*)\]", type_)) is not None:
        assert value in enum.group(1).split(","), (where, type_, value)
    elif type_.startswith("string"):
        assert isinstance(value, str), (where, type_, value)
        if type_ == "string(date-time)":
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value), (where, value)
    elif type_.startswith("$ref:"):
        assert isinstance(value, dict), (where, type_, value)
        if type_[5:] in SCHEMAS:
            conform(value, type_[5:], where)
        elif "id" in value:
            _check_value(f"{where}/id", "integer", value["id"])
    elif type_.startswith("array"):
        assert isinstance(value, list), (where, type_, value)
        item = type_[6:-1] if type_.startswith("array<") else "object"
        for i, element in enumerate(value):
            if item in SCHEMAS:
                conform(element, item, f"{where}[{i}]")
            elif item in ("integer", "number", "boolean", "string"):
                _check_value(f"{where}[{i}]", item, element)
            else:
                assert isinstance(element, dict), (where, element)
    elif type_ == "object":
        assert isinstance(value, dict), (where, type_, value)


def conform(doc: dict[str, Any], schema: str, where: str = "") -> None:
    """Parse `doc` as the spec's `schema`: no unknown fields, every required field, every type and enum."""
    spec = SCHEMAS[schema]
    fields = {f["field"]: f["type"] for f in spec["fields"]}
    where = where or f"{schema} {doc.get('id')}"
    unknown = set(doc) - set(fields) - EXTRA_FIELDS.get(schema, set())
    assert not unknown, (where, unknown)
    for name in spec["required"]:
        assert doc.get(name) is not None, (where, "required", name)
    for name, value in doc.items():
        if name in fields:
            _check_value(f"{where}.{name}", fields[name], value)


def _parents(client: httpx.Client, path: str, limit: int = 1000) -> list[int]:
    return [d["id"] for d in _all(client, path)][:limit]


def test_every_seeded_resource_parses_in_the_spec_models(client: httpx.Client) -> None:
    kinds: dict[str, list[dict[str, Any]]] = {
        "Ticket": _all(client, "/service/tickets"),
        "Board": _all(client, "/service/boards"),
        "Priority": _all(client, "/service/priorities"),
        "Company": _all(client, "/company/companies"),
        "Contact": _all(client, "/company/contacts"),
        "Configuration": _all(client, "/company/configurations"),
        "Member": _all(client, "/system/members"),
        "TimeEntry": _all(client, "/time/entries"),
        "KnowledgeBaseArticle": _all(client, "/service/knowledgeBaseArticles"),
        "Source": _all(client, "/service/sources"),
        "ServiceLocation": _all(client, "/service/locations"),
        "ServiceTeam": _all(client, "/service/teams"),
        "KnowledgeBaseCategory": _all(client, "/service/knowledgeBaseCategories"),
        "CompanyStatus": _all(client, "/company/companies/statuses"),
        "CompanyType": _all(client, "/company/companies/types"),
        "ConfigurationType": _all(client, "/company/configurations/types"),
        "ConfigurationStatus": _all(client, "/company/configurations/statuses"),
        "WorkRole": _all(client, "/time/workRoles"),
        "WorkType": _all(client, "/time/workTypes"),
        "DocumentInfo": _all(client, "/system/documents"),
        "Activity": _all(client, "/sales/activities"),
        "SystemInfo": [client.get("/system/info").json()],
    }
    ticket_ids = [t["id"] for t in kinds["Ticket"]]
    kinds["ServiceNote"] = [n for tid in ticket_ids for n in _all(client, f"/service/tickets/{tid}/notes")]
    kinds["ServiceTask"] = [t for tid in ticket_ids for t in _all(client, f"/service/tickets/{tid}/tasks")]
    for bid in (b["id"] for b in kinds["Board"]):
        for path, schema in (("statuses", "BoardStatus"), ("types", "BoardType"), ("subtypes", "BoardSubType"),
                             ("items", "BoardItem"), ("teams", "BoardTeam"), ("statuses/info", "BoardStatusInfo")):
            kinds.setdefault(schema, []).extend(_all(client, f"/service/boards/{bid}/{path}"))
    for cid in _parents(client, "/company/companies", limit=10):
        kinds.setdefault("CompanySite", []).extend(_all(client, f"/company/companies/{cid}/sites"))
    for cid in _parents(client, "/company/contacts", limit=25):
        kinds.setdefault("ContactCommunicationItem", []).extend(_all(client, f"/company/contacts/{cid}/communications"))
    for schema, docs in kinds.items():
        assert docs, f"nothing seeded for {schema}"
        for doc in docs:
            conform(doc, schema)


def test_lookup_data_has_the_spec_types(client: httpx.Client) -> None:
    board = _all(client, "/service/boards")[0]
    for flag in ("timeEntryDiscussionFlag", "timeEntryResolutionFlag", "timeEntryInternalAnalysisFlag"):
        assert isinstance(board[flag], bool), flag
    colors = {p["color"] for p in _all(client, "/service/priorities")}
    assert colors <= {"Black", "Blue", "Cyan", "Gray", "Green", "Lime", "Orange", "Pink", "Purple", "Red", "White",
                      "Yellow", "Custom"}
    member = _all(client, "/system/members")[2]
    assert member["timeApprover"]["identifier"] == "dpatel" and member["defaultLocation"]["name"] == "Main"


def test_seeded_references_resolve_to_lookups(client: httpx.Client) -> None:
    sources = {s["id"] for s in _all(client, "/service/sources")}
    locations = {s["id"] for s in _all(client, "/service/locations")}
    for t in _all(client, "/service/tickets"):
        assert t["source"]["id"] in sources and t["serviceLocation"]["id"] in locations
        board = t["board"]["id"]
        assert t["subType"]["id"] in {s["id"] for s in _all(client, f"/service/boards/{board}/subtypes")}
        assert t["team"]["id"] in {s["id"] for s in _all(client, f"/service/boards/{board}/teams")}
    work_types = {w["id"] for w in _all(client, "/time/workTypes")}
    assert all(e["workType"]["id"] in work_types for e in _all(client, "/time/entries") if e.get("workType"))


# 1. initial* fields are write-only ------------------------------------------------------------------

def test_initial_fields_become_notes_and_are_never_returned(client: httpx.Client) -> None:
    r = client.post("/service/tickets", json={
        "summary": "Scanner offline", "company": {"id": 2}, "board": {"id": 1},
        "initialDescription": "The scanner on floor 2 shows offline.",
        "initialInternalAnalysis": "Likely the DHCP lease again.", "initialResolution": "Reserved its IP.",
    })
    assert r.status_code == 201, r.text
    ticket = r.json()
    write_only = {"initialDescription", "initialInternalAnalysis", "initialResolution"}
    assert not write_only & set(ticket)
    assert not write_only & set(client.get(f"/service/tickets/{ticket['id']}").json())
    listed = client.get("/service/tickets", params={"conditions": f"id = {ticket['id']}"}).json()
    assert not write_only & set(listed[0])
    notes = {n["text"]: n for n in _all(client, f"/service/tickets/{ticket['id']}/notes")}
    description = notes["The scanner on floor 2 shows offline."]
    assert description["detailDescriptionFlag"] and not description["internalAnalysisFlag"]
    analysis = notes["Likely the DHCP lease again."]
    assert analysis["internalAnalysisFlag"] and analysis["internalFlag"] and not analysis["detailDescriptionFlag"]
    assert notes["Reserved its IP."]["resolutionFlag"]
    assert len(_all(client, f"/service/tickets/{ticket['id']}/allNotes")) == 3
    # A ticket without them gets no notes; a seeded ticket never showed them.
    bare = client.post("/service/tickets", json={"summary": "No notes", "company": {"id": 2}}).json()
    assert _all(client, f"/service/tickets/{bare['id']}/notes") == []
    assert not write_only & set(client.get("/service/tickets/1").json())
    assert_error(client.post("/service/tickets", json={"summary": "x", "company": {"id": 2},
                                                       "initialDescription": 5}), 400)


# 2. reference/id PATCH paths ------------------------------------------------------------------------

def test_patch_of_reference_id_paths_replaces_the_reference(client: httpx.Client) -> None:
    ticket = client.post("/service/tickets", json={"summary": "Patch me", "company": {"id": 2},
                                                   "board": {"id": 1}}).json()
    statuses = _all(client, "/service/boards/2/statuses")
    target = next(s for s in statuses if not s["closedStatus"] and not s["defaultFlag"])
    priority = _all(client, "/service/priorities")[0]
    member = _all(client, "/system/members")[3]
    board2_type = _all(client, "/service/boards/2/types")[0]
    r = client.patch(f"/service/tickets/{ticket['id']}", json=[
        {"op": "replace", "path": "board/id", "value": 2},
        {"op": "replace", "path": "status/id", "value": target["id"]},
        {"op": "replace", "path": "priority/id", "value": priority["id"]},
        {"op": "replace", "path": "owner/id", "value": member["id"]},
        {"op": "replace", "path": "type/id", "value": board2_type["id"]},
    ])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["board"]["id"] == 2 and body["board"]["name"] == _all(client, "/service/boards")[1]["name"]
    assert body["status"]["id"] == target["id"] and body["status"]["name"] == target["name"]
    assert body["priority"]["name"] == priority["name"] and body["owner"]["identifier"] == member["identifier"]
    assert body["type"]["name"] == board2_type["name"]
    closed = next(s for s in statuses if s["closedStatus"])
    r = client.patch(f"/service/tickets/{ticket['id']}", json=[{"op": "replace", "path": "status/id",
                                                                "value": closed["id"]}])
    assert r.json()["closedFlag"] is True
    assert_error(client.patch(f"/service/tickets/{ticket['id']}",
                              json=[{"op": "replace", "path": "status/id", "value": 999_999}]), 400)
    assert_error(client.patch(f"/service/tickets/{ticket['id']}",
                              json=[{"op": "replace", "path": "priority/id", "value": "High"}]), 400)


# 3. unknown condition fields -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/service/tickets", "/service/boards", "/service/priorities", "/system/callbacks",
                                  "/service/sources", "/time/workTypes", "/service/boards/1/statuses"])
def test_unknown_condition_field_is_400_everywhere(client: httpx.Client, path: str) -> None:
    assert_error(client.get(path, params={"conditions": "noSuchField = 1"}), 400)
    assert_error(client.get(f"{path}/count", params={"conditions": "noSuchField = 1"}), 400)
    assert client.get(path, params={"conditions": "id > 0"}).status_code == 200


def test_known_fields_still_filter(client: httpx.Client) -> None:
    assert [b["name"] for b in _all(client, "/service/boards", conditions='name = "Alerts"')] == ["Alerts"]
    assert isinstance(_all(client, "/system/callbacks", conditions='url contains "example"'), list)
    assert [p["level"] for p in _all(client, "/service/priorities", conditions='level = "Critical"')] == ["Critical"]


# 4. ids never repeat --------------------------------------------------------------------------------

def test_deleted_ids_are_never_handed_out_again(client: httpx.Client) -> None:
    seen: set[int] = set()
    for _ in range(3):
        t = client.post("/service/tickets", json={"summary": "Short-lived", "company": {"id": 2}}).json()
        assert t["id"] not in seen
        seen.add(t["id"])
        assert client.delete(f"/service/tickets/{t['id']}").status_code == 204
    note_ids = set()
    for _ in range(2):
        n = client.post("/service/tickets/1/notes", json={"text": "x", "detailDescriptionFlag": True}).json()
        assert n["id"] not in note_ids
        note_ids.add(n["id"])
        assert client.delete(f"/service/tickets/1/notes/{n['id']}").status_code == 204


# 5. trailing slashes --------------------------------------------------------------------------------

def test_trailing_slash_serves_the_resource(client: httpx.Client) -> None:
    for path in ("/service/tickets/", "/service/tickets/1/", "/service/boards/1/statuses/", "/system/info/"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 200, (path, r.status_code)
        assert r.json() == client.get(path.rstrip("/")).json()
    created = client.post("/system/callbacks/", follow_redirects=False, json={
        "url": "https://example.com/hook", "type": "Ticket", "level": "Owner", "objectId": 1})
    assert created.status_code == 201
    assert client.delete(f"/system/callbacks/{created.json()['id']}/").status_code == 204


# 7. the endpoints third-party libraries call ------------------------------------------------------

def test_codebase_discovery_outside_the_api(sandbox: RunningSandbox) -> None:
    with httpx.Client(base_url=sandbox.url, timeout=10) as plain:  # no credentials, as the libraries call it
        info = plain.get("/login/companyinfo/sandbox").json()
        assert info["Codebase"] == "v4_6_release/" and info["CompanyID"] == "sandbox"
        assert set(info) >= {"CompanyName", "Codebase", "VersionCode", "VersionNumber", "CompanyID", "IsCloud"}
        assert plain.get("/login/companyinfo/SANDBOX").status_code == 200
        assert_error(plain.get("/login/companyinfo/other"), 404)
        codebase = info["Codebase"]
        assert plain.get(f"/{codebase}apis/3.0/system/info", headers=HEADERS).status_code == 200


def test_system_info(client: httpx.Client) -> None:
    info = client.get("/system/info").json()
    assert info["version"].startswith("v20") and isinstance(info["isCloud"], bool)


def test_lookup_collections_count_and_get(client: httpx.Client) -> None:
    for path in ("/service/sources", "/service/locations", "/service/teams", "/service/knowledgeBaseCategories",
                 "/company/companies/statuses", "/company/companies/types", "/company/configurations/types",
                 "/company/configurations/statuses", "/time/workRoles", "/time/workTypes", "/sales/activities",
                 "/service/boards/1/subtypes", "/service/boards/1/items", "/service/boards/1/teams"):
        docs = _all(client, path)
        assert docs, path
        assert client.get(f"{path}/count").json() == {"count": len(docs)}, path
        assert client.get(f"{path}/{docs[0]['id']}").json() == docs[0], path
    assert_error(client.get("/service/boards/99/subtypes"), 404)
    assert client.post("/service/sources", json={"name": "Fax"}).status_code == 405
    assert [t["name"] for t in _all(client, "/company/companies/types", conditions='name = "Client"')] == ["Client"]


def test_board_statuses_info(client: httpx.Client) -> None:
    info = _all(client, "/service/boards/1/statuses/info")
    statuses = _all(client, "/service/boards/1/statuses")
    assert [s["id"] for s in info] == [s["id"] for s in statuses]
    assert set(info[0]) == {"id", "name", "board", "sortOrder", "inactive", "closedStatus", "_info"}
    assert client.get("/service/boards/1/statuses/info/count").json() == {"count": len(statuses)}


def test_contact_communications(client: httpx.Client) -> None:
    contact = _all(client, "/company/contacts")[0]
    items = _all(client, f"/company/contacts/{contact['id']}/communications")
    assert [i["value"] for i in items] == [i["value"] for i in contact["communicationItems"]]
    assert_error(client.get("/company/contacts/999999/communications"), 404)


def test_documents_by_record(client: httpx.Client) -> None:
    docs = _all(client, "/system/documents")
    assert docs and all("recordId" not in d for d in docs)
    ticket_ids = [t["id"] for t in _all(client, "/service/tickets")]
    by_ticket = {tid: _all(client, "/system/documents", recordType="Ticket", recordId=tid) for tid in ticket_ids}
    assert sum(len(v) for v in by_ticket.values()) == len(docs)
    assert_error(client.get("/system/documents", params={"recordType": "Ticket"}), 400)


def test_ticket_tasks_crud(client: httpx.Client) -> None:
    r = client.post("/service/tickets/2/tasks", json={"notes": "Replace the toner"})
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["ticketId"] == 2 and task["closedFlag"] is False and task["priority"] >= 1
    done = client.patch(f"/service/tickets/2/tasks/{task['id']}", json=[
        {"op": "replace", "path": "closedFlag", "value": True}]).json()
    assert done["closedFlag"] is True
    assert_error(client.post("/service/tickets/2/tasks", json={"notes": ""}), 400)
    assert client.delete(f"/service/tickets/2/tasks/{task['id']}").status_code == 204
    assert_error(client.get("/service/tickets/999999/tasks"), 404)


def test_attach_children(client: httpx.Client) -> None:
    parent = client.post("/service/tickets", json={"summary": "Outage", "company": {"id": 2}}).json()
    kids = [client.post("/service/tickets", json={"summary": f"User {i} down", "company": {"id": 2}}).json()
            for i in range(2)]
    r = client.post(f"/service/tickets/{parent['id']}/attachChildren",
                    json={"childTicketIds": [k["id"] for k in kids]})
    assert r.status_code == 200 and r.json() == {"success": True}
    assert client.get(f"/service/tickets/{parent['id']}").json()["hasChildTicket"] is True
    assert all(client.get(f"/service/tickets/{k['id']}").json()["parentTicketId"] == parent["id"] for k in kids)
    assert_error(client.post(f"/service/tickets/{parent['id']}/attachChildren", json={"childTicketIds": []}), 400)
    assert_error(client.post(f"/service/tickets/{parent['id']}/attachChildren",
                             json={"childTicketIds": [parent["id"]]}), 400)
    assert_error(client.post("/service/tickets/999999/attachChildren", json={"childTicketIds": [1]}), 404)


# 8. callbacks are validated -------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ({"url": "https://example.com/h", "type": "Gizmo", "level": "Owner", "objectId": 1}, "type"),
    ({"url": "https://example.com/h", "type": "Ticket", "level": "Planet", "objectId": 1}, "level"),
    ({"url": "https://example.com/h", "type": "Contact", "level": "Board", "objectId": 1}, "level"),
    ({"url": "ftp://example.com/h", "type": "Ticket", "level": "Owner", "objectId": 1}, "url"),
    ({"url": "not a url", "type": "Ticket", "level": "Owner", "objectId": 1}, "url"),
    ({"url": "https://example.com/h", "type": "Ticket", "level": "Owner", "objectId": 7}, "objectId"),
    ({"url": "https://example.com/h", "type": "Ticket", "level": "Owner"}, "objectId"),
])
def test_callbacks_are_validated(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    error = assert_error(client.post("/system/callbacks", json=body), 400)
    assert error["errors"] and error["errors"][0]["field"] == field


def test_valid_callbacks_are_accepted(client: httpx.Client) -> None:
    r = client.post("/system/callbacks", json={"url": "http://hooks.example.com/cw", "type": "ticket",
                                               "level": "board", "objectId": 1, "description": "Help Desk"})
    assert r.status_code == 201, r.text
    assert (r.json()["type"], r.json()["level"]) == ("Ticket", "Board")
    patched = client.patch(f"/system/callbacks/{r.json()['id']}", json=[{"op": "replace", "path": "level",
                                                                         "value": "Nope"}])
    assert_error(patched, 400)
    assert client.delete(f"/system/callbacks/{r.json()['id']}").status_code == 204
