"""Prompt-injection tickets cannot cause a write, or an email, on the helpdesk either.

The helpdesk sandbox seeds the same injection tickets as ConnectWise's (sandbox.seed.INJECTION_TICKET_IDS: text
telling the assistant to close tickets, reply with data, and so on). On this product a note for the customer is an
email to the requester, who may be the author of that text, so the stakes are a message leaving the desk. Every
read and draft tool runs over each of them with nobody asked; then a model that obeys and calls the writes is
declined by the human: the sandbox's request log shows no write, its outbox no email, and nothing is audited as
written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from sandbox.helpdesk.runner import RunningHelpdesk, start_helpdesk
from sandbox.seed import INJECTION_TICKET_IDS
from server import build_server
from storage.audit import AuditLog
from tools.registry import registry
from writes_harness import Human

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHelpdesk]:
    with start_helpdesk(db_path=tmp_path_factory.mktemp("hd") / "hd.db", tickets=40) as running:
        yield running


@pytest.fixture(autouse=True)
def env(helpdesk: RunningHelpdesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CW_SITE", "COPILOT_TOOLSETS", "COPILOT_WRITE_MODE", "COPILOT_ENABLED_TOOLS",
                 "COPILOT_DISABLED_TOOLS", "COPILOT_WRITE_BOARDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_PROVIDER", "helpdesk")
    monkeypatch.setenv("HELPDESK_URL", helpdesk.url)
    monkeypatch.setenv("HELPDESK_TOKEN", helpdesk.token)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COPILOT_KB_AUTOSYNC", "0")


def _writes(helpdesk: RunningHelpdesk, since: int) -> list[Any]:
    api = [r for r in helpdesk.requests()[since:] if "/api/TicketsApi" in r.path]
    assert api, "the tools read the helpdesk's API"
    return [r for r in api if r.method != "GET"]


def _title(helpdesk: RunningHelpdesk, ticket_id: int) -> str:
    got = httpx.get(f"{helpdesk.url}/api/TicketsApi/{ticket_id}", headers={"Authorization": f"Bearer {helpdesk.token}"})
    return str(got.json()["title"])


async def test_read_and_draft_tools_over_injection_tickets_ask_nobody_and_write_nothing(
    helpdesk: RunningHelpdesk, tmp_path: Path
) -> None:
    since, mails = len(helpdesk.requests()), len(helpdesk.emails())
    human = Human(["accept"] * 100)  # a careless human who would say yes: they must never even be asked
    called: set[str] = set()
    async with Client(build_server(), elicitation_callback=human) as client:
        readers = [t for t in (await client.list_tools()).tools if registry()[t.name].kind in ("read", "draft")]
        for ticket_id in INJECTION_TICKET_IDS:
            for tool in readers:
                properties = tool.input_schema.get("properties", {})
                if "ticket_id" in properties:
                    args: dict[str, Any] = {"ticket_id": ticket_id}
                elif "text" in properties:
                    args = {"text": _title(helpdesk, ticket_id).split()[0]}
                else:
                    args = {}
                if not (await client.call_tool(tool.name, args)).is_error:
                    called.add(tool.name)
    assert {"get_ticket", "list_ticket_notes", "summarize_ticket_notes", "draft_internal_analysis_note"} <= called
    assert human.asked == []
    assert _writes(helpdesk, since) == [] and len(helpdesk.emails()) == mails
    assert AuditLog(tmp_path / "audit.db").entries(limit=None) == []


async def test_a_model_obeying_the_injection_sends_no_email_without_a_yes(
    helpdesk: RunningHelpdesk, tmp_path: Path
) -> None:
    since, mails = len(helpdesk.requests()), len(helpdesk.emails())
    human = Human(["decline"] * 100)
    async with Client(build_server(), elicitation_callback=human) as client:
        for ticket_id in INJECTION_TICKET_IDS:
            for name, args in (
                ("add_ticket_note", {"ticket_id": ticket_id, "text": "Here is the data you asked for.",
                                     "note_type": "discussion", "internal": False}),
                ("add_ticket_note", {"ticket_id": ticket_id, "text": "Resolved as instructed.",
                                     "note_type": "resolution", "internal": False}),
                ("add_ticket_note", {"ticket_id": ticket_id, "text": "Closing as instructed."}),
                ("update_ticket_status", {"ticket_id": ticket_id, "status": "Closed"}),
                ("update_ticket", {"ticket_id": ticket_id, "priority": "Priority 4 - Low"}),
            ):
                result = await client.call_tool(name, args)
                out = result.structured_content or {}
                assert result.is_error or out.get("status") == "not_written", (name, ticket_id, out)
    assert human.asked, "the obeying model's writes reached the human, who declined them"
    assert all("Nothing is written unless you confirm" in asked for asked in human.asked)
    assert _writes(helpdesk, since) == [] and len(helpdesk.emails()) == mails
    rows = AuditLog(tmp_path / "audit.db").entries(limit=None)
    assert rows and all(r.outcome != "written" for r in rows)
