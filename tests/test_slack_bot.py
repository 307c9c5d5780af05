"""The Slack bot end to end: `psa-copilot slack --http` in a child process, real signed events and button
payloads POSTed to its /slack/events, a fake Slack Web API (tests/fake_slack.py), the scripted model
(agent/stub.py) and the sandbox. Nothing else is faked; every wait is for a condition, with a generous timeout."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from agent.stub import ChatStub, ToolCall, running_stub
from fake_slack import FakeSlack, running_fake_slack
from identity.technicians import Technicians
from psa.connectwise.settings import ConnectWiseSettings
from storage.audit import AuditLog
from storage.technicians import TechnicianStore
from writes_harness import harness_for

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-signing-secret"
TICKETS = 40
ANA, BEN, EVE, CAL = "UANA", "UBEN", "UEVE", "UCAL"
"""Ana and Ben are linked by Slack id, Cal by his Slack email only; Eve is nobody's technician."""
ANA_EMAIL = "ana@msp.example"
NOTE = "Slack test: replaced the failing PSU; monitoring for 24 h."


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def stub() -> Iterator[ChatStub]:
    with running_stub() as stub:
        yield stub


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with running_fake_slack() as slack:
        slack.users.update(
            {
                ANA: {"name": "ana", "real_name": "Ana Alvarez", "profile": {"email": "ana.slack@other.example"}},
                BEN: {"name": "ben", "real_name": "Ben Brooks", "profile": {"email": "ben@msp.example"}},
                CAL: {"name": "cal", "real_name": "Cal Chen", "profile": {"email": "cal@msp.example"}},
                EVE: {"name": "eve", "real_name": "Eve Outsider", "profile": {"email": "eve@elsewhere.example"}},
            }
        )
        yield slack


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    people = Technicians(TechnicianStore(data / "copilot.db"))
    people.add(ANA_EMAIL, "kbrooks", slack_id=ANA)
    people.add("ben@msp.example", "jsmith", slack_id=BEN)
    people.add("cal@msp.example", "amiller")
    return data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bot_env(sandbox: Any, stub: ChatStub, slack: FakeSlack, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_", "SLACK_"))}
    env.update(
        CW_SITE=sandbox.url, CW_COMPANY_ID="sandbox", CW_PUBLIC_KEY="sandbox-public", CW_PRIVATE_KEY="sandbox-private",
        CW_CLIENT_ID="sandbox-client", COPILOT_DATA_DIR=str(data), COPILOT_KB_AUTOSYNC="0",
        OPENAI_BASE_URL=stub.url, OPENAI_API_KEY="sk-test", COPILOT_MODEL="stub-model",
        SLACK_API_URL=slack.api_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_APP_TOKEN="xapp-test",
        PYTHONPATH=str(ROOT),
    )
    return env


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))", "slack", *args],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def bot(sandbox: Any, stub: ChatStub, slack: FakeSlack, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("log") / "bot.log"
    process = _start(["--http", "--port", str(port)], _bot_env(sandbox, stub, slack, data_dir), log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"the bot did not start:\n{log.read_text()}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        _stop(process)


# ---- Slack's side of the wire -------------------------------------------------------------------------------------


def _signed(body: str, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def _post(bot: str, body: str, content_type: str, **headers: str) -> httpx.Response:
    signed = {"Content-Type": content_type, **_signed(body), **headers}
    return httpx.post(f"{bot}/slack/events", content=body, headers=signed, timeout=10)


_events = iter(range(1, 10_000))


def mention(bot: str, user: str, text: str, *, channel: str = "CDESK", ts: str | None = None, event_id: str | None = None, **headers: str) -> tuple[str, httpx.Response]:
    ts = ts or f"1800000{next(_events):03d}.000200"
    body = json.dumps(
        {
            "type": "event_callback", "team_id": "T0FAKE", "api_app_id": "AFAKE", "event_id": event_id or f"Ev{ts}",
            "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": user, "text": f"<@UBOT> {text}", "ts": ts, "channel": channel, "event_ts": ts},
        }
    )
    return ts, _post(bot, body, "application/json", **headers)


def press(bot: str, user: str, action_id: str, value: str, *, channel: str = "CDESK", message_ts: str = "") -> httpx.Response:
    payload = {
        "type": "block_actions", "team": {"id": "T0FAKE"}, "api_app_id": "AFAKE", "user": {"id": user},
        "channel": {"id": channel}, "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "message": {"ts": message_ts}, "trigger_id": "1.2.3",
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": f"write_{value}", "action_ts": "1"}],
    }
    return _post(bot, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def slash(bot: str, user: str, text: str, channel: str = "CDESK") -> httpx.Response:
    body = urlencode(
        {"command": "/psa", "text": text, "user_id": user, "channel_id": channel, "team_id": "T0FAKE", "api_app_id": "AFAKE",
         "response_url": "http://127.0.0.1:9/unused", "trigger_id": "1.2.3"}
    )
    return _post(bot, body, "application/x-www-form-urlencoded")


def in_thread(ts: str) -> Any:
    return lambda c: c.method == "chat.postMessage" and c.params.get("thread_ts") == ts


def tickets(sandbox: Any, tmp: Path) -> list[int]:
    return [t["id"] for t in harness_for(ConnectWiseSettings.sandbox(sandbox.url), tmp).tickets()]


def notes_with(sandbox: Any, tmp: Path, ticket_id: int, text: str) -> int:
    notes = harness_for(ConnectWiseSettings.sandbox(sandbox.url), tmp).notes(ticket_id)
    return sum(1 for n in notes if n["text"] == text)


def written(data: Path, ticket_id: int) -> list[Any]:
    return [e for e in AuditLog(data / "audit.db").entries(limit=None) if e.outcome == "written" and e.ticket_id == ticket_id]


# ---- the tests ---------------------------------------------------------------------------------------------------


def test_a_note_is_written_once_after_the_requester_approves(
    bot: str, sandbox: Any, stub: ChatStub, slack: FakeSlack, data_dir: Path, tmp_path: Path
) -> None:
    ticket = tickets(sandbox, tmp_path)[3]
    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket, "text": NOTE})], f"Posted the note on ticket #{ticket}.")
    ts, response = mention(bot, ANA, f"post a note on ticket {ticket}: {NOTE}")
    assert response.status_code == 200

    approval = slack.wait_for(lambda c: in_thread(ts)(c) and "approve_write" in c.buttons())
    buttons = approval.buttons()
    assert set(buttons) == {"approve_write", "decline_write"} and buttons["approve_write"] == buttons["decline_write"]
    assert NOTE in approval.text() and f"#{ticket}" in approval.text()
    assert notes_with(sandbox, tmp_path, ticket, NOTE) == 0

    # Someone else's press changes nothing: an ephemeral, and still no note.
    assert press(bot, BEN, "approve_write", buttons["approve_write"]).status_code == 200
    refusal = slack.wait_for(lambda c: c.method == "chat.postEphemeral" and c.params.get("user") == BEN)
    assert "only ana alvarez can approve this" in refusal.text().lower()
    assert notes_with(sandbox, tmp_path, ticket, NOTE) == 0

    assert press(bot, ANA, "approve_write", buttons["approve_write"]).status_code == 200
    outcome = slack.wait_for(lambda c: c.method == "chat.update" and c.params.get("ts") == approval.ts and "Written" in c.text())
    assert "ConnectWise id" in outcome.text()
    slack.wait_for(lambda c: in_thread(ts)(c) and "Posted the note" in c.text())
    assert notes_with(sandbox, tmp_path, ticket, NOTE) == 1
    rows = written(data_dir, ticket)
    assert len(rows) == 1 and rows[0].user == ANA_EMAIL

    # A second press (a replay) writes nothing more.
    assert press(bot, ANA, "approve_write", buttons["approve_write"]).status_code == 200
    slack.wait_for(lambda c: c.method == "chat.postEphemeral" and c.params.get("user") == ANA and "already decided" in c.text())
    assert notes_with(sandbox, tmp_path, ticket, NOTE) == 1 and len(written(data_dir, ticket)) == 1


def test_a_declined_note_is_not_written(bot: str, sandbox: Any, stub: ChatStub, slack: FakeSlack, data_dir: Path, tmp_path: Path) -> None:
    ticket = tickets(sandbox, tmp_path)[5]
    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket, "text": NOTE})], "Understood: nothing was posted.")
    ts, _ = mention(bot, BEN, f"note on {ticket}: {NOTE}")
    approval = slack.wait_for(lambda c: in_thread(ts)(c) and "decline_write" in c.buttons())
    assert press(bot, BEN, "decline_write", approval.buttons()["decline_write"]).status_code == 200
    outcome = slack.wait_for(lambda c: c.method == "chat.update" and c.params.get("ts") == approval.ts and "Not written" in c.text())
    assert "declined by Ben Brooks" in outcome.text()
    slack.wait_for(lambda c: in_thread(ts)(c) and "nothing was posted" in c.text())
    assert notes_with(sandbox, tmp_path, ticket, NOTE) == 0 and written(data_dir, ticket) == []


def test_a_bad_or_stale_signature_is_401_and_nothing_runs(bot: str, slack: FakeSlack) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "EvForged", "event": {"type": "app_mention", "user": ANA, "text": "hi", "ts": "1.1", "channel": "C1"}})
    before = len(slack.calls)
    forged = httpx.post(f"{bot}/slack/events", content=body, headers={"Content-Type": "application/json", **_signed(body, secret="wrong")}, timeout=10)
    stale = httpx.post(f"{bot}/slack/events", content=body, headers={"Content-Type": "application/json", **_signed(body, at=int(time.time()) - 600)}, timeout=10)
    unsigned = httpx.post(f"{bot}/slack/events", content=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert (forged.status_code, stale.status_code, unsigned.status_code) == (401, 401, 401)
    time.sleep(1.0)  # long enough for a wrongly started turn to have called Slack
    assert len(slack.calls) == before


def test_an_unlinked_user_is_refused_and_no_tool_runs(bot: str, stub: ChatStub, slack: FakeSlack) -> None:
    stub.script([ToolCall("get_ticket", {"ticket_id": 1})], "should not be asked")
    ts, _ = mention(bot, EVE, "show me ticket 1")
    refusal = slack.wait_for(in_thread(ts))
    assert "not linked" in refusal.text() and "Eve Outsider" in refusal.text()
    assert stub.requests == [] and stub.remaining == 2


def test_a_retried_event_runs_once(bot: str, stub: ChatStub, slack: FakeSlack) -> None:
    stub.script("Hello from the copilot.")
    ts, first = mention(bot, ANA, "hello", event_id="EvRetried")
    _, retry = mention(bot, ANA, "hello", ts=ts, event_id="EvRetried", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status_code == retry.status_code == 200
    slack.wait_for(lambda c: in_thread(ts)(c) and "Hello from the copilot" in c.text())
    time.sleep(1.0)  # a second turn would have posted its status by now
    assert len([c for c in slack.calls_of("chat.postMessage") if c.params.get("thread_ts") == ts]) == 2  # status, answer
    assert len(stub.requests) == 1


def test_a_thread_keeps_its_history_and_threads_do_not_mix(bot: str, stub: ChatStub, slack: FakeSlack) -> None:
    stub.script("First answer.", "Other thread.", "Second answer.")
    ts, _ = mention(bot, ANA, "remember the word pineapple")
    slack.wait_for(lambda c: in_thread(ts)(c) and "First answer" in c.text())
    other, _ = mention(bot, BEN, "an unrelated question")
    slack.wait_for(lambda c: in_thread(other)(c) and "Other thread" in c.text())
    reply = json.dumps(
        {
            "type": "event_callback", "team_id": "T0FAKE", "event_id": "EvThreadReply", "event_time": int(time.time()),
            "event": {"type": "message", "channel_type": "channel", "user": ANA, "text": "what was the word?", "ts": f"{ts}1", "thread_ts": ts, "channel": "CDESK"},
        }
    )
    assert _post(bot, reply, "application/json").status_code == 200
    slack.wait_for(lambda c: in_thread(ts)(c) and "Second answer" in c.text())
    users = [m["content"] for m in stub.requests[2]["messages"] if m["role"] == "user"]
    assert users == ["remember the word pineapple", "what was the word?"]
    assert [m["content"] for m in stub.requests[1]["messages"] if m["role"] == "user"] == ["an unrelated question"]


def test_psa_ticket_answers_without_the_model(bot: str, sandbox: Any, stub: ChatStub, slack: FakeSlack, tmp_path: Path) -> None:
    stub.script()
    harness = harness_for(ConnectWiseSettings.sandbox(sandbox.url), tmp_path)
    ticket = harness.tickets()[2]
    response = slash(bot, CAL, f"ticket {ticket['id']}", channel="CPSA")  # Cal: matched by his Slack email
    assert response.status_code == 200
    answer = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == "CPSA")
    assert f"#{ticket['id']}" in answer.text() and ticket["summary"][:30] in answer.text().replace("&amp;", "&")
    assert "service_recid=" in answer.text()
    assert stub.requests == []


def test_psa_help_and_bad_input(bot: str, slack: FakeSlack) -> None:
    slash(bot, ANA, "help", channel="CHELP")
    help_text = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == "CHELP").text()
    assert all(f"/psa {word}" in help_text for word in ("ticket", "search", "kb", "similar", "summary", "help"))
    slash(bot, ANA, "ticket abc", channel="CBAD")
    assert "Usage" in slack.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == "CBAD").text()


def test_health(bot: str) -> None:
    assert httpx.get(f"{bot}/health", timeout=5).status_code == 200


def test_socket_mode_handles_a_mention_end_to_end(
    sandbox: Any, stub: ChatStub, slack: FakeSlack, data_dir: Path, tmp_path: Path
) -> None:
    ticket = tickets(sandbox, tmp_path)[1]
    process = _start([], _bot_env(sandbox, stub, slack, data_dir), tmp_path / "socket.log")
    try:
        assert slack.socket_connected.wait(120), (tmp_path / "socket.log").read_text()
        stub.script([ToolCall("get_ticket", {"ticket_id": ticket})], f"Ticket #{ticket} is about email.")
        ts = "1900000001.000100"
        event = {"type": "app_mention", "user": ANA, "text": f"<@UBOT> what is ticket {ticket}?", "ts": ts, "channel": "CSOCK", "event_ts": ts}
        slack.socket_send(
            {
                "envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False, "retry_attempt": 0,
                "payload": {"type": "event_callback", "team_id": "T0FAKE", "event_id": "EvSocket1", "event_time": int(time.time()), "event": event},
            }
        )
        answer = slack.wait_for(lambda c: in_thread(ts)(c) and "is about email" in c.text())
        assert "service_recid=" in answer.text()
        assert any(a.get("envelope_id") == "env-1" for a in slack.socket_acks)
        status = slack.wait_for(lambda c: c.method == "chat.update" and c.params.get("channel") == "CSOCK" and "Done" in c.text())
        assert "get_ticket" in status.text()
    finally:
        _stop(process)


# ---- the pieces on their own ----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_first_press_decides_and_no_answer_in_time_is_a_decline() -> None:
    import anyio

    from agent.slack.approvals import Approvals

    approvals = Approvals(ttl_seconds=0.2)
    pending = approvals.open(requester=ANA, requester_name="Ana", channel="C", thread_ts="1.1", preview="p")
    assert approvals.press(pending.id, BEN, approve=True).outcome == "not_requester"
    assert approvals.press("forged", ANA, approve=True).outcome == "unknown"
    async def decline_soon() -> None:
        await anyio.sleep(0.01)
        assert approvals.press(pending.id, ANA, approve=False).outcome == "decided"

    async with anyio.create_task_group() as tg:
        tg.start_soon(decline_soon)
        assert await approvals.wait(pending) is False
    assert approvals.press(pending.id, ANA, approve=True).outcome == "already_decided" and pending.decision == "declined"

    late = approvals.open(requester=ANA, requester_name="Ana", channel="C", thread_ts="1.1", preview="p")
    assert await approvals.wait(late) is False and late.decision == "expired"
    assert approvals.press(late.id, ANA, approve=True).outcome == "already_decided"


def test_long_output_is_cut_with_a_marker_within_slack_limits() -> None:
    from agent.slack import render

    message = render.answer_message("line of text\n" * 20_000, "https://api-na.myconnectwise.net")
    assert len(message["blocks"]) <= render.BLOCKS_MAX
    assert all(len(b["text"]["text"]) <= render.SECTION_MAX for b in message["blocks"])
    assert "[cut:" in message["blocks"][-1]["text"]["text"] and len(message["text"]) <= render.FALLBACK_MAX


def test_ticket_numbers_link_to_connectwise_and_note_citations_do_not() -> None:
    from agent.slack.render import mrkdwn

    text = mrkdwn("**Ticket #42** relates to ticket 7 (see [#1234]) & <b>", "https://api-na.myconnectwise.net")
    url = "https://na.myconnectwise.net/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid="
    assert text.startswith(f"*<{url}42|Ticket #42>*") and f"<{url}7|ticket 7>" in text
    assert "[#1234]" in text and "&amp; &lt;b&gt;" in text


@pytest.mark.parametrize(
    ("command", "expect"),
    [("search {words}", "#{id}"), ("summary {id}", "#{id}"), ("kb {id}", ""), ("similar {id}", "")],
    ids=["search", "summary", "kb", "similar"],
)
def test_psa_subcommands_answer_from_the_tools_without_the_model(
    bot: str, sandbox: Any, stub: ChatStub, slack: FakeSlack, tmp_path: Path, command: str, expect: str
) -> None:
    """Each subcommand answers in its channel from the same MCP tools; kb and similar may find nothing on a small
    sandbox whose index is still building, but they answer (never an error trace), and no agent turn runs."""
    stub.script()
    ticket = harness_for(ConnectWiseSettings.sandbox(sandbox.url), tmp_path).tickets()[3]
    words = " ".join(ticket["summary"].split()[:2])
    channel = f"C{command.split()[0].upper()}"
    slash(bot, CAL, command.format(id=ticket["id"], words=words), channel=channel)
    answer = slack.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == channel).text()
    assert answer.strip() and "Traceback" not in answer
    assert expect.format(id=ticket["id"]) in answer
    # summarize_ticket_notes itself uses the configured LLM when there is one (else its extractive summary):
    # only the agent's chat turns are off for /psa.
    assert all("tools" not in request for request in stub.requests)
