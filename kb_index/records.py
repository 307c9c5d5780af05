"""Knowledge records (psa.models, from any product) -> index Documents: what text is embedded and which metadata
filters can use.

Ids are the product's record id as a string. Metadata holds scalars only (chromadb's rule); a value the product
did not send is left out rather than stored as "", so a filter on it simply does not match.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kb_index.types import Document, Metadata, MetadataValue
from psa.models import KnowledgeArticle, ResolvedTicket

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


def kb_article_document(article: KnowledgeArticle) -> Document:
    metadata = _scalars({
        # "cw_id": the record id, named when ConnectWise was the only product; renaming it would change every
        # stored document's hash and re-embed whole indexes for nothing.
        "cw_id": article.id,
        "title": article.title,
        "category": article.category,
        "subcategory": article.subcategory,
        "board": article.board,
        "issue": excerpt(article.issue or ""),
        "resolution": excerpt(article.resolution or ""),
        **_dates(article.entered, article.updated),
    })
    return Document(id=str(article.id), text=_join(article.issue, article.resolution), title=article.title,
                    metadata=metadata)


def resolved_ticket_document(ticket: ResolvedTicket) -> Document:
    """Summary as title; the customer's description and every resolution as text (the product's mapping decides
    which of its notes those are)."""
    resolution = _join(*ticket.resolutions)
    metadata = _scalars({
        "cw_id": ticket.id,
        "title": ticket.summary,
        "board": ticket.board,
        "company": ticket.company,
        "status": ticket.status,
        "closed_date": iso(ticket.closed_at) if ticket.closed_at else None,
        "resolution": excerpt(resolution),
        **_dates(ticket.entered, ticket.updated),
    })
    return Document(id=str(ticket.id), text=_join(ticket.description, resolution), title=ticket.summary,
                    metadata=metadata)
