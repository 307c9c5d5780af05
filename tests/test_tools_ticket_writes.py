"""create_ticket and update_ticket end to end: MCP client (in process) -> server -> guardrails ->
ConnectWiseProvider -> real loopback HTTP -> the sandbox. ConnectWise is read back over plain HTTP (the new
ticket, its notes and configurations, the updated fields) and the audit log is checked for the matching row."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrails.policy import Policy
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from writes_harness import Harness, Human, harness_for

pytestmark = pytest.mark.anyio

PROTOCOLS = ["auto", "legacy"]  # 2026-07-28 (input_required rounds) and 2025-11-25 (mid-call elicitation)
TICKETS = r"/service/tickets$"
TICKET = r"/service/tickets/\d+$"
_unique = itertools.count(1)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=60)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def settings(sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(sandbox.url)


@pytest.fixture
def h(settings: ConnectWiseSettings, tmp_path: Path, sandbox: Any) -> Iterator[Harness]:
    sandbox.faults.clear()
    yield harness_for(settings, tmp_path)
    sandbox.faults.clear()


@pytest.fixture
async def provider(settings: ConnectWiseSettings) -> AsyncIterator[ConnectWiseProvider]:
    async with ConnectWiseProvider.from_settings(settings) as p:
        yield p


def text_of(result: Any) -> str:
    return result.content[0].text if result.content else ""


def get(h: Harness, path: str, **params: Any) -> Any:
    with h.http() as http:
        response = http.get(path, params={"pageSize": 1000, **params})
        response.raise_for_status()
        return response.json()


def get_or_empty(h: Harness, path: str) -> list[dict[str, Any]]:
    """A board's subtypes / items: [] where the sandbox does not serve them (yet)."""
    with h.http() as http:
        response = http.get(path, params={"pageSize": 1000})
    return response.json() if response.status_code == 200 else []


def typed_board(h: Harness) -> dict[str, Any]:
    """An active board with at least one active type."""
    for board in get(h, "/service/boards", orderBy="id asc"):
        if not board.get("inactiveFlag") and active(get(h, f"/service/boards/{board['id']}/types")):
            return board
    raise AssertionError("no board with types in the seed")


def active(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if not r.get("inactiveFlag") and not r.get("inactive")]


def company_with_contact(h: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    for contact in get(h, "/company/contacts", orderBy="id asc"):
        if contact.get("company") and not contact.get("inactiveFlag") and contact.get("firstName"):
            company = get(h, f"/company/companies/{contact['company']['id']}")
            return company, contact
    raise AssertionError("no contact with a company in the seed")


def full_name(contact: dict[str, Any]) -> str:
    return " ".join(p for p in (contact.get("firstName"), contact.get("lastName")) if p)


def open_ticket(h: Harness, board: dict[str, Any] | None = None) -> dict[str, Any]:
    """An open ticket, not yet used by another test of this module (optionally on `board`)."""
    used = open_ticket.__dict__.setdefault("used", set())
    for t in h.tickets("closedFlag = false"):
        if t["id"] not in used and (board is None or t["board"]["id"] == board["id"]):
            used.add(t["id"])
            return t
    raise AssertionError("no unused open ticket")


def ticket_count(h: Harness) -> int:
    return h.count("/service/tickets")


# ---- create_ticket --------------------------------------------------------------------------------------------


def create_args(h: Harness, **overrides: Any) -> dict[str, Any]:
    board = typed_board(h)
    company, contact = company_with_contact(h)
    priority = get(h, "/service/priorities", orderBy="id asc")[-1]
    type_ = active(get(h, f"/service/boards/{board['id']}/types"))[0]
    args = {
        "board": board["name"],
        "summary": f"Printer on 2nd floor offline after firmware update #{next(_unique)}",
        "description": "Since this morning the HP M607 shows 'offline'.\nPower-cycled twice; no change.",
        "company": company["identifier"],
        "contact": full_name(contact),
        "priority": priority["name"],
        "type": type_["name"],
    }
    return {**args, **overrides}


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_create_ticket_accept_writes_exactly_what_the_preview_showed(
    h: Harness, provider: ConnectWiseProvider, mode: str
) -> None:
    args = create_args(h)
    board = typed_board(h)
    company, contact = company_with_contact(h)
    human = Human(["accept"])
    async with h.client(provider, Policy(), human, mode=mode) as client:
        result = await client.call_tool("create_ticket", args)
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out["status"] == "written" and out["confirmation"] == "accepted"
    new_id = out["created_id"]
    assert isinstance(new_id, int)

    # The human saw every field that is set and the exact request.
    assert len(human.asked) == 1
    preview = human.asked[0]
    for needle in (board["name"], company["name"], company["identifier"], full_name(contact), args["priority"],
                   args["type"], args["summary"], args["description"], "POST /service/tickets", '"initialDescription"'):
        assert needle in preview, needle

    ticket = h.ticket(new_id)
    assert ticket["summary"] == args["summary"]
    assert ticket["board"]["id"] == board["id"]
    assert ticket["company"]["id"] == company["id"]
    assert ticket["contact"]["id"] == contact["id"]
    assert ticket["priority"]["name"] == args["priority"]
    assert ticket["type"]["name"] == args["type"]
    # The description is the ticket's description note.
    notes = h.notes(new_id)
    assert [n["text"] for n in notes if n.get("detailDescriptionFlag")] == [args["description"]]

    row = h.last_audit()
    assert (row.tool, row.outcome, row.confirmation, row.cw_id, row.ticket_id) == (
        "create_ticket", "written", "accepted", new_id, None
    )
    assert row.payload["request"] == "POST /service/tickets"
    body = row.payload["body"]
    assert body["initialDescription"] == args["description"] and body["summary"] == args["summary"]
    assert body["board"] == {"id": board["id"]} and body["company"] == {"id": company["id"]}
    assert body["contact"] == {"id": contact["id"]}


@pytest.mark.parametrize("answer", ["decline", "cancel", "reject"])
async def test_create_ticket_not_confirmed_creates_nothing(h: Harness, provider: ConnectWiseProvider, answer: str) -> None:
    before = ticket_count(h)
    async with h.client(provider, Policy(), Human([answer])) as client:
        result = await client.call_tool("create_ticket", create_args(h))
    assert not result.is_error
    out = result.structured_content
    assert out["status"] == "not_written" and "Nothing was written" in out["message"]
    assert ticket_count(h) == before
    row = h.last_audit()
    assert (row.tool, row.outcome, row.cw_id) == ("create_ticket", "not_written", None)
    assert row.payload["request"] == "POST /service/tickets"


@pytest.mark.parametrize(
    ("field", "listing"),
    [
        ("board", "/service/boards"),
        ("priority", "/service/priorities"),
        ("type", "types"),
        ("contact", "contacts"),
        ("company", None),
    ],
)
async def test_create_ticket_bad_name_lists_the_valid_ones_and_writes_nothing(
    h: Harness, provider: ConnectWiseProvider, field: str, listing: str | None
) -> None:
    args = create_args(h, **{field: "Zz No Such Thing"})
    board = typed_board(h)
    company, contact = company_with_contact(h)
    valid = {
        "board": board["name"],
        "priority": get(h, "/service/priorities")[0]["name"],
        "type": active(get(h, f"/service/boards/{board['id']}/types"))[0]["name"],
        "contact": full_name(contact),
    }
    before = ticket_count(h)
    human = Human(["accept"])
    async with h.client(provider, Policy(), human) as client:
        result = await client.call_tool("create_ticket", args)
    assert result.is_error
    message = text_of(result)
    assert "'Zz No Such Thing'" in message and "Nothing was written" in message
    if field in valid:
        assert valid[field] in message, message
    assert human.asked == []  # refused before anyone was asked
    assert ticket_count(h) == before
    row = h.last_audit()
    assert (row.tool, row.outcome, row.cw_id) == ("create_ticket", "failed", None)
    assert "Zz No Such Thing" in (row.error or "")


async def test_create_ticket_bad_subtype_lists_the_boards_subtypes(h: Harness, provider: ConnectWiseProvider) -> None:
    board = typed_board(h)
    subtypes = active(get_or_empty(h, f"/service/boards/{board['id']}/subtypes"))
    if not subtypes:
        pytest.skip("the sandbox does not serve /service/boards/{id}/subtypes yet")
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("create_ticket", create_args(h, subtype="Zz No Such Thing"))
    assert result.is_error and subtypes[0]["name"] in text_of(result) and "Nothing was written" in text_of(result)


async def test_create_ticket_with_subtype_item_and_configurations(h: Harness, provider: ConnectWiseProvider) -> None:
    board = typed_board(h)
    company, _ = company_with_contact(h)
    configs = get(h, "/company/configurations", conditions=f"company/id = {company['id']}")[:2]
    extra: dict[str, Any] = {"configuration_ids": [c["id"] for c in configs]}
    subtypes = active(get_or_empty(h, f"/service/boards/{board['id']}/subtypes"))
    items = active(get_or_empty(h, f"/service/boards/{board['id']}/items"))
    if subtypes:
        extra["subtype"] = subtypes[0]["name"]
    if items:
        extra["item"] = items[0]["name"]
    human = Human(["accept"])
    async with h.client(provider, Policy(), human) as client:
        result = await client.call_tool("create_ticket", create_args(h, **extra))
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out["status"] == "written", out
    new_id = out["created_id"]
    attached = get(h, f"/service/tickets/{new_id}/configurations")
    assert sorted(c["id"] for c in attached) == sorted(extra["configuration_ids"])
    for c in configs:
        assert f"#{c['id']}" in human.asked[0]
    ticket = h.ticket(new_id)
    if subtypes:
        assert ticket["subType"]["id"] == subtypes[0]["id"]
    if items:
        assert ticket["item"]["id"] == items[0]["id"]
    row = h.last_audit()
    assert row.outcome == "written" and len(row.payload["then"]) == len(configs)


async def test_create_ticket_refuses_a_configuration_of_another_company(h: Harness, provider: ConnectWiseProvider) -> None:
    company, _ = company_with_contact(h)
    other = next(c for c in get(h, "/company/configurations") if c.get("company") and c["company"]["id"] != company["id"])
    before = ticket_count(h)
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("create_ticket", create_args(h, configuration_ids=[other["id"]]))
    assert result.is_error and f"#{other['id']}" in text_of(result) and "Nothing was written" in text_of(result)
    assert ticket_count(h) == before


async def test_create_ticket_outside_the_board_allowlist_is_denied(h: Harness, provider: ConnectWiseProvider) -> None:
    before = ticket_count(h)
    policy = Policy(write_boards=frozenset({"Some Other Board"}))
    async with h.client(provider, policy, Human(["accept"])) as client:
        result = await client.call_tool("create_ticket", create_args(h))
    assert result.is_error and "COPILOT_WRITE_BOARDS" in text_of(result)
    assert ticket_count(h) == before
    assert (h.last_audit().tool, h.last_audit().outcome) == ("create_ticket", "denied")


async def test_create_ticket_dropped_answer_is_found_not_resent(
    h: Harness, provider: ConnectWiseProvider, sandbox: Any
) -> None:
    args = create_args(h)
    before = ticket_count(h)
    sandbox.faults.add(method="POST", path=TICKETS, drop="after")
    posts = sandbox.requests.count("POST", TICKETS)
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("create_ticket", args)
    out = result.structured_content
    assert out["status"] == "written" and "not sent again" in out["message"], out
    assert ticket_count(h) == before + 1
    assert h.ticket(out["created_id"])["summary"] == args["summary"]
    assert sandbox.requests.count("POST", TICKETS) == posts + 1  # one POST: no retry
    assert (h.last_audit().outcome, h.last_audit().cw_id) == ("written", out["created_id"])


async def test_create_ticket_dropped_before_storing_is_not_written(
    h: Harness, provider: ConnectWiseProvider, sandbox: Any
) -> None:
    before = ticket_count(h)
    sandbox.faults.add(method="POST", path=TICKETS, drop="before")
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("create_ticket", create_args(h))
    out = result.structured_content
    assert out["status"] == "not_written" and "nothing was written" in out["message"], out
    assert ticket_count(h) == before
    assert h.last_audit().outcome == "not_written"


async def test_create_ticket_two_step_then_confirm(h: Harness, provider: ConnectWiseProvider) -> None:
    args = create_args(h)
    async with h.client(provider, Policy(write_mode="two_step")) as client:
        pending = (await client.call_tool("create_ticket", args)).structured_content
        assert pending["status"] == "pending_confirmation" and args["description"] in pending["preview"]
        done = (await client.call_tool("confirm_write", {"token": pending["token"]})).structured_content
    assert done["status"] == "written" and h.ticket(done["created_id"])["summary"] == args["summary"]


# ---- update_ticket --------------------------------------------------------------------------------------------


def other_than(rows: list[dict[str, Any]], current: dict[str, Any] | None) -> dict[str, Any]:
    current_id = (current or {}).get("id")
    return next(r for r in rows if r["id"] != current_id)


def members(h: Harness) -> list[dict[str, Any]]:
    return [m for m in get(h, "/system/members", orderBy="id asc") if not m.get("inactiveFlag")]


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_update_ticket_accept_changes_only_the_given_fields(
    h: Harness, provider: ConnectWiseProvider, mode: str
) -> None:
    board = typed_board(h)
    ticket = open_ticket(h, board)
    priority = other_than(get(h, "/service/priorities"), ticket.get("priority"))
    owner = other_than(members(h), ticket.get("owner"))
    type_ = other_than(active(get(h, f"/service/boards/{board['id']}/types")) + [{"id": -1}], ticket.get("type"))
    summary = f"{ticket['summary'][:60]} (updated {mode})"
    args = {"ticket_id": ticket["id"], "summary": summary, "priority": priority["name"], "owner": owner["identifier"]}
    if type_["id"] != -1:
        args["type"] = type_["name"]
    human = Human(["accept"])
    async with h.client(provider, Policy(), human, mode=mode) as client:
        result = await client.call_tool("update_ticket", args)
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out["status"] == "written" and out["ticket_id"] == ticket["id"]

    preview = human.asked[0]
    old_priority = (ticket.get("priority") or {}).get("name") or "(none)"
    assert f"{ticket['summary']} -> {summary}" in preview
    assert f"{old_priority} -> {priority['name']}" in preview
    assert f"-> {owner['identifier']}" in preview and f"PATCH /service/tickets/{ticket['id']}" in preview

    after = h.ticket(ticket["id"])
    assert after["summary"] == summary
    assert after["priority"]["id"] == priority["id"] and after["owner"]["id"] == owner["id"]
    if "type" in args:
        assert after["type"]["id"] == type_["id"]
    # Nothing else moved.
    for key in ("board", "status", "company", "contact"):
        assert (after.get(key) or {}).get("id") == (ticket.get(key) or {}).get("id"), key

    row = h.last_audit()
    assert (row.tool, row.outcome, row.confirmation, row.ticket_id) == ("update_ticket", "written", "accepted", ticket["id"])
    ops = {op["path"]: op["value"] for op in row.payload["body"]}
    assert ops["summary"] == summary and ops["priority"] == {"id": priority["id"]} and ops["owner"] == {"id": owner["id"]}
    assert set(ops) == {"summary", "priority", "owner"} | ({"type"} if "type" in args else set())


async def test_update_ticket_decline_changes_nothing(h: Harness, provider: ConnectWiseProvider) -> None:
    ticket = open_ticket(h)
    before = h.ticket(ticket["id"])
    async with h.client(provider, Policy(), Human(["decline"])) as client:
        result = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], "summary": "Should not appear"})
    out = result.structured_content
    assert out["status"] == "not_written" and "Nothing was written" in out["message"]
    assert h.ticket(ticket["id"]) == before
    row = h.last_audit()
    assert (row.tool, row.outcome, row.confirmation) == ("update_ticket", "not_written", "declined")
    assert row.payload["body"] == [{"op": "replace", "path": "summary", "value": "Should not appear"}]


async def test_update_ticket_board_move_needs_a_status_of_the_new_board(h: Harness, provider: ConnectWiseProvider) -> None:
    ticket = open_ticket(h)
    boards = [b for b in get(h, "/service/boards") if not b.get("inactiveFlag")]
    new_board = other_than(boards, ticket["board"])
    statuses = [s for s in get(h, f"/service/boards/{new_board['id']}/statuses") if not s.get("inactive")]
    before = h.ticket(ticket["id"])
    human = Human(["accept"])
    async with h.client(provider, Policy(), human) as client:
        missing = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], "board": new_board["name"]})
        wrong = await client.call_tool(
            "update_ticket", {"ticket_id": ticket["id"], "board": new_board["name"], "status": "Zz No Such Status"}
        )
        assert missing.is_error and wrong.is_error
        for result in (missing, wrong):
            assert statuses[0]["name"] in text_of(result) and "Nothing was written" in text_of(result)
        assert human.asked == [] and h.ticket(ticket["id"]) == before

        target = next(s for s in statuses if not s.get("closedStatus"))
        moved = await client.call_tool(
            "update_ticket", {"ticket_id": ticket["id"], "board": new_board["name"], "status": target["name"]}
        )
    assert not moved.is_error, text_of(moved)
    assert f"{ticket['board']['name']} -> {new_board['name']}" in human.asked[0]
    assert f"-> {target['name']}" in human.asked[0]
    after = h.ticket(ticket["id"])
    assert after["board"]["id"] == new_board["id"] and after["status"]["id"] == target["id"]


async def test_update_ticket_allowlist_covers_the_new_board(h: Harness, provider: ConnectWiseProvider) -> None:
    ticket = open_ticket(h)
    boards = [b for b in get(h, "/service/boards") if not b.get("inactiveFlag")]
    new_board = other_than(boards, ticket["board"])
    status = get(h, f"/service/boards/{new_board['id']}/statuses")[0]
    policy = Policy(write_boards=frozenset({ticket["board"]["name"]}))
    before = h.ticket(ticket["id"])
    async with h.client(provider, policy, Human(["accept"])) as client:
        result = await client.call_tool(
            "update_ticket", {"ticket_id": ticket["id"], "board": new_board["name"], "status": status["name"]}
        )
    assert result.is_error and "COPILOT_WRITE_BOARDS" in text_of(result) and new_board["name"] in text_of(result)
    assert h.ticket(ticket["id"]) == before
    assert (h.last_audit().tool, h.last_audit().outcome) == ("update_ticket", "denied")


@pytest.mark.parametrize(("field", "listing"), [("priority", "/service/priorities"), ("status", "statuses"), ("type", "types")])
async def test_update_ticket_bad_name_lists_the_valid_ones(
    h: Harness, provider: ConnectWiseProvider, field: str, listing: str
) -> None:
    board = typed_board(h)
    ticket = open_ticket(h, board)
    path = listing if listing.startswith("/") else f"/service/boards/{board['id']}/{listing}"
    valid = [r["name"] for r in get(h, path)]
    before = h.ticket(ticket["id"])
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], field: "Zz Nope"})
    assert result.is_error and "'Zz Nope'" in text_of(result) and valid[0] in text_of(result)
    assert h.ticket(ticket["id"]) == before
    assert (h.last_audit().tool, h.last_audit().outcome) == ("update_ticket", "failed")


async def test_update_ticket_owner_me_is_copilot_member(
    h: Harness, provider: ConnectWiseProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = open_ticket(h)
    me = other_than(members(h), ticket.get("owner"))
    monkeypatch.setenv("COPILOT_MEMBER", me["identifier"])
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], "owner": "me"})
    assert not result.is_error, text_of(result)
    assert h.ticket(ticket["id"])["owner"]["id"] == me["id"]
    monkeypatch.delenv("COPILOT_MEMBER")
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], "owner": "me"})
    assert result.is_error and "COPILOT_MEMBER" in text_of(result)


async def test_update_ticket_nothing_to_change_is_refused(h: Harness, provider: ConnectWiseProvider) -> None:
    ticket = open_ticket(h)
    human = Human(["accept"])
    async with h.client(provider, Policy(), human) as client:
        empty = await client.call_tool("update_ticket", {"ticket_id": ticket["id"]})
        same = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], "summary": ticket["summary"]})
    for result in (empty, same):
        assert result.is_error and "nothing to change" in text_of(result)
    assert human.asked == []
    assert (h.last_audit().tool, h.last_audit().outcome) == ("update_ticket", "not_written")


async def test_update_ticket_dropped_answer_is_checked_not_resent(
    h: Harness, provider: ConnectWiseProvider, sandbox: Any
) -> None:
    ticket = open_ticket(h)
    sandbox.faults.add(method="PATCH", path=TICKET, drop="after")
    patches = sandbox.requests.count("PATCH", TICKET)
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], "summary": "Landed, answer lost"})
    out = result.structured_content
    assert out["status"] == "written" and "not sent again" in out["message"], out
    assert h.ticket(ticket["id"])["summary"] == "Landed, answer lost"
    assert sandbox.requests.count("PATCH", TICKET) == patches + 1


async def test_update_ticket_stale_ticket_is_refused(h: Harness, provider: ConnectWiseProvider) -> None:
    """Mid-call elicitation: the ticket changes while the human reads the preview; the re-check refuses."""
    ticket = open_ticket(h)
    human = Human([lambda: h.patch_ticket(ticket["id"], summary="Changed meanwhile") or "accept"])
    async with h.client(provider, Policy(), human, mode="legacy") as client:
        result = await client.call_tool("update_ticket", {"ticket_id": ticket["id"], "summary": "Mine"})
    assert result.is_error and "changed since the preview" in text_of(result)
    assert h.ticket(ticket["id"])["summary"] == "Changed meanwhile"
    assert h.last_audit().outcome == "stale"
