"""How much of every conversation our tool list costs: a real `tools/list` from the server, in process.

    python -m benchmarks.tool_list_size [--json]

Per tool: the model-visible part (name + description + input schema, as compact JSON) and the output schema,
in characters; totals and the per-tool average. The default policy (elicit mode), so confirm_write is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import anyio
from mcp import Client


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


async def measure() -> list[dict[str, Any]]:
    from guardrails.policy import Policy
    from server import build_server

    class _NoProvider:  # tools/list never reaches the PSA
        pass

    server = build_server(provider=_NoProvider(), policy=Policy())  # type: ignore[arg-type]
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    rows = []
    for tool in tools:
        visible = len(tool.name) + len(tool.description or "") + len(_compact(tool.input_schema))
        rows.append({"tool": tool.name, "visible": visible, "output_schema": len(_compact(tool.output_schema or {}))})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = anyio.run(measure)
    total = sum(r["visible"] for r in rows)
    summary = {
        "tools": len(rows),
        "visible_total": total,
        "visible_per_tool": round(total / len(rows)),
        "output_schema_total": sum(r["output_schema"] for r in rows),
        "output_schema_max": max(r["output_schema"] for r in rows),
    }
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
        return 0
    print("| tool | name+description+input schema | output schema |\n|---|---:|---:|")
    for r in sorted(rows, key=lambda r: -r["visible"]):
        print(f"| `{r['tool']}` | {r['visible']:,} | {r['output_schema']:,} |")
    print(f"\n{summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
