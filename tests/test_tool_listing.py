"""The tools/list a model reads is lean and still exact: no pydantic noise, every output schema within its
budget, and the compacted schemas still describe what the tools take and return."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from guardrails.policy import Policy
from server import build_server
from tools.listing import compact_schema

pytestmark = pytest.mark.anyio

OUTPUT_SCHEMA_BUDGET = 3_000


def test_an_optional_field_loses_its_null_arm_title_and_null_default() -> None:
    schema = {
        "title": "Args",
        "type": "object",
        "properties": {
            "title": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Title",
                      "description": "A property named title stays."},
            "n": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}], "default": None},
            "ref": {"anyOf": [{"$ref": "#/$defs/Brief"}, {"type": "null"}], "default": None},
            "flag": {"default": False, "type": "boolean", "title": "Flag"},
        },
        "$defs": {"Brief": {"title": "Brief", "type": "object", "additionalProperties": False, "properties": {}}},
        "required": [],
    }
    assert compact_schema(schema) == {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "A property named title stays."},
            "n": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "ref": {"$ref": "#/$defs/Brief"},
            "flag": {"default": False, "type": "boolean"},
        },
        "$defs": {"Brief": {"type": "object", "additionalProperties": False, "properties": {}}},
        "required": [],
    }
    assert "additionalProperties" not in compact_schema(schema, output=True)["$defs"]["Brief"]


async def _tools() -> dict[str, Any]:
    async with Client(build_server(provider=object(), policy=Policy())) as client:  # type: ignore[arg-type]
        return {t.name: t for t in (await client.list_tools()).tools}


async def test_the_listing_has_no_pydantic_noise_and_outputs_fit_their_budget() -> None:
    tools = await _tools()
    for name, tool in tools.items():
        listed = json.dumps([tool.input_schema, tool.output_schema])
        assert '{"type": "null"}' not in listed and '"title":' not in listed.replace('"title": {', ""), name
        size = len(json.dumps(tool.output_schema or {}, separators=(",", ":")))
        assert size <= OUTPUT_SCHEMA_BUDGET, (name, size)
        assert tool.input_schema["type"] == "object"
