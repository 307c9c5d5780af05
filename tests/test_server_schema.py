"""The server's tool surface, without a PSA behind it: names, annotations, schemas (snapshotted), and the
exposure policy at list time and at call time.

Snapshots: tests/snapshots/<tool>.json hold each tool's listing (description, annotations, input and output
schema). A change to a tool's contract fails here; if it is intended, regenerate with
`UPDATE_SNAPSHOTS=1 pytest tests/test_server_schema.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from guardrails.policy import Policy, PolicyError, PolicyGuard
from server import build_server
from tools.registry import TOOLSETS, registry

pytestmark = pytest.mark.anyio

SNAPSHOTS = Path(__file__).parent / "snapshots"

READ_TOOLS = {
    "search_tickets",
    "get_ticket",
    "list_ticket_notes",
    "list_boards",
    "find_companies",
    "find_contacts",
    "find_configurations",
    "list_schedule",
    "list_time_entries",
    "suggest_kb_articles",
    "find_similar_tickets",
    "summarize_ticket_notes",
}
DRAFT_TOOLS = {"draft_internal_analysis_note"}
WRITE_TOOLS = {
    "add_ticket_note", "update_ticket_status", "create_kb_article", "log_time_entry", "create_ticket", "update_ticket"
}
CONFIRM_TOOL = "confirm_write"  # two_step mode only (guardrails/policy.py)
ARCHITECTURE_TOOLS = READ_TOOLS | DRAFT_TOOLS | WRITE_TOOLS | {CONFIRM_TOOL}

# Argument names are a contract with clients and prompts.
EXPECTED_ARGS = {
    "search_tickets": {
        "text",
        "board",
        "status",
        "company",
        "contact",
        "owner",
        "priority",
        "type",
        "contact_email",
        "is_open",
        "entered_after",
        "entered_before",
        "updated_after",
        "updated_before",
        "conditions",
        "page",
        "page_size",
    },
    "get_ticket": {"ticket_id"},
    "list_ticket_notes": {"ticket_id", "page", "page_size"},
    "list_boards": {"include_inactive"},
    "find_companies": {"name", "page", "page_size"},
    "find_contacts": {"query", "page", "page_size"},
    "find_configurations": {"company", "query", "page", "page_size"},
    "list_schedule": {"member", "date_from", "date_to", "page", "page_size"},
    "list_time_entries": {"ticket_id", "member", "date_from", "date_to", "page", "page_size"},
    "suggest_kb_articles": {"ticket_id", "text", "limit"},
    "find_similar_tickets": {"ticket_id", "text", "board", "company", "limit"},
    "summarize_ticket_notes": {"ticket_id", "max_notes"},
    "draft_internal_analysis_note": {"ticket_id"},
}


class NoProvider:
    """Any call reaching the PSA is a test failure: these tests stop before a tool body runs."""

    def __getattr__(self, name: str) -> Any:
        async def fail(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"the provider was called ({name}) although the policy should have refused")

        return fail


async def _listing(policy: Policy) -> dict[str, Any]:
    async with Client(build_server(NoProvider(), policy)) as client:  # type: ignore[arg-type]
        result = await client.list_tools()
    return {t.name: t for t in result.tools}


# ---- registry ---------------------------------------------------------------------------------------------------


def test_registry_knows_every_architecture_tool() -> None:
    specs = registry()
    assert set(specs) == ARCHITECTURE_TOOLS
    assert {n for n, s in specs.items() if s.kind == "write"} == WRITE_TOOLS | {CONFIRM_TOOL}
    assert all(s.toolset in TOOLSETS for s in specs.values())
    for spec in specs.values():
        a = spec.annotations
        assert None not in (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint), spec.name
        if spec.kind == "write":
            assert a.read_only_hint is False
        else:
            assert a.read_only_hint is True and a.destructive_hint is False


# ---- listing, annotations, schemas -------------------------------------------------------------------------------


async def test_lists_read_tools_with_all_four_annotations() -> None:
    tools = await _listing(Policy())
    assert set(tools) == READ_TOOLS | DRAFT_TOOLS | WRITE_TOOLS
    for name in WRITE_TOOLS:  # annotations of the guarded writes: tests/test_tools_writes.py
        tools.pop(name)
    for name in DRAFT_TOOLS:  # writes nothing, but may word the same draft differently: not idempotent
        ann = tools.pop(name).annotations
        assert ann is not None and (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint) == (True, False, False)
    for name, tool in tools.items():
        ann = tool.annotations
        assert ann is not None, name
        wire = ann.model_dump(by_alias=True, exclude_none=True)
        for key in ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"):
            assert key in wire, f"{name} lacks {key}"
        assert (ann.read_only_hint, ann.destructive_hint, ann.idempotent_hint, ann.open_world_hint) == (
            True,
            False,
            True,
            True,
        ), name
        assert tool.description and len(tool.description) < 700, name
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema and tool.output_schema["type"] == "object", name
        assert set(tool.input_schema.get("properties", {})) == EXPECTED_ARGS[name], name


async def test_schemas_reject_bad_input_up_front() -> None:
    tools = await _listing(Policy())
    ticket_id = tools["get_ticket"].input_schema["properties"]["ticket_id"]
    assert ticket_id["minimum"] == 1 and ticket_id["type"] == "integer"
    assert tools["get_ticket"].input_schema["required"] == ["ticket_id"]
    page_size = tools["search_tickets"].input_schema["properties"]["page_size"]
    assert page_size["maximum"] == 100 and 10 <= page_size["default"] <= 25
    assert "required" not in tools["search_tickets"].input_schema  # no arguments = newest tickets
    async with Client(build_server(NoProvider(), Policy())) as client:  # type: ignore[arg-type]
        for name, args in (
            ("get_ticket", {"ticket_id": 0}),
            ("get_ticket", {"ticket_id": -5}),
            ("list_ticket_notes", {"ticket_id": 1, "page_size": 101}),
            ("search_tickets", {"page_size": 1000}),
            ("search_tickets", {"page": 0}),
            ("suggest_kb_articles", {"text": "vpn", "limit": 0}),
            ("find_similar_tickets", {"ticket_id": 0}),
        ):
            result = await client.call_tool(name, args)
            assert result.is_error, (name, args)
            assert "validation error" in result.content[0].text  # rejected before any PSA call


def _snapshot_of(tool: Any) -> dict[str, Any]:
    return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


async def test_tool_snapshots() -> None:
    tools = await _listing(Policy())
    update = os.environ.get("UPDATE_SNAPSHOTS") == "1"
    SNAPSHOTS.mkdir(exist_ok=True)
    mismatched: list[str] = []
    for name, tool in sorted(tools.items()):
        path = SNAPSHOTS / f"{name}.json"
        current = _snapshot_of(tool)
        if update or not path.exists():
            if not update and os.environ.get("CI"):
                mismatched.append(f"{name} (no snapshot)")
                continue
            path.write_text(json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
            continue
        stored = json.loads(path.read_text())
        if stored != current:
            mismatched.append(name)
    assert not mismatched, (
        f"tool contract changed for {mismatched}; if intended, run UPDATE_SNAPSHOTS=1 pytest "
        "tests/test_server_schema.py and review the snapshot diff"
    )
    stale = {p.stem for p in SNAPSHOTS.glob("*.json")} - set(tools)
    assert not stale, f"snapshots of tools that no longer exist: {sorted(stale)}"


# ---- policy: parsing, fail closed --------------------------------------------------------------------------------


def test_policy_defaults_and_env_parsing() -> None:
    p = Policy.from_env({})
    assert p.toolsets is None and p.enabled_tools is None and p.write_mode == "elicit"
    p = Policy.from_env(
        {
            "COPILOT_TOOLSETS": " tickets , directory",
            "COPILOT_ENABLED_TOOLS": "search_tickets,list_boards",
            "COPILOT_DISABLED_TOOLS": "get_ticket",
            "COPILOT_WRITE_MODE": "read_only",
        }
    )
    assert p.toolsets == {"tickets", "directory"}
    assert p.enabled_tools == {"search_tickets", "list_boards"}
    assert p.disabled_tools == {"get_ticket"}
    assert p.write_mode == "read_only"
    assert Policy.from_env({"COPILOT_TOOLSETS": "all"}).toolsets is None
    assert Policy.from_env({"COPILOT_WRITE_MODE": "two-step"}).write_mode == "two_step"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"COPILOT_TOOLSETS": "tickets,tikets"}, "COPILOT_TOOLSETS"),
        ({"COPILOT_TOOLSETS": "all,kb"}, "COPILOT_TOOLSETS"),
        ({"COPILOT_ENABLED_TOOLS": "search_ticket"}, "COPILOT_ENABLED_TOOLS"),
        ({"COPILOT_ENABLED_TOOLS": " , "}, "COPILOT_ENABLED_TOOLS"),
        ({"COPILOT_DISABLED_TOOLS": "delete_everything"}, "COPILOT_DISABLED_TOOLS"),
        ({"COPILOT_WRITE_MODE": "yolo"}, "COPILOT_WRITE_MODE"),
    ],
)
def test_policy_fails_closed_on_unknown_names(env: dict[str, str], needle: str) -> None:
    with pytest.raises(PolicyError, match=needle):
        Policy.from_env(env)


def test_build_server_reads_policy_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_DISABLED_TOOLS", "no_such_tool")
    with pytest.raises(PolicyError, match="no_such_tool"):
        build_server(NoProvider())  # type: ignore[arg-type]


def test_read_only_hides_write_tools_only() -> None:
    ro = Policy(write_mode="read_only")
    for name, spec in registry().items():
        denial = ro.denial(spec)
        if spec.kind == "write":
            assert denial is not None and denial.setting == "COPILOT_WRITE_MODE"
        else:
            assert denial is None, name
    assert all(Policy(write_mode="elicit").denial(s) is None for n, s in registry().items() if n != CONFIRM_TOOL)


# ---- policy: enforced at list time and at call time --------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "visible", "hidden_tool", "setting"),
    [
        (Policy(enabled_tools=frozenset({"search_tickets", "get_ticket"})), {"search_tickets", "get_ticket"}, "list_boards", "COPILOT_ENABLED_TOOLS"),
        (Policy(disabled_tools=frozenset({"get_ticket"})), (READ_TOOLS | DRAFT_TOOLS | WRITE_TOOLS) - {"get_ticket"}, "get_ticket", "COPILOT_DISABLED_TOOLS"),
        (Policy(toolsets=frozenset({"directory"})), {"list_boards", "find_companies", "find_contacts", "find_configurations"},
         "search_tickets", "COPILOT_TOOLSETS"),
        (Policy(toolsets=frozenset({"time"})), {"log_time_entry", "list_schedule", "list_time_entries"}, "find_companies", "COPILOT_TOOLSETS"),
    ],
)
async def test_policy_at_list_and_call_time(policy: Policy, visible: set[str], hidden_tool: str, setting: str) -> None:
    async with Client(build_server(NoProvider(), policy)) as client:  # type: ignore[arg-type]
        listed = {t.name for t in (await client.list_tools()).tools}
        assert listed == visible
        result = await client.call_tool(hidden_tool, {"ticket_id": 1} if "ticket" in hidden_tool else {})
        assert result.is_error
        text = result.content[0].text
        assert hidden_tool in text and setting in text


async def test_call_time_guard_holds_even_if_a_hidden_tool_is_registered() -> None:
    """The middleware alone refuses (and un-lists) a denied tool, independent of what was registered."""
    server = build_server(NoProvider(), Policy())  # type: ignore[arg-type]  # every read tool registered
    strict = Policy(disabled_tools=frozenset({"get_ticket", "find_companies"}))
    for i, mw in enumerate(server.middleware):
        if isinstance(mw, PolicyGuard):
            server.middleware[i] = PolicyGuard(strict)
    async with Client(server) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert listed == (READ_TOOLS | DRAFT_TOOLS | WRITE_TOOLS) - {"get_ticket", "find_companies"}
        result = await client.call_tool("get_ticket", {"ticket_id": 7})
        assert result.is_error and "COPILOT_DISABLED_TOOLS" in result.content[0].text
        result = await client.call_tool("find_companies", {"name": "x"})
        assert result.is_error and "COPILOT_DISABLED_TOOLS" in result.content[0].text


async def test_unknown_tool_is_an_error() -> None:
    async with Client(build_server(NoProvider(), Policy())) as client:  # type: ignore[arg-type]
        result = await client.call_tool("drop_database", {})
        assert result.is_error
