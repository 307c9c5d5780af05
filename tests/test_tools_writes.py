"""The guarded write tools end to end: MCP client (in process) -> server -> guardrails -> ConnectWiseProvider ->
real loopback HTTP -> the sandbox. After each scenario ConnectWise is read back over plain HTTP (the notes,
the ticket, the article, the time entry) and the audit log is checked for the matching row."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp_types import ElicitResult, InputRequiredResult

from storage.audit import AuditEntry, AuditLog, AuditRow, AuditUnavailable
from guardrails.policy import Policy
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from writes_harness import Harness, Human, harness_for

pytestmark = pytest.mark.anyio

WRITE_TOOLS = {
    "add_ticket_note", "update_ticket_status", "create_kb_article", "log_time_entry", "create_ticket", "update_ticket"
}
NOTES = r"/service/tickets/\d+/notes$"
PROTOCOLS = ["auto", "legacy"]  # 2026-07-28 (input_required rounds) and 2025-11-25 (mid-call elicitation)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=100)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def settings(sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(sandbox.url)


@pytest.fixture(scope="module")
def open_ticket_ids(settings: ConnectWiseSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    return iter([t["id"] for t in harness_for(settings, tmp_path_factory.mktemp("h")).tickets()])


@pytest.fixture
def ticket_id(open_ticket_ids: Iterator[int]) -> int:
    """A ticket (open or closed) no other test writes to."""
    return next(open_ticket_ids)


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


def note_args(ticket_id: int, text: str = "Checked the VPN concentrator logs; tunnel rekey fails at 60 min.") -> dict[str, Any]:
    return {"ticket_id": ticket_id, "text": text}


# ---- elicit: accept, decline, cancel, confirm=false -----------------------------------------------------------


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_accept_writes_one_internal_note_with_a_readable_preview(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, mode: str
) -> None:
    before = h.notes(ticket_id)
    ticket = h.ticket(ticket_id)
    human = Human(["accept"])
    text = f"Internal analysis via {mode}:\nrekey timer mismatch (60 vs 480 min)."
    async with h.client(provider, Policy(), human, mode=mode) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id, text))
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out["status"] == "written" and out["confirmation"] == "accepted"

    # The human saw the exact write: ticket, board, type, visibility, the text verbatim; one boolean to answer.
    assert len(human.asked) == 1
    preview = human.asked[0]
    for needle in (f"#{ticket_id}", ticket["summary"][:40], ticket["board"]["name"], "internal_analysis",
                   "internal (members only)", text, f"POST /service/tickets/{ticket_id}/notes"):
        assert needle in preview, needle
    schema = human.schemas[0]
    assert schema["required"] == ["confirm"] and schema["properties"]["confirm"]["type"] == "boolean"
    assert list(schema["properties"]) == ["confirm"]

    after = h.notes(ticket_id)
    assert len(after) == len(before) + 1
    note = after[-1]
    assert note["id"] == out["created_id"] and note["text"] == text
    assert note["internalAnalysisFlag"] is True and note["internalFlag"] is True
    assert note["detailDescriptionFlag"] is False and note["resolutionFlag"] is False

    row = h.last_audit()
    assert (row.tool, row.outcome, row.confirmation, row.cw_id, row.ticket_id) == (
        "add_ticket_note", "written", "accepted", note["id"], ticket_id
    )
    assert row.payload["body"]["text"] == text and row.connection == "local"


@pytest.mark.parametrize(("answer", "confirmation"), [("decline", "declined"), ("cancel", "cancelled"), ("reject", "rejected")])
async def test_decline_cancel_or_confirm_false_writes_nothing(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, answer: str, confirmation: str
) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(), Human([answer])) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert not result.is_error
    out = result.structured_content
    assert out["status"] == "not_written" and out["confirmation"] == confirmation
    assert "Nothing was written" in out["message"]
    assert h.notes(ticket_id) == before
    row = h.last_audit()
    assert (row.outcome, row.confirmation, row.cw_id) == ("not_written", confirmation, None)


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_client_without_elicitation_gets_a_clear_error_and_nothing_is_written(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, mode: str
) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(), human=None, mode=mode) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.is_error
    assert "COPILOT_WRITE_MODE=two_step" in text_of(result) and "Nothing was written" in text_of(result)
    assert h.notes(ticket_id) == before
    row = h.last_audit()
    assert (row.outcome, row.confirmation) == ("not_written", "unsupported")


# ---- policy ---------------------------------------------------------------------------------------------------


async def test_read_only_hides_and_refuses_writes(h: Harness, provider: ConnectWiseProvider, ticket_id: int) -> None:
    before = h.notes(ticket_id)
    human = Human(["accept"])
    async with h.client(provider, Policy(write_mode="read_only"), human) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert not listed & (WRITE_TOOLS | {"confirm_write"})
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.is_error and "COPILOT_WRITE_MODE" in text_of(result) and "read_only" in text_of(result)
    assert human.asked == [] and h.notes(ticket_id) == before
    row = h.last_audit()
    assert (row.tool, row.outcome, row.ticket_id) == ("add_ticket_note", "denied", ticket_id)


async def test_tool_allowlist_denies_other_write_tools(h: Harness, provider: ConnectWiseProvider, ticket_id: int) -> None:
    status_before = h.ticket(ticket_id)["status"]
    policy = Policy(enabled_tools=frozenset({"get_ticket", "add_ticket_note"}))
    async with h.client(provider, policy, Human(["accept"])) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert listed == {"get_ticket", "add_ticket_note"}
        result = await client.call_tool("update_ticket_status", {"ticket_id": ticket_id, "status": "Closed"})
    assert result.is_error and "COPILOT_ENABLED_TOOLS" in text_of(result)
    assert h.ticket(ticket_id)["status"] == status_before
    row = h.last_audit()
    assert (row.tool, row.outcome) == ("update_ticket_status", "denied")


async def test_board_allowlist_denies_tickets_on_other_boards(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    before = h.notes(ticket_id)
    board = h.ticket(ticket_id)["board"]["name"]
    human = Human(["accept"])
    async with h.client(provider, Policy(write_boards=frozenset({"Some Other Board"})), human) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.is_error
    assert "COPILOT_WRITE_BOARDS" in text_of(result) and board in text_of(result)
    assert human.asked == [] and h.notes(ticket_id) == before
    row = h.last_audit()
    assert (row.outcome, row.ticket_id) == ("denied", ticket_id) and "COPILOT_WRITE_BOARDS" in (row.error or "")

    # The same board, named in any case, is allowed.
    async with h.client(provider, Policy(write_boards=frozenset({board.upper()})), Human(["accept"])) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.structured_content["status"] == "written"
    assert len(h.notes(ticket_id)) == len(before) + 1


# ---- re-check before writing ----------------------------------------------------------------------------------


async def test_ticket_changed_while_the_human_looked_is_not_written(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    """Mid-call elicitation (2025-11-25): the ticket changes between preview and answer; the write is refused."""
    before = h.notes(ticket_id)

    def change_then_accept() -> str:
        h.patch_ticket(ticket_id, summary="Changed by a colleague meanwhile")
        return "accept"

    async with h.client(provider, Policy(), Human([change_then_accept]), mode="legacy") as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.is_error and "changed since the preview" in text_of(result)
    assert "Changed by a colleague meanwhile" in text_of(result)
    assert h.notes(ticket_id) == before
    row = h.last_audit()
    assert (row.outcome, row.confirmation) == ("stale", "accepted")


async def test_ticket_changed_between_rounds_is_asked_again_with_the_new_state(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    """input_required rounds (2026-07-28): the plan is rebuilt each round, so an answer to a preview of the old
    ticket is not reused; the human is asked again about the current ticket."""
    before = h.notes(ticket_id)

    def change_then_accept() -> str:
        h.patch_ticket(ticket_id, summary="Renamed between rounds")
        return "accept"

    human = Human([change_then_accept, "decline"])
    async with h.client(provider, Policy(), human, mode="auto") as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert len(human.asked) == 2 and "Renamed between rounds" in human.asked[1]
    assert result.structured_content["status"] == "not_written"
    assert h.notes(ticket_id) == before
    assert h.last_audit().confirmation == "declined"


# ---- two_step -------------------------------------------------------------------------------------------------


async def _preview(client: Client, ticket_id: int, text: str = "Two-step note.") -> dict[str, Any]:
    result = await client.call_tool("add_ticket_note", note_args(ticket_id, text))
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out["status"] == "pending_confirmation" and out["token"] and text in out["preview"]
    return out


async def test_two_step_preview_then_confirm_writes_once(h: Harness, provider: ConnectWiseProvider, ticket_id: int) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(write_mode="two_step")) as client:  # no elicitation needed
        assert "confirm_write" in {t.name for t in (await client.list_tools()).tools}
        pending = await _preview(client, ticket_id)
        assert h.notes(ticket_id) == before
        assert h.last_audit().outcome == "pending"
        result = await client.call_tool("confirm_write", {"token": pending["token"]})
        assert result.structured_content["status"] == "written"
        replay = await client.call_tool("confirm_write", {"token": pending["token"]})
    assert replay.is_error and "already used" in text_of(replay)
    assert len(h.notes(ticket_id)) == len(before) + 1
    rows = h.audit.entries(limit=4)
    assert [(r.outcome, r.confirmation) for r in rows] == [
        ("refused", "token_replayed"), ("written", "token"), ("sending", "token"), ("pending", "token_issued")
    ]
    # One attempt: its later rows name the row that issued the token; the replay is an attempt of its own.
    assert [r.attempt for r in rows] == [None, rows[3].id, rows[3].id, None]


async def test_two_step_expired_token_is_refused(h: Harness, provider: ConnectWiseProvider, ticket_id: int) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(write_mode="two_step")) as client:
        pending = await _preview(client, ticket_id)
        h.clock.advance(601)
        result = await client.call_tool("confirm_write", {"token": pending["token"]})
    assert result.is_error and "expired" in text_of(result)
    assert h.notes(ticket_id) == before
    assert (h.last_audit().outcome, h.last_audit().confirmation) == ("refused", "token_expired")


@pytest.mark.parametrize("part", [1, 2, 3])  # expiry, payload hash, signature
async def test_two_step_altered_token_is_refused(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, part: int
) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(write_mode="two_step")) as client:
        pending = await _preview(client, ticket_id)
        other = await _preview(client, ticket_id, "A different note the user never approved.")
        pieces = pending["token"].split(".")
        if part == 1:
            pieces[1] = str(int(pieces[1]) + 3600)  # stretch the expiry
        else:
            pieces[part] = other["token"].split(".")[part]  # point it at the other payload
        result = await client.call_tool("confirm_write", {"token": ".".join(pieces)})
    assert result.is_error and "altered" in text_of(result) and "does not match the payload" in text_of(result)
    assert h.notes(ticket_id) == before
    assert (h.last_audit().outcome, h.last_audit().confirmation) == ("refused", "token_altered")


async def test_two_step_stale_ticket_is_refused(h: Harness, provider: ConnectWiseProvider, ticket_id: int) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(write_mode="two_step")) as client:
        pending = await _preview(client, ticket_id)
        h.patch_ticket(ticket_id, summary="Edited after the preview")
        result = await client.call_tool("confirm_write", {"token": pending["token"]})
    assert result.is_error and "changed since the preview" in text_of(result)
    assert h.notes(ticket_id) == before
    assert (h.last_audit().outcome, h.last_audit().confirmation) == ("stale", "token")


async def test_confirm_write_exists_only_in_two_step_mode(h: Harness, provider: ConnectWiseProvider) -> None:
    async with h.client(provider, Policy(), Human()) as client:
        assert "confirm_write" not in {t.name for t in (await client.list_tools()).tools}
        result = await client.call_tool("confirm_write", {"token": "x" * 20})
    assert result.is_error and "two_step" in text_of(result)


# ---- a POST that fails in flight is checked, never repeated --------------------------------------------------


async def test_connection_dropped_after_the_note_was_stored_reports_written_once(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, sandbox: Any
) -> None:
    before = h.notes(ticket_id)
    sandbox.faults.add(method="POST", path=NOTES, drop="after")
    posts = sandbox.requests.count("POST", NOTES)
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id, "Stored, but the answer was lost."))
    out = result.structured_content
    assert out["status"] == "written" and "not sent again" in out["message"]
    after = h.notes(ticket_id)
    assert len(after) == len(before) + 1 and after[-1]["id"] == out["created_id"]
    assert sandbox.requests.count("POST", NOTES) == posts + 1  # one POST: no retry
    row = h.last_audit()
    assert (row.outcome, row.cw_id) == ("written", out["created_id"])


async def test_connection_dropped_before_the_note_was_stored_reports_not_written(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, sandbox: Any
) -> None:
    before = h.notes(ticket_id)
    sandbox.faults.add(method="POST", path=NOTES, drop="before")
    posts = sandbox.requests.count("POST", NOTES)
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id, "Never reached ConnectWise."))
    out = result.structured_content
    assert out["status"] == "not_written" and "nothing was written" in out["message"]
    assert h.notes(ticket_id) == before
    assert sandbox.requests.count("POST", NOTES) == posts + 1
    row = h.last_audit()
    assert (row.outcome, row.cw_id) == ("not_written", None)


async def test_timed_out_post_is_reported_unknown_and_never_repeated(
    h: Harness, settings: ConnectWiseSettings, ticket_id: int, sandbox: Any
) -> None:
    """A read timeout leaves the request possibly still running at ConnectWise: the note is looked for, not
    found yet, and the result says 'unknown' (check later) rather than 'not written' (safe to retry)."""
    before = h.notes(ticket_id)
    sandbox.faults.add(method="POST", path=NOTES, latency=1.5)
    posts = sandbox.requests.count("POST", NOTES)
    async with ConnectWiseProvider.from_settings(settings.model_copy(update={"read_timeout": 0.5})) as slow:
        async with h.client(slow, Policy(), Human(["accept"])) as client:
            result = await client.call_tool("add_ticket_note", note_args(ticket_id, "Slow ConnectWise."))
    out = result.structured_content
    assert out["status"] == "unknown" and "not sent again" in out["message"]
    time.sleep(1.5)  # let the sandbox finish the delayed request (it drops it: the client has gone)
    assert sandbox.requests.count("POST", NOTES) == posts + 1
    assert h.notes(ticket_id) == before
    assert h.last_audit().outcome == "unknown"


# ---- the other write tools ------------------------------------------------------------------------------------


async def test_update_ticket_status_by_name_on_the_tickets_board(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    ticket = h.ticket(ticket_id)
    with h.http() as http:
        statuses = http.get(f"/service/boards/{ticket['board']['id']}/statuses", params={"pageSize": 100}).json()
    target = next(s for s in statuses if s["id"] != ticket["status"]["id"] and not s.get("inactive") and not s.get("closedStatus"))
    human = Human(["accept"])
    async with h.client(provider, Policy(), human) as client:
        result = await client.call_tool("update_ticket_status", {"ticket_id": ticket_id, "status": target["name"].upper()})
        assert result.structured_content["status"] == "written", text_of(result)
        assert f"{ticket['status']['name']} -> {target['name']}" in human.asked[0]
        assert h.ticket(ticket_id)["status"]["id"] == target["id"]
        assert (h.last_audit().outcome, h.last_audit().cw_id) == ("written", ticket_id)

        unknown = await client.call_tool("update_ticket_status", {"ticket_id": ticket_id, "status": "Teleported"})
    assert unknown.is_error and "Teleported" in text_of(unknown)
    assert all(s["name"] in text_of(unknown) for s in statuses if not s.get("inactive"))
    assert h.ticket(ticket_id)["status"]["id"] == target["id"]
    assert h.last_audit().outcome == "failed"


def _resolved_ticket_with_resolution_note(h: Harness) -> tuple[dict[str, Any], list[str]]:
    with h.http() as http:
        closed = http.get("/service/tickets", params={"conditions": "closedFlag = true", "pageSize": 200}).json()
        for ticket in closed:
            notes = http.get(f"/service/tickets/{ticket['id']}/notes", params={"pageSize": 1000}).json()
            resolutions = [n["text"].strip() for n in notes if n.get("resolutionFlag") and n.get("text", "").strip()]
            if resolutions:
                return ticket, resolutions
    raise AssertionError("the seed has no closed ticket with a resolution note")


async def test_create_kb_article_from_a_resolved_ticket_and_from_text(h: Harness, provider: ConnectWiseProvider) -> None:
    ticket, resolutions = _resolved_ticket_with_resolution_note(h)
    articles_before = h.count("/service/knowledgeBaseArticles")
    async with h.client(provider, Policy(), Human(["accept", "accept"])) as client:
        result = await client.call_tool("create_kb_article", {"ticket_id": ticket["id"]})
        out = result.structured_content
        assert out["status"] == "written", text_of(result)
        with h.http() as http:
            article = http.get(f"/service/knowledgeBaseArticles/{out['created_id']}").json()
        assert article["title"] == ticket["summary"].strip()
        assert all(r in article["resolution"] for r in resolutions)
        assert article["issue"]

        given = {"title": "Outlook prompts for password", "issue": "Prompts loop.", "resolution": "Reset the profile."}
        result = await client.call_tool("create_kb_article", given)
        assert result.structured_content["status"] == "written"

        missing = await client.call_tool("create_kb_article", {"title": "Only a title"})
        assert missing.is_error and "issue" in text_of(missing)
    assert h.count("/service/knowledgeBaseArticles") == articles_before + 2


async def test_create_kb_article_refuses_an_unresolved_ticket(h: Harness, provider: ConnectWiseProvider) -> None:
    unresolved = next(
        t["id"] for t in h.tickets("closedFlag = false") if not any(n.get("resolutionFlag") for n in h.notes(t["id"]))
    )
    human = Human(["accept"])
    async with h.client(provider, Policy(), human) as client:
        result = await client.call_tool("create_kb_article", {"ticket_id": unresolved})
    assert result.is_error and "not resolved" in text_of(result) and human.asked == []
    assert h.last_audit().outcome == "failed"


async def test_log_time_entry_by_hours_and_by_start_end(h: Harness, provider: ConnectWiseProvider, ticket_id: int) -> None:
    with h.http() as http:
        member = http.get("/system/members", params={"pageSize": 1}).json()[0]
    human = Human(["accept", "accept"])
    async with h.client(provider, Policy(), human) as client:
        result = await client.call_tool("log_time_entry", {"ticket_id": ticket_id, "hours": 1.5, "notes": "Rebuilt VPN profile."})
        out = result.structured_content
        assert out["status"] == "written", text_of(result)
        assert "1.50 h, ending when you confirm" in human.asked[0]
        with h.http() as http:
            entry = http.get(f"/time/entries/{out['created_id']}").json()
        assert entry["chargeToId"] == ticket_id and entry["actualHours"] == 1.5 and entry["notes"] == "Rebuilt VPN profile."

        result = await client.call_tool(
            "log_time_entry",
            {
                "ticket_id": ticket_id,
                "start": "2026-03-02T09:00:00Z",
                "end": "2026-03-02T09:45:00Z",
                "notes": "Remote session.",
                "member": member["identifier"],
                "billable": False,
            },
        )
        out = result.structured_content
        assert out["status"] == "written", text_of(result)
        with h.http() as http:
            entry = http.get(f"/time/entries/{out['created_id']}").json()
        assert entry["member"]["id"] == member["id"] and entry["billableOption"] == "DoNotBill"
        assert entry["actualHours"] == 0.75

        bad = await client.call_tool("log_time_entry", {"ticket_id": ticket_id, "notes": "No time given."})
        assert bad.is_error and "Give hours" in text_of(bad)
    assert h.last_audit().outcome == "failed"


# ---- the write tools' contract --------------------------------------------------------------------------------

WRITE_ARGS = {
    "add_ticket_note": ({"ticket_id", "text"}, {"note_type", "internal"}),
    "update_ticket_status": ({"ticket_id", "status"}, set()),
    "create_ticket": (
        {"board", "summary", "description", "company"},
        {"contact", "priority", "type", "subtype", "item", "configuration_ids"},
    ),
    "update_ticket": ({"ticket_id"}, {"summary", "priority", "owner", "board", "status", "type", "subtype", "item"}),
    "create_kb_article": (set(), {"ticket_id", "title", "issue", "resolution"}),
    "log_time_entry": ({"ticket_id", "notes"}, {"hours", "start", "end", "member", "billable"}),
    "confirm_write": ({"token"}, set()),
}


async def test_write_tool_arguments_and_annotations(h: Harness, provider: ConnectWiseProvider) -> None:
    """The resolved parameters (plan, confirmation) never appear in the schema: the model cannot supply them."""
    async with h.client(provider, Policy(write_mode="two_step")) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name, (required, optional) in WRITE_ARGS.items():
        schema = tools[name].input_schema
        assert set(schema.get("required", [])) == required, name
        assert set(schema["properties"]) == required | optional, name
        ann = tools[name].annotations
        assert ann is not None and ann.read_only_hint is False and ann.open_world_hint is True, name
        assert None not in (ann.destructive_hint, ann.idempotent_hint), name
        assert tools[name].output_schema["properties"]["status"]["enum"] == [
            "written", "not_written", "pending_confirmation", "unknown"
        ]
    assert tools["update_ticket_status"].annotations.destructive_hint is True
    assert tools["update_ticket"].annotations.destructive_hint is True and tools["update_ticket"].annotations.idempotent_hint
    create = tools["create_ticket"].annotations
    assert (create.destructive_hint, create.idempotent_hint) == (False, False)
    assert tools["add_ticket_note"].input_schema["properties"]["note_type"]["default"] == "internal_analysis"
    assert tools["add_ticket_note"].input_schema["properties"]["internal"]["default"] is True


# ---- consent is a JSON true, nothing else ---------------------------------------------------------------------


NOT_CONSENT = [
    pytest.param(ElicitResult(action="accept", content={"confirm": "true"}), "not the JSON boolean true", id="string"),
    pytest.param(ElicitResult(action="accept", content={"confirm": 1}), "not the JSON boolean true", id="number"),
    pytest.param(ElicitResult(action="accept", content={}), "without the confirm field", id="empty"),
    pytest.param(ElicitResult(action="accept"), "without the confirm field", id="no-content"),
    pytest.param(ElicitResult(action="accept", content={"confirm": True, "x": "y"}), "other than confirm", id="extra"),
]


@pytest.mark.parametrize("mode", PROTOCOLS)
@pytest.mark.parametrize(("answer", "reason"), NOT_CONSENT)
async def test_anything_but_a_boolean_true_writes_nothing_and_is_audited(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, mode: str, answer: ElicitResult, reason: str
) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(), Human([answer]), mode=mode) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert not result.is_error, text_of(result)
    out = result.structured_content
    assert out["status"] == "not_written" and out["confirmation"] == "invalid"
    assert reason in out["message"] and "Nothing was written" in out["message"]
    assert h.notes(ticket_id) == before
    asked, answered = reversed(h.audit.entries(limit=2))
    assert (asked.outcome, asked.confirmation) == ("pending", "asked")
    assert (answered.outcome, answered.confirmation, answered.attempt) == ("not_written", "invalid", asked.id)
    assert reason in (answered.error or "")


# ---- the audit row comes first --------------------------------------------------------------------------------


class FailingAudit(AuditLog):
    """An audit log whose disk fills up at a given outcome: rows before it are stored, that one is not."""

    def __init__(self, path: Path, fail_at: str) -> None:
        super().__init__(path)
        self.fail_at = fail_at

    def record(self, entry: AuditEntry) -> int:
        if entry.outcome == self.fail_at:
            raise AuditUnavailable(f"the audit log {self.path} cannot be written (database or disk is full)")
        return super().record(entry)


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_an_unwritable_audit_log_refuses_the_write_before_anyone_is_asked(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, tmp_path: Path, mode: str
) -> None:
    (tmp_path / "dir-not-db").mkdir()
    h.audit = AuditLog(tmp_path / "dir-not-db")  # sqlite cannot open a directory
    before = h.notes(ticket_id)
    human = Human(["accept"])
    async with h.client(provider, Policy(), human, mode=mode) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.is_error
    assert "audit log" in text_of(result) and "Nothing was sent to ConnectWise" in text_of(result)
    assert human.asked == [] and h.notes(ticket_id) == before


@pytest.mark.parametrize("mode", PROTOCOLS)
async def test_an_intent_row_that_cannot_be_stored_sends_nothing(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, tmp_path: Path, mode: str, sandbox: Any
) -> None:
    h.audit = FailingAudit(tmp_path / "audit.db", fail_at="sending")
    before = h.notes(ticket_id)
    human = Human(["accept"])
    sandbox.requests.clear()
    async with h.client(provider, Policy(), human, mode=mode) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.is_error and "Nothing was sent to ConnectWise" in text_of(result)
    assert len(human.asked) == 1 and h.notes(ticket_id) == before
    assert not [r for r in sandbox.requests.entries() if r.method == "POST"]
    assert [r.outcome for r in h.audit.entries()] == ["pending"]


async def test_a_write_leaves_its_intent_row_before_the_outcome(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    async with h.client(provider, Policy(), Human(["accept"])) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    assert result.structured_content["status"] == "written"
    asked, intent, done = reversed(h.audit.entries(limit=3))
    assert [(r.outcome, r.confirmation) for r in (asked, intent, done)] == [
        ("pending", "asked"), ("sending", "accepted"), ("written", "accepted")
    ]
    assert intent.attempt == done.attempt == asked.id and intent.cw_id is None
    assert done.cw_id == result.structured_content["created_id"]
    assert intent.payload == done.payload  # the intent row already holds the exact request


# ---- a human slower than the client or than the TTL -----------------------------------------------------------


async def test_a_client_that_gives_up_while_the_human_reads_leaves_an_audit_row(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(), Human([5.0]), mode="legacy") as client:
        with pytest.raises(MCPError):
            await client.call_tool("add_ticket_note", note_args(ticket_id), read_timeout_seconds=0.5)
        rows = await wait_for_rows(h, lambda rows: any(r.confirmation == "client_gone" for r in rows))
    gone = next(r for r in rows if r.confirmation == "client_gone")
    assert gone.outcome == "not_written" and "Nothing was written" in (gone.error or "")
    await anyio.sleep(5.5)  # the human's late yes reaches a server that no longer waits for it
    assert h.notes(ticket_id) == before
    assert not [r for r in h.audit.entries() if r.outcome in ("sending", "written")]


async def test_no_answer_within_the_ttl_is_a_no(h: Harness, provider: ConnectWiseProvider, ticket_id: int) -> None:
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(), Human([3.0]), mode="legacy", ttl_seconds=1) as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    out = result.structured_content
    assert (out["status"], out["confirmation"]) == ("not_written", "timeout")
    assert "No answer within 1 s" in out["message"] and "Nothing was written" in out["message"]
    assert h.notes(ticket_id) == before
    assert (h.last_audit().outcome, h.last_audit().confirmation) == ("not_written", "timeout")


async def test_an_answer_after_the_ttl_in_rounds_is_late_and_writes_nothing(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    before = h.notes(ticket_id)

    def read_for_eleven_minutes() -> str:
        h.clock.advance(660)
        return "accept"

    async with h.client(provider, Policy(), Human([read_for_eleven_minutes]), mode="auto") as client:
        result = await client.call_tool("add_ticket_note", note_args(ticket_id))
    out = result.structured_content
    assert (out["status"], out["confirmation"]) == ("not_written", "late")
    assert "Nothing was written" in out["message"] and "fresh preview" in out["message"]
    assert h.notes(ticket_id) == before
    asked, late = reversed(h.audit.entries(limit=2))
    assert (late.outcome, late.confirmation, late.attempt) == ("not_written", "late", asked.id)


async def test_a_replayed_answer_round_writes_nothing_more(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int
) -> None:
    """2026-07-28 rounds: a client that sends the same answer and request_state twice gets one write."""
    before = h.notes(ticket_id)
    async with h.client(provider, Policy(), Human(["accept"]), mode="auto") as client:
        first = await client.session.call_tool("add_ticket_note", note_args(ticket_id), allow_input_required=True)
        assert isinstance(first, InputRequiredResult) and first.request_state
        yes = {"confirm_write": ElicitResult(action="accept", content={"confirm": True})}
        results = [
            await client.session.call_tool(
                "add_ticket_note", note_args(ticket_id), input_responses=yes, request_state=first.request_state,
                allow_input_required=True,
            )
            for _ in range(2)
        ]
    assert results[0].structured_content["status"] == "written"
    assert results[1].structured_content["status"] == "not_written"
    assert "does not belong to a question this server asked" in results[1].structured_content["message"]
    assert len(h.notes(ticket_id)) == len(before) + 1


async def wait_for_rows(h: Harness, done: Any, timeout: float = 60) -> list[AuditRow]:
    """The audit rows once `done(rows)` holds; a server that never writes them fails here after `timeout`."""
    with anyio.move_on_after(timeout):
        while not done(rows := h.audit.entries()):
            await anyio.sleep(0.05)
        return rows
    raise AssertionError(f"audit rows never reached the expected state: {h.audit.entries()}")


async def test_progress_keeps_the_call_alive_while_the_human_reads(
    h: Harness, provider: ConnectWiseProvider, ticket_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mid-call elicitation: clients that reset their timeout on progress (the TypeScript SDK's
    resetTimeoutOnProgress) get a notification at every keepalive beat while the human reads."""
    from guardrails import consent

    monkeypatch.setattr(consent, "_KEEPALIVE_SECONDS", 0.05)
    beats: list[str | None] = []
    human_done = anyio.Event()

    async def slow_human_after_two_beats(_ctx: Any, params: Any) -> ElicitResult:
        with anyio.fail_after(60):
            while len(beats) < 2:
                await anyio.sleep(0.01)
        human_done.set()
        return ElicitResult(action="accept", content={"confirm": True})

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        beats.append(message)

    async with h.client(provider, Policy(), slow_human_after_two_beats, mode="legacy") as client:  # type: ignore[arg-type]
        result = await client.call_tool("add_ticket_note", note_args(ticket_id), progress_callback=on_progress)
    assert human_done.is_set() and result.structured_content["status"] == "written"
    assert beats[:2] == ["waiting for the user to confirm the write"] * 2
