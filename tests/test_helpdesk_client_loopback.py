"""The helpdesk client against the real helpdesk sandbox over loopback HTTP: every method, the errors the
server answers, and the token's claims as the server issues them. Each write test makes its own ticket, so the
tests do not depend on one another's order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from psa.helpdesk.client import HelpdeskClient
from psa.helpdesk.errors import (
    HelpdeskAuthError,
    HelpdeskNotFoundError,
    HelpdeskPermissionError,
    HelpdeskValidationError,
)
from psa.helpdesk.models import (
    AppMetadata,
    ClosureForm,
    ConversationType,
    ForwardForm,
    IntegrationTicket,
    ListType,
    Metadata,
    Permission,
    RegisterTicket,
    ReplyForm,
    RequesterReplyForm,
    ResolveForm,
    SearchField,
    StatusType,
    TicketApiModel,
    TicketType,
    TicketUpdate,
)
from psa.helpdesk.settings import HelpdeskSettings, token_claims
from sandbox.helpdesk.runner import RunningHelpdesk, start_helpdesk

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHelpdesk]:
    running = start_helpdesk(db_path=Path(tmp_path_factory.mktemp("helpdesk")) / "helpdesk.db", tickets=40)
    try:
        yield running
    finally:
        running.stop()


def client_for(helpdesk: RunningHelpdesk, token: str) -> HelpdeskClient:
    return HelpdeskClient(HelpdeskSettings(url=helpdesk.url, token=token))


@pytest.fixture
async def client(helpdesk: RunningHelpdesk) -> AsyncIterator[HelpdeskClient]:
    async with client_for(helpdesk, helpdesk.token) as helpdesk_client:
        yield helpdesk_client


@pytest.fixture(scope="module")
def me(helpdesk: RunningHelpdesk) -> str:
    """The user id the default token acts as (a technician)."""
    sub = token_claims(helpdesk.token).sub
    assert sub is not None
    return sub


async def register(client: HelpdeskClient, title: str, **extra: object) -> TicketApiModel:
    """A new ticket for the first seeded requester, with ids taken from the metadata; `extra` adds or
    overrides form fields."""
    meta = await client.metadata()
    assert meta.requesters and meta.sites and meta.departments and meta.status
    new = next(s for s in meta.status if s.status == "New")
    values: dict[str, object] = {
        "Title": title,
        "Description": f"{title}: reported by phone.",
        "CreatorId": meta.requesters[0].id,
        "SiteId": meta.sites[0].id,
        "DepartmentId": meta.departments[0].id,
        "TicketStatusId": new.id,
        "TicketType": TicketType.Ticket,
    }
    return await client.register_ticket(RegisterTicket.model_validate(values | extra))


def conversation_types(ticket: TicketApiModel) -> list[str | None]:
    return [c.type for c in ticket.conversations or []]


# ---- reads --------------------------------------------------------------------------------------------------


async def test_list_tickets_pages_newest_first(client: HelpdeskClient) -> None:
    first = await client.list_tickets(ListType.AllTickets, page_size=5)
    second = await client.list_tickets(ListType.AllTickets, page=2, page_size=5)
    assert len(first.items) == 5 and first.total is not None and first.total > 10 and first.has_more
    assert second.total == first.total
    assert not {t.id for t in first.items} & {t.id for t in second.items}
    created = [t.createdOn for t in first.items + second.items]
    assert all(c is not None for c in created) and created == sorted(created, reverse=True)  # type: ignore[type-var]
    assert all(t.statusType in set(StatusType) for t in first.items)


async def test_list_tickets_search(client: HelpdeskClient) -> None:
    target = (await client.list_tickets(ListType.AllTickets, page_size=1)).items[0]
    assert target.title
    by_id = await client.list_tickets(ListType.AllTickets, search=str(target.id), search_fields=[SearchField.TicketId])
    assert [t.id for t in by_id.items] == [target.id] and by_id.total == 1
    word = max(target.title.split(), key=len)
    by_subject = await client.list_tickets(ListType.AllTickets, search=word, search_fields=[SearchField.Subject])
    assert target.id in {t.id for t in by_subject.items}
    assert all(word.lower() in (t.title or "").lower() for t in by_subject.items)


async def test_my_lists_follow_the_token(client: HelpdeskClient, me: str) -> None:
    page = await client.list_tickets(ListType.AllMyTickets, page_size=100)
    for row in page.items:
        ticket = await client.get_ticket(row.id)
        involved = {ticket.creator.id if ticket.creator else None, ticket.assignee.id if ticket.assignee else None}
        assert me in involved


async def test_get_ticket_matches_its_row(client: HelpdeskClient) -> None:
    row = (await client.list_tickets(ListType.AllTickets, page_size=1)).items[0]
    ticket = await client.get_ticket(row.id)
    assert (ticket.id, ticket.title, ticket.guid) == (row.id, row.title, row.guid)
    assert ticket.status is not None and ticket.status.statusType == row.statusType
    assert ticket.creator is not None and ticket.creator.userName == row.requesterUserName


async def test_get_missing_ticket_is_not_found(client: HelpdeskClient) -> None:
    with pytest.raises(HelpdeskNotFoundError) as info:
        await client.get_ticket(987_654_321)
    assert info.value.message == "Ticket 987654321 was not found"
    assert "Check the ticket id" in str(info.value)


async def test_metadata(client: HelpdeskClient) -> None:
    everything = await client.metadata()
    assert isinstance(everything, Metadata)
    for lookups in (everything.groups, everything.levels, everything.priorities, everything.categories,
                    everything.status, everything.clients, everything.sites, everything.departments,
                    everything.technicians, everything.requesters):
        assert lookups
    assert {s.statusType for s in everything.status or []} >= {StatusType.Open, StatusType.Resolved, StatusType.Closed}
    ticket_id = (await client.list_tickets(ListType.AllTickets, page_size=1)).items[0].id
    scoped = await client.metadata(ticket_id)
    assert scoped.requesters is None and scoped.status


async def test_app_metadata(client: HelpdeskClient) -> None:
    app = await client.app_metadata()
    assert isinstance(app, AppMetadata)
    assert app.groups and app.groups[0].group and app.status and app.departments
    assert "requesters" not in app.model_dump(exclude_none=True)


async def test_list_by_username(client: HelpdeskClient) -> None:
    row = (await client.list_tickets(ListType.AllTickets, page_size=1)).items[0]
    assert row.requesterUserName
    tickets = await client.list_by_username(row.requesterUserName)
    assert row.id in {t.id for t in tickets}
    assert all(t.creator is not None and t.creator.userName == row.requesterUserName for t in tickets)
    assert await client.list_by_username(row.requesterUserName, page=99) == []


# ---- writes -------------------------------------------------------------------------------------------------


async def test_register_ticket(client: HelpdeskClient) -> None:
    meta = await client.metadata()
    assert meta.priorities
    created = await register(
        client, "Scanner jams on every page", TicketPriorityId=meta.priorities[0].id, SelectedTags=[1, 2],
        Uploads=[("jam.txt", b"paper jam at tray 2", "text/plain")],
    )
    assert created.source == "Manual" and created.title == "Scanner jams on every page"
    assert created.priority is not None and created.priority.id == meta.priorities[0].id
    assert created.creator is not None and meta.requesters and created.creator.id == meta.requesters[0].id
    again = await client.get_ticket(created.id)
    assert again.guid == created.guid
    assert ConversationType.Created in conversation_types(again)
    newest = (await client.list_tickets(ListType.AllTickets, page_size=1)).items[0]
    assert newest.id == created.id


async def test_register_refusals_name_the_field(client: HelpdeskClient) -> None:
    with pytest.raises(HelpdeskValidationError) as info:
        await register(client, "Bad site", SiteId=999_999)
    assert "SiteId" in info.value.errors
    assert "SiteId" in str(info.value)


async def test_new_ticket(client: HelpdeskClient) -> None:
    row = (await client.list_tickets(ListType.AllTickets, page_size=1)).items[0]
    assert row.requesterUserName
    created = await client.new_ticket(
        IntegrationTicket(Title="Backup job failed", Description="Veeam job 'Nightly' failed at 02:00.",
                          Requester=row.requesterUserName, Uploads=[("job.log", b"error 42", "text/plain")])
    )
    assert created.source == "Api"
    assert created.creator is not None and created.creator.userName == row.requesterUserName
    with pytest.raises(HelpdeskValidationError) as info:
        await client.new_ticket(IntegrationTicket(Title="x", Description="y", Requester="nobody-by-this-name"))
    assert "Requester" in info.value.errors


async def test_update_ticket(client: HelpdeskClient, helpdesk: RunningHelpdesk) -> None:
    ticket = await register(client, "Monitor flickers")
    meta = await client.metadata()
    assert meta.priorities and meta.technicians and ticket.creator is not None
    priority = meta.priorities[-1].id
    technician = meta.technicians[0].id
    await client.update_ticket(
        ticket.id, TicketUpdate(Id=ticket.id, CreatorId=ticket.creator.id, TicketPriorityId=priority,
                                AssignedUser=technician)
    )
    updated = await client.get_ticket(ticket.id)
    assert updated.priority is not None and updated.priority.id == priority
    assert updated.assignee is not None and updated.assignee.id == technician
    assert any(e.ticket_id == ticket.id and e.kind == "assignment" for e in helpdesk.emails())


async def test_update_of_a_missing_ticket_is_a_400(client: HelpdeskClient) -> None:
    meta = await client.metadata()
    assert meta.requesters
    with pytest.raises(HelpdeskValidationError, match="987654321"):
        await client.update_ticket(987_654_321, TicketUpdate(CreatorId=meta.requesters[0].id))


async def test_reply_and_forward(client: HelpdeskClient, helpdesk: RunningHelpdesk) -> None:
    ticket = await register(client, "Outlook asks for the password")
    assert ticket.creator is not None and ticket.creator.email
    await client.reply(ticket.id, ReplyForm(Id=ticket.id, Title="Re: Outlook", SendTo=ticket.creator.email,
                                            Message="Please re-enter it once.",
                                            Uploads=[("steps.txt", b"1. open Outlook", "text/plain")]))
    await client.forward(ticket.id, ForwardForm(Id=ticket.id, Title="Fwd: Outlook", SendTo="vendor@example.com",
                                                CcTo="lead@example.com", Message="Seen this?", HasDraft=False))
    thread = await client.get_ticket(ticket.id)
    assert conversation_types(thread)[-2:] == [ConversationType.Reply, ConversationType.Forward]
    reply = next(c for c in thread.conversations or [] if c.type == ConversationType.Reply)
    assert reply.sendTo == ticket.creator.email and reply.message == "Please re-enter it once."
    assert reply.from_ is not None and reply.from_.id == token_claims(helpdesk.token).sub
    sent = [(e.kind, e.to, e.cc, e.subject) for e in helpdesk.emails() if e.ticket_id == ticket.id]
    assert sent == [("reply", ticket.creator.email, None, "Re: Outlook"),
                    ("forward", "vendor@example.com", "lead@example.com", "Fwd: Outlook")]


async def test_reply_to_a_bad_address_is_refused(client: HelpdeskClient) -> None:
    ticket = await register(client, "Reply target check")
    with pytest.raises(HelpdeskValidationError) as info:
        await client.reply(ticket.id, ReplyForm(Id=ticket.id, Title="Re", SendTo="not-an-address"))
    assert "SendTo" in info.value.errors


async def test_resolve_then_requester_reply_reopens(client: HelpdeskClient, helpdesk: RunningHelpdesk,
                                                    me: str) -> None:
    ticket = await register(client, "Shared drive missing")
    assert ticket.creator is not None and ticket.creator.userName
    await client.resolve(ticket.id, ResolveForm(Id=ticket.id, Resolution="Re-mapped the S: drive.", ResolvedBy=me))
    resolved = await client.get_ticket(ticket.id)
    assert resolved.status is not None and resolved.status.statusType == StatusType.Resolved
    assert resolved.resolution is not None and resolved.resolution.text == "Re-mapped the S: drive."
    assert resolved.resolution.resolvedBy == me and resolved.resolvedOn is not None
    assert conversation_types(resolved)[-1] == ConversationType.Resolution
    assert [e.kind for e in helpdesk.emails() if e.ticket_id == ticket.id] == ["resolution"]

    await client.requester_reply(
        ticket.id, RequesterReplyForm(Id=ticket.id, Username=ticket.creator.userName, Title="Still missing",
                                      Message="Gone again after reboot.")
    )
    reopened = await client.get_ticket(ticket.id)
    assert reopened.status is not None and reopened.status.statusType == StatusType.Open
    assert conversation_types(reopened)[-1] == ConversationType.RequesterReply


async def test_close_now_then_already_closed(client: HelpdeskClient, helpdesk: RunningHelpdesk, me: str) -> None:
    ticket = await register(client, "Toner low")
    form = ClosureForm(TicketId=ticket.id, CloseBy=me, Acknowledged=True, Comments="Toner replaced.")
    assert await client.close(ticket.id, form) is True
    assert await client.close(ticket.id, form) is False
    closed = await client.get_ticket(ticket.id)
    assert closed.status is not None and closed.status.statusType == StatusType.Closed
    assert closed.closedOn is not None
    assert conversation_types(closed).count(ConversationType.Closure) == 1
    assert [e.kind for e in helpdesk.emails() if e.ticket_id == ticket.id] == ["closure"]


async def test_close_missing_ticket_is_not_found(client: HelpdeskClient, me: str) -> None:
    with pytest.raises(HelpdeskNotFoundError):
        await client.close(987_654_321, ClosureForm(TicketId=987_654_321, CloseBy=me))


async def test_delete_ticket(client: HelpdeskClient) -> None:
    ticket = await register(client, "Duplicate of another ticket")
    deleted = await client.delete_ticket(ticket.id)
    assert deleted.id == ticket.id and deleted.isDeleted is True and deleted.deletedOn is not None
    with pytest.raises(HelpdeskNotFoundError):
        await client.get_ticket(ticket.id)
    listed = await client.list_tickets(ListType.AllTickets, search=str(ticket.id), search_fields=["TicketId"])
    assert listed.items == [] and listed.total == 0
    with pytest.raises(HelpdeskNotFoundError):
        await client.delete_ticket(ticket.id)


# ---- tokens -------------------------------------------------------------------------------------------------


async def test_claims_of_an_issued_token(helpdesk: RunningHelpdesk) -> None:
    claims = token_claims(helpdesk.token_for("kbrooks", [Permission.Reply]))
    assert claims.sub == "tech-kbrooks" and claims.unique_name == "kbrooks" and claims.role == "Technician"
    assert claims.permission == ["Tickets.Reply"] and claims.exp is not None and claims.email
    assert set(token_claims(helpdesk.token).permission) == set(Permission)


async def test_a_missing_permission_is_named(client: HelpdeskClient, helpdesk: RunningHelpdesk, me: str) -> None:
    ticket = await register(client, "Permission check")
    async with client_for(helpdesk, helpdesk.token_for("kbrooks", [Permission.Reply])) as limited:
        with pytest.raises(HelpdeskPermissionError) as info:
            await limited.close(ticket.id, ClosureForm(TicketId=ticket.id, CloseBy=me))
        assert info.value.permission == Permission.Close
        assert "Tickets.Close" in str(info.value)
        assert (await limited.get_ticket(ticket.id)).id == ticket.id  # reads need no permission
    still_open = await client.get_ticket(ticket.id)
    assert still_open.status is not None and still_open.status.statusType == StatusType.Open


async def test_an_expired_token_is_refused(helpdesk: RunningHelpdesk) -> None:
    async with client_for(helpdesk, helpdesk.token_for("kbrooks", ttl_seconds=-60)) as expired:
        with pytest.raises(HelpdeskAuthError) as info:
            await expired.app_metadata()
    assert info.value.status == 401 and "HELPDESK_TOKEN" in str(info.value)


async def test_a_token_signed_elsewhere_is_refused(helpdesk: RunningHelpdesk) -> None:
    header, payload, _ = helpdesk.token.split(".")
    async with client_for(helpdesk, f"{header}.{payload}.c2lnbmVkLWVsc2V3aGVyZQ") as forged:
        with pytest.raises(HelpdeskAuthError):
            await forged.list_tickets(ListType.AllTickets)
