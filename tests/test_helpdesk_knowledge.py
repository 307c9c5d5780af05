"""The helpdesk as a knowledge source: `kb_index.sync` fills the index from its resolved and closed tickets (it
has no KB API), a search finds one by how it was fixed, and one ticket's refresh follows a resolve or a reopen.
Against the real helpdesk sandbox over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from kb_index.refresh import refresh_ticket
from kb_index.search import KnowledgeSearch
from kb_index.store import KnowledgeStore
from kb_index.sync import sync
from kb_testing import TrigramEmbeddingFunction
from psa.helpdesk.client import HelpdeskClient
from psa.helpdesk.knowledge import HelpdeskKnowledge
from psa.helpdesk.models import ListType, RequesterReplyForm, ResolveForm
from psa.helpdesk.settings import HelpdeskSettings
from sandbox.helpdesk.runner import RunningHelpdesk, start_helpdesk

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHelpdesk]:
    with start_helpdesk(db_path=tmp_path_factory.mktemp("helpdesk") / "h.db", tickets=40) as running:
        yield running


@pytest.fixture
async def client(helpdesk: RunningHelpdesk) -> AsyncIterator[HelpdeskClient]:
    async with HelpdeskClient(HelpdeskSettings(url=helpdesk.url, token=SecretStr(helpdesk.token))) as opened:
        yield opened


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KnowledgeStore]:
    with KnowledgeStore.open(tmp_path / "kb", embedding_function=TrigramEmbeddingFunction()) as opened:
        yield opened


async def test_a_sync_indexes_the_resolved_tickets_and_no_articles(client: HelpdeskClient,
                                                                   store: KnowledgeStore) -> None:
    completed = await client.list_tickets(ListType.CompletedTickets, page_size=100)
    report = await sync(HelpdeskKnowledge(client), store)
    assert report.kinds["kb_articles"].fetched == 0 and store.count("kb_articles") == 0
    assert store.count("resolved_tickets") == completed.total
    some = next(r for r in completed.items)
    document = store.get("resolved_tickets", str(some.id))
    assert document is not None and document.title == (some.title or "").strip()
    assert document.metadata.get("resolution"), "a resolved ticket's fix is what similar-ticket search shows"
    again = await sync(HelpdeskKnowledge(client), store)
    assert sum(r.added + r.updated + r.removed for r in again.kinds.values()) == 0


async def test_one_ticket_follows_a_resolve_and_a_reopen(client: HelpdeskClient, store: KnowledgeStore,
                                                         helpdesk: RunningHelpdesk) -> None:
    source = HelpdeskKnowledge(client)
    await sync(source, store)
    open_row = (await client.list_tickets(ListType.AllTickets, page_size=100)).items
    ticket = next(r for r in open_row if r.statusType not in ("Resolved", "Closed"))
    await client.resolve(ticket.id, ResolveForm(Id=ticket.id, Resolution="Swapped the frobnicator relay.",
                                                ResolvedBy="tech-kbrooks"))
    assert await refresh_ticket(source, store, ticket.id) == "added"
    found = KnowledgeSearch(store).search("resolved_tickets", "frobnicator relay", k=3)
    assert str(ticket.id) in [m.document.id for m in found]
    whole = await client.get_ticket(ticket.id)
    assert whole.creator is not None and whole.creator.userName
    await client.requester_reply(ticket.id, RequesterReplyForm(Id=ticket.id, Username=whole.creator.userName,
                                                               Title="Still broken", Message="It came back."))
    assert await refresh_ticket(source, store, ticket.id) == "removed"
