"""Capabilities per product: a tool the configured product cannot serve is not listed, and a call to it says
why (naming COPILOT_PROVIDER), while toolsets and the rest of the policy work as before. Over the in-process MCP
client against a server built on the policy."""

from __future__ import annotations

from typing import get_args

import pytest
from mcp import Client

from catalog import CATALOG, Capability
from guardrails.policy import Policy
from products import configured_product
from psa.provider import Product
from server import build_server
from settings import ConfigError

pytestmark = pytest.mark.anyio

TICKETS_ONLY = Product(
    name="ticketsonly", title="Tickets Only", capabilities=frozenset({"tickets", "ticket_status"}),
    missing={"time_entries": "Tickets Only keeps no time entries"},
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_every_tool_names_capabilities_the_catalogue_knows() -> None:
    known = set(get_args(Capability))
    assert all(spec.needs <= known for spec in CATALOG.values())
    assert all(spec.needs for name, spec in CATALOG.items() if name != "confirm_write")


def test_connectwise_serves_every_tool_and_is_the_default() -> None:
    product = configured_product({})
    assert product.name == "connectwise"
    assert all(product.lacks(spec.needs) is None for spec in CATALOG.values())
    assert configured_product({"COPILOT_PROVIDER": " ConnectWise "}).name == "connectwise"
    with pytest.raises(ConfigError, match="COPILOT_PROVIDER"):
        configured_product({"COPILOT_PROVIDER": "nope"})


def test_policy_reads_the_product_from_the_environment() -> None:
    assert Policy.from_env({}).product == configured_product({})


async def test_a_tool_the_product_cannot_serve_is_hidden_and_a_call_says_why() -> None:
    policy = Policy(product=TICKETS_ONLY)
    async with Client(build_server(provider=object(), policy=policy)) as client:  # type: ignore[arg-type]
        listed = {t.name for t in (await client.list_tools()).tools}
        assert {"search_tickets", "get_ticket", "update_ticket_status"} <= listed
        assert not listed & {"log_time_entry", "list_time_entries", "find_contacts", "create_kb_article"}
        refused = await client.call_tool("list_time_entries", {})
    assert refused.is_error
    text = refused.content[0].text  # type: ignore[union-attr]
    assert "Tickets Only keeps no time entries" in text and "COPILOT_PROVIDER" in text


async def test_toolsets_still_narrow_what_the_product_serves() -> None:
    policy = Policy(product=TICKETS_ONLY, toolsets=frozenset({"directory"}))
    async with Client(build_server(provider=object(), policy=policy)) as client:  # type: ignore[arg-type]
        assert (await client.list_tools()).tools == []
