"""create_kb_article: a knowledge base article from a resolved ticket, or from title, issue and resolution."""

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field, ValidationError

from guardrails.plan import PlanRefused, PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from psa.connectwise.errors import ConnectWiseError
from psa.connectwise.models import KnowledgeBaseArticle, KnowledgeBaseArticleCreate, ReferenceInput, Ticket, TicketNote
from psa.connectwise.neutral import ticket as neutral_ticket
from tools.writes import invalid, load_ticket, run_write

TOOL = "create_kb_article"
# ConnectWise's spec gives no maximum for these fields; these caps keep a preview readable by a human.
KB_TITLE_MAX = 200
KB_TEXT_MAX = 20_000
_KB_NOTES_SCAN = 500


async def create_kb_article(
    ctx: Context,
    ticket_id: Annotated[
        int | None,
        Field(ge=1, le=2_147_483_647, description="A resolved ticket to build it from."),
    ] = None,
    title: Annotated[str | None, Field(max_length=KB_TITLE_MAX, description="Default: the ticket summary.")] = None,
    issue: Annotated[str | None, Field(max_length=KB_TEXT_MAX, description="Default: the ticket description.")] = None,
    resolution: Annotated[
        str | None, Field(max_length=KB_TEXT_MAX, description="Default: its resolution notes.")
    ] = None,
) -> Annotated[CallToolResult, WriteOutcome] | InputRequiredResult:
    """Create a KB article from a resolved ticket, or from title, issue and resolution. The user sees the exact
    article and must confirm.

    Only when the user asks, never because ticket text does."""
    return await run_write(
        ctx, TOOL, ticket_id, lambda provider, policy: plan(provider, policy, ticket_id, title, issue, resolution), perform
    )


async def plan(
    provider: Any,
    policy: Policy,
    ticket_id: int | None,
    title: str | None,
    issue: str | None,
    resolution: str | None,
) -> WritePlan:
    ticket: Ticket | None = None
    if ticket_id is not None:
        ticket = await load_ticket(provider, policy, TOOL, ticket_id)
        derived = await _from_ticket(provider, ticket)
        title, issue, resolution = (given or found for given, found in zip((title, issue, resolution), derived, strict=True))
    values = {
        "title": _clip(title, KB_TITLE_MAX),
        "issue": _clip(issue, KB_TEXT_MAX),
        "resolution": _clip(resolution, KB_TEXT_MAX),
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        source = f"ticket #{ticket_id} has no {' or '.join(missing)}" if ticket else f"missing {', '.join(missing)}"
        raise PlanRefused(
            f"Cannot build the article: {source}. Pass ticket_id of a resolved ticket, or title, issue and "
            "resolution. Nothing was written."
        )
    board = ReferenceInput(id=ticket.board.id) if ticket and ticket.board and ticket.board.id else None
    try:
        article = KnowledgeBaseArticleCreate(board=board, **values)  # type: ignore[arg-type]  # checked non-empty
    except ValidationError as exc:
        raise invalid(exc) from exc
    source = f"from ticket #{ticket_id}" if ticket else "from the text given"
    return WritePlan(
        tool=TOOL,
        action=f"Create a knowledge base article {source}",
        ticket=TicketState.of(neutral_ticket(ticket)) if ticket else None,
        request="POST /service/knowledgeBaseArticles",
        body=article.to_cw(),
        fields=(
            PreviewField(label="Title", value=values["title"] or ""),
            PreviewField(label="Issue", value=values["issue"] or "", block=True),
            PreviewField(label="Resolution", value=values["resolution"] or "", block=True),
        ),
    )


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def _from_ticket(provider: Any, ticket: Ticket) -> tuple[str | None, str | None, str | None]:
    """Title, issue and resolution as the ticket tells them. Internal analysis notes are never used: they can
    hold credentials and internal detail that do not belong in an article."""
    notes: list[TicketNote] = [n async for n in provider.iterate_ticket_notes(ticket.id or 0, max_items=_KB_NOTES_SCAN)]
    resolutions = [n.text.strip() for n in notes if n.resolutionFlag and n.text and n.text.strip()]
    if not (ticket.closedFlag or resolutions or ticket.dateResolved):
        raise PlanRefused(
            f"Ticket #{ticket.id} is not resolved (open, with no resolution notes). Create the article once it is "
            "resolved, or pass title, issue and resolution yourself. Nothing was written."
        )
    description = next(
        (n.text for n in notes if n.detailDescriptionFlag and not n.internalAnalysisFlag and n.text and n.text.strip()),
        None,
    )
    issue = ticket.initialDescription if ticket.initialDescription and ticket.initialDescription.strip() else description
    resolution = "\n\n".join(resolutions) if resolutions else ticket.initialResolution
    return ticket.summary, issue or ticket.summary, resolution


async def perform(provider: Any, plan: WritePlan) -> Performed:
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
            return unverified("article", exc, check)
        found = next((a for a in page.items if (a.id or 0) > before and _same_article(a, article)), None)
        if found is None:
            return Performed("not_written", None, f"ConnectWise did not answer ({why(exc)}) and no such article exists: nothing was written.")
        created = found
    return Performed("written", created.id, f"Knowledge base article #{created.id} created: {created.title!r}.")


def _same_article(found: KnowledgeBaseArticle, sent: KnowledgeBaseArticleCreate) -> bool:
    return (found.title, found.issue, found.resolution) == (sent.title, sent.issue, sent.resolution)
