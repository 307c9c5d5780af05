"""Compact views of PSA records (the neutral model, psa/models.py) for tool output.

A view keeps the fields a technician (or a model) acts on, flattens references to their display names
("board": "Help Desk"), truncates long text with an explicit marker, and prints dates as compact UTC
("2025-11-03T14:01Z"). Nulls are dropped on the wire (see `tools.common.structured`), so an absent key means
"not set".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from psa.models import Board, Company, Configuration, Contact, Note, Ref, Status, Ticket

if TYPE_CHECKING:
    from kb_index.search import Match

SUMMARY_CHARS = 200
NOTE_CHARS = 2000
EXCERPT_CHARS = 300
DESCRIPTION_CHARS = 1500


class View(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- helpers ---------------------------------------------------------------------------------------------------


def truncate(text: str | None, limit: int) -> str | None:
    """`text` cut to about `limit` characters (at a word boundary when one is near), with a marker saying how
    much was left out. Whitespace runs are kept; None stays None."""
    if text is None:
        return None
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space >= limit * 0.8:
        cut = cut[:space]
    cut = cut.rstrip()
    return f"{cut}… [truncated, {len(text) - len(cut)} more chars]"


def ref_name(ref: Ref | None) -> str | None:
    """A reference's display text (psa.models.Ref.label)."""
    return ref.label if ref is not None else None


def member_name(ref: Ref | None) -> str | None:
    """Members are best known by their identifier (login), which is also what filters take."""
    if ref is None:
        return None
    return ref.identifier or ref.name or (f"#{ref.id}" if ref.id is not None else None)


def compact_dt(value: datetime | str | None) -> str | None:
    """`2025-11-03T14:01Z` (UTC, minutes); naive datetimes are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


# ---- tickets ---------------------------------------------------------------------------------------------------


class TicketListItem(View):
    """One ticket in a search result: the fields to triage and pick the next call."""

    id: int
    summary: str | None = None
    board: str | None = None
    status: str | None = None
    company: str | None = None
    contact: str | None = None
    priority: str | None = None
    owner: str | None = Field(None, description="Owner member identifier.")
    entered: str | None = Field(None, description="Date entered, UTC.")
    updated: str | None = Field(None, description="Last updated, UTC.")
    closed: bool = False


def ticket_list_item(t: Ticket) -> TicketListItem:
    return TicketListItem(
        id=t.id,
        summary=truncate(t.summary, SUMMARY_CHARS),
        board=ref_name(t.board),
        status=ref_name(t.status),
        company=ref_name(t.company),
        contact=ref_name(t.contact) or t.contact_name,
        priority=ref_name(t.priority),
        owner=member_name(t.owner),
        entered=compact_dt(t.entered),
        updated=compact_dt(t.updated),
        closed=t.closed,
    )


class CompanyBrief(View):
    id: int | None = None
    identifier: str | None = None
    name: str | None = None
    status: str | None = None
    phone: str | None = None
    city: str | None = None
    state: str | None = None
    website: str | None = None


def company_brief(c: Company) -> CompanyBrief:
    return CompanyBrief(
        id=c.id,
        identifier=c.identifier,
        name=c.name,
        status=c.status,
        phone=c.phone,
        city=c.city,
        state=c.state,
        website=c.website,
    )


class ContactBrief(View):
    id: int | None = None
    name: str | None = None
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    inactive: bool | None = None


def contact_brief(contact: Contact) -> ContactBrief:
    return ContactBrief(
        id=contact.id,
        name=contact.name,
        title=contact.title,
        email=contact.email,
        phone=contact.phone,
        inactive=contact.inactive or None,
    )


class ConfigurationBrief(View):
    id: int | None = None
    name: str | None = None
    type: str | None = None
    status: str | None = None
    device: str | None = Field(None, description="Device identifier.")
    serial: str | None = None
    os: str | None = None
    ip: str | None = None


def configuration_brief(c: Configuration) -> ConfigurationBrief:
    os_type, os_info = c.os_type, c.os_info
    if os_type and os_info and (os_type in os_info or os_info in os_type):
        os_text = max(os_type, os_info, key=len)
    else:
        os_text = " ".join(p for p in (os_type, os_info) if p) or None
    return ConfigurationBrief(
        id=c.id,
        name=c.name,
        type=c.type,
        status=c.status,
        device=c.device,
        serial=c.serial,
        os=os_text,
        ip=c.ip,
    )


# ---- notes -----------------------------------------------------------------------------------------------------

NoteKind = Literal["description", "internal_analysis", "resolution", "other"]


def note_kind(n: Note) -> NoteKind:
    """The view's kinds: a discussion note is "other" here (the name the tools have always shown)."""
    return "other" if n.kind == "discussion" else n.kind


def note_author(n: Note) -> str | None:
    if n.member is not None:
        return member_name(n.member)
    if n.contact is not None:
        return ref_name(n.contact)
    return n.created_by


class NoteView(View):
    id: int | None = None
    kind: NoteKind
    internal: bool = Field(description="Hidden from the customer.")
    author: str | None = None
    created: str | None = None
    text: str | None = None


def note_view(n: Note, limit: int = NOTE_CHARS) -> NoteView:
    return NoteView(
        id=n.id,
        kind=note_kind(n),
        internal=n.internal,
        author=note_author(n),
        created=compact_dt(n.created),
        text=truncate(n.text, limit),
    )


class NotesOverview(View):
    total: int
    by_kind: dict[str, int] = Field(description="Counts per kind: description, internal_analysis, resolution, other.")
    first: NoteView | None = Field(None, description="The oldest note (excerpt).")
    last: NoteView | None = Field(None, description="The newest note (excerpt).")
    complete: bool = Field(True, description="False when the ticket has more notes than were counted.")
    hint: str | None = None


def notes_overview(total: int, notes: list[Note], *, complete: bool) -> NotesOverview:
    by_kind: dict[str, int] = {"description": 0, "internal_analysis": 0, "resolution": 0, "other": 0}
    for n in notes:
        by_kind[note_kind(n)] += 1
    return NotesOverview(
        total=max(total, len(notes)),
        by_kind={k: v for k, v in by_kind.items() if v},
        first=note_view(notes[0], EXCERPT_CHARS) if notes else None,
        last=note_view(notes[-1], EXCERPT_CHARS) if len(notes) > 1 else None,
        complete=complete,
        hint="Read the full thread with list_ticket_notes." if notes else None,
    )


# ---- ticket detail ---------------------------------------------------------------------------------------------


class TicketDetail(View):
    id: int
    summary: str | None = None
    board: str | None = None
    status: str | None = None
    closed: bool = False
    type: str | None = None
    subtype: str | None = None
    item: str | None = None
    priority: str | None = None
    severity: str | None = None
    impact: str | None = None
    owner: str | None = None
    team: str | None = None
    source: str | None = None
    resources: str | None = Field(None, description="Assigned members (identifiers).")
    site: str | None = None
    agreement: str | None = None
    entered: str | None = None
    entered_by: str | None = None
    updated: str | None = None
    updated_by: str | None = None
    required: str | None = Field(None, description="Due date.")
    responded: str | None = None
    resolved: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    budget_hours: float | None = None
    actual_hours: float | None = None
    in_sla: bool | None = None
    parent_ticket_id: int | None = None
    initial_description: str | None = None
    company: CompanyBrief | None = None
    contact: ContactBrief | None = None
    configurations: list[ConfigurationBrief] = Field(default_factory=list)
    notes: NotesOverview | None = None


def ticket_detail(
    t: Ticket,
    *,
    company: Company | None,
    contact: Contact | None,
    configurations: list[Configuration],
    notes: NotesOverview | None,
) -> TicketDetail:
    contact_view: ContactBrief | None
    if contact is not None:
        contact_view = contact_brief(contact)
        if not contact_view.email and t.contact_email:
            contact_view.email = t.contact_email
    elif t.contact is not None or t.contact_name:
        contact_view = ContactBrief(
            id=t.contact.id if t.contact else None,
            name=ref_name(t.contact) or t.contact_name,
            email=t.contact_email,
            phone=t.contact_phone,
        )
    else:
        contact_view = None
    company_view = (
        company_brief(company)
        if company is not None
        else (CompanyBrief(id=t.company.id, identifier=t.company.identifier, name=t.company.name) if t.company else None)
    )
    return TicketDetail(
        id=t.id,
        summary=t.summary,
        board=ref_name(t.board),
        status=ref_name(t.status),
        closed=t.closed,
        type=ref_name(t.type),
        subtype=ref_name(t.subtype),
        item=ref_name(t.item),
        priority=ref_name(t.priority),
        severity=t.severity,
        impact=t.impact,
        owner=member_name(t.owner),
        team=ref_name(t.team),
        source=ref_name(t.source),
        resources=t.resources,
        site=ref_name(t.site) or t.site_name,
        agreement=ref_name(t.agreement),
        entered=compact_dt(t.entered),
        entered_by=t.entered_by,
        updated=compact_dt(t.updated),
        updated_by=t.updated_by,
        required=compact_dt(t.due),
        responded=compact_dt(t.responded),
        resolved=compact_dt(t.resolved),
        closed_at=compact_dt(t.closed_at),
        closed_by=t.closed_by,
        budget_hours=t.budget_hours,
        actual_hours=t.actual_hours,
        in_sla=t.in_sla,
        parent_ticket_id=t.parent_id,
        initial_description=truncate(t.description, DESCRIPTION_CHARS),
        company=company_view,
        contact=contact_view,
        configurations=[configuration_brief(c) for c in configurations],
        notes=notes,
    )


# ---- boards ----------------------------------------------------------------------------------------------------


class StatusView(View):
    id: int | None = None
    name: str | None = None
    closed: bool = Field(False, description="Setting this status closes the ticket.")
    default: bool | None = Field(None, description="The status new tickets get.")
    inactive: bool | None = None


class BoardView(View):
    id: int | None = None
    name: str | None = None
    inactive: bool | None = None
    statuses: list[StatusView] = Field(default_factory=list)


def status_view(s: Status) -> StatusView:
    return StatusView(
        id=s.id,
        name=s.name,
        closed=s.closed,
        default=True if s.default else None,
        inactive=True if s.inactive else None,
    )


def board_view(b: Board, statuses: list[Status]) -> BoardView:
    ordered = sorted(statuses, key=lambda s: (s.sort if s.sort is not None else 1 << 30, s.id or 0))
    return BoardView(
        id=b.id,
        name=b.name,
        inactive=True if b.inactive else None,
        statuses=[status_view(s) for s in ordered],
    )


# ---- knowledge base --------------------------------------------------------------------------------------------

KB_ISSUE_CHARS = 160
KB_RESOLUTION_CHARS = 240
WHY_TERMS = 6


class IndexState(View):
    ready: bool = Field(description="True once the knowledge index is complete; results may be partial before.")
    documents: int = Field(description="Documents of this kind in the index now.")
    message: str | None = Field(None, description="Progress or what to do, when not ready.")


class KbArticleSuggestion(View):
    id: int
    title: str | None = None
    issue: str | None = Field(None, description="Excerpt: the problem the article covers.")
    resolution: str | None = Field(None, description="Excerpt: the fix.")
    score: float = Field(description="Fused relevance in [0, 1], relative to the other results.")
    why: str = Field(description="Shared keywords and semantic similarity.")


class SimilarTicket(View):
    id: int
    summary: str | None = None
    company: str | None = None
    board: str | None = None
    closed: str | None = Field(None, description="Closed date, UTC.")
    resolution: str | None = Field(None, description="Excerpt: how it was fixed.")
    score: float = Field(description="Fused relevance in [0, 1], relative to the other results.")
    why: str = Field(description="Shared keywords and semantic similarity.")


def _meta_text(match: Match, key: str) -> str | None:
    value = match.document.metadata.get(key)
    return str(value) if value not in (None, "") else None


def why_matched(match: Match) -> str:
    """E.g. "matched terms: vpn, globalprotect; semantic similarity 0.71"."""
    parts: list[str] = []
    terms = match.matched_terms
    if terms:
        more = f" (+{len(terms) - WHY_TERMS} more)" if len(terms) > WHY_TERMS else ""
        parts.append(f"matched terms: {', '.join(terms[:WHY_TERMS])}{more}")
    else:
        parts.append("no shared keywords")
    if match.dense is not None:
        parts.append(f"semantic similarity {match.dense:.2f}")
    return "; ".join(parts)


def kb_article_suggestion(match: Match) -> KbArticleSuggestion:
    # No category: the index holds ConnectWise's category ids, which mean nothing to a reader.
    return KbArticleSuggestion(
        id=int(match.document.id),
        title=match.document.title or _meta_text(match, "title"),
        issue=truncate(_meta_text(match, "issue"), KB_ISSUE_CHARS),
        resolution=truncate(_meta_text(match, "resolution"), KB_RESOLUTION_CHARS),
        score=round(match.score, 3),
        why=why_matched(match),
    )


def similar_ticket(match: Match) -> SimilarTicket:
    return SimilarTicket(
        id=int(match.document.id),
        summary=truncate(match.document.title or _meta_text(match, "title"), SUMMARY_CHARS),
        company=_meta_text(match, "company"),
        board=_meta_text(match, "board"),
        closed=compact_dt(_meta_text(match, "closed_date")),
        resolution=truncate(_meta_text(match, "resolution"), KB_RESOLUTION_CHARS),
        score=round(match.score, 3),
        why=why_matched(match),
    )
