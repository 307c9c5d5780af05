"""The agent's model: OpenAI-compatible chat completions configured from the environment.

    OPENAI_API_KEY                 the key (local servers such as llama.cpp, vLLM or Ollama accept any)
    OPENAI_BASE_URL                any OpenAI-compatible endpoint (default: api.openai.com)
    COPILOT_MODEL                  the model name (default gpt-4o-mini)
    COPILOT_LLM_TIMEOUT_SECONDS    per request to the model (default 60)
    COPILOT_TOOL_TIMEOUT_SECONDS   per tool call, not counting time a human spends on a confirmation (default 60)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from openai import AsyncOpenAI
from pydantic import BaseModel, Field

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_S = 60.0


class LLMConfigError(ValueError):
    """The environment does not configure a usable model."""


class LLMSettings(BaseModel):
    api_key: str = Field(repr=False)
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0)
    tool_timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMSettings:
        """Raises LLMConfigError naming the variables to set."""
        env = os.environ if env is None else env
        key = (env.get("OPENAI_API_KEY") or "").strip()
        base_url = (env.get("OPENAI_BASE_URL") or "").strip() or None
        if not key and base_url is None:
            raise LLMConfigError(
                "no model is configured: set OPENAI_API_KEY (OpenAI), or OPENAI_BASE_URL for any "
                "OpenAI-compatible server (plus OPENAI_API_KEY if it needs one); COPILOT_MODEL picks the model"
            )
        return cls(
            # The client insists on a key even for local servers that ignore it.
            api_key=key or "unused",
            base_url=base_url,
            model=(env.get("COPILOT_MODEL") or "").strip() or DEFAULT_MODEL,
            timeout_s=_seconds(env, "COPILOT_LLM_TIMEOUT_SECONDS"),
            tool_timeout_s=_seconds(env, "COPILOT_TOOL_TIMEOUT_SECONDS"),
        )

    def client(self) -> AsyncOpenAI:
        # openai reads sys.modules["httpx"] without importing it (to accept legacy httpx objects). While the server
        # opens, a worker thread may be halfway through importing httpx, and openai would find a module without
        # `URL`; importing it here waits for that thread to finish the import.
        import httpx  # noqa: F401

        # One retry: enough for a blip; a turn that waits minutes on a dead server is worse than an error.
        return AsyncOpenAI(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout_s, max_retries=1)


def _seconds(env: Mapping[str, str], name: str) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise LLMConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise LLMConfigError(f"{name} must be positive, not {raw!r}")
    return value
