"""The summary's shape, shared by every backend, and its rendering.

Every point cites the notes it comes from; citations are checked against the thread, so a model cannot cite a
note that does not exist (an invented citation is dropped, not shown as evidence).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from analysis.thread import Thread
from prompts import render

Backend = Literal["sampling", "llm", "deterministic"]

POINT_CHARS = 400


class Point(BaseModel):
    text: str = Field(description="One statement about the ticket.")
    note_ids: list[int] = Field(default_factory=list, description="The notes this point comes from.")

    @property
    def cited(self) -> str:
        """The point with its citations, e.g. 'Printer offline [#149]'."""
        refs = " ".join(f"[#{i}]" for i in self.note_ids)
        return f"{self.text} {refs}".strip()


class SummaryPoints(BaseModel):
    """What a summariser produces, before the tool adds provenance."""

    problem: list[Point] = Field(default_factory=list)
    tried: list[Point] = Field(default_factory=list, description="What was tried or done so far.")
    current_state: list[Point] = Field(default_factory=list)
    next_step: list[Point] = Field(default_factory=list)
    waiting: Point = Field(description="Who is waiting on whom.")

    def points(self) -> list[Point]:
        return [*self.problem, *self.tried, *self.current_state, *self.next_step, self.waiting]

    def checked(self, thread: Thread) -> SummaryPoints:
        """A copy whose citations name only notes of `thread` and whose texts are bounded."""
        known = thread.note_ids()

        def fix(p: Point) -> Point:
            ids = list(dict.fromkeys(i for i in p.note_ids if i in known))
            return Point(text=_bounded(p.text), note_ids=ids)

        return SummaryPoints(
            problem=[fix(p) for p in self.problem],
            tried=[fix(p) for p in self.tried],
            current_state=[fix(p) for p in self.current_state],
            next_step=[fix(p) for p in self.next_step],
            waiting=fix(self.waiting),
        )


def render_summary(thread: Thread, points: SummaryPoints) -> str:
    """The summary as markdown a technician reads (prompts/summary.j2)."""
    return render("summary.j2", thread=thread, s=points)


def _bounded(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= POINT_CHARS else text[: POINT_CHARS - 1].rstrip() + "…"
