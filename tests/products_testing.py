"""Both products under test, for the tests that run on each (tests/test_products_read.py, test_products_writes.py,
test_products_thread_writes.py): a ConnectWise and a helpdesk sandbox per module, the environment that points the
server at one of them, and what a ticket holds, read back over that product's own API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.helpdesk.runner import RunningHelpdesk, start_helpdesk
from sandbox.runner import RunningSandbox, start_sandbox

CW_AUTH = {"Authorization": "Basic c2FuZGJveCtzYW5kYm94LXB1YmxpYzpzYW5kYm94LXByaXZhdGU=", "clientId": "sandbox-client"}
PRODUCTS = ("connectwise", "helpdesk")
Sandboxes = tuple[RunningSandbox, RunningHelpdesk]


def both_sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxes]:
    """For a module-scoped fixture: one small sandbox of each product."""
    root = tmp_path_factory.mktemp("products")
    with start_sandbox(db_path=root / "cw.db", tickets=40) as cw, start_helpdesk(db_path=root / "hd.db", tickets=40) as hd:
        yield cw, hd


class Product:
    """One product under test: its environment, and what a ticket holds read back over the product's own API
    (plain HTTP, never the code under test)."""

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

    def status(self, ticket_id: int) -> str:
        if self.name == "connectwise":
            return str(self._cw(f"/service/tickets/{ticket_id}")["status"]["name"])
        return str(self._hd(f"/{ticket_id}")["status"]["status"])

    def open_ticket(self, offset: int) -> int:
        """An open ticket."""
        if self.name == "connectwise":
            return int(self._cw("/service/tickets", conditions="closedFlag=false", pageSize=30)[offset]["id"])
        rows = self._hd("", listType="AllTickets", pageSize=100)
        return int([r for r in rows if r["statusType"] not in ("Resolved", "Closed")][offset]["id"])

    def replyable_ticket(self, offset: int) -> int:
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


def use_product(name: str, sandboxes: Sandboxes, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Product:
    """Point the environment (and so `build_server()`) at one product's sandbox, with the tickets toolset only."""
    for setting in ("CW_SITE", "COPILOT_PROVIDER", "HELPDESK_URL", "HELPDESK_TOKEN", "COPILOT_TOOLSETS",
                    "COPILOT_WRITE_MODE", "COPILOT_ENABLED_TOOLS", "COPILOT_DISABLED_TOOLS", "COPILOT_WRITE_BOARDS"):
        monkeypatch.delenv(setting, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("COPILOT_TOOLSETS", "tickets")
    chosen = Product(name, *sandboxes)
    for key, value in chosen.env().items():
        monkeypatch.setenv(key, value)
    return chosen
