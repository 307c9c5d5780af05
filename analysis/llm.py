"""A model-written summary: the prompt (ticket text fenced as data) and the reply's parsing.

Shared by MCP sampling (the client's model) and the OpenAI-compatible backend, so both see the same prompt and
are held to the same output contract: JSON points whose citations are checked against the thread.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ValidationError

from analysis.summary import SummaryPoints
from analysis.thread import Thread
from prompts import FENCE_CLOSE, FENCE_OPEN, render

MAX_TOKENS = 900
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class SummaryPrompt(BaseModel):
    system: str
    user: str


class ReplyError(ValueError):
    """The model's reply is not the JSON summary asked for."""


def summary_prompt(thread: Thread) -> SummaryPrompt:
    return SummaryPrompt(
        system=render("summary_system.j2", fence_open=FENCE_OPEN, fence_close=FENCE_CLOSE),
        user=render("summary_llm.j2", thread=thread),
    )


def parse_reply(text: str, thread: Thread) -> SummaryPoints:
    """The summary in a model's reply (the first JSON object in it, so code fences and chatter are tolerated),
    with citations limited to the thread's notes. Raises ReplyError."""
    match = _JSON_OBJECT.search(text or "")
    if match is None:
        raise ReplyError("the model's reply has no JSON object")
    try:
        points = SummaryPoints.model_validate(json.loads(match.group(0)))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ReplyError(f"the model's reply is not a summary object ({type(exc).__name__})") from exc
    return points.checked(thread)
