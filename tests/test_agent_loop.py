"""The agent end to end: scripted model (agent/stub.py over loopback HTTP, streamed) -> Agent -> MCP client ->
our server in process -> guardrails -> ConnectWiseProvider -> loopback HTTP -> the sandbox (40 tickets). Writes
are read back from the sandbox over plain HTTP, never through the code under test."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from agent.loop import AgentEvent, TextDelta, ToolCallFinished, ToolCallStarted, default_system_prompt
from agent.stub import Assistant, ChatStub, ToolCall, last_tool_result, running_stub
from agent_testing import TICKETS, ScriptedHuman, agent_over
from prompts import FENCE_CLOSE, FENCE_OPEN
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from writes_harness import Harness, harness_for

pytestmark = pytest.mark.anyio

NOTE = "Agent test: rebooted the VPN concentrator; tunnels re-established at 10:42."


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def settings(sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(sandbox.url)


@pytest.fixture(scope="module")
def stub_server() -> Iterator[ChatStub]:
    with running_stub() as stub:
        yield stub


@pytest.fixture
def stub(stub_server: ChatStub) -> ChatStub:
    stub_server.script()
    return stub_server


@pytest.fixture(scope="module")
def ticket_ids(settings: ConnectWiseSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    return iter([t["id"] for t in harness_for(settings, tmp_path_factory.mktemp("h")).tickets()])


@pytest.fixture
def ticket_id(ticket_ids: Iterator[int]) -> int:
    """A ticket no other test writes to."""
    return next(ticket_ids)


@pytest.fixture
def h(settings: ConnectWiseSettings, tmp_path: Path) -> Harness:
    return harness_for(settings, tmp_path)


@pytest.fixture
async def provider(settings: ConnectWiseSettings) -> AsyncIterator[ConnectWiseProvider]:
    async with ConnectWiseProvider.from_settings(settings) as p:
        yield p


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "tool"]


# ---- writes: the human decides -----------------------------------------------------------------------------------


async def test_confirmed_write_lands_exactly_once(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, ticket_id: int
) -> None:
    before = len(h.notes(ticket_id))
    human = ScriptedHuman(answers=[True])
    stub.script(
        [ToolCall("add_ticket_note", {"ticket_id": ticket_id, "text": NOTE})],
        lambda request: f"Posted. Tool said: {json.loads(_unfenced(last_tool_result(request)))['status']}",
    )
    async with agent_over(provider, h, stub, human) as agent:
        result = await agent.run_turn(f"Add an internal note to #{ticket_id}: {NOTE}")

    assert result.stopped == "answer" and result.answer == "Posted. Tool said: written"
    assert [(c.name, c.is_error) for c in result.tool_calls] == [("add_ticket_note", False)]
    notes = h.notes(ticket_id)
    assert len(notes) == before + 1
    assert [n["text"] for n in notes].count(NOTE) == 1
    # The human saw the server's exact preview, with the note text, and a one-boolean form.
    (preview,) = human.previews
    assert "Nothing is written unless you confirm" in preview and NOTE in preview and f"#{ticket_id}" in preview
    assert set(human.schemas[0]["properties"]) == {"confirm"}
    assert h.last_audit().tool == "add_ticket_note"
    assert stub.remaining == 0


async def test_declined_write_lands_nowhere(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, ticket_id: int
) -> None:
    before = h.notes(ticket_id)
    human = ScriptedHuman(answers=[False])
    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket_id, "text": NOTE})], "Nothing was posted.")
    async with agent_over(provider, h, stub, human) as agent:
        result = await agent.run_turn(f"Add a note to #{ticket_id}")

    assert result.stopped == "answer"
    assert len(human.previews) == 1
    assert h.notes(ticket_id) == before
    # The model is told the outcome, fenced, and that nothing was written.
    seen = tool_messages(stub.requests[1])[0]["content"]
    outcome = json.loads(_unfenced(seen))
    assert outcome["status"] == "not_written"


async def test_model_cannot_confirm_and_never_sees_confirm_write(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, ticket_id: int
) -> None:
    before = h.notes(ticket_id)
    stub.script([ToolCall("confirm_write", {"token": "x"})], "ok")
    async with agent_over(provider, h, stub, ScriptedHuman()) as agent:
        result = await agent.run_turn("confirm it")
    offered = {t["function"]["name"] for t in stub.requests[0]["tools"]}
    assert "confirm_write" not in offered and "add_ticket_note" in offered
    assert result.tool_calls[0].is_error
    assert "no tool named 'confirm_write'" in tool_messages(stub.requests[1])[0]["content"]
    assert h.notes(ticket_id) == before


# ---- errors, limits ----------------------------------------------------------------------------------------------


async def test_tool_error_is_shown_to_the_model_and_it_recovers(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, ticket_id: int
) -> None:
    def recover(request: dict[str, Any]) -> Any:
        # React to the conversation: the error must be what the model sees.
        assert "was not found" in (last_tool_result(request) or "")
        return [ToolCall("get_ticket", {"ticket_id": ticket_id})]

    stub.script([ToolCall("get_ticket", {"ticket_id": 999999})], recover, "Found it on the second try.")
    async with agent_over(provider, h, stub, ScriptedHuman()) as agent:
        result = await agent.run_turn("Show me ticket 999999")

    assert result.stopped == "answer" and result.answer == "Found it on the second try."
    assert [(c.name, c.is_error) for c in result.tool_calls] == [("get_ticket", True), ("get_ticket", False)]
    error_message = tool_messages(stub.requests[1])[0]["content"]
    assert error_message.startswith("ERROR from get_ticket") and FENCE_OPEN in error_message
    assert json.loads(_unfenced(tool_messages(stub.requests[2])[1]["content"]))["id"] == ticket_id
    assert result.steps == 3


async def test_invalid_arguments_are_an_error_the_model_sees(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub
) -> None:
    stub.script([ToolCall("get_ticket", '{"ticket_id": 4')], "Sorry.")
    async with agent_over(provider, h, stub, ScriptedHuman()) as agent:
        result = await agent.run_turn("ticket 4")
    assert result.tool_calls[0].is_error
    assert "not valid JSON" in tool_messages(stub.requests[1])[0]["content"]


async def test_step_limit_stops_a_looping_model(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, ticket_id: int
) -> None:
    looping = ToolCall("get_ticket", {"ticket_id": ticket_id})
    stub.script(*[[looping]] * 3)
    before = h.notes(ticket_id)
    async with agent_over(provider, h, stub, ScriptedHuman(), max_steps=3) as agent:
        result = await agent.run_turn("loop forever")
        assert result.stopped == "step_limit" and result.steps == 3
        assert "step limit of 3" in result.answer
        # Calls from the last step are answered "not run", not executed.
        assert len(result.tool_calls) == 2
        assert agent.messages[-1]["content"].startswith("Not run: the step limit")
        # The conversation stays valid: the next turn works.
        stub.script("Back to normal.")
        again = await agent.run_turn("hello?")
    assert again.stopped == "answer" and again.answer == "Back to normal."
    assert h.notes(ticket_id) == before


async def test_model_http_error_ends_the_turn_with_an_error(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub
) -> None:
    stub.script(503)
    async with agent_over(provider, h, stub, ScriptedHuman()) as agent:
        result = await agent.run_turn("hi")
    assert result.stopped == "error" and result.error and "503" in result.error


async def test_hung_tool_times_out_and_the_model_is_told(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, sandbox: Any, ticket_id: int
) -> None:
    sandbox.faults.add(method="GET", path=rf"/service/tickets/{ticket_id}$", latency=2.0)
    stub.script([ToolCall("get_ticket", {"ticket_id": ticket_id})], "The PSA is slow right now.")
    try:
        async with agent_over(provider, h, stub, ScriptedHuman(), tool_timeout_s=0.3) as agent:
            result = await agent.run_turn("ticket?")
    finally:
        sandbox.faults.clear()
    assert result.stopped == "answer" and result.tool_calls[0].is_error
    assert "did not answer within 0.3 seconds" in tool_messages(stub.requests[1])[0]["content"]


async def test_time_a_human_takes_to_confirm_does_not_count_against_the_tool(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, ticket_id: int
) -> None:
    class SlowHuman(ScriptedHuman):
        async def __call__(self, message: str, schema: dict[str, Any]) -> bool:
            await anyio.sleep(0.8)
            return await super().__call__(message, schema)

    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket_id, "text": NOTE})], "Posted.")
    async with agent_over(provider, h, stub, SlowHuman(answers=[True]), tool_timeout_s=0.5) as agent:
        result = await agent.run_turn("post it")
    assert [c.is_error for c in result.tool_calls] == [False]
    assert [n["text"] for n in h.notes(ticket_id)].count(NOTE) == 1


# ---- streaming, usage, fencing, history --------------------------------------------------------------------------


async def test_streaming_assembles_split_deltas_and_reports_usage(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub, ticket_id: int
) -> None:
    stub.chunk_chars = 3  # every argument string arrives in many pieces
    try:
        stub.script(
            Assistant(
                content="Looking both up.",
                tool_calls=[
                    ToolCall("get_ticket", {"ticket_id": ticket_id}),
                    ToolCall("search_tickets", {"text": "vpn", "page_size": 5}),
                ],
            ),
            "Here is what I found about the VPN tickets.",
        )
        events: list[AgentEvent] = []
        async with agent_over(provider, h, stub, ScriptedHuman()) as agent:
            result = await agent.run_turn("vpn?", on_event=events.append)
    finally:
        stub.chunk_chars = 7

    assert [(c.name, c.arguments, c.is_error) for c in result.tool_calls] == [
        ("get_ticket", {"ticket_id": ticket_id}, False),
        ("search_tickets", {"text": "vpn", "page_size": 5}, False),
    ]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Looking both up.Here is what I found about the VPN tickets."
    assert sum(isinstance(e, TextDelta) for e in events) > 10  # streamed, not delivered whole
    assert [type(e) for e in events if not isinstance(e, TextDelta)] == [
        ToolCallStarted, ToolCallFinished, ToolCallStarted, ToolCallFinished
    ]
    assert all(c.result_chars > 0 for c in result.tool_calls)
    # Usage: the sum of what the stub reported for both model calls.
    assert result.usage.prompt_tokens == sum(u["prompt_tokens"] for u in stub.usages)
    assert result.usage.completion_tokens == sum(u["completion_tokens"] for u in stub.usages)
    assert result.usage.total_tokens == sum(u["total_tokens"] for u in stub.usages) > 0
    # Requests: streamed with usage asked for; both tool results fenced and matched to their call ids.
    first, second = stub.requests
    assert first["stream"] is True and first["stream_options"] == {"include_usage": True}
    assistant = second["messages"][-3]
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["get_ticket", "search_tickets"]
    results = tool_messages(second)
    assert [m["tool_call_id"] for m in results] == [c["id"] for c in assistant["tool_calls"]]
    for message in results:
        assert message["content"].startswith(FENCE_OPEN) and message["content"].endswith(FENCE_CLOSE)


async def test_system_prompt_and_history_across_turns(
    provider: ConnectWiseProvider, h: Harness, stub: ChatStub
) -> None:
    stub.script("First answer.", "Second answer.")
    async with agent_over(provider, h, stub, ScriptedHuman()) as agent:
        await agent.run_turn("first question")
        await agent.run_turn("second question")
    system = stub.requests[0]["messages"][0]
    assert system["role"] == "system" and "untrusted data" in system["content"].lower() and FENCE_OPEN in system["content"]
    assert [(m["role"], m["content"]) for m in stub.requests[1]["messages"][1:]] == [
        ("user", "first question"),
        ("assistant", "First answer."),
        ("user", "second question"),
    ]


def _unfenced(content: str | None) -> str:
    """The data inside one fence block."""
    assert content is not None
    lines = content.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(FENCE_OPEN))
    return "\n".join(lines[start + 1 : lines.index(FENCE_CLOSE, start)])


@pytest.mark.parametrize(("provider", "works_in", "data_from"), [
    ("connectwise", "working in ConnectWise Manage (PSA)", "data from\n  ConnectWise,"),
    ("helpdesk", "working in the helpdesk (PSA)", "data from\n  the helpdesk,"),
])
def test_the_system_prompt_names_the_configured_product(
    provider: str, works_in: str, data_from: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPILOT_PROVIDER", provider)
    prompt = default_system_prompt()
    assert works_in in prompt and data_from in prompt
