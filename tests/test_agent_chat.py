"""`psa-copilot chat` through cli.main: the scripted model on loopback, our server in process (or over
streamable HTTP), and the confirmation answered from stdin ("y", or end of input)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from agent.stub import ChatStub, ToolCall, running_stub
from agent_testing import TICKETS
from cli import main
from storage.audit import AuditLog
from guardrails.policy import Policy
from psa.connectwise.settings import ConnectWiseSettings
from server import build_server
from writes_harness import harness_for

NOTE = "Chat test: replaced the failing PSU; monitoring for 24 h."


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def stub_server() -> Iterator[ChatStub]:
    with running_stub() as stub:
        yield stub


@pytest.fixture
def stub(stub_server: ChatStub) -> ChatStub:
    stub_server.script()
    return stub_server


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stub: ChatStub, sandbox: Any) -> Path:
    """The chat's environment: the stub as the model, the module's sandbox as ConnectWise, a fresh data dir."""
    for name in list(os.environ):
        if name.startswith(("CW_", "COPILOT_", "OPENAI_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", stub.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("COPILOT_MODEL", "stub-model")
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_KB_AUTOSYNC", "0")
    monkeypatch.setenv("CW_SITE", sandbox.url)
    monkeypatch.setenv("CW_COMPANY_ID", "sandbox")
    monkeypatch.setenv("CW_PUBLIC_KEY", "sandbox-public")
    monkeypatch.setenv("CW_PRIVATE_KEY", "sandbox-private")
    monkeypatch.setenv("CW_CLIENT_ID", "sandbox-client")
    return tmp_path


def ticket_for(sandbox: Any, tmp_path: Path, index: int) -> int:
    return harness_for(ConnectWiseSettings.sandbox(sandbox.url), tmp_path).tickets()[index]["id"]


def note_texts(sandbox: Any, tmp_path: Path, ticket_id: int) -> list[str]:
    return [n["text"] for n in harness_for(ConnectWiseSettings.sandbox(sandbox.url), tmp_path).notes(ticket_id)]


def test_once_with_yes_writes_once_and_shows_the_trace(
    env: Path, stub: ChatStub, sandbox: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = ticket_for(sandbox, env, 0)
    before = note_texts(sandbox, env, ticket_id)
    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket_id, "text": NOTE})], "The note is posted.")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))

    assert main(["chat", "--once", f"Post a note on #{ticket_id}: {NOTE}"]) == 0

    out, err = capsys.readouterr()
    assert out.strip() == "The note is posted."
    assert "Nothing is written unless you confirm" in err and NOTE in err  # the exact preview
    assert "→ add_ticket_note" in err and "ok ·" in err and "confirmed" in err
    assert "tokens:" in err and f"= {stub.usages[0]['total_tokens'] + stub.usages[1]['total_tokens']}]" in err
    assert note_texts(sandbox, env, ticket_id) == [*before, NOTE]


def test_once_at_end_of_input_declines(
    env: Path, stub: ChatStub, sandbox: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = ticket_for(sandbox, env, 1)
    before = note_texts(sandbox, env, ticket_id)
    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket_id, "text": NOTE})], "Nothing was posted.")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    assert main(["chat", "--once", "post it"]) == 0

    out, err = capsys.readouterr()
    assert "(end of input: declined)" in err and out.strip() == "Nothing was posted."
    assert note_texts(sandbox, env, ticket_id) == before
    (row,) = AuditLog(env / "audit.db").entries(limit=1)
    assert (row.tool, row.outcome, row.confirmation) == ("add_ticket_note", "not_written", "declined")


def test_other_answers_decline(
    env: Path, stub: ChatStub, sandbox: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket_id = ticket_for(sandbox, env, 2)
    before = note_texts(sandbox, env, ticket_id)
    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket_id, "text": NOTE})], "Not posted.")
    monkeypatch.setattr("sys.stdin", io.StringIO("sure\n"))
    assert main(["chat", "--once", "post it"]) == 0
    assert "declined" in capsys.readouterr().err
    assert note_texts(sandbox, env, ticket_id) == before


def test_interactive_chat_keeps_history_until_end_of_input(
    env: Path, stub: ChatStub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.script("Hello.", "You said hi before.")
    monkeypatch.setattr("sys.stdin", io.StringIO("hi\n\nwhat did I say?\n"))
    assert main(["chat", "--max-steps", "2"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines() == ["Hello.", "You said hi before."]
    assert [m["content"] for m in stub.requests[1]["messages"] if m["role"] == "user"] == ["hi", "what did I say?"]


def test_step_limit_exits_1_with_the_message(
    env: Path, stub: ChatStub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.script(*[[ToolCall("list_boards", {})]] * 2)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["chat", "--once", "boards?", "--max-steps", "2"]) == 1
    assert "step limit of 2" in capsys.readouterr().out


def test_no_model_configured_is_a_config_error(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["chat", "--once", "hi"]) == 2
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err


def test_bad_server_settings_are_a_config_error(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COPILOT_TOOLSETS", "tickets,nope")
    assert main(["chat", "--once", "hi"]) == 2
    assert "COPILOT_TOOLSETS" in capsys.readouterr().err
    monkeypatch.delenv("COPILOT_TOOLSETS")
    monkeypatch.delenv("CW_PRIVATE_KEY")
    assert main(["chat", "--once", "hi"]) == 2
    assert "CW_PRIVATE_KEY" in capsys.readouterr().err


def test_embedded_sandbox_when_cw_site_is_unset(
    env: Path, stub: ChatStub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("CW_SITE", "CW_COMPANY_ID", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", str(TICKETS))
    stub.script([ToolCall("search_tickets", {})], "Here are the newest tickets.")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["chat", "--once", "newest tickets?"]) == 0
    err = capsys.readouterr().err
    assert "→ search_tickets" in err and "ok ·" in err
    assert '"items"' in stub.requests[1]["messages"][-1]["content"]
    assert (env / "sandbox.db").exists()


# ---- a remote server over streamable HTTP: confirmation still reaches the terminal --------------------------------


@pytest.fixture
def remote_server(env: Path) -> Iterator[str]:
    server = build_server(policy=Policy())  # provider from the environment: the module's sandbox
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    http = uvicorn.Server(uvicorn.Config(server.streamable_http_app(), log_level="warning"))
    thread = threading.Thread(target=http.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a wait, not a measurement: only a server that never starts fails it
    while not http.started:
        if not thread.is_alive():
            pytest.fail("the MCP server thread exited before it started serving")
        if time.monotonic() > deadline:
            pytest.fail("the MCP server did not start serving within 60 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        http.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_remote_server_url(
    env: Path, remote_server: str, stub: ChatStub, sandbox: Any, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticket_id = ticket_for(sandbox, env, 3)
    before = note_texts(sandbox, env, ticket_id)
    stub.script([ToolCall("add_ticket_note", {"ticket_id": ticket_id, "text": NOTE})], "Posted remotely.")
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert main(["chat", "--server-url", remote_server, "--once", "post it"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "Posted remotely." and NOTE in err
    assert note_texts(sandbox, env, ticket_id) == [*before, NOTE]


def test_unreachable_server_url_exits_1(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # a port nobody listens on
    assert main(["chat", "--server-url", f"http://127.0.0.1:{port}/mcp", "--once", "hi"]) == 1
    assert "psa-copilot chat:" in capsys.readouterr().err


_RACE = """
import sys
import threading
from agent.llm import LLMSettings

settings = LLMSettings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
worker = threading.Thread(target=lambda: __import__("httpx"))  # as the server's opener threads do
worker.start()
while "httpx" not in sys.modules:  # the worker has begun; its import takes far longer than this loop
    pass
settings.client()
worker.join()
print("client made")
"""


def test_the_llm_client_is_made_while_another_thread_imports_httpx() -> None:
    # openai peeks at sys.modules["httpx"]; a half-imported httpx there once broke `chat` at start. A fresh
    # interpreter per run, so httpx is not imported yet.
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", _RACE], capture_output=True, text=True, timeout=120,
                              cwd=Path(__file__).resolve().parents[1])
        assert done.returncode == 0 and "client made" in done.stdout, done.stderr
