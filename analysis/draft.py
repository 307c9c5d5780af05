"""The internal-analysis draft: ticket, summary, configurations and KB suggestions through
prompts/internal_analysis.j2. Pure: the caller gathers the inputs, this only shapes the text.

The draft is for a technician to edit and post; it is written deterministically (no model), so the same ticket
gives the same draft and nothing in the ticket's text can steer what the draft proposes.
"""

from __future__ import annotations

from pydantic import BaseModel

from analysis.summary import SummaryPoints
from analysis.thread import Thread
from prompts import render

MAX_DRAFT_CHARS = 3500
MAX_CONFIGS = 5
MAX_ARTICLES = 3
ARTICLE_FIX_CHARS = 160


class ConfigLine(BaseModel):
    """A configuration linked to the ticket, as the draft lists it."""

    id: int
    name: str
    type: str = ""
    detail: str = ""


class ArticleLine(BaseModel):
    """A KB suggestion as the draft lists it."""

    id: int
    title: str
    resolution: str = ""
    score: float


class KbContext(BaseModel):
    ready: bool
    message: str = ""
    articles: list[ArticleLine] = []


def draft_note(thread: Thread, points: SummaryPoints, configs: list[ConfigLine], kb: KbContext) -> str:
    """The draft text, at most MAX_DRAFT_CHARS (ConnectWise notes take more, but a technician reads this)."""
    text = render(
        "internal_analysis.j2",
        thread=thread,
        s=points,
        configs=configs[:MAX_CONFIGS],
        more_configs=max(0, len(configs) - MAX_CONFIGS),
        kb=kb.model_copy(update={"articles": [_short(a) for a in kb.articles[:MAX_ARTICLES]]}),
    )
    if len(text) <= MAX_DRAFT_CHARS:
        return text
    cut = text[: MAX_DRAFT_CHARS - 40].rsplit("\n", 1)[0]
    return f"{cut}\n[draft shortened to fit; see the ticket]"


def _short(article: ArticleLine) -> ArticleLine:
    """An article line whose fix excerpt fits one line: the draft points at the article, it does not copy it."""
    fix = " ".join(article.resolution.split())
    if len(fix) > ARTICLE_FIX_CHARS:
        fix = fix[: ARTICLE_FIX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return article.model_copy(update={"resolution": fix})
