"""The helpdesk's write planners and senders (psa/helpdesk/writes.py) driven through HelpdeskProvider against the
real helpdesk sandbox over loopback: what each plan shows and sends, what lands on the ticket, and which emails the
sandbox sent. Each write test registers its own ticket, so the tests share one sandbox in any order."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from psa.helpdesk.client import HelpdeskClient
from psa.helpdesk.models import (
    ConversationType,
    ListType,
    Person,
    RegisterTicket,
    ReplyForm,
    ResolveForm,
    TicketApiModel,
    TicketType,
    TicketUpdate,
)
from psa.helpdesk.provider import HelpdeskProvider
from psa.helpdesk.settings import HelpdeskSettings
from psa.models import Ticket
from psa.writes import AlreadyDone, PlannedWrite, TicketChanges, TicketDraft, UpdateSent, WriteNotPlanned
from sandbox.helpdesk.runner import RunningHelpdesk, start_helpdesk

pytestmark = pytest.mark.anyio

API = "/api/TicketsApi"


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHelpdesk]:
    with start_helpdesk(db_path=Path(tmp_path_factory.mktemp("helpdesk")) / "helpdesk.db", tickets=40) as running:
        yield running


@pytest.fixture
async def provider(helpdesk: RunningHelpdesk) -> AsyncIterator[HelpdeskProvider]:
    hd = HelpdeskProvider(HelpdeskClient(HelpdeskSettings(url=helpdesk.url, token=helpdesk.token)))
    try:
        yield hd
    finally:
        await hd.aclose()


@pytest.fixture
async def newest(provider: HelpdeskProvider) -> TicketApiModel:
    """The newest ticket: its requester (with an email address) files every ticket these tests make."""
    row = (await provider.client.list_tickets(ListType.AllTickets, page_size=1)).items[0]
    return await provider.client.get_ticket(row.id)


@pytest.fixture
def requester(newest: TicketApiModel) -> Person:
    assert newest.creator is not None and newest.creator.email
    return newest.creator


@pytest.fixture
def home(newest: TicketApiModel) -> str:
    """The requester's client."""
    assert newest.client is not None and newest.client.name
    return newest.client.name


async def register(provider: HelpdeskProvider, requester: Person, title: str = "Printer jams on tray 2",
                   **extra: Any) -> TicketApiModel:
    """A fresh ticket for `requester` on the Help Desk group, in status New."""
    meta = await provider.client.metadata()
    assert meta.sites and meta.departments and meta.status and meta.groups
    values: dict[str, Any] = {
        "Title": title, "Description": f"{title}: reported by phone.", "CreatorId": requester.id,
        "SiteId": meta.sites[0].id, "DepartmentId": meta.departments[0].id,
        "TicketStatusId": next(s.id for s in meta.status if s.status == "New"), "TicketType": TicketType.Ticket,
        "GroupId": next(g.id for g in meta.groups if g.group == "Help Desk"),
    }
    return await provider.client.register_ticket(RegisterTicket.model_validate(values | extra))


def posts(helpdesk: RunningHelpdesk, path: str | None = None) -> int:
    return len([r for r in helpdesk.requests() if r.method == "POST" and (path is None or r.path == path)])


def emails_for(helpdesk: RunningHelpdesk, ticket_id: int) -> list[Any]:
    return [e for e in helpdesk.emails() if e.ticket_id == ticket_id]


def labels(plan: PlannedWrite) -> list[str]:
    return [s.label for s in plan.shown]


def shown(plan: PlannedWrite, label: str) -> str:
    return next(s.value for s in plan.shown if s.label == label)


def neutral(wire: TicketApiModel) -> Ticket:
    return Ticket(id=wire.id, summary=wire.title)


# ---- add_ticket_note ----------------------------------------------------------------------------------------


async def test_a_reply_plan_names_the_recipient_and_says_an_email_goes(provider: HelpdeskProvider,
                                                                        requester: Person) -> None:
    wire = await register(provider, requester)
    plan = await provider.plan_note(neutral(wire), "The tray roller is on order.", "discussion", False)
    to = f"{requester.fullName} <{requester.email}>"
    assert plan.request == f"POST {API}/reply/{wire.id}"
    assert plan.action == f"Email a reply to {to} on ticket #{wire.id}"
    assert labels(plan) == ["Email to", "Subject", "Effect", "Email text"]
    assert shown(plan, "Email to") == to
    assert shown(plan, "Subject") == f"Re: [#{wire.id}] Printer jams on tray 2"
    assert f"an email is sent to {requester.email} now" in shown(plan, "Effect")
    assert plan.shown[-1].block and plan.shown[-1].value == "The tray roller is on order."
    assert plan.body == {"Id": wire.id, "Title": f"Re: [#{wire.id}] Printer jams on tray 2",
                         "SendTo": requester.email, "Message": "The tray roller is on order."}
    assert ReplyForm(**json.loads(json.dumps(plan.body))) == ReplyForm(**plan.body)  # type: ignore[arg-type]


async def test_a_reply_subject_fits_the_helpdesks_255_characters(provider: HelpdeskProvider,
                                                                  requester: Person) -> None:
    wire = await register(provider, requester, "x" * 255)
    plan = await provider.plan_note(neutral(wire), "Looking into it.", "discussion", False)
    assert len(shown(plan, "Subject")) == 255 and shown(plan, "Subject").startswith(f"Re: [#{wire.id}] xxx")


@pytest.mark.parametrize(("note_type", "internal"), [("discussion", True), ("resolution", True),
                                                     ("internal_analysis", True), ("internal_analysis", False)])
async def test_internal_notes_are_refused_with_the_reason_and_nothing_is_sent(
        provider: HelpdeskProvider, helpdesk: RunningHelpdesk, requester: Person, note_type: Any,
        internal: bool) -> None:
    wire = await register(provider, requester)
    before = posts(helpdesk)
    with pytest.raises(WriteNotPlanned) as refused:
        await provider.plan_note(neutral(wire), "Root cause: a worn roller.", note_type, internal)
    text = str(refused.value)
    assert "no internal notes" in text and "email to a person" in text and "never hidden from the requester" in text
    assert "internal=false" in text and "'discussion'" in text and "'resolution'" in text
    assert not text.endswith("Nothing was written.")
    assert posts(helpdesk) == before and emails_for(helpdesk, wire.id) == []


async def test_a_reply_lands_once_and_emails_the_requester(provider: HelpdeskProvider, helpdesk: RunningHelpdesk,
                                                           requester: Person) -> None:
    wire = await register(provider, requester)
    text = "The tray roller is on order;\r\nI will fit it on Tuesday."
    plan = await provider.plan_note(neutral(wire), text, "discussion", False)
    after = await provider.newest_note_id(wire.id)
    assert after == max(c.id for c in wire.conversations or [])
    assert await provider.find_note(wire.id, plan.body, after_id=after) is None

    note = await provider.send_note(wire.id, plan.request, plan.body)

    assert (note.kind, note.internal, note.ticket_id) == ("discussion", False, wire.id)
    assert note.text == text.replace("\r\n", "\n") or note.text == text
    assert note.member is not None and note.member.identifier == "kbrooks"
    replies = [c for c in (await provider.client.get_ticket(wire.id)).conversations or []
               if c.type == ConversationType.Reply]
    assert [c.id for c in replies] == [note.id]
    assert posts(helpdesk, f"{API}/reply/{wire.id}") == 1
    [email] = emails_for(helpdesk, wire.id)
    assert (email.kind, email.to) == ("reply", requester.email)
    assert email.subject == f"Re: [#{wire.id}] Printer jams on tray 2"
    assert email.body.replace("\r\n", "\n") == text.replace("\r\n", "\n")
    found = await provider.find_note(wire.id, plan.body, after_id=after)
    assert found is not None and found.id == note.id
    assert await provider.find_note(wire.id, plan.body, after_id=note.id) is None
    assert await provider.newest_note_id(wire.id) == note.id


async def test_a_resolution_resolves_the_ticket_and_emails_the_requester(
        provider: HelpdeskProvider, helpdesk: RunningHelpdesk, requester: Person) -> None:
    wire = await register(provider, requester)
    plan = await provider.plan_note(neutral(wire), "Replaced the tray 2 roller.", "resolution", False)
    assert plan.request == f"POST {API}/resolve/{wire.id}"
    assert plan.body == {"Id": wire.id, "Resolution": "Replaced the tray 2 roller.", "ResolvedBy": "tech-kbrooks"}
    assert labels(plan) == ["Email to", "Effect", "Resolution text"]
    assert f"resolves the ticket (status 'Resolved') and emails the resolution to {requester.email}" in \
        shown(plan, "Effect")
    assert ResolveForm(**plan.body)  # type: ignore[arg-type]

    note = await provider.send_note(wire.id, plan.request, plan.body)

    assert (note.kind, note.text, note.internal) == ("resolution", "Replaced the tray 2 roller.", False)
    after = await provider.client.get_ticket(wire.id)
    assert after.status is not None and after.status.status == "Resolved"
    [email] = emails_for(helpdesk, wire.id)
    assert (email.kind, email.to) == ("resolution", requester.email) and "Replaced the tray 2 roller." in email.body
    found = await provider.find_note(wire.id, plan.body, after_id=0)
    assert found is not None and found.id == note.id

    with pytest.raises(WriteNotPlanned) as again:
        await provider.plan_note(neutral(after), "Replaced it again.", "resolution", False)
    assert "already resolved" in str(again.value) and "'discussion'" in str(again.value)
    assert posts(helpdesk, f"{API}/resolve/{wire.id}") == 1


async def test_a_requester_without_an_email_address_gets_no_note(provider: HelpdeskProvider, requester: Person,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    wire = await register(provider, requester)
    assert wire.creator is not None
    silent = wire.model_copy(update={"creator": wire.creator.model_copy(update={"email": None})})

    async def get_ticket(ticket_id: int) -> TicketApiModel:
        return silent

    monkeypatch.setattr(provider.client, "get_ticket", get_ticket)
    with pytest.raises(WriteNotPlanned) as refused:
        await provider.plan_note(neutral(wire), "Done.", "discussion", False)
    assert "no email address" in str(refused.value) and "update_ticket_status" in str(refused.value)


# ---- create_ticket ----------------------------------------------------------------------------------------


def draft(requester: Person, company: str, **changes: Any) -> TicketDraft:
    values: dict[str, Any] = {"board": " help desk ", "summary": "Scanner offline in reception",
                              "description": "The reception scanner shows offline since this morning.",
                              "company": f" {company.upper()} ", "contact": requester.userName}
    return TicketDraft(**(values | changes))


async def test_a_ticket_plan_resolves_every_name_and_shows_what_register_needs(provider: HelpdeskProvider,
                                                                              requester: Person, home: str) -> None:
    plan = await provider.plan_ticket(draft(requester, home, priority="priority 2 - high", type="hardware",
                                            subtype="printer / scanner", item="ATLAS-LT002"))
    meta = await provider.client.metadata()
    assert plan.request == f"POST {API}/register" and plan.boards == ("Help Desk",)
    body = plan.body
    assert isinstance(body, dict)
    assert {k: body[k] for k in ("GroupId", "ClientId", "CreatorId", "SiteId", "DepartmentId", "TicketStatusId",
                                 "TicketType", "TicketPriorityId", "TicketCategoryId", "TicketSubCategoryId",
                                 "ItemId")} == {
        "GroupId": 1, "ClientId": next(c.id for c in meta.clients or [] if c.name == home),
        "CreatorId": requester.id, "SiteId": next(s.id for s in meta.sites or [] if s.title == f"{home} - Main"),
        "DepartmentId": 1, "TicketStatusId": 1, "TicketType": "Ticket", "TicketPriorityId": 2, "TicketCategoryId": 3,
        "TicketSubCategoryId": next(s.id for s in meta.sub_categories or [] if s.name == "Printer / Scanner"),
        "ItemId": next(i.id for i in meta.items or [] if i.name == "ATLAS-LT002")}
    assert (body["Title"], body["Description"]) == ("Scanner offline in reception",
                                                    "The reception scanner shows offline since this morning.")
    assert RegisterTicket(**json.loads(json.dumps(body))).Title == "Scanner offline in reception"
    assert labels(plan) == ["Board", "Company", "Contact", "Priority", "Type", "Subtype", "Item", "Site",
                            "Department", "Status", "Summary", "Effect", "Description (the ticket's description)"]
    assert f"{requester.fullName} <{requester.email}>" in shown(plan, "Contact")
    assert shown(plan, "Site").startswith(f"{home} - Main")
    assert shown(plan, "Status").startswith("New")
    assert "emails no one" in shown(plan, "Effect")
    assert plan.shown[-1].block and not any(s.block for s in plan.shown[:-1])


async def test_a_company_the_requester_never_filed_for_is_flagged(provider: HelpdeskProvider,
                                                                 requester: Person, home: str) -> None:
    elsewhere = "Atlas Title & Escrow" if home != "Atlas Title & Escrow" else "Parkway Pediatrics"
    plan = await provider.plan_ticket(draft(requester, elsewhere))
    assert labels(plan)[:4] == ["Board", "Company", "Contact", "Warning"]
    assert shown(plan, "Warning") == f"{requester.fullName}'s earlier tickets are at {home}, not at {elsewhere}"


async def test_a_contact_is_found_by_email_and_a_shared_full_name_is_refused(provider: HelpdeskProvider,
                                                                            requester: Person, home: str) -> None:
    assert requester.email and requester.fullName
    by_email = await provider.plan_ticket(draft(requester, home, contact=requester.email.upper()))
    assert isinstance(by_email.body, dict) and by_email.body["CreatorId"] == requester.id
    by_name = await provider.plan_ticket(draft(requester, home, contact=requester.fullName))
    assert isinstance(by_name.body, dict) and by_name.body["CreatorId"] == requester.id
    with pytest.raises(WriteNotPlanned) as shared:
        await provider.plan_ticket(draft(requester, home, contact="amanda torres"))
    assert "Several requesters are called 'amanda torres'" in str(shared.value)
    assert "(atorres)" in str(shared.value) and "Give the user name" in str(shared.value)


@pytest.mark.parametrize(("changes", "said"), [
    ({"contact": None}, ["on behalf of a requester", "contact is required"]),
    ({"contact": "  "}, ["contact is required"]),
    ({"board": "Nope Desk"}, ["no group 'Nope Desk'", "Help Desk, Network Operations, Alerts, Onboarding."]),
    ({"contact": "zz-nobody"}, ["no requester 'zz-nobody'", ", ... (180 more)."]),
    ({"item": "NO-SUCH-PC"}, ["no item 'NO-SUCH-PC'", "more)."]),
    ({"configuration_ids": (7,)}, ["links no configurations", "item=..."]),
    ({"summary": "x" * 256}, ["summary", "255"]),
])
async def test_a_ticket_plan_refuses_what_the_helpdesk_cannot_take(provider: HelpdeskProvider,
                                                                  helpdesk: RunningHelpdesk, requester: Person,
                                                                  home: str, changes: dict[str, Any],
                                                                  said: list[str]) -> None:
    before = posts(helpdesk)
    with pytest.raises(WriteNotPlanned) as refused:
        await provider.plan_ticket(draft(requester, home, **changes))
    assert all(s in str(refused.value) for s in said), str(refused.value)
    assert posts(helpdesk) == before


async def test_an_unknown_company_is_refused_with_the_clients(provider: HelpdeskProvider, requester: Person) -> None:
    with pytest.raises(WriteNotPlanned) as refused:
        await provider.plan_ticket(draft(requester, "Nobody Inc"))
    assert "no client 'NOBODY INC'. Its clients (companies): " in str(refused.value)
    assert "Atlas Title & Escrow" in str(refused.value)


async def test_create_ticket_registers_the_plan_and_find_created_ticket_finds_it(
        provider: HelpdeskProvider, helpdesk: RunningHelpdesk, requester: Person, home: str) -> None:
    plan = await provider.plan_ticket(draft(requester, home, summary="Badge reader at the side door is dead"))
    before = await provider.newest_ticket_id()
    assert await provider.find_created_ticket(plan.body, after_id=before) is None

    created = await provider.create_ticket(plan.request, plan.body)

    assert created.id > before and created.summary == "Badge reader at the side door is dead"
    assert created.board is not None and created.board.name == "Help Desk"
    assert created.company is not None and created.company.name == home
    assert created.contact is not None and created.contact.identifier == requester.userName
    assert created.status is not None and created.status.name == "New"
    assert posts(helpdesk, f"{API}/register") >= 1 and emails_for(helpdesk, created.id) == []
    found = await provider.find_created_ticket(plan.body, after_id=before)
    assert found is not None and found.id == created.id
    assert await provider.find_created_ticket(plan.body, after_id=created.id) is None
    assert await provider.newest_ticket_id() == created.id
    with pytest.raises(WriteNotPlanned):
        await provider.attach_configuration(created.id, 7)


# ---- update_ticket --------------------------------------------------------------------------------------------


async def test_an_update_cannot_change_the_subject(provider: HelpdeskProvider, requester: Person) -> None:
    wire = await register(provider, requester)
    with pytest.raises(WriteNotPlanned) as refused:
        await provider.plan_update(wire.id, TicketChanges(summary="New subject", priority="Priority 1 - Critical"))
    assert "cannot change a ticket's subject" in str(refused.value) and not isinstance(refused.value, AlreadyDone)


async def test_an_update_to_the_values_the_ticket_has_is_already_done(provider: HelpdeskProvider,
                                                                     requester: Person) -> None:
    wire = await register(provider, requester, TicketPriorityId=3)
    with pytest.raises(AlreadyDone) as done:
        await provider.plan_update(wire.id, TicketChanges(priority="priority 3 - medium", board="Help Desk",
                                                          status="new"))
    assert str(done.value) == f"Ticket #{wire.id} already has these values: nothing to change."


async def test_a_board_move_needs_no_status_and_sends_only_what_changes(provider: HelpdeskProvider,
                                                                       requester: Person) -> None:
    wire = await register(provider, requester, TicketPriorityId=3)
    assert wire.creator is not None
    plan = await provider.plan_update(wire.id, TicketChanges(board="network operations",
                                                             priority="Priority 3 - Medium"))
    assert plan.request == f"POST {API}/update/{wire.id}"
    assert plan.body == {"Id": wire.id, "CreatorId": wire.creator.id, "GroupId": 2}
    assert plan.boards == ("Network Operations",)
    assert plan.action == f"Update ticket #{wire.id}: board"
    assert labels(plan) == ["Board", "Effect"] and shown(plan, "Board") == "Help Desk -> Network Operations"
    assert shown(plan, "Effect") == "no email goes to the requester"
    assert TicketUpdate(**plan.body).GroupId == 2  # type: ignore[arg-type]


async def test_an_owner_and_a_closed_status_say_what_else_happens(provider: HelpdeskProvider,
                                                                 requester: Person) -> None:
    wire = await register(provider, requester)
    plan = await provider.plan_update(wire.id, TicketChanges(status="Closed", owner="PCHEN",
                                                             priority="Priority 1 - Critical"))
    assert plan.action == f"Update ticket #{wire.id}: priority, owner, status"
    assert labels(plan) == ["Priority", "Owner", "Status", "Effect"]
    assert shown(plan, "Owner") == "(none) -> Priya Chen (pchen)"
    assert shown(plan, "Status") == "New -> Closed"
    effect = shown(plan, "Effect")
    assert "this closes the ticket" in effect and "emails Priya Chen (pchen)" in effect
    assert isinstance(plan.body, dict) and plan.body["AssignedUser"] == "tech-pchen" and plan.boards == ()
    with pytest.raises(WriteNotPlanned) as nobody:
        await provider.plan_update(wire.id, TicketChanges(owner="nobody"))
    assert "no technician with the user name 'nobody'" in str(nobody.value)
    assert "Priya Chen (pchen)" in str(nobody.value)


async def test_apply_update_lands_and_update_landed_reports(provider: HelpdeskProvider, helpdesk: RunningHelpdesk,
                                                           requester: Person) -> None:
    wire = await register(provider, requester)
    plan = await provider.plan_update(wire.id, TicketChanges(priority="Priority 2 - High", owner="pchen",
                                                             board="Network Operations", type="Hardware"))
    pending = await provider.update_landed(wire.id, plan.body)
    assert pending == UpdateSent(changed=("Priority", "Owner", "Board", "Type"),
                                 differs=("Priority", "Owner", "Board", "Type"))

    sent = await provider.apply_update(wire.id, plan.request, plan.body)

    assert sent == UpdateSent(changed=("Priority", "Owner", "Board", "Type"), differs=())
    assert await provider.update_landed(wire.id, plan.body) == sent
    after = await provider.get_ticket(wire.id)
    assert (after.priority and after.priority.name, after.owner and after.owner.identifier,
            after.board and after.board.name, after.type and after.type.name) == (
        "Priority 2 - High", "pchen", "Network Operations", "Hardware")
    assert posts(helpdesk, f"{API}/update/{wire.id}") == 1
    assert [e.kind for e in emails_for(helpdesk, wire.id)] == ["assignment"]


async def test_the_status_writer_still_sets_a_status(provider: HelpdeskProvider, requester: Person) -> None:
    wire = await register(provider, requester)
    change = await provider.plan_status_change(wire.id, "in progress")
    assert change.request == f"POST {API}/update/{wire.id}" and provider.status_sent(change.body) == 3
    changed = await provider.change_status(wire.id, change.request, change.body)
    assert changed.status is not None and changed.status.name == "In Progress"
