"""create_kb_article on ConnectWise: one POST of /service/knowledgeBaseArticles."""

from __future__ import annotations

from pydantic import ValidationError

from psa.connectwise.models import KnowledgeBaseArticle, KnowledgeBaseArticleCreate, ReferenceInput
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.writes import invalid
from psa.writes import ArticleDraft, Body, PlannedWrite, Shown


class ArticleWrites:
    """psa.writes.ArticleWriter over `self.wire`."""

    wire: ConnectWiseProvider

    async def plan_article(self, draft: ArticleDraft) -> PlannedWrite:
        board = ReferenceInput(id=draft.board_id) if draft.board_id else None
        try:
            article = KnowledgeBaseArticleCreate(board=board, title=draft.title, issue=draft.issue,
                                                 resolution=draft.resolution)
        except ValidationError as exc:
            raise invalid(exc) from exc
        return PlannedWrite(
            action="Create a knowledge base article",
            request="POST /service/knowledgeBaseArticles",
            body=article.to_cw(),
            shown=(
                Shown(label="Title", value=draft.title),
                Shown(label="Issue", value=draft.issue, block=True),
                Shown(label="Resolution", value=draft.resolution, block=True),
            ),
        )

    async def newest_article_id(self) -> int:
        newest = await self.wire.list_knowledge_base_articles(page_size=1)
        return max((a.id or 0 for a in newest.items), default=0)

    async def create_article(self, request: str, body: Body) -> tuple[int, str]:
        created = await self.wire.create_kb_article(KnowledgeBaseArticleCreate.model_validate(body))
        return created.id or 0, created.title or ""

    async def find_article(self, body: Body, *, after_id: int) -> tuple[int, str] | None:
        sent = KnowledgeBaseArticleCreate.model_validate(body)
        page = await self.wire.list_knowledge_base_articles(sent.title, page_size=25)
        found = next((a for a in page.items if (a.id or 0) > after_id and _same(a, sent)), None)
        return (found.id or 0, found.title or "") if found is not None else None


def _same(found: KnowledgeBaseArticle, sent: KnowledgeBaseArticleCreate) -> bool:
    return (found.title, found.issue, found.resolution) == (sent.title, sent.issue, sent.resolution)
