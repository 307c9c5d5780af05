"""update_ticket_status on both products, through the guard rails: the server is built from the environment
(COPILOT_PROVIDER) against each product's sandbox over loopback, the human answers the client's elicitation, and
the ticket is read back from the product's own API over plain HTTP (never through the code under test). Decline
writes nothing; accept writes once, with one audit row; the preview shows the product's exact request."""

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


async def _change(status: str, ticket_id: int, human: Human) -> Any:
    async with Client(build_server(), elicitation_callback=human) as client:
        return await client.call_tool("update_ticket_status", {"ticket_id": ticket_id, "status": status})


async def test_decline_writes_nothing_and_accept_writes_once(product: Product, tmp_path: Path) -> None:
    declined_id, accepted_id = product.open_ticket(0), product.open_ticket(1)
    before = product.status(declined_id)
    human = Human(answers=["decline"])
    result = await _change("Closed", declined_id, human)
    assert (result.structured_content["status"], result.structured_content["confirmation"]) == (
        "not_written", "declined"), result.content
    assert product.status(declined_id) == before
    preview = human.asked[0]
    assert "Closed" in preview
    assert ("PATCH /service/tickets/" if product.name == "connectwise" else "POST /api/TicketsApi/close/") in preview

    human = Human(answers=["accept"])
    result = await _change("Closed", accepted_id, human)
    assert result.structured_content["status"] == "written", result.content
    assert product.status(accepted_id) == "Closed"
    rows = [r for r in AuditLog(tmp_path / "audit.db").entries(limit=None) if r.tool == "update_ticket_status"]
    assert [r.outcome for r in rows if r.ticket_id == accepted_id].count("written") == 1
    assert not [r for r in rows if r.ticket_id == declined_id and r.outcome == "written"]


async def test_a_status_the_ticket_cannot_get_is_refused_with_the_ones_it_can(product: Product) -> None:
    result = await _change("No Such Status", product.open_ticket(2), Human())
    text = result.content[0].text  # type: ignore[union-attr]
    assert "No Such Status" in text and "statuses:" in text.lower() and "Nothing was written" in text


async def test_an_open_status_is_set_on_either_product(product: Product) -> None:
    ticket_id = product.open_ticket(3)
    target = "Waiting on Client"
    result = await _change(target, ticket_id, Human(answers=["accept"]))
    assert result.structured_content["status"] == "written", result.content
    assert product.status(ticket_id) == target
