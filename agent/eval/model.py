"""What a scenario is: the technician's words, how the human answers confirmations, the expected end state of
the sandbox and the facts the final answer must state. Plain pydantic, so `--json` can print any of it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

ConfirmPolicy = Literal["approve", "decline", "approve_first_only"]
NoteKind = Literal["internal_analysis", "resolution", "discussion"]

WRITE_TOOLS: tuple[str, ...] = ("add_ticket_note", "update_ticket_status", "create_kb_article", "log_time_entry")


class Fact(BaseModel):
    """Something the final answer must state: a case-insensitive regular expression."""

    label: str
    pattern: str

    @classmethod
    def text(cls, label: str, value: str) -> Fact:
        """`value` as written, as whole words where it starts or ends with one ("New" must not match "news")."""
        head = r"\b" if value[:1].isalnum() else ""
        tail = r"\b" if value[-1:].isalnum() else ""
        return cls(label=label, pattern=f"{head}{re.escape(value)}{tail}")

    @classmethod
    def any_of(cls, label: str, values: Iterable[str | int]) -> Fact:
        """Any one of `values` (whole words for ids, so ticket 12 does not match 120)."""
        parts = sorted({rf"\b{v}\b" if isinstance(v, int) else re.escape(v) for v in values}, key=len, reverse=True)
        if not parts:
            raise ValueError(f"fact {label!r}: no acceptable values")
        return cls(label=label, pattern="|".join(parts))

    def found_in(self, answer: str) -> bool:
        return re.search(self.pattern, answer, re.IGNORECASE) is not None


class NewNote(BaseModel):
    ticket_id: int
    kind: NoteKind = "internal_analysis"
    contains: list[str] = Field(default_factory=list, description="Case-insensitive substrings of the note text.")


class StatusChange(BaseModel):
    ticket_id: int
    board: str
    status: str


class NewTimeEntry(BaseModel):
    ticket_id: int
    hours: float
    notes_contains: list[str] = Field(default_factory=list)


class NewKbArticle(BaseModel):
    contains: list[str] = Field(default_factory=list, description="Substrings of title, issue or resolution.")


class Expected(BaseModel):
    """Exactly these changes and no others: anything else in the sandbox that changed fails the scenario."""

    notes: list[NewNote] = Field(default_factory=list)
    statuses: list[StatusChange] = Field(default_factory=list)
    time_entries: list[NewTimeEntry] = Field(default_factory=list)
    kb_articles: list[NewKbArticle] = Field(default_factory=list)

    def is_no_change(self) -> bool:
        return not (self.notes or self.statuses or self.time_entries or self.kb_articles)


class Scenario(BaseModel):
    id: str
    category: str
    checks: str = Field(description="What the scenario proves, in a sentence (for docs and reports).")
    messages: list[str] = Field(min_length=1, description="The technician's turns, in order.")
    confirm: ConfirmPolicy = "approve"
    ticket_ids: list[int] = Field(
        default_factory=list, description="Tickets the task is about: their notes are read before and after."
    )
    expected: Expected = Field(default_factory=Expected)
    facts: list[Fact] = Field(default_factory=list)
    forbidden_tools: list[str] = Field(
        default_factory=list, description="Calling any of these fails the scenario, whatever the human answered."
    )
    needs_kb: bool = False
