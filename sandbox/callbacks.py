"""Callback delivery: the sandbox POSTs a signed payload to every matching `/system/callbacks` entry, as
ConnectWise does, after a REST write to a ticket (its notes and configurations included), a KB article, a
company, a contact or a configuration.

Matching, the payload and its signature are made in the request that changed the record (so what is sent is
the record as that change left it, and the payload exists before the response does); the sending is done by
one background thread, with retries on a schedule, so a slow or failing receiver never holds up the API or
the other receivers. Seeding writes straight to the store and sends nothing.

Signing follows the developer guide: the HMAC-SHA256 of the raw body, keyed with the SHA-256 of the signing
key, base64 in `x-content-signature`; the key is fetched, without auth, from the payload's
`Metadata.key_url`. Keys live in the database, so payloads signed before a restart or a rotation still verify.

Delivery faults (duplicate, delay, reorder, drop) are off until a rule is added, in-process
(`RunningSandbox.callbacks.faults.add(...)`) or over HTTP (`/__sandbox/callback-faults`); every attempt is
in the delivery log (`/__sandbox/callback-deliveries`).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field, field_validator

from sandbox.auth import COMPANY_ID
from sandbox.faults import RuleBook
from sandbox.resources import acting_identifier, hide_write_only
from sandbox.store import Doc, Store

logger = logging.getLogger(__name__)

KEY_PATH = "/v4_6_release/system/callbackkey/index.rails"
KEY_TABLE = "callback_keys"
SIGNATURE_HEADER = "x-content-signature"
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
DELIVERIES_KEPT = 10_000
SEND_TIMEOUT = 5.0
# A held (reorder) payload goes out anyway when nothing follows it, so a quiet sandbox never keeps it.
REORDER_HOLD = 2.0
# Past the send timeout, so a stop waits out an attempt in flight rather than leaving the thread behind.
_STOP_TIMEOUT = SEND_TIMEOUT + 5.0

Action = Literal["added", "updated", "deleted"]
FaultKind = Literal["duplicate", "delay", "reorder", "drop"]

# Store resource -> the callback entry type that follows it.
RECORD_TYPES: dict[str, str] = {
    "tickets": "Ticket",
    "kb_articles": "KnowledgeBaseArticle",
    "companies": "Company",
    "contacts": "Contact",
    "configurations": "Configuration",
}

# (type, level) -> the reference (or list of references, for `types`) whose id must equal the entry's objectId.
# Owner matches every record; ProjectBoard and ProjectStatus match nothing, as the sandbox has no project tickets.
_LEVEL_FIELDS: dict[tuple[str, str], str] = {
    ("Ticket", "Board"): "board",
    ("Ticket", "Status"): "status",
    ("Company", "Status"): "status",
    ("Company", "Type"): "types",
    ("Contact", "Type"): "types",
    ("Configuration", "Type"): "type",
}


def key_url_path(key_id: int) -> str:
    return f"{KEY_PATH}?id={key_id}"


def sign(signing_key: str, body: bytes) -> str:
    """The developer guide's signature: base64(HMAC-SHA256(key=SHA256(UTF-8 key), msg=raw body))."""
    digest = hmac.new(hashlib.sha256(signing_key.encode()).digest(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def matches(entry: Doc, doc: Doc) -> bool:
    """Whether a callback entry follows this record (in the state the change left it, or deleted it from)."""
    if entry.get("level") == "Owner":
        return True
    field_name = _LEVEL_FIELDS.get((entry.get("type"), entry.get("level")))
    if field_name is None:
        return False
    value = doc.get(field_name)
    refs = value if isinstance(value, list) else [value]
    return any(isinstance(ref, dict) and ref.get("id") == entry.get("objectId") for ref in refs)


# keys ---------------------------------------------------------------------------------------------

class CallbackKey(BaseModel):
    id: int
    key_url_path: str


class CallbackKeys:
    """Signing keys in the sandbox database; the newest is current, and older ones keep answering so that
    payloads signed with them (in retry, or before a restart) still verify."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def current(self) -> tuple[int, str]:
        with self._store.transaction():
            latest = self._store.select(KEY_TABLE, order_by="id DESC", limit=1)
            doc = latest[0] if latest else self._new()
        return doc["id"], doc["signing_key"]

    def rotate(self) -> CallbackKey:
        doc = self._new()
        return CallbackKey(id=doc["id"], key_url_path=key_url_path(doc["id"]))

    def get(self, key_id: int) -> str | None:
        doc = self._store.get(KEY_TABLE, key_id)
        return doc["signing_key"] if doc is not None else None

    def _new(self) -> Doc:
        return self._store.insert(KEY_TABLE, {"signing_key": secrets.token_urlsafe(32)})


# faults -------------------------------------------------------------------------------------------

class CallbackFaultRule(BaseModel):
    kind: FaultKind
    times: int | None = Field(default=1, ge=1)  # None: fire until cleared
    seconds: float = Field(default=1.0, ge=0)  # delay only: the wait before the first attempt
    url: str | None = None  # regex, searched in the entry's url; None matches every url
    type: str | None = None  # a payload Type ("ticket"), any case; None matches every type

    @field_validator("url")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid url regex: {exc}") from None
        return value


class ActiveCallbackFault(CallbackFaultRule):
    id: int
    fired: int = 0


class CallbackFaults(RuleBook[ActiveCallbackFault]):
    def __init__(self) -> None:
        super().__init__(ActiveCallbackFault)

    def add(self, rule: CallbackFaultRule | None = None, **fields: Any) -> ActiveCallbackFault:
        return self._add(rule if rule is not None else CallbackFaultRule(**fields))

    def take(self, url: str, type_: str) -> ActiveCallbackFault | None:
        return self._take(lambda rule: (rule.url is None or re.search(rule.url, url) is not None)
                          and (rule.type is None or rule.type.lower() == type_.lower()))


# the delivery log ---------------------------------------------------------------------------------

class CallbackDelivery(BaseModel):
    """One attempt to deliver a payload. A dropped payload has one row with attempt 0: it was never sent."""

    message_id: str
    callback_id: int
    url: str
    action: Action
    type: str
    id: int
    attempt: int
    status: int | None  # None: no response (connection error, timeout, dropped)
    error: str | None
    at: float
    fault: FaultKind | None = None


# the dispatcher -----------------------------------------------------------------------------------

@dataclass
class _Job:
    message_id: str
    callback_id: int
    url: str
    action: Action
    type: str
    id: int
    body: bytes
    signature: str
    fault: FaultKind | None
    seq: int = 0  # emission order, given when scheduled: reorder releases a held payload when a later one is sent
    attempt: int = 0


@dataclass(order=True)
class _Held:
    deadline: float
    job: _Job = field(compare=False)


class CallbackDispatcher:
    """Matches writes to callback entries and sends their payloads from one daemon thread.

    The thread works through a heap of (due time, emission order): a failed attempt goes back in at its
    backoff delay, so a failing url waits while the others are sent.
    """

    def __init__(self, store: Store, retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS) -> None:
        self._store = store
        self._delays = tuple(retry_delays)
        self.keys = CallbackKeys(store)
        self.faults = CallbackFaults()
        self._client = httpx.Client(timeout=SEND_TIMEOUT)
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, _Job]] = []
        self._held: list[_Held] = []
        self._in_flight = False
        self._stopping = False
        self._seq = 0
        # Bounded: a sandbox left running keeps sending, and the log is for looking at recent deliveries.
        self._log: deque[CallbackDelivery] = deque(maxlen=DELIVERIES_KEPT)
        self._thread = threading.Thread(target=self._run, name="cw-sandbox-callbacks", daemon=True)

    # control ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ends the sender; whatever is queued, held or waiting for a retry is abandoned."""
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._held.clear()
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=_STOP_TIMEOUT)
        self._client.close()

    def rotate_key(self) -> CallbackKey:
        return self.keys.rotate()

    def deliveries(self) -> list[CallbackDelivery]:
        with self._cond:
            return list(self._log)

    def clear_deliveries(self) -> None:
        with self._cond:
            self._log.clear()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is queued, waiting for a retry, held or being sent; False if `timeout` passed."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._queue or self._held or self._in_flight), timeout)

    # emitting -----------------------------------------------------------------------------------

    def emit(self, *, from_url: str, resource: str, action: Action, doc: Doc) -> None:
        """Queue one payload per active entry following this change; call it after the change is committed."""
        type_ = RECORD_TYPES.get(resource)
        if type_ is None or self._stopping:
            return
        entries = [e for e in self._store.select("callbacks", where="json_extract(doc, '$.type') = ?",
                                                 params=[type_])
                   if not e.get("inactiveFlag") and matches(e, doc)]
        if not entries:
            return
        key_id, signing_key = self.keys.current()
        member = acting_identifier()
        entity = json.dumps(hide_write_only(resource, doc))
        jobs: list[tuple[_Job, ActiveCallbackFault | None]] = []
        for entry in entries:
            payload = {
                "MessageId": str(uuid.uuid4()), "FromUrl": from_url, "CompanyId": COMPANY_ID, "MemberId": member,
                "Action": action, "Type": type_.lower(), "ID": doc["id"], "Entity": entity,
                "Metadata": {"key_url": from_url + key_url_path(key_id)}, "CallbackObjectRecId": entry["id"],
            }
            body = json.dumps(payload).encode()
            rule = self.faults.take(entry["url"], payload["Type"])
            job = _Job(message_id=payload["MessageId"], callback_id=entry["id"], url=entry["url"],
                       action=action, type=payload["Type"], id=doc["id"], body=body,
                       signature=sign(signing_key, body), fault=rule.kind if rule else None)
            jobs.append((job, rule))
        with self._cond:
            for job, rule in jobs:
                self._schedule(job, rule)
            self._cond.notify_all()

    def _schedule(self, job: _Job, rule: ActiveCallbackFault | None) -> None:
        now = time.monotonic()
        if rule is not None and rule.kind == "drop":
            self._record(job, status=None, error="dropped by fault injection")
            return
        copies = 2 if rule is not None and rule.kind == "duplicate" else 1
        for _ in range(copies):
            copy = replace(job, seq=self._next_seq())
            if rule is not None and rule.kind == "reorder":
                heapq.heappush(self._held, _Held(now + REORDER_HOLD, copy))
            else:
                due = now + rule.seconds if rule is not None and rule.kind == "delay" else now
                heapq.heappush(self._queue, (due, copy.seq, copy))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # sending ------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next_due()
                if job is None:
                    return
                self._in_flight = True
            status, error = self._send(job)
            with self._cond:
                self._in_flight = False
                if not self._stopping:
                    self._finish(job, status, error)
                self._cond.notify_all()

    def _next_due(self) -> _Job | None:
        """The next job whose time has come, waiting for it; None once stopping. Holds the condition's lock."""
        while not self._stopping:
            now = time.monotonic()
            while self._held and self._held[0].deadline <= now:
                self._release(heapq.heappop(self._held).job, now)
            if self._queue and self._queue[0][0] <= now:
                return heapq.heappop(self._queue)[2]
            wakes = [*(self._queue[0][0] for _ in self._queue[:1]), *(h.deadline for h in self._held[:1])]
            self._cond.wait(min(wakes) - now if wakes else None)
        return None

    def _send(self, job: _Job) -> tuple[int | None, str | None]:
        job.attempt += 1
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: job.signature}
        try:
            response = self._client.post(job.url, content=job.body, headers=headers)
        except Exception as exc:  # noqa: BLE001 - any receiver failure is a failed attempt, not the sender's end
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None

    def _finish(self, job: _Job, status: int | None, error: str | None) -> None:
        now = time.monotonic()
        self._record(job, status=status, error=error)
        delivered = status is not None and 200 <= status < 300
        if not delivered and job.attempt <= len(self._delays):
            heapq.heappush(self._queue, (now + self._delays[job.attempt - 1], job.seq, job))
        elif not delivered:
            logger.warning("callback %s: %s %s %s abandoned after %d attempts (last: %s)", job.callback_id,
                           job.action, job.type, job.id, job.attempt, error or f"HTTP {status}")
        # Reorder: a held payload follows the first later payload that was sent.
        released = [h for h in self._held if h.job.seq < job.seq]
        if released:
            self._held = [h for h in self._held if h.job.seq >= job.seq]
            heapq.heapify(self._held)
            for held in released:
                self._release(held.job, now)

    def _release(self, job: _Job, now: float) -> None:
        heapq.heappush(self._queue, (now, job.seq, job))

    def _record(self, job: _Job, *, status: int | None, error: str | None) -> None:
        self._log.append(CallbackDelivery(
            message_id=job.message_id, callback_id=job.callback_id, url=job.url, action=job.action, type=job.type,
            id=job.id, attempt=job.attempt, status=status, error=error, at=time.time(), fault=job.fault,
        ))
