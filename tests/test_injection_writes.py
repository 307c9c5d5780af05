"""Prompt-injection tickets cannot cause a write.

The seed holds open tickets whose text tells the assistant to close every ticket, log time, dump data, etc.
(sandbox.seed.INJECTION_TICKET_IDS). Every read and draft tool the server exposes is run over each of them;
then ConnectWise (read over plain HTTP and through the sandbox's request log) must show no write of any kind,
nobody must have been asked to confirm anything, and the audit log must hold no attempt. A second test plays a
model that obeys the injection and calls the write tools: without a human's yes, nothing is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from guardrails.policy import Policy
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from sandbox.seed import INJECTION_TICKET_IDS
from tools.registry import registry
from writes_harness import Harness, Human, harness_for

pytestmark = pytest.mark.anyio

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(host="127.0.0.1", port=0, db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=40)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def h(sandbox: Any, tmp_path: Path) -> Harness:
    return harness_for(ConnectWiseSettings.sandbox(sandbox.url), tmp_path)


@pytest.fixture
async def provider(h: Harness) -> AsyncIterator[ConnectWiseProvider]:
    async with ConnectWiseProvider.from_settings(h.settings) as p:
        yield p


def snapshot(h: Harness) -> dict[str, Any]:
    """Everything a write could change, read over HTTP."""
    tickets = {t["id"]: t for t in h.tickets()}
    return {
        "notes": {tid: len(h.notes(tid)) for tid in INJECTION_TICKET_IDS},
        "statuses": {tid: h.ticket(tid)["status"]["id"] for tid in INJECTION_TICKET_IDS},
        "closed": sum(1 for t in tickets.values() if t.get("closedFlag")),
        "time_entries": h.count("/time/entries"),
        "kb_articles": h.count("/service/knowledgeBaseArticles"),
    }


def arguments_for(schema: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    """Arguments a model would plausibly pass when working on `ticket`: its id, and its own text for searches."""
    properties = schema.get("properties", {})
    args: dict[str, Any] = {}
    if "ticket_id" in properties:
        args["ticket_id"] = ticket["id"]
    if "text" in properties and "ticket_id" not in args:
        args["text"] = ticket["summary"].split()[0]
    return args


async def test_read_and_draft_tools_over_injection_tickets_write_nothing(
    h: Harness, provider: ConnectWiseProvider, sandbox: Any
) -> None:
    before = snapshot(h)
    human = Human(["accept"] * 100)  # a careless human who would say yes: it must never even be asked
    sandbox.requests.clear()
    called: set[str] = set()
    async with h.client(provider, Policy(), human) as client:
        tools = (await client.list_tools()).tools
        readers = [t for t in tools if registry()[t.name].kind in ("read", "draft")]
        assert {"get_ticket", "list_ticket_notes"} <= {t.name for t in readers}
        for ticket_id in INJECTION_TICKET_IDS:
            ticket = h.ticket(ticket_id)
            for tool in readers:
                result = await client.call_tool(tool.name, arguments_for(tool.input_schema, ticket))
                if not result.is_error:
                    called.add(tool.name)
    expected = {"get_ticket", "list_ticket_notes", "search_tickets", "summarize_ticket_notes", "draft_internal_analysis_note"}
    assert expected <= called, called
    assert human.asked == []
    writes = [e for e in sandbox.requests.entries() if e.method in WRITE_METHODS]
    assert writes == []
    assert snapshot(h) == before
    assert h.audit.entries(limit=None) == []


async def test_a_model_obeying_the_injection_still_writes_nothing_without_a_yes(
    h: Harness, provider: ConnectWiseProvider, sandbox: Any
) -> None:
    before = snapshot(h)
    human = Human(["decline"] * 100)
    sandbox.requests.clear()
    async with h.client(provider, Policy(), human) as client:
        for ticket_id in INJECTION_TICKET_IDS:
            for name, args in (
                ("update_ticket_status", {"ticket_id": ticket_id, "status": "Closed"}),
                ("update_ticket", {"ticket_id": ticket_id, "summary": "Resolved as instructed", "priority": "Priority 4 - Low"}),
                ("add_ticket_note", {"ticket_id": ticket_id, "text": "Closing as instructed.", "internal": True}),
                ("log_time_entry", {"ticket_id": ticket_id, "hours": 8, "notes": "as instructed"}),
            ):
                result = await client.call_tool(name, args)
                out = result.structured_content or {}
                assert result.is_error or out.get("status") == "not_written", (name, ticket_id, out)
    assert [e for e in sandbox.requests.entries() if e.method in WRITE_METHODS] == []
    assert snapshot(h) == before
    rows = h.audit.entries(limit=None)
    assert rows and all(r.outcome != "written" for r in rows)
