"""The layout rules a reader relies on: no import cycles between top-level packages, policy below the tools
it judges, and one module per write tool."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("psa", "tools", "guardrails", "kb_index", "agent", "sandbox", "prompts", "analysis", "identity", "storage", "webapp",
            "callbacks")
MODULES = ("catalog", "cli", "products", "server", "settings")


def _imports() -> dict[str, set[str]]:
    """Top-level package or module -> the other top-level ones it imports (anywhere, lazily or not)."""
    graph: dict[str, set[str]] = defaultdict(set)
    tops = set(PACKAGES) | set(MODULES)
    files = [(p, p.relative_to(ROOT).parts[0]) for top in PACKAGES for p in (ROOT / top).rglob("*.py")]
    files += [(ROOT / f"{m}.py", m) for m in MODULES]
    for path, owner in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in tops and top != owner:
                    graph[owner].add(top)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_top_level_packages() -> None:
    assert _cycle(_imports()) is None, " -> ".join(_cycle(_imports()) or [])


def test_guardrails_judge_the_catalogue_without_importing_tools() -> None:
    graph = _imports()
    assert "tools" not in graph["guardrails"]
    assert graph["catalog"] <= set(), graph["catalog"]
    assert graph["storage"] <= {"settings"}, graph["storage"]  # the bottom: state behind one small module


def _product_imports(top: str) -> dict[str, set[str]]:
    """Module path -> the product packages (psa.connectwise..., psa.helpdesk...) it imports, lazily or not."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / top).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        product = {n for n in names if n.startswith(("psa.connectwise", "psa.helpdesk"))}
        if product:
            found[str(path.relative_to(ROOT))] = product
    return found


def test_the_knowledge_index_knows_no_product() -> None:
    # kb_index/ reads the neutral model (psa.models) through the provider protocol (psa.provider): a product's
    # wire models and errors stay in its own package, which maps them.
    assert _product_imports("kb_index") == {}


def test_tools_and_guard_rails_know_no_product() -> None:
    # Reads and writes alike ask the neutral protocol (psa.provider) and the writers (psa.writes); each product
    # plans its own requests in its own package.
    for top in ("analysis", "tools", "guardrails"):
        assert _product_imports(top) == {}, top


def test_one_product_package_never_imports_another() -> None:
    for product in ("connectwise", "helpdesk"):
        for path, imported in _product_imports(f"psa/{product}").items():
            assert all(name.startswith(f"psa.{product}") for name in imported), (path, imported)


def test_callbacks_sit_below_the_front_ends() -> None:
    # The receiver and worker serve the HTTP server and the Slack bot alike, so they import neither (nor tools/,
    # whose hint resources read what the worker stores).
    assert not graph_of("callbacks") & {"tools", "webapp", "agent", "server", "cli"}, graph_of("callbacks")


def graph_of(top: str) -> set[str]:
    return _imports()[top]


def test_every_write_tool_is_one_module_of_tools_writes() -> None:
    from catalog import CATALOG
    from tools.registry import implementation

    for name, spec in CATALOG.items():
        fn = implementation(name)
        if spec.kind == "write" and fn is not None:
            assert fn.__module__ == f"tools.writes.{name}", (name, fn.__module__)
