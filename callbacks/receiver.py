"""`POST /connectwise/callbacks`: where ConnectWise delivers its callbacks.

Not behind the team service's bearer sign-in: ConnectWise cannot send a token, and the signature is its
authentication (psa/connectwise/callbacks.py). The answer comes fast: the payload is checked, stored in the
inbox (the MessageId dedupes repeats), and the worker is woken; the work happens after the 2xx.

    202 {"status": "accepted"}     stored; the worker will handle it
    200 {"status": "duplicate"}    this MessageId was stored before: nothing more happens
    400 / 413                      not a callback payload / too large
    401                            signature missing or wrong
    403                            key_url not on the configured ConnectWise site (and never fetched)
    503 (Retry-After)              the server is still starting, or the site's key endpoint is down
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from psa.connectwise.callbacks import SIGNATURE_HEADER, CallbackRefused, KeyUnavailable, SigningKeys, parse_payload
from storage.callbacks import CallbackStore

log = logging.getLogger("psa_copilot.callbacks")

CALLBACK_PATH = "/connectwise/callbacks"
MAX_BODY_BYTES = 1 << 20
"""A callback carries one record; a megabyte is far beyond any ticket and bounds what a stranger can send."""
RETRY_AFTER_S = 30


class Answer(BaseModel):
    status: int
    body: dict[str, str]


def _refused(status: int, reason: str) -> Answer:
    return Answer(status=status, body={"error": reason})


class CallbackReceiver:
    def __init__(self, keys: SigningKeys, inbox: CallbackStore, wake: Callable[[], None]) -> None:
        self.keys = keys
        self.inbox = inbox
        self.wake = wake

    async def handle(self, body: bytes, signed: str | None) -> Answer:
        if len(body) > MAX_BODY_BYTES:
            return _refused(413, f"a callback body is at most {MAX_BODY_BYTES} bytes")
        try:
            payload = parse_payload(body)
            await self.keys.verify(body, signed, payload.Metadata.key_url)
        except CallbackRefused as exc:
            log.warning("refused a callback delivery (%s): %s", exc.status, exc)
            return _refused(exc.status, str(exc))
        except KeyUnavailable as exc:
            log.warning("could not check a callback's signature: %s", exc)
            return _refused(503, str(exc))
        fresh = await anyio.to_thread.run_sync(
            self.inbox.accept, payload.MessageId, payload.kind, payload.ID, payload.action, payload.CallbackObjectRecId
        )
        if not fresh:
            return Answer(status=200, body={"status": "duplicate"})
        self.wake()
        return Answer(status=202, body={"status": "accepted"})


async def read_body(request: Request) -> bytes | None:
    """The body, or None once it grows past MAX_BODY_BYTES (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def response(answer: Answer) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_S)} if answer.status == 503 else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def not_ready(reason: str) -> Answer:
    return _refused(503, reason)


def too_large() -> Answer:
    return _refused(413, f"a callback body is at most {MAX_BODY_BYTES} bytes")


def signature_of(request: Request) -> str | None:
    return request.headers.get(SIGNATURE_HEADER)
