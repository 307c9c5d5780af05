"""ConnectWiseClient and ConnectWiseProvider against the sandbox over real loopback HTTP: every endpoint the
provider uses, both paging modes, search via POST, and retry/timeout/error behaviour under injected faults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import SecretStr

from psa.connectwise.client import ConnectWiseClient
from psa.connectwise.conditions import C
from psa.connectwise.errors import (
    ConnectWiseAuthError,
    ConnectWiseConnectionError,
    ConnectWiseNotFoundError,
    ConnectWiseServerError,
    ConnectWiseTimeoutError,
    ConnectWiseValidationError,
)
from psa.connectwise.models import KnowledgeBaseArticleCreate, PatchOperation, Ticket, TimeEntryCreate
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.retry import RetryPolicy
from psa.connectwise.settings import ConnectWiseSettings
from psa.provider import PSAProvider, TicketQuery

pytestmark = pytest.mark.anyio

TICKETS = 40


@pytest.fixture(scope="session")
def cw_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(port=0, db_path=tmp_path_factory.mktemp("cw") / "sandbox.db", seed=42, tickets=TICKETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sandbox(cw_sandbox: Any) -> Iterator[Any]:
    cw_sandbox.faults.clear()
    cw_sandbox.requests.clear()
    yield cw_sandbox
    cw_sandbox.faults.clear()


def fast_retry(attempts: int = 3) -> RetryPolicy:
    return RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05, max_retry_after=1.0)


@pytest.fixture
async def provider(sandbox: Any) -> AsyncIterator[ConnectWiseProvider]:
    async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox.url), retry=fast_retry()) as p:
        yield p


async def test_provider_satisfies_protocol(provider: ConnectWiseProvider) -> None:
    typed: PSAProvider = provider
    assert typed is provider


# ---- reads through the provider ---------------------------------------------------------------------------


async def test_boards_and_statuses(provider: ConnectWiseProvider) -> None:
    boards = await provider.list_boards()
    assert boards and all(b.id and b.name for b in boards)
    statuses = await provider.list_board_statuses(boards[0].id)  # type: ignore[arg-type]
    assert statuses and all(s.name for s in statuses)
    found = await provider.get_board_status_by_name(boards[0].id, statuses[-1].name.upper())  # type: ignore[arg-type,union-attr]
    assert found is not None and found.id == statuses[-1].id
    assert await provider.get_board_status_by_name(boards[0].id, "no such status") is None  # type: ignore[arg-type]
    assert await provider.list_priorities()


async def test_search_tickets_filters_and_pages(provider: ConnectWiseProvider) -> None:
    first = await provider.search_tickets(TicketQuery(), page_size=10)
    ids = [t.id for t in first.items]
    assert ids == sorted(ids, reverse=True) and len(ids) == 10  # newest first
    assert first.has_more and first.next_page == 2
    second = await provider.search_tickets(TicketQuery(), page=2, page_size=10)
    assert max(t.id for t in second.items) < min(ids)  # type: ignore[type-var]
    total = await provider.count_tickets(TicketQuery())
    assert total >= TICKETS
    last = await provider.search_tickets(TicketQuery(), page=-(-total // 10), page_size=10)
    assert last.items and not last.has_more and last.next_page is None

    sample = first.items[0]
    assert sample.board and sample.board.name and sample.company and sample.company.name
    by_board = await provider.search_tickets(TicketQuery(board=sample.board.name), page_size=100)
    assert by_board.items and all(t.board and t.board.name == sample.board.name for t in by_board.items)
    by_company = await provider.search_tickets(TicketQuery(company=sample.company.identifier), page_size=100)
    assert sample.id in {t.id for t in by_company.items}
    open_only = await provider.search_tickets(TicketQuery(is_open=True), page_size=100)
    assert all(t.closedFlag is False for t in open_only.items)
    closed = await provider.search_tickets(TicketQuery(is_open=False), page_size=100)
    assert all(t.closedFlag for t in closed.items)
    assert len(open_only.items) + len(closed.items) == total
    word = (sample.summary or "x").split()[0]
    by_text = await provider.search_tickets(TicketQuery(text=word), page_size=100)
    assert sample.id in {t.id for t in by_text.items}
    assert await provider.count_tickets(TicketQuery(is_open=True)) == len(open_only.items)


async def test_search_tickets_dates_and_expert_conditions(provider: ConnectWiseProvider) -> None:
    everything = (await provider.search_tickets(TicketQuery(), page_size=100)).items
    entered = sorted(t.date_entered for t in everything if t.date_entered)
    middle = entered[len(entered) // 2]
    after = await provider.search_tickets(TicketQuery(entered_after=middle), page_size=100)
    before = await provider.search_tickets(TicketQuery(entered_before=middle), page_size=100)
    assert len(after.items) + len(before.items) == len(everything)
    assert all(t.date_entered and t.date_entered >= middle for t in after.items)
    future = datetime.now(timezone.utc) + timedelta(days=3650)
    assert not (await provider.search_tickets(TicketQuery(updated_after=future))).items
    expert = await provider.search_tickets(TicketQuery(conditions="id <= 5"), page_size=100)
    assert {t.id for t in expert.items} <= {1, 2, 3, 4, 5} and expert.items


async def test_user_text_cannot_inject(provider: ConnectWiseProvider) -> None:
    hostile = '" or id > 0 or summary contains "'
    result = await provider.search_tickets(TicketQuery(text=hostile))
    assert result.items == []
    with pytest.raises(ValueError):
        await provider.search_tickets(TicketQuery(conditions="id = 1) or (id > 0"))


async def test_ticket_notes_configurations_company_contact(provider: ConnectWiseProvider) -> None:
    tickets = [t async for t in provider.client.iterate("/service/tickets", Ticket, page_size=50)]
    with_notes = None
    for t in tickets:
        if await provider.count_ticket_notes(t.id) >= 2:  # type: ignore[arg-type]
            with_notes = t
            break
    assert with_notes is not None and with_notes.id is not None
    notes = await provider.list_ticket_notes(with_notes.id, page_size=100)
    assert [n.id for n in notes.items] == sorted(n.id for n in notes.items)  # type: ignore[type-var]
    all_notes = [n async for n in provider.iterate_ticket_notes(with_notes.id)]
    assert [n.id for n in all_notes] == [n.id for n in notes.items]
    assert (await provider.list_all_ticket_notes(with_notes.id, page_size=100)).items

    configs: list[Any] = []
    for t in tickets:
        configs = await provider.list_ticket_configurations(t.id)  # type: ignore[arg-type]
        if configs:
            break
    assert configs and all(c.id and c.name for c in configs)

    ticket = await provider.get_ticket(with_notes.id)
    assert ticket.id == with_notes.id and ticket.info and ticket.info.lastUpdated
    company = await provider.get_company(ticket.company.id)  # type: ignore[union-attr,arg-type]
    assert company.identifier
    contact_ticket = next(t for t in tickets if t.contact and t.contact.id)
    contact = await provider.get_contact(contact_ticket.contact.id)  # type: ignore[union-attr,arg-type]
    assert contact.full_name


async def test_find_companies(provider: ConnectWiseProvider) -> None:
    everyone = await provider.find_companies(page_size=100)
    assert everyone.items
    target = everyone.items[-1]
    fragment = (target.name or "")[1:5]
    found = await provider.find_companies(fragment, page_size=100)
    assert target.id in {c.id for c in found.items}
    by_identifier = await provider.find_companies(target.identifier, page_size=100)
    assert target.id in {c.id for c in by_identifier.items}
    assert not (await provider.find_companies('zz"qq\\no such company')).items


async def test_knowledge_base_reads(provider: ConnectWiseProvider) -> None:
    page = await provider.list_knowledge_base_articles(page_size=5)
    assert page.items
    articles = [a async for a in provider.iterate_kb_articles()]
    assert len(articles) >= len(page.items)
    title_word = (page.items[0].title or "").split()[0]
    assert (await provider.list_knowledge_base_articles(title_word)).items
    closed = [t async for t in provider.iterate_closed_tickets(max_items=3)]
    assert len(closed) <= 3 and all(t.closedFlag for t in closed)


# ---- writes --------------------------------------------------------------------------------------------------


async def test_writes(provider: ConnectWiseProvider) -> None:
    ticket = (await provider.search_tickets(TicketQuery(is_open=True), page_size=1)).items[0]
    assert ticket.id and ticket.board and ticket.board.id
    before = await provider.count_ticket_notes(ticket.id)
    note = await provider.add_ticket_note(ticket.id, 'Analysis: "quoted" \\ text', internal_analysis=True)
    assert note.internalAnalysisFlag and note.internalFlag and note.text == 'Analysis: "quoted" \\ text'
    assert await provider.count_ticket_notes(ticket.id) == before + 1
    with pytest.raises(ValueError):
        await provider.add_ticket_note(ticket.id, "no flag")

    statuses = await provider.list_board_statuses(ticket.board.id)
    target = next(s for s in statuses if s.id != (ticket.status.id if ticket.status else None) and not s.closedStatus)
    updated = await provider.update_ticket_status(ticket.id, target.id)  # type: ignore[arg-type]
    assert updated.status and updated.status.id == target.id
    summary = await provider.update_ticket(ticket.id, [PatchOperation.replace("summary", "Renamed by test")])
    assert summary.summary == "Renamed by test"

    article = await provider.create_kb_article(
        KnowledgeBaseArticleCreate(title="Printer jams", issue="Tray 2 jams", resolution="Replace the roller")
    )
    assert article.id and article.title == "Printer jams"

    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    entry = await provider.create_time_entry(
        TimeEntryCreate(chargeToId=ticket.id, chargeToType="ServiceTicket", timeStart=start,
                        timeEnd=start + timedelta(minutes=30), notes="Investigated")
    )
    assert entry.id and entry.timeStart == start


async def test_validation_error_passes_cw_message_through(provider: ConnectWiseProvider) -> None:
    with pytest.raises(ConnectWiseValidationError) as info:
        await provider.client.post("/service/tickets", {"summary": "no company"}, Ticket)
    assert info.value.status == 400 and info.value.message


# ---- paging over HTTP -----------------------------------------------------------------------------------------


async def test_navigable_and_forward_only_agree(provider: ConnectWiseProvider, sandbox: Any) -> None:
    cw = provider.client
    navigable = [t.id async for t in cw.iterate("/service/tickets", Ticket, page_size=7, forward_only=False, order_by="id asc")]
    nav_requests = sandbox.requests.count("GET", r"/service/tickets$")
    forward = [t.id async for t in cw.iterate("/service/tickets", Ticket, page_size=7)]
    fo_queries = [e.query for e in sandbox.requests.entries()][nav_requests:]
    total = await cw.count("/service/tickets")
    assert navigable == forward == sorted(forward) and len(forward) == total
    assert nav_requests == -(-total // 7)  # stops when the Link header has no rel="next"
    assert "pageId" not in fo_queries[0] and all("pageId=" in q for q in fo_queries[1:])
    capped = [t.id async for t in cw.iterate("/service/tickets", Ticket, page_size=7, max_items=10)]
    assert capped == forward[:10]


async def test_long_conditions_use_post_search(provider: ConnectWiseProvider, sandbox: Any) -> None:
    ids = list(range(1, 500))
    cond = C.field("id").in_(ids) & (C.field("id") <= 12)
    page = await provider.client.list("/service/tickets", Ticket, conditions=cond, order_by="id asc", page_size=5)
    assert [t.id for t in page.items] == [1, 2, 3, 4, 5] and page.has_more and page.next_page == 2
    assert sandbox.requests.count("POST", r"/service/tickets/search$") == 1
    assert sandbox.requests.count("GET", r"/service/tickets$") == 0
    every = [t.id async for t in provider.client.iterate("/service/tickets", Ticket, conditions=cond, page_size=5)]
    assert every == list(range(1, 13))


# ---- faults ---------------------------------------------------------------------------------------------------


async def test_429_then_success_honours_retry_after(sandbox: Any) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    # The policy's sleep is recorded instead of slept: the wait asked for is the property, not the wall clock.
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=1.0, sleep=record)
    sandbox.faults.add(method="GET", path=r"/service/tickets/1$", status=429, retry_after=0.3, times=1)
    async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox.url), retry=retry) as p:
        ticket = await p.get_ticket(1)
    assert ticket.id == 1
    assert waits == [0.3]  # Retry-After, not the (at most 0.05 s) backoff
    statuses = [e.status for e in sandbox.requests.entries() if e.path.endswith("/service/tickets/1")]
    assert statuses == [429, 200]


async def test_500_on_post_is_not_retried(provider: ConnectWiseProvider, sandbox: Any) -> None:
    sandbox.faults.add(method="POST", path=r"/notes$", status=500, times=1)
    with pytest.raises(ConnectWiseServerError, match="HTTP 500"):
        await provider.add_ticket_note(2, "hello", discussion=True)
    assert sandbox.requests.count("POST", r"/service/tickets/2/notes$") == 1


async def test_post_dropped_after_handling_is_not_retried(provider: ConnectWiseProvider, sandbox: Any) -> None:
    before = await provider.count_ticket_notes(3)
    sandbox.faults.add(method="POST", path=r"/service/tickets/3/notes$", drop="after", times=1)
    with pytest.raises(ConnectWiseConnectionError):
        await provider.add_ticket_note(3, "maybe saved", discussion=True)
    assert sandbox.requests.count("POST", r"/service/tickets/3/notes$") == 1
    assert await provider.count_ticket_notes(3) == before + 1  # it did reach the server: a retry would duplicate


async def test_get_retried_after_dropped_connection(provider: ConnectWiseProvider, sandbox: Any) -> None:
    sandbox.faults.add(method="GET", path=r"/service/tickets/4$", drop="before", times=1)
    assert (await provider.get_ticket(4)).id == 4
    assert sandbox.requests.count("GET", r"/service/tickets/4$") == 2


async def test_timeout_is_typed(sandbox: Any) -> None:
    settings = ConnectWiseSettings.sandbox(sandbox.url, read_timeout=0.2)
    rule = sandbox.faults.add(method="GET", path=r"/service/tickets/5$", latency=0.6, times=1)
    async with ConnectWiseProvider.from_settings(settings, retry=fast_retry(attempts=1)) as p:
        with pytest.raises(ConnectWiseTimeoutError) as info:
            await p.get_ticket(5)
    assert "CW_TIMEOUT" in str(info.value)
    # One request, and the latency rule is what it met (attempts=1: the timeout was not retried).
    assert [e.fault for e in sandbox.requests.entries() if e.path.endswith("/service/tickets/5")] == [rule.id]


async def test_bad_keys_give_a_clear_401(sandbox: Any) -> None:
    settings = ConnectWiseSettings.sandbox(sandbox.url).model_copy(update={"private_key": SecretStr("wrong")})
    async with ConnectWiseClient(settings, retry=fast_retry()) as cw:
        with pytest.raises(ConnectWiseAuthError) as info:
            await cw.get("/service/tickets/1", Ticket)
    text = str(info.value)
    assert info.value.status == 401 and "CW_PRIVATE_KEY" in text and "CW_COMPANY_ID" in text
    assert sandbox.requests.count("GET", r"/service/tickets/1$") == 1  # 401 is never retried


async def test_not_found_is_typed(provider: ConnectWiseProvider) -> None:
    with pytest.raises(ConnectWiseNotFoundError) as info:
        await provider.get_ticket(987654)
    assert info.value.status == 404 and info.value.message
    with pytest.raises(ValueError):
        await provider.get_ticket(0)
