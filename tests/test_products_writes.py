"""update_ticket_status on both products, through the guard rails: the server is built from the environment
(COPILOT_PROVIDER) against each product's sandbox over loopback, the human answers the client's elicitation, and
the ticket is read back from the product's own API over plain HTTP (never through the code under test). Decline
writes nothing; accept writes once, with one audit row; the preview shows the product's exact request."""

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
    root = tmp_path_factory.mktemp("writes")
    with start_sandbox(db_path=root / "cw.db", tickets=40) as cw, start_helpdesk(db_path=root / "hd.db", tickets=40) as hd:
        yield cw, hd


class Product:
    """One product under test: its environment and how to read a ticket's status back over its own API."""

    def __init__(self, name: str, cw: RunningSandbox, hd: RunningHelpdesk) -> None:
        self.name = name
        self.cw, self.hd = cw, hd

    def env(self) -> dict[str, str]:
        if self.name == "connectwise":
            return {"CW_SITE": self.cw.url, "CW_COMPANY_ID": "sandbox", "CW_PUBLIC_KEY": "sandbox-public",
                    "CW_PRIVATE_KEY": "sandbox-private", "CW_CLIENT_ID": "sandbox-client"}
        return {"COPILOT_PROVIDER": "helpdesk", "HELPDESK_URL": self.hd.url, "HELPDESK_TOKEN": self.hd.token}

    def status(self, ticket_id: int) -> str:
        if self.name == "connectwise":
            got = httpx.get(f"{self.cw.api_base}/service/tickets/{ticket_id}", headers=CW_AUTH).json()
            return str(got["status"]["name"])
        got = httpx.get(f"{self.hd.url}/api/TicketsApi/{ticket_id}",
                        headers={"Authorization": f"Bearer {self.hd.token}"}).json()
        return str(got["status"]["status"])

    def open_ticket(self, offset: int) -> int:
        if self.name == "connectwise":
            rows = httpx.get(f"{self.cw.api_base}/service/tickets", headers=CW_AUTH,
                             params={"conditions": "closedFlag=false", "pageSize": 30}).json()
            return int(rows[offset]["id"])
        rows = httpx.get(f"{self.hd.url}/api/TicketsApi", headers={"Authorization": f"Bearer {self.hd.token}"},
                         params={"listType": "AllTickets", "pageSize": 100}).json()
        open_rows = [r for r in rows if r["statusType"] not in ("Resolved", "Closed")]
        return int(open_rows[offset]["id"])


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
