"""The knowledge index's settings, read without loading chromadb or the model (the server checks them before it
answers the MCP handshake): COPILOT_EMBEDDINGS, which embedding backend builds the vectors,
COPILOT_KB_AUTOSYNC, whether the server syncs the index by itself, and COPILOT_KB_SYNC_INTERVAL_SECONDS, how often
it syncs again after the first."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, cast

EmbeddingBackend = Literal["minilm", "openai"]
EMBEDDING_BACKENDS: tuple[EmbeddingBackend, ...] = ("minilm", "openai")


def embedding_backend_from_env(env: Mapping[str, str] | None = None) -> EmbeddingBackend:
    """COPILOT_EMBEDDINGS: `minilm` (default, offline) or `openai` (which needs OPENAI_API_KEY)."""
    env = os.environ if env is None else env
    backend = (env.get("COPILOT_EMBEDDINGS") or "minilm").strip().lower()
    if backend not in EMBEDDING_BACKENDS:
        raise ValueError(f"COPILOT_EMBEDDINGS must be 'minilm' or 'openai', not {backend!r}")
    if backend == "openai" and not env.get("OPENAI_API_KEY"):
        raise ValueError("COPILOT_EMBEDDINGS=openai needs OPENAI_API_KEY: set it, or unset COPILOT_EMBEDDINGS")
    return cast(EmbeddingBackend, backend)


def autosync_from_env(embedded: bool) -> bool:
    """Whether the server syncs the knowledge index itself: COPILOT_KB_AUTOSYNC=1/0 when set, else only on the
    embedded sandbox (a real site's first sync can take a long time and load the API; `kb sync` does it there)."""
    raw = (os.environ.get("COPILOT_KB_AUTOSYNC") or "").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    if raw:
        raise ValueError(f"COPILOT_KB_AUTOSYNC must be 1 or 0, not {raw!r}")
    return embedded


DEFAULT_SYNC_INTERVAL_S = 900
MIN_SYNC_INTERVAL_S, MAX_SYNC_INTERVAL_S = 30, 86_400


def sync_interval_from_env() -> float | None:
    """COPILOT_KB_SYNC_INTERVAL_SECONDS: seconds between the background syncs after the first (default 900);
    0: only the one at start. Callbacks keep the index current between syncs; the periodic sync catches what a
    lost callback missed."""
    raw = (os.environ.get("COPILOT_KB_SYNC_INTERVAL_SECONDS") or "").strip()
    if not raw:
        return float(DEFAULT_SYNC_INTERVAL_S)
    if not raw.isdigit() or (int(raw) != 0 and not MIN_SYNC_INTERVAL_S <= int(raw) <= MAX_SYNC_INTERVAL_S):
        raise ValueError(f"COPILOT_KB_SYNC_INTERVAL_SECONDS={raw!r}: use 0 (sync only at start) or a whole number "
                         f"of seconds from {MIN_SYNC_INTERVAL_S} to {MAX_SYNC_INTERVAL_S:,}")
    return float(raw) or None


def check_index_settings() -> None:
    """ValueError (one line) on a bad knowledge-index setting."""
    embedding_backend_from_env()
    sync_interval_from_env()
