"""Tool exposure policy: which tools a server lists and lets be called.

Settings (environment):
- COPILOT_TOOLSETS        comma list of toolsets (tickets, kb, directory, time) or `all` (default: all).
- COPILOT_ENABLED_TOOLS   comma list of tool names; when set, only these (still within COPILOT_TOOLSETS).
- COPILOT_DISABLED_TOOLS  comma list of tool names that are never exposed.
- COPILOT_WRITE_MODE      elicit (default) | two_step | read_only; read_only hides and refuses every write tool.
- COPILOT_WRITE_BOARDS    comma list of service board names; when set, writes to tickets on any other board are
                          refused (checked when the write is planned and again right before it is sent).

`confirm_write` (the two-step redeemer) is exposed only in two_step mode and only while some other write tool
is exposed; it is not subject to COPILOT_TOOLSETS / COPILOT_ENABLED_TOOLS (the tool it confirms is, again, at
redeem time), so an allowlist naming `add_ticket_note` does not also have to name it.

Fail closed: an unknown toolset, tool name or write mode is a startup error (`PolicyError`), never ignored.
The policy judges the specs of catalog.py (pure data below both guardrails/ and tools/). The same
`Policy.denial()` decides both at list time (the server registers only allowed tools and filters
tools/list) and at call time (`PolicyGuard` refuses a call to a hidden tool, naming the setting that hides it).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_types import CallToolResult, ListToolsResult, TextContent

from catalog import CATALOG, CONFIRM_TOOL, TOOLSETS, ToolSpec
from products import configured_product
from psa.provider import Product

WriteMode = Literal["elicit", "two_step", "read_only"]
WRITE_MODES: tuple[str, ...] = ("elicit", "two_step", "read_only")


class PolicyError(ValueError):
    """A COPILOT_* setting names something that does not exist: the server refuses to start."""


@dataclass(frozen=True)
class Denial:
    tool: str
    setting: str
    reason: str

    def message(self) -> str:
        return f"Tool {self.tool!r} is not available on this server: {self.reason} (setting {self.setting})."


@dataclass(frozen=True)
class BoardDenial(Denial):
    """A write refused because the ticket's board is outside COPILOT_WRITE_BOARDS."""

    board: str | None = None
    allowed: tuple[str, ...] = ()

    def message(self) -> str:
        where = f"board {self.board!r}" if self.board else "no board"
        return (
            f"{self.tool} refused: the ticket is on {where}, and COPILOT_WRITE_BOARDS allows writes only to "
            f"tickets on {', '.join(repr(b) for b in self.allowed)}. Nothing was written."
        )


def _split(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Policy:
    toolsets: frozenset[str] | None = None
    """None: all toolsets."""
    enabled_tools: frozenset[str] | None = None
    """None: no allowlist (every tool of the allowed toolsets)."""
    disabled_tools: frozenset[str] = field(default_factory=frozenset)
    write_mode: WriteMode = "elicit"
    write_boards: frozenset[str] | None = None
    """None: no board restriction. Names compare case-insensitively, as ConnectWise compares them."""
    product: Product | None = None
    """The configured PSA product: a tool it cannot serve is hidden, and a call says why. None: every tool."""

    @property
    def writes_to(self) -> str:
        """The product a write goes to, as the preview and the refusals name it. A policy without a product serves
        every tool, which is ConnectWise's whole catalogue."""
        return self.product.called if self.product is not None else "ConnectWise"

    def __post_init__(self) -> None:
        known_tools = set(CATALOG)
        if self.toolsets is not None:
            unknown = sorted(set(self.toolsets) - set(TOOLSETS))
            if unknown:
                raise PolicyError(
                    f"COPILOT_TOOLSETS names unknown toolset(s) {', '.join(unknown)}; "
                    f"known: {', '.join(TOOLSETS)} (or 'all')."
                )
        for setting, names in (("COPILOT_ENABLED_TOOLS", self.enabled_tools), ("COPILOT_DISABLED_TOOLS", self.disabled_tools)):
            unknown = sorted(set(names or ()) - known_tools)
            if unknown:
                raise PolicyError(
                    f"{setting} names unknown tool(s) {', '.join(unknown)}; known: {', '.join(sorted(known_tools))}."
                )
        if self.write_mode not in WRITE_MODES:
            raise PolicyError(f"COPILOT_WRITE_MODE={self.write_mode!r} is not one of {', '.join(WRITE_MODES)}.")
        if self.write_boards is not None and not self.write_boards:
            raise PolicyError("COPILOT_WRITE_BOARDS is set but names no board.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Policy:
        env = os.environ if env is None else env
        toolsets = _split(env.get("COPILOT_TOOLSETS"))
        all_toolsets = not toolsets or any(t.lower() == "all" for t in toolsets)
        if all_toolsets and len(toolsets) > 1:
            raise PolicyError("COPILOT_TOOLSETS: 'all' cannot be combined with other toolsets.")
        enabled_raw = env.get("COPILOT_ENABLED_TOOLS")
        enabled = _split(enabled_raw)
        if enabled_raw is not None and enabled_raw.strip() and not enabled:
            raise PolicyError("COPILOT_ENABLED_TOOLS is set but names no tool.")
        mode = (env.get("COPILOT_WRITE_MODE") or "elicit").strip().lower().replace("-", "_")
        boards_raw = env.get("COPILOT_WRITE_BOARDS")
        boards = _split(boards_raw)
        if boards_raw is not None and boards_raw.strip() and not boards:
            raise PolicyError("COPILOT_WRITE_BOARDS is set but names no board.")
        return cls(
            toolsets=None if all_toolsets else frozenset(t.lower() for t in toolsets),
            enabled_tools=frozenset(enabled) if enabled else None,
            disabled_tools=frozenset(_split(env.get("COPILOT_DISABLED_TOOLS"))),
            write_mode=mode,  # type: ignore[arg-type]  # validated in __post_init__
            write_boards=frozenset(boards) if boards else None,
            product=configured_product(env),
        )

    # --- decisions

    def denial(self, spec: ToolSpec) -> Denial | None:
        """Why `spec` is hidden, or None when it is exposed. The first matching rule wins."""
        if spec.kind == "write" and self.write_mode == "read_only":
            return Denial(spec.name, "COPILOT_WRITE_MODE", "the server is in read_only mode, which hides every write tool")
        if spec.name == CONFIRM_TOOL:
            return self._confirm_tool_denial(spec)
        if self.product is not None and (lacking := self.product.lacks(spec.needs)) is not None:
            return Denial(spec.name, "COPILOT_PROVIDER", f"{self.product.title} cannot serve it: {lacking}")
        if spec.name in self.disabled_tools:
            return Denial(spec.name, "COPILOT_DISABLED_TOOLS", "it is disabled")
        if self.enabled_tools is not None and spec.name not in self.enabled_tools:
            return Denial(spec.name, "COPILOT_ENABLED_TOOLS", "it is not in the list of enabled tools")
        if self.toolsets is not None and spec.toolset not in self.toolsets:
            return Denial(
                spec.name, "COPILOT_TOOLSETS", f"its toolset {spec.toolset!r} is not enabled"
            )
        return None

    def _confirm_tool_denial(self, spec: ToolSpec) -> Denial | None:
        # In elicit mode the human confirms in the client's own dialog; a confirming tool the model could call
        # would only be a way around it.
        if self.write_mode != "two_step":
            return Denial(spec.name, "COPILOT_WRITE_MODE", "it exists only in two_step mode")
        if spec.name in self.disabled_tools:
            return Denial(spec.name, "COPILOT_DISABLED_TOOLS", "it is disabled")
        writes = [s for s in CATALOG.values() if s.kind == "write" and s.name != CONFIRM_TOOL]
        if not any(self.denial(s) is None for s in writes):
            return Denial(spec.name, "COPILOT_ENABLED_TOOLS", "no write tool is enabled, so there is nothing to confirm")
        return None

    def board_denial(self, tool: str, board: str | None) -> BoardDenial | None:
        """Whether `tool` may write to a ticket on `board`; a ticket without a board fails closed."""
        if self.write_boards is None:
            return None
        allowed = {b.casefold() for b in self.write_boards}
        if board is not None and board.casefold() in allowed:
            return None
        return BoardDenial(
            tool, "COPILOT_WRITE_BOARDS", "board not allowed", board=board, allowed=tuple(sorted(self.write_boards))
        )

    def allows(self, name: str) -> bool:
        spec = CATALOG.get(name)
        return spec is not None and self.denial(spec) is None

    def allowed_specs(self, specs: Iterable[ToolSpec] | None = None) -> list[ToolSpec]:
        return [s for s in (CATALOG.values() if specs is None else specs) if self.denial(s) is None]

    def describe(self) -> str:
        toolsets = "all" if self.toolsets is None else ",".join(sorted(self.toolsets))
        enabled = "-" if self.enabled_tools is None else ",".join(sorted(self.enabled_tools))
        disabled = ",".join(sorted(self.disabled_tools)) or "-"
        boards = "-" if self.write_boards is None else ",".join(sorted(self.write_boards))
        return (
            f"toolsets={toolsets} enabled={enabled} disabled={disabled} write_mode={self.write_mode} "
            f"write_boards={boards}"
        )


DeniedHook = Callable[[Any, Denial, Mapping[str, Any]], Awaitable[None]]
"""Called with the middleware context, the denial and the call's arguments when a write tool is refused."""


class PolicyGuard:
    """Server middleware enforcing the policy on the wire, whatever is registered.

    - tools/call of a tool the policy hides: refused with an error result naming the setting (not run).
    - tools/list: any tool the policy hides is dropped from the listing.
    """

    def __init__(self, policy: Policy, on_write_denied: DeniedHook | None = None) -> None:
        self.policy = policy
        # Refused calls to write tools are write attempts too: the hook puts them in the audit log.
        self.on_write_denied = on_write_denied

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        method = getattr(ctx, "method", None)
        if method == "tools/call":
            params = ctx.params or {}
            name = params.get("name") if isinstance(params, Mapping) else getattr(params, "name", None)
            spec = CATALOG.get(name) if isinstance(name, str) else None
            denial = self.policy.denial(spec) if spec is not None else None
            if denial is not None:
                if spec is not None and spec.kind == "write" and self.on_write_denied is not None:
                    arguments = params.get("arguments") if isinstance(params, Mapping) else None
                    await self.on_write_denied(ctx, denial, arguments if isinstance(arguments, Mapping) else {})
                return CallToolResult(content=[TextContent(type="text", text=denial.message())], is_error=True)
            return await call_next(ctx)
        result = await call_next(ctx)
        if method == "tools/list":
            return self._filter_listing(result)
        return result

    def _filter_listing(self, result: Any) -> Any:
        def hidden(name: str) -> bool:
            spec = CATALOG.get(name)
            return spec is not None and self.policy.denial(spec) is not None

        if isinstance(result, ListToolsResult):
            return result.model_copy(update={"tools": [t for t in result.tools if not hidden(t.name)]})
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            return {**result, "tools": [t for t in result["tools"] if not hidden(t.get("name", ""))]}
        return result
