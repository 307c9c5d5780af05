"""create_kb_article: a knowledge base article from a resolved ticket, or from title, issue and resolution."""

from typing import Annotated, Protocol

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field

from guardrails.plan import PlanRefused, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from psa.errors import PSAError
from psa.models import Note, Ticket
from psa.provider import PSAProvider
from psa.writes import ArticleDraft, ArticleWriter
from tools.writes import NOTHING, load_ticket, product_refusals, run_write, write_plan

TOOL = "create_kb_article"
# No product gives these fields a maximum; these caps keep a preview readable by a human.
KB_TITLE_MAX = 200
KB_TEXT_MAX = 20_000
_KB_NOTES_SCAN = 500
_PAGE = 100


class Product(PSAProvider, ArticleWriter, Protocol):
    pass


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
    provider: Product,
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
            f"resolution. {NOTHING}"
        )
    board_id = ticket.board.id if ticket and ticket.board else None
    with product_refusals():
        planned = await provider.plan_article(ArticleDraft(board_id=board_id, **values))  # type: ignore[arg-type]  # checked non-empty
    source = f"from ticket #{ticket_id}" if ticket else "from the text given"
    return write_plan(TOOL, planned.model_copy(update={"action": f"{planned.action} {source}"}), policy, ticket=ticket)


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def _notes(provider: PSAProvider, ticket_id: int) -> list[Note]:
    notes: list[Note] = []
    page = 1
    while len(notes) < _KB_NOTES_SCAN:
        found = await provider.list_ticket_notes(ticket_id, page=page, page_size=_PAGE)
        notes += found.items
        if not found.has_more:
            break
        page += 1
    return notes[:_KB_NOTES_SCAN]


async def _from_ticket(provider: PSAProvider, ticket: Ticket) -> tuple[str | None, str | None, str | None]:
    """Title, issue and resolution as the ticket tells them. Internal analysis notes are never used: they can
    hold credentials and internal detail that do not belong in an article."""
    notes = await _notes(provider, ticket.id)
    resolutions = [n.text.strip() for n in notes if n.kind == "resolution" and n.text and n.text.strip()]
    if not (ticket.closed or resolutions or ticket.resolved):
        raise PlanRefused(
            f"Ticket #{ticket.id} is not resolved (open, with no resolution notes). Create the article once it is "
            f"resolved, or pass title, issue and resolution yourself. {NOTHING}"
        )
    described = next((n.text for n in notes if n.kind == "description" and n.text and n.text.strip()), None)
    issue = ticket.description if ticket.description and ticket.description.strip() else described
    return ticket.summary, issue or ticket.summary, "\n\n".join(resolutions) if resolutions else None


async def perform(provider: Product, plan: WritePlan) -> Performed:
    before = await provider.newest_article_id()
    try:
        article_id, title = await provider.create_article(plan.request, plan.body)
    except IN_FLIGHT as exc:
        try:
            found = await provider.find_article(plan.body, after_id=before)
        except PSAError as check:
            return unverified("article", exc, check)
        if found is None:
            return Performed(
                "not_written", None, f"{exc.product} did not answer ({why(exc)}) and no such article exists: nothing was written."
            )
        article_id, title = found
    return Performed("written", article_id, f"Knowledge base article #{article_id} created: {title!r}.")
