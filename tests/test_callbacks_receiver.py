"""ConnectWise callbacks end to end: the sandbox delivers signed callbacks to `POST /connectwise/callbacks` of a
real `psa-copilot serve --transport http` child process, which verifies them, dedupes them and updates the
knowledge index per record; tools are called over MCP to see the effect.

The server syncs its index once at start (COPILOT_KB_SYNC_INTERVAL_SECONDS=0: never again), so anything it
finds afterwards came through a callback. Waits poll with generous deadlines; nothing asserts a duration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from http_serving import serving_http
from sandbox.runner import RunningSandbox, start_sandbox
from storage.callbacks import CallbackStore

pytestmark = pytest.mark.anyio

AUTH = "Basic " + base64.b64encode(b"sandbox+sandbox-public:sandbox-private").decode()
HEADERS = {"Authorization": AUTH, "clientId": "sandbox-client"}
WAIT_S = 180.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Served:
    def __init__(self, sandbox: RunningSandbox, mcp_url: str, data_dir: Path) -> None:
        self.sandbox = sandbox
        self.mcp_url = mcp_url
        self.receiver = mcp_url.removesuffix("/mcp") + "/connectwise/callbacks"
        self.data_dir = data_dir
        self.rest = httpx.Client(base_url=sandbox.api_base, headers=HEADERS, timeout=30)
        self.site = httpx.Client(base_url=sandbox.url, timeout=30)

    def inbox(self) -> CallbackStore:
        return CallbackStore(self.data_dir / "copilot.db")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("callbacks")
    with start_sandbox(db_path=root / "sandbox.db", tickets=40, callback_retry_delays=[0.2, 0.5, 1.0]) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_"))}
        env.update(
            COPILOT_DATA_DIR=str(root), COPILOT_LOG_LEVEL="INFO", COPILOT_KB_AUTOSYNC="1",
            COPILOT_KB_SYNC_INTERVAL_SECONDS="0", CW_SITE=sandbox.url, CW_COMPANY_ID="sandbox",
            CW_PUBLIC_KEY="sandbox-public", CW_PRIVATE_KEY="sandbox-private", CW_CLIENT_ID="sandbox-client",
        )
        with serving_http(root, env) as url:
            served = Served(sandbox, url, root)
            served.rest.post("/system/callbacks", json={
                "description": "tests: every ticket", "url": served.receiver, "objectId": 1, "type": "Ticket",
                "level": "Owner"}).raise_for_status()
            served.rest.post("/system/callbacks", json={
                "description": "tests: KB", "url": served.receiver, "objectId": 1, "type": "KnowledgeBaseArticle",
                "level": "Owner"}).raise_for_status()
            yield served
            served.rest.close()
            served.site.close()


@asynccontextmanager
async def mcp(served: Served) -> AsyncIterator[Client]:
    async with create_mcp_http_client() as http:
        async with Client(streamable_http_client(served.mcp_url, http_client=http)) as client:
            yield client


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def _until(check: Callable[[], Any], what: str) -> Any:
    """Poll `check` (async) until it returns something truthy; fail naming `what` after a generous wait."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if found := await check():
            return found
        await anyio.sleep(0.25)
    pytest.fail(f"gave up waiting: {what}")


async def _index_ready(client: Client) -> None:
    async def ready() -> bool:
        found = await _call(client, "find_similar_tickets", text="printer", limit=1)
        return bool(found["index"]["ready"])

    await _until(ready, "the server's first index sync")


def _signed(key: str, body: bytes) -> str:
    # The developer guide's algorithm, written here on its own: HMAC-SHA256 keyed with SHA-256(key), base64.
    return base64.b64encode(hmac.new(hashlib.sha256(key.encode()).digest(), body, hashlib.sha256).digest()).decode()


def _sandbox_key(served: Served) -> tuple[str, str]:
    """(key_url, signing key) of a fresh sandbox key."""
    made = served.site.post("/__sandbox/callback-key")
    made.raise_for_status()
    key_url = served.sandbox.url + made.json()["key_url_path"]
    return key_url, httpx.get(key_url).json()["signing_key"]


def _payload(key_url: str, record_id: int, *, kind: str = "ticket", action: str = "updated") -> bytes:
    return json.dumps({
        "MessageId": str(uuid.uuid4()), "FromUrl": key_url.split("/v4_6_release")[0], "CompanyId": "sandbox",
        "MemberId": "SandboxAPI", "Action": action, "Type": kind, "ID": record_id, "Entity": "{}",
        "Metadata": {"key_url": key_url}, "CallbackObjectRecId": 1,
    }).encode()


def _post(served: Served, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["x-content-signature"] = signature
    return httpx.post(served.receiver, content=body, headers=headers, timeout=30)


# ---- who may deliver ----------------------------------------------------------------------------------------


def test_a_signed_payload_is_accepted_and_a_repeat_is_a_duplicate(served: Served) -> None:
    key_url, key = _sandbox_key(served)
    body = _payload(key_url, 1)
    first = _post(served, body, _signed(key, body))
    assert (first.status_code, first.json()) == (202, {"status": "accepted"})
    again = _post(served, body, _signed(key, body))
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    message_id = json.loads(body)["MessageId"]
    assert [m.message_id for m in served.inbox().messages(500)].count(message_id) == 1


def test_a_forged_or_missing_signature_is_refused(served: Served) -> None:
    key_url, key = _sandbox_key(served)
    body = _payload(key_url, 2)
    assert _post(served, body, _signed("not the key", body)).status_code == 401
    tampered = body.replace(b'"ID": 2', b'"ID": 3')
    assert _post(served, tampered, _signed(key, body)).status_code == 401
    assert _post(served, body, None).status_code == 401
    refused = {json.loads(b)["MessageId"] for b in (body, tampered)}
    assert not refused & {m.message_id for m in served.inbox().messages(500)}


class _KeyServer(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        self.hits.append(self.path)
        body = json.dumps({"signing_key": "attacker-key"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_key_url_off_the_site_is_refused_and_never_fetched(served: Served) -> None:
    attacker = ThreadingHTTPServer(("127.0.0.1", 0), _KeyServer)
    thread = threading.Thread(target=attacker.serve_forever, daemon=True)
    thread.start()
    try:
        key_url = f"http://127.0.0.1:{attacker.server_address[1]}/v4_6_release/system/callbackkey/index.rails?id=1"
        body = _payload(key_url, 4)
        answer = _post(served, body, _signed("attacker-key", body))
        assert answer.status_code == 403
        assert "key_url" in answer.json()["error"]
        assert _KeyServer.hits == []
    finally:
        attacker.shutdown()
        attacker.server_close()


def test_not_a_payload_is_a_bad_request(served: Served) -> None:
    assert _post(served, b"{not json", "x").status_code == 400
    assert _post(served, b'{"MessageId": "m"}', "x").status_code == 400
    assert httpx.get(served.receiver).status_code == 405


def test_the_receiver_is_outside_sign_in_and_mcp_is_not(served: Served, tmp_path: Path) -> None:
    # ConnectWise cannot send a bearer token: with COPILOT_AUTH=tokens the callback path still answers on the
    # payload's own merits (a forged one is refused for its signature), while /mcp wants a token.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_"))}
    env.update(COPILOT_DATA_DIR=str(tmp_path), COPILOT_AUTH="tokens", COPILOT_TOOLSETS="tickets",
               COPILOT_KB_AUTOSYNC="0", CW_SITE=served.sandbox.url, CW_COMPANY_ID="sandbox",
               CW_PUBLIC_KEY="sandbox-public", CW_PRIVATE_KEY="sandbox-private", CW_CLIENT_ID="sandbox-client")
    key_url, _key = _sandbox_key(served)
    body = _payload(key_url, 5)
    with serving_http(tmp_path, env) as url:
        receiver = url.removesuffix("/mcp") + "/connectwise/callbacks"
        assert httpx.post(url, json={}, timeout=30).status_code == 401

        def forged() -> int:
            return httpx.post(receiver, content=body, headers={"x-content-signature": "AAAA"}, timeout=30).status_code

        deadline = time.monotonic() + WAIT_S
        while (status := forged()) == 503 and time.monotonic() < deadline:  # 503 until its PSA connection is open
            time.sleep(0.2)
        assert status == 401


# ---- what a callback does -----------------------------------------------------------------------------------


def _open_ticket(served: Served) -> dict[str, Any]:
    tickets = served.rest.get("/service/tickets", params={"conditions": "closedFlag=false", "pageSize": 50}).json()
    used = {m.record_id for m in served.inbox().messages(500)}
    return next(t for t in tickets if t["id"] not in used)


def _closed_status(served: Served, board_id: int) -> int:
    statuses = served.rest.get(f"/service/boards/{board_id}/statuses", params={"pageSize": 100}).json()
    return next(s["id"] for s in statuses if s.get("closedStatus"))


def _open_status(served: Served, board_id: int) -> int:
    statuses = served.rest.get(f"/service/boards/{board_id}/statuses", params={"pageSize": 100}).json()
    return next(s["id"] for s in statuses if not s.get("closedStatus"))


async def test_a_closed_ticket_is_found_without_a_sync_and_a_reopened_one_leaves(served: Served) -> None:
    ticket = _open_ticket(served)
    phrase = "quantum flux capacitor on the reception kiosk"
    async with mcp(served) as client:
        await _index_ready(client)
        before = await _call(client, "find_similar_tickets", text=phrase, limit=5)
        assert ticket["id"] not in [t["id"] for t in before["items"]]

        served.rest.post(f"/service/tickets/{ticket['id']}/notes", json={
            "text": f"Resolved: reseated the {phrase} and cleared its cache.", "resolutionFlag": True,
        }).raise_for_status()
        served.rest.patch(f"/service/tickets/{ticket['id']}", json=[
            {"op": "replace", "path": "status", "value": {"id": _closed_status(served, ticket["board"]["id"])}},
        ]).raise_for_status()

        async def found() -> bool:
            similar = await _call(client, "find_similar_tickets", text=phrase, limit=5)
            return ticket["id"] in [t["id"] for t in similar["items"]]

        await _until(found, f"ticket {ticket['id']} in find_similar_tickets after its close")

        served.rest.patch(f"/service/tickets/{ticket['id']}", json=[
            {"op": "replace", "path": "status", "value": {"id": _open_status(served, ticket["board"]["id"])}},
        ]).raise_for_status()

        async def gone() -> bool:
            similar = await _call(client, "find_similar_tickets", text=phrase, limit=5)
            return ticket["id"] not in [t["id"] for t in similar["items"]]

        await _until(gone, f"reopened ticket {ticket['id']} leaving the index")
    # The server wrote nothing to ConnectWise while it handled them: no loop of callbacks.
    writes = [e for e in served.sandbox.requests.entries() if e.method in ("POST", "PATCH", "PUT", "DELETE")
              and "/system/callbacks" not in e.path]
    assert len(writes) == 3


async def test_a_new_kb_article_is_suggested_without_a_sync(served: Served) -> None:
    async with mcp(served) as client:
        await _index_ready(client)
        created = served.rest.post("/service/knowledgeBaseArticles", json={
            "title": "Holographic badge reader rejects every badge",
            "issue": "The holographic badge reader at the loading dock rejects every badge after a firmware push.",
            "resolution": "Roll the holographic badge reader back to the previous firmware and re-enrol badges.",
            "categoryId": 1,
        })
        created.raise_for_status()
        article_id = created.json()["id"]

        async def suggested() -> bool:
            found = await _call(client, "suggest_kb_articles", text="holographic badge reader rejects badges")
            return article_id in [a["id"] for a in found["items"]]

        await _until(suggested, f"KB article {article_id} in suggest_kb_articles")


async def test_duplicate_and_reordered_deliveries_leave_one_processed_message_each(served: Served) -> None:
    ticket = _open_ticket(served)
    served.sandbox.callbacks.faults.add(kind="duplicate", url="connectwise/callbacks")
    served.rest.patch(f"/service/tickets/{ticket['id']}", json=[
        {"op": "replace", "path": "summary", "value": ticket["summary"] + " (dup test)"}]).raise_for_status()
    assert await anyio.to_thread.run_sync(served.sandbox.callbacks.wait_idle, WAIT_S)
    sent = [d for d in served.sandbox.callbacks.deliveries() if d.id == ticket["id"] and d.status is not None]
    message_ids = {d.message_id for d in sent}
    assert len(sent) >= 2 and len(message_ids) == 1  # the same message, delivered twice

    async def handled() -> bool:
        message = served.inbox().get(next(iter(message_ids)))
        return message is not None and message.state == "done"

    await _until(handled, "the duplicated message handled")
    assert sorted(d.status for d in sent)[:2] == [200, 202]


async def test_hints_for_a_new_ticket_on_a_watched_board_are_an_mcp_resource(served: Served) -> None:
    boards = served.rest.get("/service/boards", params={"pageSize": 100}).json()
    board = boards[0]
    served.rest.post("/system/callbacks", json={
        "description": "tests: hints", "url": served.receiver, "objectId": board["id"], "type": "Ticket",
        "level": "Board"}).raise_for_status()
    company = served.rest.get("/company/companies", params={"pageSize": 1}).json()[0]
    created = served.rest.post("/service/tickets", json={
        "summary": "Outlook keeps asking for the password", "board": {"id": board["id"]},
        "company": {"id": company["id"]}, "initialDescription": "Outlook prompts for the password every few minutes.",
    })
    created.raise_for_status()
    ticket_id = created.json()["id"]
    uri = f"psa://tickets/{ticket_id}/hints"
    async with mcp(served) as client:
        async def stored() -> bool:
            hints = served.inbox().hints(ticket_id)
            return hints is not None

        await _until(stored, f"hints for ticket {ticket_id}")
        read = await client.read_resource(uri)
        hints = json.loads(read.contents[0].text)  # type: ignore[union-attr]
        assert hints["ticket_id"] == ticket_id and hints["uri"] == uri
        assert hints["summary"] == "Outlook keeps asking for the password"
        assert hints["articles"], hints
        recent = json.loads((await client.read_resource("psa://hints")).contents[0].text)  # type: ignore[union-attr]
        assert recent["items"][0]["ticket_id"] == ticket_id
        templates = await client.list_resource_templates()
        assert "psa://tickets/{ticket_id}/hints" in [t.uri_template for t in templates.resource_templates]
