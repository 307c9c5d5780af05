"""The neutral domain model: the records tools, guard rails, the knowledge index and analysis work with, in no
product's words. Each product's package (psa/connectwise/, later psa/helpdesk/) keeps its wire models to itself
and maps them into these.

References are flattened to what a reader and a filter use (names, a member's login); ids stay where a later
call needs them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Neutral(BaseModel):
    model_config = ConfigDict(frozen=True)


class KnowledgeArticle(_Neutral):
    """A knowledge-base article, as the index holds it."""

    id: int
    title: str = ""
    issue: str | None = None
    resolution: str | None = None
    board: str | None = Field(None, description="The board (queue, group) it was written for, by name.")
    category: str | None = Field(None, description="The product's category, as it spells it (an id or a name).")
    subcategory: str | None = None
    entered: datetime | None = None
    updated: datetime | None = None


class ResolvedTicket(_Neutral):
    """A closed or resolved ticket, as the index holds it: what the customer asked and how it was fixed."""

    id: int
    summary: str = ""
    board: str | None = None
    company: str | None = None
    status: str | None = None
    closed_at: datetime | None = None
    description: str | None = Field(None, description="The customer's description of the problem.")
    resolutions: list[str] = Field(default_factory=list, description="How it was fixed, oldest first.")
    entered: datetime | None = None
    updated: datetime | None = None
