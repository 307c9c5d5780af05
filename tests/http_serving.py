"""`psa-copilot serve --transport http` as a real child process for the HTTP tests."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
URL_LINE = re.compile(r"psa-copilot MCP server \(streamable HTTP\): (http://\S+/mcp)")


@contextmanager
def serving_http(data_dir: Path, env: Mapping[str, str], host: str = "127.0.0.1") -> Iterator[str]:
    """The server on a free port with `env`; its MCP URL, from the line it prints once it accepts connections.
    Stopped (SIGTERM, then killed) on exit; its stderr is in `data_dir/server.log`."""
    log = data_dir / "server.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "serve", "--transport", "http", "--host", host, "--port", "0"],
            env=dict(env),
            cwd=str(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        url = None
        for _ in range(1200):  # a wait for the URL line, not a measurement
            if (found := URL_LINE.search(log.read_text())) is not None:
                url = found.group(1)
                break
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        if url is None:
            pytest.fail(f"the HTTP server did not start:\n{log.read_text()}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
