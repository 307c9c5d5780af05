"""Choosing the summary backend: MCP sampling, then the configured OpenAI-compatible LLM, then the deterministic
summariser, which always answers.

A backend that fails (a timeout, an HTTP error, a reply that is not the JSON asked for) hands over to the next
one, and the result says why in `fallback_reason`: a summary is never lost to a model outage.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from openai import AsyncOpenAI, OpenAIError
from pydantic import BaseModel, Field

from analysis import extractive
from analysis.llm import MAX_TOKENS, ReplyError, parse_reply, summary_prompt
from analysis.summary import Backend, SummaryPoints
from analysis.thread import Thread

log = logging.getLogger("psa_copilot.analysis")

DEFAULT_MODEL = "gpt-4o-mini"
LLM_TIMEOUT_S = 30.0


class LLMConfig(BaseModel):
    base_url: str | None = None
    api_key: str = Field(repr=False)
    model: str = DEFAULT_MODEL
    timeout_s: float = LLM_TIMEOUT_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig | None:
        """The LLM settings, or None when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set (no LLM configured)."""
        env = os.environ if env is None else env
        key = (env.get("OPENAI_API_KEY") or "").strip()
        base_url = (env.get("OPENAI_BASE_URL") or "").strip() or None
        if not key and base_url is None:
            return None
        # Local OpenAI-compatible servers (llama.cpp, vLLM, Ollama) accept any key; the client insists on one.
        return cls(base_url=base_url, api_key=key or "unused", model=(env.get("COPILOT_MODEL") or "").strip() or DEFAULT_MODEL)


class Outcome(BaseModel):
    points: SummaryPoints
    backend: Backend
    fallback_reason: str | None = None


async def llm_summary(thread: Thread, config: LLMConfig) -> SummaryPoints:
    """One chat completion. Raises OpenAIError (transport, HTTP, timeout) or ReplyError (unusable reply)."""
    prompt = summary_prompt(thread)
    # One retry at most: a summary that waits minutes on a dead server is worse than the deterministic one.
    async with AsyncOpenAI(
        api_key=config.api_key, base_url=config.base_url, timeout=config.timeout_s, max_retries=1
    ) as client:
        reply = await client.chat.completions.create(
            model=config.model,
            messages=[{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
            temperature=0,
            max_tokens=MAX_TOKENS,
        )
    text = reply.choices[0].message.content if reply.choices else None
    return parse_reply(text or "", thread)


async def summarise(thread: Thread, sampled_text: str | None, config: LLMConfig | None = None) -> Outcome:
    """The summary from the first backend that works.

    `sampled_text`: the client's model's reply when the client sampled (None: no sampling capability).
    `config`: the LLM settings; None reads them from the environment.
    """
    reasons: list[str] = []
    if sampled_text is not None:
        try:
            return Outcome(points=parse_reply(sampled_text, thread), backend="sampling")
        except ReplyError as exc:
            reasons.append(f"sampling: {exc}")
    config = LLMConfig.from_env() if config is None else config
    if config is not None:
        try:
            return Outcome(points=await llm_summary(thread, config), backend="llm", fallback_reason=_joined(reasons))
        except (OpenAIError, ReplyError) as exc:
            log.warning("LLM summary failed for ticket %s: %s", thread.ticket_id, exc)
            reasons.append(f"llm: {type(exc).__name__}: {_short(str(exc))}")
    return Outcome(points=extractive.summarise(thread), backend="deterministic", fallback_reason=_joined(reasons))


def _joined(reasons: list[str]) -> str | None:
    return "; ".join(reasons) + "; used the next backend" if reasons else None


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
