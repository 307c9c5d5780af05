"""The Slack front-end names the configured product: a written write's id is that product's, and ticket links
point at ConnectWise's ticket page only on ConnectWise (the helpdesk's API contract gives no page to link to)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent.slack.approvals import PendingWrite
from agent.slack.mcp import SharedServer
from agent.slack.render import mrkdwn, outcome_headline


def _pending() -> PendingWrite:
    return PendingWrite(id="w1", requester="U1", requester_name="Kim", channel="C1", thread_ts="1.0", preview="p",
                        decision="approved")


@pytest.mark.parametrize(("provider", "ident"), [("connectwise", "(ConnectWise id 42)"),
                                                 ("helpdesk", "(the helpdesk id 42)")])
def test_a_written_outcome_names_the_products_id(provider: str, ident: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_PROVIDER", provider)
    headline = outcome_headline(_pending(), {"status": "written", "created_id": 42, "message": "Note #42 added."})
    assert ident in headline and "approved by Kim" in headline


@pytest.mark.parametrize(("provider", "linked"), [("connectwise", True), ("helpdesk", False)])
def test_ticket_links_only_where_the_product_has_a_ticket_page(
    provider: str, linked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPILOT_PROVIDER", provider)
    server = SharedServer(server=None, state=SimpleNamespace(site="http://127.0.0.1:9"))  # type: ignore[arg-type]
    text = mrkdwn("See ticket #123.", server.site)
    assert ("<http://127.0.0.1:9/" in text) is linked and "123" in text
