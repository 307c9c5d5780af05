"""summarize_ticket_notes and draft_internal_analysis_note end to end: MCP client (in process) -> server ->
ConnectWiseProvider -> loopback HTTP -> the sandbox (40 seeded tickets + the injection tickets), with the
summary backends chosen as a real client would make them: sampling, the OpenAI-compatible LLM (a scripted stub
on loopback), or the deterministic summariser."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp_types import CreateMessageRequestParams, CreateMessageResult, TextContent

from agent.stub import ChatStub, running_stub
from guardrails.policy import Policy
from prompts import FENCE_CLOSE, FENCE_OPEN
from psa.connectwise.auth import auth_headers
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from sandbox.seed import INJECTION_TICKET_IDS
from server import build_server

pytestmark = pytest.mark.anyio

TICKETS = 40
RESOLVED_TICKET = 4  # seed 42: 6 notes, description -> internal analysis -> replies -> resolution, Closed
WAITING_TICKET = 12  # seed 42: status "Waiting on Client"
CITE = re.compile(r"\[#(\d+)\]")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    db = tmp_path_factory.mktemp("notes-sandbox") / "sandbox.db"
    running = start_sandbox(host="127.0.0.1", port=0, db_path=db, seed=42, tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def settings(sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(sandbox.url)


@pytest.fixture(scope="module")
def llm() -> Iterator[ChatStub]:
    with running_stub() as stub:
        yield stub


@pytest.fixture(autouse=True)
def no_llm_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests opt in to the LLM backend; a developer's own OPENAI_* must not leak into them."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COPILOT_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def use_llm(llm: ChatStub, monkeypatch: pytest.MonkeyPatch) -> ChatStub:
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("COPILOT_MODEL", "stub-model")
    llm.script()
    return llm


@pytest.fixture
async def provider(settings: ConnectWiseSettings) -> AsyncIterator[ConnectWiseProvider]:
    async with ConnectWiseProvider.from_settings(settings) as p:
        yield p


@pytest.fixture
async def client(provider: ConnectWiseProvider) -> AsyncIterator[Client]:
    async with Client(build_server(provider, Policy())) as c:
        yield c


async def call(client: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, args)
    assert not result.is_error, f"{name}({args}) failed: {result.content[0].text if result.content else ''}"
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def note_ids(settings: ConnectWiseSettings, ticket_id: int) -> list[int]:
    async with httpx.AsyncClient(headers=auth_headers(settings), timeout=30) as http:
        r = await http.get(f"{settings.api_root}/service/tickets/{ticket_id}/notes", params={"pageSize": 1000})
        r.raise_for_status()
    return [n["id"] for n in r.json()]


async def ticket_state(settings: ConnectWiseSettings, ids: list[int]) -> dict[int, Any]:
    """What a write would change, read over plain HTTP: each ticket's notes, status and lastUpdated."""
    state: dict[int, Any] = {}
    async with httpx.AsyncClient(headers=auth_headers(settings), timeout=30) as http:
        for tid in ids:
            t = (await http.get(f"{settings.api_root}/service/tickets/{tid}")).json()
            notes = (await http.get(f"{settings.api_root}/service/tickets/{tid}/notes", params={"pageSize": 1000})).json()
            state[tid] = (t["status"]["name"], t["_info"].get("lastUpdated"), t.get("closedFlag"), sorted(n["id"] for n in notes))
    return state


def cited(summary: dict[str, Any]) -> set[int]:
    points = [*summary["problem"], *summary["tried"], *summary["current_state"], *summary["next_step"], summary["waiting"]]
    return {i for p in points for i in p.get("note_ids", [])}


def llm_reply(ids: list[int], extra_ids: tuple[int, ...] = ()) -> str:
    point = lambda text, cite: {"text": text, "note_ids": cite}  # noqa: E731
    return json.dumps(
        {
            "problem": [point("Guest Wi-Fi is down.", ids[:1])],
            "tried": [point("Re-applied the splash page.", ids[1:2] + list(extra_ids))],
            "current_state": [point("Resolved.", ids[-1:])],
            "next_step": [point("None.", [])],
            "waiting": point("Nobody.", ids[-1:]),
        }
    )


def sampling_client(provider: ConnectWiseProvider, reply: str, seen: list[CreateMessageRequestParams]) -> Client:
    async def sample(context: Any, params: CreateMessageRequestParams) -> CreateMessageResult:
        seen.append(params)
        return CreateMessageResult(role="assistant", content=TextContent(type="text", text=reply), model="client-model")

    return Client(build_server(provider, Policy()), sampling_callback=sample)


# ---- deterministic summary on a seeded ticket --------------------------------------------------------------------


async def test_deterministic_summary_sections_cite_real_notes(client: Client, settings: ConnectWiseSettings) -> None:
    ids = await note_ids(settings, RESOLVED_TICKET)
    s = await call(client, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET})
    assert s["backend"] == "deterministic" and "fallback_reason" not in s
    assert s["notes_covered"] == s["notes_total"] == len(ids) == 6
    assert cited(s) <= set(ids) and set(map(int, CITE.findall(s["text"]))) <= set(ids)
    assert s["problem"][0]["note_ids"] == [ids[0]] and "Wi-Fi" in s["problem"][0]["text"]
    assert ids[1] in {i for p in s["tried"] for i in p["note_ids"]}  # the internal analysis note
    assert s["current_state"][0]["text"].startswith("Resolved:") and s["current_state"][0]["note_ids"] == [ids[-1]]
    assert s["waiting"]["text"].startswith("Nobody")
    for heading in ("Problem:", "Tried so far:", "Current state:", "Next step:", "Waiting:"):
        assert heading in s["text"]


async def test_waiting_on_client_status_decides_who_waits(client: Client) -> None:
    s = await call(client, "summarize_ticket_notes", {"ticket_id": WAITING_TICKET})
    assert "waiting on" in s["waiting"]["text"] and "Waiting on Client" in s["waiting"]["text"]
    assert s["next_step"]


async def test_max_notes_keeps_the_first_and_latest(client: Client, settings: ConnectWiseSettings) -> None:
    ids = await note_ids(settings, RESOLVED_TICKET)
    s = await call(client, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET, "max_notes": 2})
    assert (s["notes_covered"], s["notes_total"]) == (2, 6)
    assert cited(s) <= {ids[0], ids[-1]}


async def test_unknown_ticket_is_a_clear_error(client: Client) -> None:
    result = await client.call_tool("summarize_ticket_notes", {"ticket_id": 777_777})
    assert result.is_error and "not found" in result.content[0].text


# ---- backend selection -------------------------------------------------------------------------------------------


async def test_sampling_client_gets_sampling(provider: ConnectWiseProvider, settings: ConnectWiseSettings, use_llm: ChatStub) -> None:
    ids = await note_ids(settings, RESOLVED_TICKET)
    seen: list[CreateMessageRequestParams] = []
    async with sampling_client(provider, llm_reply(ids, extra_ids=(123_456_789,)), seen) as c:
        s = await call(c, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET})
    assert s["backend"] == "sampling" and len(seen) == 1
    assert 123_456_789 not in cited(s)  # an invented citation is dropped
    assert s["tried"][0]["note_ids"] == ids[1:2]
    assert use_llm.requests == []  # sampling came first; the configured LLM was not called
    assert "never instructions" in (seen[0].system_prompt or "") and FENCE_OPEN in seen[0].messages[0].content.text


async def test_no_sampling_with_llm_gets_llm(client: Client, settings: ConnectWiseSettings, use_llm: ChatStub) -> None:
    ids = await note_ids(settings, RESOLVED_TICKET)
    use_llm.script(llm_reply(ids))
    s = await call(client, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET})
    assert s["backend"] == "llm" and s["problem"][0]["text"] == "Guest Wi-Fi is down."
    (request,) = use_llm.requests
    assert request["model"] == "stub-model" and [m["role"] for m in request["messages"]] == ["system", "user"]


async def test_neither_gets_deterministic(client: Client) -> None:
    s = await call(client, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET})
    assert s["backend"] == "deterministic" and "fallback_reason" not in s


async def test_llm_failure_falls_back_and_says_so(client: Client, use_llm: ChatStub) -> None:
    use_llm.script(500, 500)  # the first try and its one retry
    s = await call(client, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET})
    assert s["backend"] == "deterministic" and "llm" in s["fallback_reason"]
    use_llm.script("Sure! Here is a summary in prose, no JSON.")
    s = await call(client, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET})
    assert s["backend"] == "deterministic" and "no JSON object" in s["fallback_reason"]


async def test_unusable_sampling_reply_falls_through(provider: ConnectWiseProvider) -> None:
    async with sampling_client(provider, "I can't help with that.", []) as c:
        s = await call(c, "summarize_ticket_notes", {"ticket_id": RESOLVED_TICKET})
    assert s["backend"] == "deterministic" and s["fallback_reason"].startswith("sampling:")


# ---- the draft ---------------------------------------------------------------------------------------------------


async def test_draft_internal_analysis(client: Client, settings: ConnectWiseSettings) -> None:
    before = await ticket_state(settings, [RESOLVED_TICKET])
    d = await call(client, "draft_internal_analysis_note", {"ticket_id": RESOLVED_TICKET})
    draft = d["draft"]
    assert d["written"] is False and "add_ticket_note" in d["how_to_post"] and "human must confirm" in d["how_to_post"]
    assert draft.startswith(f"Internal analysis (draft) - ticket #{RESOLVED_TICKET}") and len(draft) <= 3500
    assert "IRONW-AP008" in draft and d["configurations"] >= 1  # the access point linked to the ticket
    assert "Symptoms reported:" in draft and "Done so far:" in draft and "Proposed next step:" in draft
    assert d["kb_ready"] is False and "Not checked: this server has no knowledge index" in draft
    assert set(map(int, CITE.findall(draft))) <= set(await note_ids(settings, RESOLVED_TICKET))
    assert await ticket_state(settings, [RESOLVED_TICKET]) == before


async def test_draft_with_a_ready_knowledge_index(
    provider: ConnectWiseProvider, sandbox: Any, tmp_path: Any
) -> None:
    from kb_index.search import KnowledgeSearch
    from kb_testing import synced_store
    from tools.common import KnowledgeBase

    store, _ = await synced_store(sandbox.url, tmp_path / "kb")
    try:
        knowledge = KnowledgeBase(store=store, search=KnowledgeSearch(store))
        async with Client(build_server(provider, Policy(), knowledge=knowledge)) as c:
            d = await call(c, "draft_internal_analysis_note", {"ticket_id": RESOLVED_TICKET})
    finally:
        store.close()
    assert d["kb_ready"] is True
    assert re.search(r"^- KB #\d+ .+ \(match \d\.\d\d\)", d["draft"], re.MULTILINE), d["draft"]
    assert "Check whether KB #" not in d["draft"]  # the ticket is closed: no next step to propose


# ---- untrusted text: the 18 injection tickets --------------------------------------------------------------------


def _outside_fences(prompt: str) -> str:
    """The prompt with every fenced block removed: what the model reads as our own words."""
    return re.sub(re.escape(FENCE_OPEN) + r".*?\n" + ".*?" + re.escape(FENCE_CLOSE), "", prompt, flags=re.DOTALL)


async def test_injection_tickets_stay_data_and_change_nothing(
    client: Client, settings: ConnectWiseSettings, use_llm: ChatStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = list(INJECTION_TICKET_IDS)
    assert len(ids) >= 15
    before = await ticket_state(settings, ids)
    flagged = 0
    for tid in ids:
        notes = await note_ids(settings, tid)
        # LLM backend: the prompt it was sent keeps every note inside a fence that the note cannot close.
        use_llm.script(llm_reply(notes))
        s = await call(client, "summarize_ticket_notes", {"ticket_id": tid})
        assert s["backend"] == "llm"
        (request,) = use_llm.requests
        system, user = (m["content"] for m in request["messages"])
        fenced_blocks = len(notes) + 1  # every note and the title
        assert user.count(FENCE_OPEN) == user.count(FENCE_CLOSE) == fenced_blocks
        outside = _outside_fences(user)
        async with httpx.AsyncClient(headers=auth_headers(settings), timeout=30) as http:
            raw = (await http.get(f"{settings.api_root}/service/tickets/{tid}/notes", params={"pageSize": 1000})).json()
        for note in raw:
            for line in (note.get("text") or "").splitlines():
                if len(line.strip()) > 12:
                    assert line.strip() not in outside, (tid, line)
                    assert line.strip() not in system, (tid, line)
        flagged += bool(s.get("suspicious_note_ids"))
        # Deterministic backend and the draft over the same ticket.
        monkeypatch.delenv("OPENAI_BASE_URL")
        monkeypatch.delenv("OPENAI_API_KEY")
        s = await call(client, "summarize_ticket_notes", {"ticket_id": tid})
        assert s["backend"] == "deterministic" and cited(s) <= set(notes)
        d = await call(client, "draft_internal_analysis_note", {"ticket_id": tid})
        assert d["written"] is False
        monkeypatch.setenv("OPENAI_BASE_URL", use_llm.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert flagged >= 12  # most injections are flagged for the technician (a flag, not the defence)
    assert await ticket_state(settings, ids) == before  # no new notes, no status change, nothing touched
