"""add_ticket_note, create_ticket and update_ticket on both products, through the guard rails and a real MCP
client, against each product's sandbox over loopback. What landed is read back over the product's own API (never
through the code under test): decline writes nothing, accept writes once with one audit row. On the helpdesk a
note for the customer is an email: its preview names the recipient and says so, and an internal note is refused
with the reason before anyone is asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from products_testing import PRODUCTS, Product, Sandboxes, both_sandboxes, use_product
from server import build_server
from storage.audit import AuditLog
from writes_harness import Human

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxes]:
    yield from both_sandboxes(tmp_path_factory)


@pytest.fixture(params=PRODUCTS)
def product(request: pytest.FixtureRequest, sandboxes: Sandboxes, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Product:
    return use_product(str(request.param), sandboxes, tmp_path, monkeypatch)


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
    ticket_id = product.replyable_ticket(0)
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
    ticket_id = product.replyable_ticket(1)
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
    ticket_id = product.replyable_ticket(2)
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
    ticket_id = product.replyable_ticket(3)
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
    ticket_id = product.replyable_ticket(4)
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
