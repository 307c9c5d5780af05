"""Starting and stopping, as users and MCP clients see it, on real child processes: a bad setting stops `serve`
(and `kb`) with one line before anything is served; the handshake is answered while the sandbox still opens, and
tool calls wait for it; SIGINT/SIGTERM stop `serve` cleanly; Ctrl-C leaves `chat` and `kb sync` in one line.

No test measures time: every wait is a generous deadline that only a hung process reaches.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tools.readiness import Readiness

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, str(ROOT / "cli.py")]
WAIT_S = 120.0  # a deadline for a hung child, never a measurement

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="signals and ptys are POSIX")

# Loaded by the child interpreter (on PYTHONPATH) to hold or fail the sandbox's start, or hold the index's.
HOOK = '''
import os, time
import sandbox.embedded as embedded

_start = embedded.start_embedded


def start_embedded():
    if os.environ.get("TEST_FAIL_SANDBOX"):
        raise RuntimeError(os.environ["TEST_FAIL_SANDBOX"])
    gate = os.environ.get("TEST_HOLD_SANDBOX")
    if gate:
        open(gate + ".waiting", "w").close()
        while not os.path.exists(gate):
            time.sleep(0.02)
    return _start()


embedded.start_embedded = start_embedded

if os.environ.get("TEST_HOLD_INDEX"):
    import server

    _open_store = server._open_store

    def open_store():
        while not os.path.exists(os.environ["TEST_HOLD_INDEX"]):
            time.sleep(0.02)
        return _open_store()

    server._open_store = open_store
'''


def child_env(data_dir: Path, hooks: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_", "TEST_"))}
    env.update(
        COPILOT_DATA_DIR=str(data_dir),
        COPILOT_SANDBOX_TICKETS="60",
        COPILOT_KB_AUTOSYNC="0",
        PYTHONPATH=os.pathsep.join([*([str(hooks)] if hooks else []), str(ROOT)]),
    )
    env.update(extra)
    return env


@pytest.fixture
def hooks(tmp_path: Path) -> Path:
    folder = tmp_path / "hooks"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(HOOK)
    return folder


def initialize_line() -> bytes:
    return (json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
    }) + "\n").encode()


def stderr_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


class StdioServer:
    """`psa-copilot serve` as a child speaking JSON-RPC lines over its stdin and stdout."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._log = log.open("wb")
        self.proc = subprocess.Popen([*CLI, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, env=env, cwd=str(log.parent))
        self.log = log
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._answers: dict[int, dict[str, Any]] = {}
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def ask(self, request_id: int, method: str, params: dict[str, Any] | None = None) -> None:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, **({"params": params} if params else {})})

    def answered(self, request_id: int) -> bool:
        """Whether the answer to `request_id` has arrived (without waiting)."""
        while not self._lines.empty():
            self._take(self._lines.get())
        return request_id in self._answers

    def answer(self, request_id: int) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while request_id not in self._answers:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no answer to request {request_id}:\n{self.log.read_text()}")
            if not line:
                pytest.fail(f"the server exited before answering request {request_id}:\n{self.log.read_text()}")
            self._take(line)
        return self._answers.pop(request_id)

    def _take(self, line: bytes) -> None:
        if line:
            message = json.loads(line)
            if "id" in message:
                self._answers[message["id"]] = message

    def request(self, request_id: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.ask(request_id, method, params)
        return self.answer(request_id)

    def initialize(self) -> dict[str, Any]:
        answer = self.request(1, "initialize", json.loads(initialize_line())["params"])
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer["result"]

    def call(self, request_id: int, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request(request_id, "tools/call", {"name": tool, "arguments": arguments or {}})["result"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._log.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[StdioServer] = []

    def start(env: dict[str, str]) -> StdioServer:
        started.append(StdioServer(env, tmp_path / f"serve-{len(started)}.log"))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path} never appeared")
        time.sleep(0.05)


# ---- a bad setting stops `serve` before the handshake -------------------------------------------------------------


def _corrupt_db(data: Path) -> dict[str, str]:
    data.mkdir()
    (data / "sandbox.db").write_bytes(os.urandom(8192))
    return {}


def _data_dir_is_a_file(data: Path) -> dict[str, str]:
    data.write_text("not a folder")
    return {}


def _read_only_data_dir(data: Path) -> dict[str, str]:
    data.mkdir()
    data.chmod(0o555)
    if os.access(data, os.W_OK):
        pytest.skip("permissions do not bind this user (root)")
    return {}


def _uncreatable_data_dir(data: Path) -> dict[str, str]:
    if not Path("/sys").is_dir():
        pytest.skip("needs a read-only file system at /sys")
    return {"COPILOT_DATA_DIR": "/sys/psa-copilot-test"}


def _unwritable_audit_log(data: Path) -> dict[str, str]:
    (data / "audit.db").mkdir(parents=True)  # a folder where the file should be: sqlite cannot open it
    return {}


BAD_SETTINGS = {
    "corrupt sandbox.db": (_corrupt_db, "sandbox.db is not a sandbox database"),
    "data dir is a file": (_data_dir_is_a_file, "COPILOT_DATA_DIR"),
    "read-only data dir": (_read_only_data_dir, "not writable"),
    "data dir cannot be created": (_uncreatable_data_dir, "COPILOT_DATA_DIR"),
    "audit log cannot be written": (_unwritable_audit_log, "audit.db"),
    "COPILOT_EMBEDDINGS=bogus": (lambda _: {"COPILOT_EMBEDDINGS": "bogus"}, "COPILOT_EMBEDDINGS"),
    "COPILOT_SANDBOX_TICKETS=abc": (lambda _: {"COPILOT_SANDBOX_TICKETS": "abc"}, "COPILOT_SANDBOX_TICKETS"),
    "COPILOT_LOG_LEVEL=LOUD": (lambda _: {"COPILOT_LOG_LEVEL": "LOUD"}, "COPILOT_LOG_LEVEL"),
    "COPILOT_KB_AUTOSYNC=maybe": (lambda _: {"COPILOT_KB_AUTOSYNC": "maybe"}, "COPILOT_KB_AUTOSYNC"),
    "COPILOT_TOOLSETS=nope": (lambda _: {"COPILOT_TOOLSETS": "tickets,nope"}, "COPILOT_TOOLSETS"),
    "COPILOT_PROVIDER=nope": (lambda _: {"COPILOT_PROVIDER": "nope"}, "COPILOT_PROVIDER"),
    "HELPDESK_URL without a token": (
        lambda _: {"COPILOT_PROVIDER": "helpdesk", "HELPDESK_URL": "http://127.0.0.1:9"}, "HELPDESK_TOKEN"
    ),
    "COPILOT_KB_SYNC_INTERVAL_SECONDS=5": (
        lambda _: {"COPILOT_KB_SYNC_INTERVAL_SECONDS": "5"}, "COPILOT_KB_SYNC_INTERVAL_SECONDS"
    ),
    "CW_SITE without keys": (lambda _: {"CW_SITE": "https://api-na.myconnectwise.net"}, "CW_PRIVATE_KEY"),
    "CW_API_VERSION=v3": (
        lambda _: {"CW_SITE": "https://na.myconnectwise.net", "CW_COMPANY_ID": "x", "CW_PUBLIC_KEY": "x",
                   "CW_PRIVATE_KEY": "x", "CW_CLIENT_ID": "x", "CW_API_VERSION": "v3"},
        "CW_API_VERSION",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_a_bad_setting_stops_serve_with_one_line_before_the_handshake(tmp_path: Path, case: str) -> None:
    arrange, named = BAD_SETTINGS[case]
    data = tmp_path / "data"
    env = child_env(data)
    env.update(arrange(data))
    try:
        done = subprocess.run([*CLI, "serve"], input=initialize_line(), capture_output=True, env=env,
                              cwd=str(tmp_path), timeout=WAIT_S)
    finally:
        if data.is_dir():
            data.chmod(0o755)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert done.stdout == b""  # not even the initialize answer
    assert len(stderr_lines(err)) == 1, err
    assert err.startswith("psa-copilot: configuration error: ") and named in err, err


# ---- `kb`: configuration and usage errors are one line, exit 2 -----------------------------------------------------


KB_ERRORS = {
    "sync, CW_SITE without keys": (["kb", "sync"], {"CW_SITE": "https://api-na.myconnectwise.net"}, "CW_COMPANY_ID"),
    "sync, COPILOT_SANDBOX_TICKETS=abc": (
        ["kb", "sync"], {"COPILOT_SANDBOX_TICKETS": "abc"}, "COPILOT_SANDBOX_TICKETS"
    ),
    "stats, COPILOT_EMBEDDINGS=bogus": (["kb", "stats"], {"COPILOT_EMBEDDINGS": "bogus"}, "COPILOT_EMBEDDINGS"),
    "bench, not a BEIR folder": (["kb", "bench", "."], {}, "not a BEIR folder"),
}


@pytest.mark.parametrize("case", list(KB_ERRORS))
def test_kb_configuration_errors_are_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    args, extra, named = KB_ERRORS[case]
    done = subprocess.run([*CLI, *args], capture_output=True, env=child_env(tmp_path / "data", **extra),
                          cwd=str(tmp_path), timeout=WAIT_S, stdin=subprocess.DEVNULL)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert len(stderr_lines(err)) == 1 and named in err, err


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    with start_sandbox(db_path=tmp_path_factory.mktemp("cw") / "sandbox.db", tickets=20) as running:
        yield running


def _site(url: str, **extra: str) -> dict[str, str]:
    return {"CW_SITE": url, "CW_COMPANY_ID": "sandbox", "CW_PUBLIC_KEY": "sandbox-public",
            "CW_PRIVATE_KEY": "sandbox-private", "CW_CLIENT_ID": "sandbox-client", **extra}


def test_kb_sync_with_a_wrong_key_is_a_configuration_error(tmp_path: Path, sandbox: Any) -> None:
    env = child_env(tmp_path / "data", **_site(sandbox.url, CW_PRIVATE_KEY="wrong"))
    done = subprocess.run([*CLI, "kb", "sync"], capture_output=True, env=env, cwd=str(tmp_path), timeout=WAIT_S,
                          stdin=subprocess.DEVNULL)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert len(stderr_lines(err)) == 1 and "401" in err and "CW_PRIVATE_KEY" in err, err


def test_kb_sync_from_an_unreachable_site_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    env = child_env(tmp_path / "data", **_site(url, CW_MAX_ATTEMPTS="1"))
    done = subprocess.run([*CLI, "kb", "sync"], capture_output=True, env=env, cwd=str(tmp_path), timeout=WAIT_S,
                          stdin=subprocess.DEVNULL)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert len(stderr_lines(err)) == 1 and "CW_SITE" in err, err


@posix_only
def test_ctrl_c_during_kb_sync_is_one_line_and_exit_130(tmp_path: Path, hooks: Path) -> None:
    gate = tmp_path / "gate"
    env = child_env(tmp_path / "data", hooks, TEST_HOLD_SANDBOX=str(gate))
    proc = subprocess.Popen([*CLI, "kb", "sync"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=str(tmp_path))
    try:
        wait_for(gate.with_name("gate.waiting"))  # the sync is starting the sandbox
        proc.send_signal(signal.SIGINT)
        gate.touch()
        _, err_bytes = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = err_bytes.decode()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert stderr_lines(err)[-1] == "psa-copilot: interrupted; re-run to resume", err


# ---- stopping `serve` -----------------------------------------------------------------------------------------------


@posix_only
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_stdio_serve_cleanly(tmp_path: Path, serve: Any, signum: int) -> None:
    data = tmp_path / "data"
    server = serve(child_env(data))
    info = server.initialize()
    assert info["serverInfo"]["version"] == metadata.version("psa-copilot")
    assert server.request(2, "tools/list")["result"]["tools"]
    assert not server.call(3, "list_boards").get("isError")  # the sandbox and the index are open now
    server.proc.send_signal(signum)
    assert server.proc.wait(timeout=WAIT_S) == 0
    err = server.log.read_text()
    assert "Traceback" not in err, err
    # SQLite removes the write-ahead log when the last connection closes: the sandbox's store was closed.
    assert (data / "sandbox.db").exists() and not (data / "sandbox.db-wal").exists(), err


# ---- the handshake does not wait for the sandbox; tool calls do ----------------------------------------------------


def test_tools_list_is_answered_while_the_sandbox_opens_and_a_call_waits_for_it(
    tmp_path: Path, hooks: Path, serve: Any
) -> None:
    data, gate = tmp_path / "data", tmp_path / "gate"
    server = serve(child_env(data, hooks, TEST_HOLD_SANDBOX=str(gate), COPILOT_TOOLSETS="tickets,directory"))
    server.initialize()
    assert {t["name"] for t in server.request(2, "tools/list")["result"]["tools"]} >= {"list_boards"}
    # Both answered while the hook holds the sandbox back, before its database exists.
    assert not (data / "sandbox.db").exists()
    server.ask(3, "tools/call", {"name": "list_boards", "arguments": {}})
    assert server.request(4, "ping")["result"] == {}  # the waiting call does not hold the server up
    assert not server.answered(3)  # the call is waiting for the sandbox
    gate.touch()
    boards = server.answer(3)["result"]
    assert not boards.get("isError") and boards["structuredContent"]["boards"], boards


def test_a_call_that_does_not_read_the_index_does_not_wait_for_it(tmp_path: Path, hooks: Path, serve: Any) -> None:
    gate = tmp_path / "gate"
    server = serve(child_env(tmp_path / "data", hooks, TEST_HOLD_INDEX=str(gate)))
    server.initialize()
    assert server.call(2, "list_boards")["structuredContent"]["boards"]  # answered while the index is held
    server.ask(3, "tools/call", {"name": "suggest_kb_articles", "arguments": {"text": "printer offline"}})
    assert server.request(4, "ping")["result"] == {}
    assert not server.answered(3)  # a kb tool waits for the index
    gate.touch()
    suggestions = server.answer(3)["result"]
    assert not suggestions.get("isError") and "index" in suggestions["structuredContent"], suggestions


def test_a_sandbox_that_fails_to_open_is_one_line_per_tool_call(tmp_path: Path, hooks: Path, serve: Any) -> None:
    server = serve(child_env(tmp_path / "data", hooks, TEST_FAIL_SANDBOX="port 1 refused",
                             COPILOT_TOOLSETS="tickets,directory"))
    server.initialize()
    for request_id in (2, 3):
        result = server.call(request_id, "list_boards")
        assert result["isError"] is True
        text = result["content"][0]["text"]
        assert "\n" not in text
        assert text.startswith("the ConnectWise sandbox could not be opened: port 1 refused"), text
    assert server.request(4, "tools/list")["result"]["tools"]  # the server is still up
    assert server.proc.poll() is None


@pytest.mark.anyio
async def test_a_call_that_outwaits_the_start_says_what_is_still_starting() -> None:
    readiness = Readiness({"psa": "the ConnectWise sandbox", "index": "the knowledge index"})
    assert await readiness.wait(0.01) == (
        "the ConnectWise sandbox and the knowledge index are still starting; try again in a moment"
    )
    readiness.opened("psa")
    assert await readiness.wait(0.01, needs=("psa",)) is None  # a tool that needs only ConnectWise goes ahead
    assert await readiness.wait(0.01) == "the knowledge index is still starting; try again in a moment"
    readiness.opened("index")
    assert await readiness.wait(0.01) is None


# ---- `serve --transport http` --------------------------------------------------------------------------------------


def test_http_on_a_port_in_use_is_one_line_without_a_url(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([*CLI, "serve", "--transport", "http", "--port", str(port)], capture_output=True,
                              env=child_env(tmp_path / "data"), cwd=str(tmp_path), timeout=WAIT_S,
                              stdin=subprocess.DEVNULL)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert len(stderr_lines(err)) == 1 and "already in use" in err and str(port) in err, err
    assert "http://" not in err


# ---- Ctrl-C at the chat prompt -------------------------------------------------------------------------------------


@posix_only
def test_ctrl_c_at_the_chat_prompt_leaves_in_one_line(tmp_path: Path) -> None:
    import pty
    import select

    env = child_env(tmp_path / "data", OPENAI_BASE_URL="http://127.0.0.1:9/v1", OPENAI_API_KEY="sk-test",
                    COPILOT_TOOLSETS="tickets,directory", TERM="dumb")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the chat on a terminal
        os.chdir(tmp_path)
        os.execve(CLI[0], [*CLI, "chat"], env)
    seen = b""

    def read_until(done: Any) -> None:
        nonlocal seen
        deadline = time.monotonic() + WAIT_S
        while not done() and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:  # the terminal closed: the chat exited
                    return

    try:
        read_until(lambda: b"you> " in seen)
        assert b"you> " in seen, seen
        os.write(fd, b"\x03")  # Ctrl-C, typed
        read_until(lambda: False)  # to the end of the output
        code = None
        deadline = time.monotonic() + WAIT_S
        while code is None and time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            code = os.waitstatus_to_exitcode(status) if done else None
            time.sleep(0.05)
    finally:
        if code is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    text = seen.decode(errors="replace")
    assert code == 0, text
    assert "Traceback" not in text, text
    assert text.rstrip().splitlines()[-1].strip() == "interrupted", text
