"""ConnectWise records -> index Documents: what text is embedded and which metadata filters can use.

Ids are the ConnectWise id as a string. Metadata holds scalars only (chromadb's rule); a value ConnectWise
did not send is left out rather than stored as "", so a filter on it simply does not match.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from kb_index.types import Document, Metadata, MetadataValue
from psa.connectwise.models import KnowledgeBaseArticle, Reference, Ticket, TicketNote

# Long enough for a tool to show a useful excerpt, short enough to keep chromadb metadata rows small.
EXCERPT_CHARS = 1000


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` cut to at most `limit` characters, on a word boundary when one is near."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"


def iso(value: datetime) -> str:
    """ConnectWise's own format (UTC, seconds, `Z`), so metadata dates compare as strings too."""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ref_name(ref: Reference | None) -> str | None:
    return (ref.name or ref.identifier) if ref is not None else None


def _scalars(values: dict[str, MetadataValue | None]) -> Metadata:
    return {key: value for key, value in values.items() if value is not None and value != ""}


def _dates(entered: datetime | None, updated: datetime | None) -> dict[str, MetadataValue | None]:
    return {
        "date_entered": iso(entered) if entered else None,
        "last_updated": iso(updated) if updated else None,
        # An int copy of last_updated, because chromadb's $gt/$lt compare numbers only.
        "updated_ts": int(updated.timestamp()) if updated else None,
    }


def _join(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def kb_article_document(article: KnowledgeBaseArticle) -> Document:
    if article.id is None:
        raise ValueError("a knowledge-base article without an id cannot be indexed")
    info = article.info
    title = (article.title or "").strip()
    metadata = _scalars({
        "cw_id": article.id,
        "title": title,
        "category": str(article.categoryId) if article.categoryId is not None else None,
        "subcategory": str(article.subCategoryId) if article.subCategoryId is not None else None,
        "board": _ref_name(article.board),
        "issue": excerpt(article.issue or ""),
        "resolution": excerpt(article.resolution or ""),
        **_dates(info.dateEntered if info and info.dateEntered else article.dateCreated,
                 info.lastUpdated if info else None),
    })
    return Document(id=str(article.id), text=_join(article.issue, article.resolution), title=title, metadata=metadata)


def resolved_ticket_document(ticket: Ticket, notes: Sequence[TicketNote]) -> Document:
    """Summary as title; the customer's description (the first detail-description note, as ConnectWise shows
    it) and every resolution note as text. Internal analysis and discussion are left out: they describe the
    hunt, not the fix, and would pull the ticket towards unrelated searches."""
    if ticket.id is None:
        raise ValueError("a ticket without an id cannot be indexed")
    description = next((n.text for n in notes if n.detailDescriptionFlag and n.text), ticket.initialDescription)
    resolutions = [n.text for n in notes if n.resolutionFlag and n.text] or [ticket.initialResolution]
    resolution = _join(*resolutions)
    summary = (ticket.summary or "").strip()
    metadata = _scalars({
        "cw_id": ticket.id,
        "title": summary,
        "board": _ref_name(ticket.board),
        "company": _ref_name(ticket.company),
        "status": _ref_name(ticket.status),
        "closed_date": iso(ticket.closedDate) if ticket.closedDate else None,
        "resolution": excerpt(resolution),
        **_dates(ticket.date_entered, ticket.last_updated),
    })
    return Document(id=str(ticket.id), text=_join(description, resolution), title=summary, metadata=metadata)
