"""New tickets' hints in Slack, end to end: `psa-copilot slack --http` in a child process receives the sandbox's
signed ConnectWise callbacks at /connectwise/callbacks, posts the hints to the board's channel or the owner's
DM on a fake Slack (tests/fake_slack.py), and its *Open in a thread* button starts work on the ticket in the
thread under the hint. Callback entries and tickets are made over the sandbox's REST API; nothing else is faked,
and every wait is for a condition, with a generous timeout."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from agent.stub import ChatStub, running_stub
from fake_slack import Call, FakeSlack, running_fake_slack
from identity.technicians import Technicians
from sandbox.runner import RunningSandbox, start_sandbox
from storage.technicians import TechnicianStore

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-signing-secret"
ANA, CAL, EVE = "UANA", "UCAL", "UEVE"
"""Ana is linked by Slack id (member KBrooks), Cal only by the email Slack has for him (member anguyen); Eve is
nobody's technician."""
CW_HEADERS = {"Authorization": "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode(),
              "clientId": "sandbox-client"}
HINT_CHANNEL = "CHELPDESK"
WAIT = 120.0
"""A ceiling for the bot to start, index and deliver on a busy machine; never a measured duration."""
WRITES = ("POST", "PUT", "PATCH", "DELETE")


# ---- the parts ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with start_sandbox(db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=40) as running:
        yield running


@pytest.fixture(scope="module")
def cw(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_base, headers=CW_HEADERS, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def stub() -> Iterator[ChatStub]:
    with running_stub() as stub:
        yield stub


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with running_fake_slack() as slack:
        slack.users.update({
            ANA: {"name": "ana", "real_name": "Ana Alvarez", "profile": {"email": "ana.slack@other.example"}},
            CAL: {"name": "cal", "real_name": "Cal Chen", "profile": {"email": "cal@msp.example"}},
            EVE: {"name": "eve", "real_name": "Eve Outsider", "profile": {"email": "eve@elsewhere.example"}},
        })
        yield slack


def _data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    people = Technicians(TechnicianStore(data / "copilot.db"))
    people.add("ana@msp.example", "KBrooks", slack_id=ANA)  # ConnectWise says kbrooks: matched in any case
    people.add("cal@msp.example", "anguyen")
    return data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass(frozen=True)
class Bot:
    url: str
    log: Path

    @property
    def callbacks_url(self) -> str:
        return f"{self.url}/connectwise/callbacks"


@contextmanager
def running_bot(sandbox: RunningSandbox, slack: FakeSlack, data: Path, log: Path, *, index: bool,
                **env: str) -> Iterator[Bot]:
    """The bot in HTTP mode, once its callback receiver answers (it says 503 while the PSA connection opens) and,
    with `index`, once it has built its knowledge index."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_", "SLACK_"))}
    base.update(
        CW_SITE=sandbox.url, CW_COMPANY_ID="sandbox", CW_PUBLIC_KEY="sandbox-public", CW_PRIVATE_KEY="sandbox-private",
        CW_CLIENT_ID="sandbox-client", COPILOT_DATA_DIR=str(data), COPILOT_KB_AUTOSYNC="1" if index else "0",
        SLACK_API_URL=slack.api_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, PYTHONPATH=str(ROOT),
        **env,
    )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))", "slack", "--http", "--port", str(port)],
        cwd=ROOT, env=base, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    bot = Bot(f"http://127.0.0.1:{port}", log)
    try:
        # Not a callback payload: 400 once the receiver checks deliveries, 503 before.
        _until(lambda: _status(bot.callbacks_url) == 400, process, log)
        if index:
            _until(lambda: _index_synced(data), process, log)
        yield bot
    finally:
        _stop(process)


def _status(url: str) -> int | None:
    try:
        return httpx.post(url, content=b"{}", timeout=5).status_code
    except httpx.HTTPError:
        return None


def _until(condition: Any, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the bot did not get there (exit code {process.poll()}):\n{log.read_text()}")
        time.sleep(0.2)


def _index_synced(data: Path) -> bool:
    """What BackgroundIndexer.ready reads: the sidecar's last_sync, set when the first sync completed."""
    state = data / "kb" / "state.db"
    if not state.exists():
        return False
    with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True)) as db:
        try:
            return db.execute("SELECT 1 FROM meta WHERE key = 'last_sync'").fetchone() is not None
        except sqlite3.OperationalError:  # the schema is not written yet
            return False


@pytest.fixture(scope="module")
def channel_bot(sandbox: RunningSandbox, stub: ChatStub, slack: FakeSlack,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    """With the model, the index built at start, and Help Desk's hints going to a channel."""
    data = _data_dir(tmp_path_factory)
    log = tmp_path_factory.mktemp("log") / "channel-bot.log"
    with running_bot(sandbox, slack, data, log, index=True, OPENAI_BASE_URL=stub.url, OPENAI_API_KEY="sk-test",
                     COPILOT_MODEL="stub-model",
                     SLACK_HINT_CHANNELS=f"help DESK={HINT_CHANNEL}, Network Operations=#netops") as bot:
        yield bot


@pytest.fixture(scope="module")
def dm_bot(sandbox: RunningSandbox, slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    """No model, no SLACK_HINT_CHANNELS: hints go to the owner's DM."""
    data = _data_dir(tmp_path_factory)
    with running_bot(sandbox, slack, data, tmp_path_factory.mktemp("log") / "dm-bot.log", index=False) as bot:
        yield bot


# ---- ConnectWise's side: callback entries and new tickets ---------------------------------------------------------


def _board_id(cw: httpx.Client, name: str) -> int:
    boards = cw.get("/service/boards", params={"conditions": f'name="{name}"'}).json()
    assert len(boards) == 1, boards
    return int(boards[0]["id"])


@contextmanager
def watched(cw: httpx.Client, bot: Bot, board: str = "Help Desk") -> Iterator[None]:
    """A Ticket entry at Board level for `board`, delivering to `bot`, for the length of a test."""
    response = cw.post("/system/callbacks", json={
        "description": f"hints for {board}", "url": bot.callbacks_url, "type": "Ticket", "level": "Board",
        "objectId": _board_id(cw, board), "inactiveFlag": False,
    })
    assert response.status_code == 201, response.text
    try:
        yield
    finally:
        assert cw.delete(f"/system/callbacks/{response.json()['id']}").status_code == 204


def new_ticket(cw: httpx.Client, summary: str, owner: str | None, board: str = "Help Desk") -> int:
    company = cw.get("/company/companies", params={"pageSize": 1, "orderBy": "id"}).json()[0]
    body: dict[str, Any] = {
        "summary": summary, "board": {"name": board}, "company": {"id": company["id"]},
        "initialDescription": "Since this morning the office printer shows offline for everyone.",
    }
    if owner is not None:
        body["owner"] = {"identifier": owner}
    response = cw.post("/service/tickets", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def bot_writes(sandbox: RunningSandbox, since: int) -> list[str]:
    """Writes that reached ConnectWise after the test's own (a POST .../search is a read sent as a POST)."""
    return [f"{e.method} {e.path}" for e in sandbox.requests.entries()[since:]
            if e.method in WRITES and not (e.method == "POST" and e.path.endswith("/search"))]


# ---- Slack's side: the hint, and pressing its button --------------------------------------------------------------


def hint_for(slack: FakeSlack, ticket: int) -> Call:
    return slack.wait_for(lambda c: c.method == "chat.postMessage" and f"New ticket #{ticket}:" in str(c.params.get("text")),
                          timeout=WAIT)


def press(bot: Bot, user: str, value: str, *, channel: str, message_ts: str) -> httpx.Response:
    payload = {
        "type": "block_actions", "team": {"id": "T0FAKE"}, "api_app_id": "AFAKE", "user": {"id": user},
        "channel": {"id": channel}, "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "message": {"ts": message_ts}, "trigger_id": "1.2.3",
        "actions": [{"type": "button", "action_id": "open_ticket_thread", "value": value, "block_id": f"hints_{value}",
                     "action_ts": "1"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": f"v0={digest}"}
    return httpx.post(f"{bot.url}/slack/events", content=body, headers=headers, timeout=10)


def in_thread(channel: str, ts: str) -> Any:
    return lambda c: c.method == "chat.postMessage" and c.params.get("channel") == channel and c.params.get("thread_ts") == ts


def posted(slack: FakeSlack, match: Any, count: int) -> list[Call]:
    """The first `count` Slack calls matching, once there are that many."""
    deadline = time.monotonic() + WAIT
    while len(found := [c for c in slack.calls_of("chat.postMessage") if match(c)]) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} messages posted"
        time.sleep(0.05)
    return found[:count]


def user_texts(request: dict[str, Any]) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


# ---- the tests ----------------------------------------------------------------------------------------------------


def test_hints_go_to_the_boards_channel_escaped_and_the_button_opens_a_thread(
    channel_bot: Bot, sandbox: RunningSandbox, cw: httpx.Client, stub: ChatStub, slack: FakeSlack
) -> None:
    summary = "Printer offline <!channel> see <https://evil.example|invoice>"
    with watched(cw, channel_bot):
        ticket = new_ticket(cw, summary, owner="kbrooks")
        since = len(sandbox.requests.entries())
        hint = hint_for(slack, ticket)
        assert hint.params["channel"] == HINT_CHANNEL  # the configured channel, not the owner's DM
        assert slack.calls_of("conversations.open") == []
        text = hint.text()
        assert "<!channel>" not in text and "<https://evil.example" not in text
        assert "&lt;!channel&gt;" in text and "&lt;https://evil.example|invoice&gt;" in text
        assert f"service_recid={ticket}|#{ticket}>" in text  # the number links to the ticket
        assert "board Help Desk" in text and "*Knowledge-base articles*" in text  # the index was built at start
        assert hint.buttons() == {"open_ticket_thread": str(ticket)}

        # Someone who is no technician is refused, only they see it, and no model runs.
        stub.script()
        assert press(channel_bot, EVE, str(ticket), channel=HINT_CHANNEL, message_ts=hint.ts).status_code == 200
        refusal = slack.wait_for(lambda c: c.method == "chat.postEphemeral" and c.params.get("user") == EVE)
        assert "not linked" in refusal.text() and refusal.params.get("thread_ts") == hint.ts
        assert stub.requests == []

        # A technician's press: the agent works on the ticket in the thread under the hint.
        stub.script(f"Ticket #{ticket}: start with the print spooler.")
        assert press(channel_bot, ANA, str(ticket), channel=HINT_CHANNEL, message_ts=hint.ts).status_code == 200
        slack.wait_for(lambda c: in_thread(HINT_CHANNEL, hint.ts)(c) and "print spooler" in c.text())
        assert user_texts(stub.requests[0]) == [f"Help me with ticket #{ticket}"]

        # Pressing again continues that thread's conversation.
        stub.script("Then check the printer's IP address.")
        press(channel_bot, ANA, str(ticket), channel=HINT_CHANNEL, message_ts=hint.ts)
        slack.wait_for(lambda c: in_thread(HINT_CHANNEL, hint.ts)(c) and "IP address" in c.text())
        assert user_texts(stub.requests[0]) == [f"Help me with ticket #{ticket}"] * 2
        earlier = [str(m.get("content")) for m in stub.requests[0]["messages"] if m["role"] == "assistant"]
        assert any("print spooler" in m for m in earlier)

        assert sandbox.callbacks.wait_idle(WAIT)
        assert bot_writes(sandbox, since) == []


def test_without_a_channel_hints_go_to_the_owners_dm_and_the_button_answers_without_a_model(
    dm_bot: Bot, sandbox: RunningSandbox, cw: httpx.Client, slack: FakeSlack
) -> None:
    with watched(cw, dm_bot):
        linked = new_ticket(cw, "Outlook keeps asking for the password", owner="kbrooks")
        by_email = new_ticket(cw, "Teams calls drop after a minute", owner="anguyen")
        nobody = new_ticket(cw, "Scanner sends blank pages", owner="mokafor")  # no technician of ours
        since = len(sandbox.requests.entries())
        to_ana, to_cal = hint_for(slack, linked), hint_for(slack, by_email)
        assert to_ana.params["channel"] == f"D{ANA}" and to_cal.params["channel"] == f"D{CAL}"
        assert {c.params.get("users") for c in slack.calls_of("conversations.open")} >= {ANA, CAL}
        assert [c.params.get("email") for c in slack.calls_of("users.lookupByEmail")] == ["cal@msp.example"]
        assert to_ana.buttons() == {"open_ticket_thread": str(linked)}

        # No target: one INFO line, nothing posted.
        deadline = time.monotonic() + WAIT
        while f"hints for ticket {nobody} not posted to Slack" not in dm_bot.log.read_text():
            assert time.monotonic() < deadline, dm_bot.log.read_text()
            time.sleep(0.2)
        assert "'mokafor' is none of our technicians" in dm_bot.log.read_text()
        assert not [c for c in slack.calls_of("chat.postMessage") if f"#{nobody}:" in str(c.params.get("text"))]

        # No model: the press posts the answers of `/psa ticket N`, then `/psa similar N`, under the DM's hint.
        assert press(dm_bot, ANA, str(linked), channel=f"D{ANA}", message_ts=to_ana.ts).status_code == 200
        ticket_answer, similar = posted(slack, in_thread(f"D{ANA}", to_ana.ts), 2)
        assert f"service_recid={linked}|Ticket #{linked}>*: Outlook keeps asking" in ticket_answer.text()
        assert "No similar resolved tickets found." in similar.text()  # this bot never built its index

        assert sandbox.callbacks.wait_idle(WAIT)
        assert bot_writes(sandbox, since) == []


# ---- the pieces on their own ----------------------------------------------------------------------------------------


def test_hint_channels_setting() -> None:
    from agent.slack.hints import parse_hint_channels

    assert parse_hint_channels(None) == {} and parse_hint_channels(" ") == {}
    assert parse_hint_channels("Help Desk=C0123ABC, network  operations = #net-ops ,") == {
        "help desk": "C0123ABC", "network operations": "#net-ops"}
    assert parse_hint_channels("Help Desk=C0123ABC,HELP DESK=C0123ABC") == {"help desk": "C0123ABC"}


@pytest.mark.parametrize("raw", ["Help Desk", "=C0123ABC", "Help Desk=", "Help Desk=general", "Help Desk=#bad name",
                                 "Help Desk=C0123ABC,help desk=C0999XYZ"])
def test_a_malformed_hint_channels_setting_is_a_config_error(raw: str) -> None:
    from agent.slack.hints import parse_hint_channels
    from settings import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_hint_channels(raw)
    assert "SLACK_HINT_CHANNELS" in str(caught.value) and "\n" not in str(caught.value)


def test_a_malformed_hint_channels_setting_stops_the_bot_with_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_", "SLACK_"))}
    env.update(COPILOT_DATA_DIR=str(tmp_path), SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
               SLACK_HINT_CHANNELS="Help Desk", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", "import sys, cli; sys.exit(cli.main(sys.argv[1:]))", "slack", "--http"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "SLACK_HINT_CHANNELS" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_technician_is_found_by_member_in_any_case_the_first_by_email(tmp_path: Path) -> None:
    people = Technicians(TechnicianStore(tmp_path / "copilot.db"))
    people.add("zoe@msp.example", "kbrooks")
    people.add("bea@msp.example", "KBrooks")
    found = people.lookup_by_member(" kbrooks ")
    assert found is not None and found.email == "bea@msp.example"
    assert people.lookup_by_member("nobody") is None


def test_the_hint_message_escapes_ticket_text_and_caps_what_it_shows() -> None:
    from datetime import UTC, datetime

    from agent.slack.hints import hint_message
    from callbacks.hints import HintArticle, HintConfiguration, HintTicket, TicketHints

    hints = TicketHints(
        ticket_id=7, uri="psa://tickets/7/hints", summary="VPN <@U999> & <!here>", board="Help Desk", company="Acme",
        articles=[HintArticle(id=i, title=f"KB <{i}>", score=0.5) for i in range(1, 6)],
        similar=[HintTicket(id=100 + i, summary="old <b>", resolution="reboot <!channel>", score=0.4) for i in range(5)],
        configurations=[HintConfiguration(id=1, name="FW <1>", type="Firewall", attached=True)],
        computed_at=datetime.now(UTC), index_note="the index is still building",
    )
    message = hint_message(hints, None)
    text = message["text"] + "\n" + json.dumps(message["blocks"], ensure_ascii=False)
    assert message["text"] == "New ticket #7: VPN &lt;@U999&gt; &amp; &lt;!here&gt;"
    assert "<@U999>" not in text and "<!here>" not in text and "<!channel>" not in text and "<b>" not in text
    assert text.count("(KB ") == 3 and text.count("old &lt;b&gt;") == 3
    assert "FW &lt;1&gt; (Firewall) · attached" in text and "the index is still building" in text
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    assert actions == [{"type": "actions", "block_id": "hints_7", "elements": [
        {"type": "button", "action_id": "open_ticket_thread", "value": "7",
         "text": {"type": "plain_text", "text": "Open in a thread"}}]}]
