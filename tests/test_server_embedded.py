"""The server as users start it: the embedded default (no CW_SITE -> a sandbox started by the server), `python
server.py` over stdio, and `psa-copilot serve --transport http` over streamable HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from guardrails.policy import Policy
from server import build_server, run_server

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[1]
READ_TOOLS = {
    "search_tickets",
    "get_ticket",
    "list_ticket_notes",
    "list_boards",
    "find_companies",
    "find_contacts",
    "find_configurations",
    "list_schedule",
    "list_time_entries",
    "suggest_kb_articles",
    "find_similar_tickets",
    "summarize_ticket_notes",
    "draft_internal_analysis_note",
}
# Listed in the default elicit mode; they only write after the user confirms (tests/test_tools_writes.py).
WRITE_TOOLS = {
    "add_ticket_note", "update_ticket_status", "create_kb_article", "log_time_entry", "create_ticket", "update_ticket"
}
SMALL = "40"  # tickets seeded by an embedded sandbox in these tests
# These tests are about starting and transports; background indexing has its own test (tests/test_tools_kb.py),
# and embedding the sandbox's KB with the real model would only slow them down.
NO_AUTOSYNC = "0"


def _clean_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    for name in list(os.environ):
        if name.startswith("CW_") or name.startswith("COPILOT_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("COPILOT_SANDBOX_TICKETS", SMALL)
    monkeypatch.setenv("COPILOT_KB_AUTOSYNC", NO_AUTOSYNC)


async def test_embedded_default_starts_a_sandbox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _clean_env(monkeypatch, tmp_path)
    server = build_server(policy=Policy())
    async with Client(server) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert tools == READ_TOOLS | WRITE_TOOLS
        result = await client.call_tool("search_tickets", {})
        assert not result.is_error, result.content
        items = result.structured_content["items"]
        assert items and items[0]["id"] > items[-1]["id"]
    assert (tmp_path / "sandbox.db").exists()


def test_bad_policy_stops_the_server_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("COPILOT_TOOLSETS", "tickets,nope")
    assert run_server("stdio") == 2
    err = capsys.readouterr().err
    assert "COPILOT_TOOLSETS" in err and "nope" in err


def test_incomplete_cw_settings_stop_the_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("CW_SITE", "https://api-na.myconnectwise.net")
    assert run_server("stdio") == 2
    assert "CW_PRIVATE_KEY" in capsys.readouterr().err


def _subprocess_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "COPILOT_DATA_DIR": str(data_dir),
        "COPILOT_SANDBOX_TICKETS": SMALL,
        "COPILOT_KB_AUTOSYNC": NO_AUTOSYNC,
        "PYTHONPATH": str(ROOT),
        **extra,
    }


async def test_python_server_py_over_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=[str(ROOT / "server.py")],
        env=_subprocess_env(tmp_path, COPILOT_DISABLED_TOOLS="find_companies"),
        cwd=str(tmp_path),
    )
    with anyio.fail_after(120):
        async with Client(params) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == (READ_TOOLS | WRITE_TOOLS) - {"find_companies"}
            result = await client.call_tool("list_boards", {})
            assert not result.is_error, result.content
            assert result.structured_content["boards"]
            refused = await client.call_tool("find_companies", {})
            assert refused.is_error and "COPILOT_DISABLED_TOOLS" in refused.content[0].text
    assert (tmp_path / "sandbox.db").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_streamable_http_transport(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_"))}
    env.update(_subprocess_env(tmp_path))
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "serve", "--transport", "http", "--port", str(port)],
            env=env,
            cwd=str(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"HTTP server did not start:\n{log.read_text()}")
                await anyio.sleep(0.2)
        with anyio.fail_after(60):
            async with Client(url) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                assert tools == READ_TOOLS | WRITE_TOOLS
                result = await client.call_tool("search_tickets", {"page_size": 5})
                assert not result.is_error, result.content
                assert len(result.structured_content["items"]) == 5
        assert url in log.read_text()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
