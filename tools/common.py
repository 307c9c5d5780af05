"""Plumbing shared by the tool modules: the provider from the server lifespan, the product's errors as tool
errors, and compact structured results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.subscriptions import InMemorySubscriptionBus
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from psa.errors import PSAError, PSANotFoundError
from psa.provider import KeyedProviders, PSAProvider, neutral
from settings import one_line
from tools.acting import acting_provider

if TYPE_CHECKING:  # chromadb and the embedding model load only when the server opens the knowledge base
    from kb_index.indexer import BackgroundIndexer
    from kb_index.search import KnowledgeSearch
    from kb_index.store import KnowledgeStore

    from guardrails.guard import WriteGuard
    from tools.readiness import Readiness

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

PageArg = Annotated[int, Field(ge=1, le=100_000, description="From 1: next_page of the last result.")]
PageSizeArg = Annotated[
    int, Field(ge=1, le=MAX_PAGE_SIZE, description=f"1-{MAX_PAGE_SIZE}.")
]


@dataclass
class KnowledgeBase:
    """The server's knowledge index: one store and its search for the server's lifetime, and the background
    indexer that fills it (None when the server does not sync on its own: a real site without
    COPILOT_KB_AUTOSYNC=1, where `psa-copilot kb sync` fills the store)."""

    store: KnowledgeStore
    search: KnowledgeSearch
    indexer: BackgroundIndexer | None = None


@dataclass
class AppState:
    """What the server lifespan yields: one provider shared by every tool call, and the knowledge base
    (None when the kb toolset is off). On the server's own start both open in the background: `readiness`
    tracks that (tools/readiness.py holds tool calls until it is done), and the fields are set as they open."""

    provider: PSAProvider | None = None
    site: str | None = None
    knowledge: KnowledgeBase | None = None
    guard: WriteGuard | None = None
    """Policy, confirmation tokens and audit log for the write tools; None: every write is refused."""
    readiness: Readiness | None = None
    """None: everything was open before the server started (a caller-supplied provider)."""
    knowledge_error: str | None = None
    """Why the knowledge index could not be opened; the other tools work without it."""
    pool: KeyedProviders | None = None
    """Technicians' own-key providers (tools/acting.py); opened with the server's provider, whose `own` it is.
    None: every call uses `provider`."""
    events: InMemorySubscriptionBus = field(default_factory=InMemorySubscriptionBus)
    """Resource updates for MCP clients listening (`subscriptions/listen`): new ticket hints are published here."""


def provider_of(ctx: Context) -> PSAProvider:
    """The product behind the neutral protocol (psa.provider.PSAProvider, and the writers of psa.writes): the
    signed-in technician's own-key provider when tools/acting.py leased one for this call, else the server's."""
    acting = acting_provider()
    if acting is not None:
        return acting
    provider = getattr(ctx.request_context.lifespan_context, "provider", None)
    if provider is None:
        raise ToolError("The server has no PSA connection (its lifespan did not start); restart the server.")
    return neutral(provider)


def knowledge_of(ctx: Context) -> KnowledgeBase:
    state = ctx.request_context.lifespan_context
    knowledge = getattr(state, "knowledge", None)
    if knowledge is None:
        raise ToolError(
            getattr(state, "knowledge_error", None)
            or "This server has no knowledge index (the kb toolset was not started); ask an administrator."
        )
    return knowledge


@contextmanager
def cw_errors(*, not_found: str | None = None) -> Iterator[None]:
    """Turn the product's errors into tool errors a model can act on: one line, never a stack trace."""
    try:
        yield
    except PSANotFoundError as exc:
        if not_found:
            said = f" {exc.product} says: {exc.message}" if exc.message else ""
            raise ToolError(one_line(f"{not_found}{said}")) from exc
        raise ToolError(one_line(exc)) from exc
    except PSAError as exc:
        raise ToolError(one_line(exc)) from exc


def structured(model: BaseModel) -> CallToolResult:
    """A result whose structured content and text twin are both compact: no nulls, no indentation."""
    data = model.model_dump(mode="json", exclude_none=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)
