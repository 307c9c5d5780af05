"""A lean `tools/list`: the JSON schemas pydantic writes, without what a model does not need.

Every conversation pays for the tool list. pydantic spells an optional field as
`{"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Board", ...}`; the model needs
`{"type": "string", ...}` (the field is optional because it is not in `required`). Outputs never carry nulls
(tools/common.structured drops them), so the same spelling is exact for output schemas too. Titles repeat the
property names, and `additionalProperties: false` on outputs says nothing a reader of the data needs.
Arguments are still validated by the tool's own pydantic model, whatever the listing says.
"""

from __future__ import annotations

from typing import Any

from mcp_types import ListToolsResult

_NULL = {"type": "null"}


def compact_schema(schema: Any, *, output: bool = False) -> Any:
    """`schema` with titles, null arms of optional fields and `default: null` removed (recursively)."""
    if isinstance(schema, list):
        return [compact_schema(item, output=output) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        if output and key == "additionalProperties" and value is False:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            # Keys here are names, not keywords: keep them all, compact what they map to.
            result[key] = {name: compact_schema(sub, output=output) for name, sub in value.items()}
            continue
        result[key] = compact_schema(value, output=output)
    arms = result.get("anyOf")
    if isinstance(arms, list) and _NULL in arms:
        rest = [arm for arm in arms if arm != _NULL]
        if len(rest) == 1 and isinstance(rest[0], dict):
            del result["anyOf"]
            result = {**rest[0], **result}
        else:
            result["anyOf"] = rest
    return result


class CompactListing:
    """Server middleware: every tool's input and output schema compacted in the tools/list answer."""

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        if getattr(ctx, "method", None) != "tools/list":
            return result
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            tools = [
                {
                    **tool,
                    **{key: compact_schema(tool[key], output=key == "outputSchema") for key in ("inputSchema", "outputSchema") if tool.get(key)},
                }
                for tool in result["tools"]
            ]
            return {**result, "tools": tools}
        if isinstance(result, ListToolsResult):
            tools = [
                tool.model_copy(
                    update={
                        "input_schema": compact_schema(tool.input_schema),
                        "output_schema": compact_schema(tool.output_schema, output=True)
                        if tool.output_schema is not None
                        else None,
                    }
                )
                for tool in result.tools
            ]
            return result.model_copy(update={"tools": tools})
        return result
