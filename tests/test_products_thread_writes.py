"""add_ticket_note, create_ticket and update_ticket on both products, through the guard rails and a real MCP
client, against each product's sandbox over loopback. What landed is read back over the product's own API (never
through the code under test): decline writes nothing, accept writes once with one audit row. On the helpdesk a
note for the customer is an email: its preview names the recipient and says so, and an internal note is refused
with the reason before anyone is asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from sandbox.helpdesk.runner import RunningHelpdesk, start_helpdesk
from sandbox.runner import RunningSandbox, start_sandbox
from server import build_server
from storage.audit import AuditLog
from writes_harness import Human

pytestmark = pytest.mark.anyio

CW_AUTH = {"Authorization": "Basic c2FuZGJveCtzYW5kYm94LXB1YmxpYzpzYW5kYm94LXByaXZhdGU=", "clientId": "sandbox-client"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningSandbox, RunningHelpdesk]]:
    root = tmp_path_factory.mktemp("thread-writes")
    with start_sandbox(db_path=root / "cw.db", tickets=40) as cw, start_helpdesk(db_path=root / "hd.db", tickets=40) as hd:
        yield cw, hd


class Product:
    """One product under test: its environment, and what a ticket holds read back over the product's own API."""

    def __init__(self, name: str, cw: RunningSandbox, hd: RunningHelpdesk) -> None:
        self.name = name
        self.cw, self.hd = cw, hd

    def env(self) -> dict[str, str]:
        if self.name == "connectwise":
            return {"CW_SITE": self.cw.url, "CW_COMPANY_ID": "sandbox", "CW_PUBLIC_KEY": "sandbox-public",
                    "CW_PRIVATE_KEY": "sandbox-private", "CW_CLIENT_ID": "sandbox-client"}
        return {"COPILOT_PROVIDER": "helpdesk", "HELPDESK_URL": self.hd.url, "HELPDESK_TOKEN": self.hd.token}

    def _cw(self, path: str, **params: Any) -> Any:
        return httpx.get(f"{self.cw.api_base}{path}", headers=CW_AUTH, params=params).json()

    def _hd(self, path: str, **params: Any) -> Any:
        return httpx.get(f"{self.hd.url}/api/TicketsApi{path}", headers={"Authorization": f"Bearer {self.hd.token}"},
                         params=params).json()

    def open_ticket(self, offset: int) -> int:
        """An open ticket with a requester who has an email (the helpdesk replies to them)."""
        rows = self._cw("/service/tickets", conditions="closedFlag=false and contact/id > 0", pageSize=60)
        ids = [int(r["id"]) for r in rows]
        if self.name == "helpdesk":
            ids = [i for i in ids if (self._hd(f"/{i}").get("creator") or {}).get("email")]
        return ids[offset]

    def thread(self, ticket_id: int) -> list[str]:
        if self.name == "connectwise":
            return [n.get("text") or "" for n in self._cw(f"/service/tickets/{ticket_id}/notes", pageSize=1000)]
        return [c.get("message") or "" for c in self._hd(f"/{ticket_id}").get("conversations") or []]

    def internal_of(self, ticket_id: int, text: str) -> bool:
        assert self.name == "connectwise"
        notes = self._cw(f"/service/tickets/{ticket_id}/notes", pageSize=1000)
        return bool(next(n for n in notes if n.get("text") == text).get("internalFlag"))

    def requester_email(self, ticket_id: int) -> str:
        return str(self._hd(f"/{ticket_id}")["creator"]["email"])

    def emails(self) -> list[Any]:
        return self.hd.emails() if self.name == "helpdesk" else []

    def priority(self, ticket_id: int) -> str:
        if self.name == "connectwise":
            return str(self._cw(f"/service/tickets/{ticket_id}")["priority"]["name"])
        return str(self._hd(f"/{ticket_id}")["priority"]["priority"])

    def priorities(self) -> list[str]:
        if self.name == "connectwise":
            return [p["name"] for p in self._cw("/service/priorities", pageSize=100)]
        return [p["priority"] for p in self._hd("/appmetadata")["priorities"]]

    def new_ticket_names(self) -> dict[str, str]:
        """Board, company and contact names that exist on both products (the sandboxes seed one MSP world)."""
        contact = self._cw("/company/contacts", conditions="inactiveFlag=false", pageSize=1)[0]
        board = next(b for b in self._cw("/service/boards", pageSize=100) if not b.get("inactiveFlag"))
        company = self._cw(f"/company/companies/{contact['company']['id']}")
        return {"board": board["name"], "company": company["name"],
                "contact": f"{contact['firstName']} {contact['lastName']}"}

    def find_ticket(self, summary: str) -> list[dict[str, Any]]:
        if self.name == "connectwise":
            return list(self._cw("/service/tickets", conditions=f'summary="{summary}"'))
        rows = self._hd("", listType="AllTickets", search=summary, searchFields="Subject", pageSize=100)
        return [self._hd(f"/{r['id']}") for r in rows if r["title"] == summary]


@pytest.fixture(params=["connectwise", "helpdesk"])
def product(request: pytest.FixtureRequest, sandboxes: tuple[RunningSandbox, RunningHelpdesk], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Product:
    for name in ("CW_SITE", "COPILOT_PROVIDER", "HELPDESK_URL", "HELPDESK_TOKEN", "COPILOT_TOOLSETS",
                 "COPILOT_WRITE_MODE", "COPILOT_ENABLED_TOOLS", "COPILOT_DISABLED_TOOLS", "COPILOT_WRITE_BOARDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_TOOLSETS", "tickets")
    chosen = Product(str(request.param), *sandboxes)
    for key, value in chosen.env().items():
        monkeypatch.setenv(key, value)
    return chosen


async def _call(tool: str, args: dict[str, Any], human: Human) -> Any:
    async with Client(build_server(), elicitation_callback=human) as client:
        return await client.call_tool(tool, args)


def _written(tmp_path: Path, tool: str) -> list[Any]:
    return [r for r in AuditLog(tmp_path / "audit.db").entries(limit=None) if r.tool == tool and r.outcome == "written"]


def _text(result: Any) -> str:
    return str(result.content[0].text)


async def test_a_note_for_the_customer_declined_writes_nothing_and_accepted_lands_once(
    product: Product, tmp_path: Path
) -> None:
    ticket_id = product.open_ticket(0)
    text = f"We replaced the toner on {product.name}; please print a test page."
    args = {"ticket_id": ticket_id, "text": text, "note_type": "discussion", "internal": False}
    before, mails = product.thread(ticket_id), len(product.emails())

    declined = Human(answers=["decline"])
    result = await _call("add_ticket_note", args, declined)
    assert result.structured_content["status"] == "not_written", _text(result)
    assert product.thread(ticket_id) == before and len(product.emails()) == mails
    preview = declined.asked[0]
    assert text in preview
    if product.name == "helpdesk":
        # Never presented as an internal note: the preview names the recipient and says an email goes out.
        assert product.requester_email(ticket_id) in preview and "email" in preview.lower()
        assert "POST /api/TicketsApi/reply/" in preview and "internal" not in preview.lower().split("exact request")[0]
    else:
        assert "EXTERNAL: visible to the customer" in preview and "POST /service/tickets/" in preview

    result = await _call("add_ticket_note", args, Human(answers=["accept"]))
    assert result.structured_content["status"] == "written", _text(result)
    assert product.thread(ticket_id).count(text) == 1
    if product.name == "helpdesk":
        sent = product.emails()[mails:]
        assert [(m.to, m.body) for m in sent] == [(product.requester_email(ticket_id), text)]
    assert len(_written(tmp_path, "add_ticket_note")) == 1


async def test_an_internal_note_is_internal_on_connectwise_and_refused_with_the_reason_on_the_helpdesk(
    product: Product, tmp_path: Path
) -> None:
    ticket_id = product.open_ticket(1)
    text = "Root cause: the print spooler crashed after KB5034441."
    before, mails = product.thread(ticket_id), len(product.emails())
    human = Human(answers=["accept"])
    result = await _call("add_ticket_note", {"ticket_id": ticket_id, "text": text}, human)
    if product.name == "connectwise":
        assert result.structured_content["status"] == "written", _text(result)
        assert product.internal_of(ticket_id, text)
        return
    assert result.is_error and human.asked == []
    reason = _text(result)
    assert "internal" in reason and "email" in reason and "Nothing was written" in reason
    assert product.thread(ticket_id) == before and len(product.emails()) == mails
    rows = [r for r in AuditLog(tmp_path / "audit.db").entries(limit=None) if r.tool == "add_ticket_note"]
    assert [r.outcome for r in rows] == ["failed"]


async def test_create_ticket_declined_creates_nothing_and_accepted_creates_one(product: Product, tmp_path: Path) -> None:
    names = product.new_ticket_names()
    summary = f"Scanner on floor 3 offline ({product.name})"
    args = {**names, "summary": summary, "description": "The scanner shows error E-21 since this morning."}

    declined = Human(answers=["decline"])
    result = await _call("create_ticket", args, declined)
    assert result.structured_content["status"] == "not_written", _text(result)
    assert product.find_ticket(summary) == []
    assert names["board"] in declined.asked[0] and names["company"] in declined.asked[0]

    result = await _call("create_ticket", args, Human(answers=["accept"]))
    assert result.structured_content["status"] == "written", _text(result)
    [created] = product.find_ticket(summary)
    assert created["id"] == result.structured_content["created_id"]
    if product.name == "connectwise":
        assert (created["board"]["name"], created["company"]["name"]) == (names["board"], names["company"])
    else:
        assert (created["group"]["group"], created["client"]["name"]) == (names["board"], names["company"])
        assert created["creator"]["fullName"] == names["contact"]
    assert len(_written(tmp_path, "create_ticket")) == 1


async def test_create_ticket_names_that_do_not_exist_are_refused_with_the_ones_that_do(product: Product) -> None:
    names = product.new_ticket_names()
    args = {**names, "board": "No Such Board", "summary": "x", "description": "y"}
    human = Human(answers=["accept"])
    result = await _call("create_ticket", args, human)
    assert result.is_error and human.asked == []
    assert "No Such Board" in _text(result) and names["board"] in _text(result) and "Nothing was written" in _text(result)


async def test_update_ticket_declined_changes_nothing_and_accepted_changes_the_priority(
    product: Product, tmp_path: Path
) -> None:
    ticket_id = product.open_ticket(2)
    now = product.priority(ticket_id)
    target = next(p for p in product.priorities() if p != now)

    declined = Human(answers=["decline"])
    result = await _call("update_ticket", {"ticket_id": ticket_id, "priority": target}, declined)
    assert result.structured_content["status"] == "not_written", _text(result)
    assert product.priority(ticket_id) == now
    assert f"Priority: {now} -> {target}" in declined.asked[0]

    result = await _call("update_ticket", {"ticket_id": ticket_id, "priority": target}, Human(answers=["accept"]))
    assert result.structured_content["status"] == "written", _text(result)
    assert product.priority(ticket_id) == target
    assert len(_written(tmp_path, "update_ticket")) == 1

    again = await _call("update_ticket", {"ticket_id": ticket_id, "priority": target}, Human(answers=["accept"]))
    assert again.is_error and "already has these values" in _text(again)


async def test_a_summary_change_is_refused_with_the_reason_on_the_helpdesk(product: Product) -> None:
    ticket_id = product.open_ticket(3)
    human = Human(answers=["accept"])
    result = await _call("update_ticket", {"ticket_id": ticket_id, "summary": "Renamed by the copilot"}, human)
    if product.name == "connectwise":
        assert result.structured_content["status"] == "written", _text(result)
        return
    assert result.is_error and human.asked == []
    assert "subject" in _text(result).lower() and "Nothing was written" in _text(result)


async def test_two_step_previews_then_confirm_write_sends_once(
    product: Product, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPILOT_WRITE_MODE", "two_step")
    ticket_id = product.open_ticket(4)
    text = f"Two-step reply on {product.name}: the VPN profile was re-issued."
    async with Client(build_server()) as client:  # no elicitation: the token is the consent
        pending = (await client.call_tool(
            "add_ticket_note", {"ticket_id": ticket_id, "text": text, "note_type": "discussion", "internal": False}
        )).structured_content
        assert pending["status"] == "pending_confirmation" and text in pending["preview"]
        assert f"WRITE to {'ConnectWise' if product.name == 'connectwise' else 'the helpdesk'}." in pending["preview"]
        assert product.thread(ticket_id).count(text) == 0
        done = await client.call_tool("confirm_write", {"token": pending["token"]})
        replay = await client.call_tool("confirm_write", {"token": pending["token"]})
    assert done.structured_content["status"] == "written", _text(done)
    assert replay.is_error
    assert product.thread(ticket_id).count(text) == 1
    assert len(_written(tmp_path, "add_ticket_note")) == 1


async def test_a_board_outside_copilot_write_boards_is_denied_on_either_product(
    product: Product, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = product.new_ticket_names()
    monkeypatch.setenv("COPILOT_WRITE_BOARDS", "Some Other Board")
    summary = f"Denied by policy ({product.name})"
    human = Human(answers=["accept"])
    result = await _call("create_ticket", {**names, "summary": summary, "description": "d"}, human)
    assert result.is_error and human.asked == [] and "COPILOT_WRITE_BOARDS" in _text(result)
    assert product.find_ticket(summary) == []
    rows = [r for r in AuditLog(tmp_path / "audit.db").entries(limit=None) if r.tool == "create_ticket"]
    assert [r.outcome for r in rows] == ["denied"]
