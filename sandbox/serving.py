"""Serving a sandbox (either product) on loopback: the listening socket, its URL, and uvicorn on a thread that has
started once this returns."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

START_TIMEOUT = 30.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket bound here, not in uvicorn, so port 0 can report the port the OS chose. IPPROTO_TCP,
    not 0: asyncio sets TCP_NODELAY only on sockets that name it, and without it every kept-alive response
    waits ~40 ms for the client's delayed ACK. Listening at once means a client that connects as soon as the
    URL is printed waits in the backlog until uvicorn accepts, instead of being refused."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{sock.getsockname()[1]}"


def serve_in_thread(server: uvicorn.Server, sock: socket.socket, name: str, what: str) -> threading.Thread:
    """`server` on `sock` in a daemon thread `name`, once it accepts connections; RuntimeError naming `what`
    when it did not start."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{what} failed to start")
        time.sleep(0.01)
    return thread
