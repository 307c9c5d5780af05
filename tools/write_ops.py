"""Send a confirmed write plan to ConnectWise, once.

The client never repeats a POST or PATCH that may have reached ConnectWise. When such a request fails in flight
(timeout, dropped connection, 5xx, an unreadable 2xx), these functions do not retry either: they look at
ConnectWise to see whether it landed, and report written / not_written, or unknown when they cannot tell.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from guardrails.execute import Perform, Performed
from guardrails.plan import WritePlan
from guardrails.verify import find_new_note, newest_note_id
from psa.connectwise.errors import (
    ConnectWiseConnectionError,
    ConnectWiseError,
    ConnectWiseResponseError,
    ConnectWiseServerError,
    ConnectWiseTimeoutError,
)
from psa.connectwise.models import KnowledgeBaseArticle, KnowledgeBaseArticleCreate, Ticket, TicketNote, TimeEntry, TimeEntryCreate
from psa.provider import Page
from tools.write_plans import timed_body

IN_FLIGHT = (ConnectWiseTimeoutError, ConnectWiseConnectionError, ConnectWiseServerError, ConnectWiseResponseError)


class WriteProvider(Protocol):
    async def get_ticket(self, ticket_id: int) -> Ticket: ...

    async def count_ticket_notes(self, ticket_id: int) -> int: ...

    async def list_ticket_notes(self, ticket_id: int, *, page: int = 1, page_size: int = 25) -> Page[TicketNote]: ...

    async def add_ticket_note(
        self,
        ticket_id: int,
        text: str,
        *,
        discussion: bool = False,
        internal_analysis: bool = False,
        resolution: bool = False,
        internal: bool | None = None,
    ) -> TicketNote: ...

    async def update_ticket_status(self, ticket_id: int, status_id: int) -> Ticket: ...

    async def list_knowledge_base_articles(
        self, text: str | None = None, *, page: int = 1, page_size: int = 25
    ) -> Page[KnowledgeBaseArticle]: ...

    async def create_kb_article(self, article: KnowledgeBaseArticleCreate) -> KnowledgeBaseArticle: ...

    async def create_time_entry(self, entry: TimeEntryCreate) -> TimeEntry: ...


def _why(exc: ConnectWiseError) -> str:
    return str(exc).splitlines()[0]


def _unverified(what: str, exc: ConnectWiseError, check: ConnectWiseError | None = None) -> Performed:
    checked = f"; checking failed too ({_why(check)})" if check else ""
    return Performed(
        "unknown",
        None,
        f"ConnectWise did not confirm the {what} ({_why(exc)}){checked}. It may or may not have been stored: "
        f"look in ConnectWise before trying again.",
    )


async def perform_note(provider: WriteProvider, plan: WritePlan) -> Performed:
    ticket_id = plan.ticket_id
    body = plan.body
    assert ticket_id is not None and isinstance(body, dict)
    before = await newest_note_id(provider, ticket_id)
    try:
        note = await provider.add_ticket_note(
            ticket_id,
            body["text"],
            discussion=body["detailDescriptionFlag"],
            internal_analysis=body["internalAnalysisFlag"],
            resolution=body["resolutionFlag"],
            internal=body["internalFlag"],
        )
    except IN_FLIGHT as exc:
        try:
            found = await find_new_note(provider, ticket_id, body, after_id=before)
        except ConnectWiseError as check:
            return _unverified("note", exc, check)
        if found is not None:
            return Performed(
                "written",
                found.id,
                f"ConnectWise did not answer ({_why(exc)}), but the note is on ticket #{ticket_id} (note "
                f"#{found.id}): written once, and not sent again.",
            )
        if isinstance(exc, ConnectWiseTimeoutError):
            # A timed-out request may still be running at ConnectWise: absent now is not absent for good.
            return Performed(
                "unknown",
                None,
                f"ConnectWise did not answer in time and the note is not on ticket #{ticket_id} yet; ConnectWise "
                "may still be processing it. It was not sent again: check the ticket's notes in a minute before "
                "retrying.",
            )
        return Performed(
            "not_written",
            None,
            f"ConnectWise did not answer ({_why(exc)}) and the note is not on ticket #{ticket_id}: nothing was "
            "written. It was not sent again; call add_ticket_note again to retry.",
        )
    return Performed("written", note.id, f"Note #{note.id} added to ticket #{ticket_id}.")


async def perform_status(provider: WriteProvider, plan: WritePlan) -> Performed:
    ticket_id = plan.ticket_id
    assert ticket_id is not None and isinstance(plan.body, list)
    target: int = plan.body[0]["value"]["id"]
    try:
        ticket = await provider.update_ticket_status(ticket_id, target)
    except IN_FLIGHT as exc:
        try:
            ticket = await provider.get_ticket(ticket_id)
        except ConnectWiseError as check:
            return _unverified("status change", exc, check)
        if not (ticket.status and ticket.status.id == target):
            return Performed(
                "not_written", None, f"ConnectWise did not answer ({_why(exc)}) and the status is unchanged: nothing was written."
            )
    name = ticket.status.name if ticket.status else str(target)
    return Performed("written", ticket_id, f"Ticket #{ticket_id} now has status {name!r}.")


async def perform_kb_article(provider: WriteProvider, plan: WritePlan) -> Performed:
    assert isinstance(plan.body, dict)
    article = KnowledgeBaseArticleCreate.model_validate(plan.body)
    newest = await provider.list_knowledge_base_articles(page_size=1)
    before = max((a.id or 0 for a in newest.items), default=0)
    try:
        created = await provider.create_kb_article(article)
    except IN_FLIGHT as exc:
        try:
            page = await provider.list_knowledge_base_articles(article.title, page_size=25)
        except ConnectWiseError as check:
            return _unverified("article", exc, check)
        found = next((a for a in page.items if (a.id or 0) > before and _same_article(a, article)), None)
        if found is None:
            return Performed("not_written", None, f"ConnectWise did not answer ({_why(exc)}) and no such article exists: nothing was written.")
        created = found
    return Performed("written", created.id, f"Knowledge base article #{created.id} created: {created.title!r}.")


def _same_article(found: KnowledgeBaseArticle, sent: KnowledgeBaseArticleCreate) -> bool:
    return (found.title, found.issue, found.resolution) == (sent.title, sent.issue, sent.resolution)


async def perform_time_entry(provider: WriteProvider, plan: WritePlan) -> Performed:
    assert isinstance(plan.body, dict)
    entry = TimeEntryCreate.model_validate(timed_body(plan.body, datetime.now(UTC)))
    try:
        created = await provider.create_time_entry(entry)
    except IN_FLIGHT as exc:
        # No cheap, exact way to find "this" entry among a ticket's time entries: say so rather than guess.
        return _unverified("time entry", exc)
    hours = created.actualHours if created.actualHours is not None else entry.actualHours
    return Performed("written", created.id, f"Time entry #{created.id} logged on ticket #{plan.ticket_id} ({hours} h).")


PERFORMERS: dict[str, Perform] = {
    "add_ticket_note": perform_note,
    "update_ticket_status": perform_status,
    "create_kb_article": perform_kb_article,
    "log_time_entry": perform_time_entry,
}
