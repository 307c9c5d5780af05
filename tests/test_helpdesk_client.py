"""The helpdesk client against respx: each method's request on the wire (verb, path, query, multipart fields, the
Bearer header), parsing of each answer, error mapping, the retry rules; and settings, token claims and models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from typing import Any

import httpx
import jwt
import pytest
import respx
from pydantic import ValidationError

from psa.helpdesk.client import HelpdeskClient, RetryPolicy
from psa.helpdesk.errors import (
    HelpdeskAuthError,
    HelpdeskConnectionError,
    HelpdeskError,
    HelpdeskNotFoundError,
    HelpdeskPermissionError,
    HelpdeskRateLimitError,
    HelpdeskResponseError,
    HelpdeskServerError,
    HelpdeskTimeoutError,
    HelpdeskValidationError,
)
from psa.helpdesk.models import (
    ClosureForm,
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
    TicketList,
    TicketPage,
    TicketType,
    TicketUpdate,
)
from psa.helpdesk.settings import HelpdeskSettings, check_env, token_claims

pytestmark = pytest.mark.anyio

BASE = "http://helpdesk.test"
API = BASE + "/api/TicketsApi"
SIGNING_KEY = "a-test-signing-key-of-at-least-32-bytes!"
ALL_PERMISSIONS = [p.value for p in Permission]


def make_token(**claims: Any) -> str:
    body = {
        "sub": "tech-kbrooks",
        "unique_name": "kbrooks",
        "email": "kbrooks@msp.example",
        "name": "Kim Brooks",
        "role": "Technician",
        "permission": ALL_PERMISSIONS,
        "iss": "helpdesk-sandbox",
        "exp": 2_000_000_000,
        **claims,
    }
    return jwt.encode(body, SIGNING_KEY, algorithm="HS256")


TOKEN = make_token()


class Sleeps:
    """Stands in for anyio.sleep: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def settings() -> HelpdeskSettings:
    return HelpdeskSettings(url=BASE, token=TOKEN)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def client(settings: HelpdeskSettings, sleeps: Sleeps) -> Any:
    async with HelpdeskClient(settings, retry=RetryPolicy(max_attempts=3, sleep=sleeps)) as helpdesk:
        yield helpdesk


def form_parts(request: httpx.Request) -> list[tuple[str, Any]]:
    """The multipart body as (name, value) pairs: a str for a field, (filename, bytes, type) for a file."""
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.content
    )
    parts: list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        if filename is None:
            parts.append((name, payload.decode()))
        else:
            parts.append((name, (filename, payload, part.get_content_type())))
    return parts


def fields(request: httpx.Request) -> dict[str, Any]:
    """Single-valued view of `form_parts`; a repeated name keeps a list."""
    out: dict[str, Any] = {}
    for name, value in form_parts(request):
        if name in out:
            out[name] = (out[name] if isinstance(out[name], list) else [out[name]]) + [value]
        else:
            out[name] = value
    return out


def assert_headers(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"


ROW = {
    "id": 7,
    "guid": "5b0c3f0e-0000-4000-8000-000000000007",
    "title": "VPN drops every hour",
    "status": "In Progress",
    "statusType": "Open",
    "priority": "High",
    "group": "Network",
    "requester": "Ana Ruiz",
    "requesterUserName": "aruiz",
    "requesterEmail": "aruiz@client.example",
    "technician": None,
    "technicianUserName": None,
    "client": "Contoso",
    "createdOn": "2026-03-01T09:00:00Z",
    "updatedOn": "2026-03-02T10:30:00Z",
    "dueDate": None,
    "isOverdue": False,
    "isEscalated": True,
}

TICKET = {
    "id": 7,
    "guid": "5b0c3f0e-0000-4000-8000-000000000007",
    "title": "VPN drops every hour",
    "description": "Since Monday the VPN disconnects on the hour.",
    "ticketType": "Ticket",
    "source": "Manual",
    "createdOn": "2026-03-01T09:00:00Z",
    "updatedOn": "2026-03-02T10:30:00Z",
    "dueDate": "2026-03-04T17:00:00Z",
    "resolvedOn": None,
    "closedOn": None,
    "creator": {"id": "req-123", "fullName": "Ana Ruiz", "userName": "aruiz", "email": "aruiz@client.example"},
    "assignee": None,
    "category": {"id": 3, "name": "Network"},
    "subCategory": {"id": 31, "name": "VPN"},
    "item": None,
    "site": {"id": 1, "title": "HQ"},
    "department": {"id": 2, "title": "Finance"},
    "group": {"id": 4, "group": "Network"},
    "client": {"id": 9, "name": "Contoso"},
    "status": {"id": 2, "status": "In Progress", "statusType": "Open"},
    "priority": {"id": 3, "priority": "High"},
    "tierLevel": {"id": 1, "title": "Tier 1"},
    "resolution": None,
    "conversations": [
        {
            "id": 70,
            "type": "Created",
            "title": "VPN drops every hour",
            "message": "Since Monday the VPN disconnects on the hour.",
            "from": {"id": "req-123", "fullName": "Ana Ruiz", "userName": "aruiz"},
            "sendTo": None,
            "ccTo": None,
            "createdOn": "2026-03-01T09:00:00Z",
        }
    ],
    "slaName": "Gold",  # not in the contract: kept, not refused
}


def register_form(**overrides: Any) -> RegisterTicket:
    values: dict[str, Any] = {
        "Title": "Printer offline",
        "Description": "The 3rd floor printer shows offline.",
        "CreatorId": "req-123",
        "SiteId": 1,
        "DepartmentId": 2,
        "TicketStatusId": 1,
        "TicketType": TicketType.Ticket,
    }
    return RegisterTicket(**{**values, **overrides})


# ---- settings -----------------------------------------------------------------------------------------------


def test_from_env_reads_every_variable() -> None:
    s = HelpdeskSettings.from_env(
        {
            "HELPDESK_URL": " https://helpdesk.example.com/ ",
            "HELPDESK_TOKEN": TOKEN,
            "HELPDESK_TIMEOUT": "12.5",
            "HELPDESK_CONNECT_TIMEOUT": "4",
            "HELPDESK_MAX_ATTEMPTS": "5",
        }
    )
    assert s.url == "https://helpdesk.example.com"
    assert s.api_root == "https://helpdesk.example.com/api/TicketsApi"
    assert (s.timeout, s.connect_timeout, s.max_attempts) == (12.5, 4.0, 5)
    assert s.token.get_secret_value() == TOKEN


def test_defaults() -> None:
    s = HelpdeskSettings.from_env({"HELPDESK_URL": "http://127.0.0.1:8099", "HELPDESK_TOKEN": TOKEN})
    assert (s.timeout, s.connect_timeout, s.max_attempts) == (30.0, 10.0, 3)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8099/", "http://127.0.0.1:8099"),
        ("https://hd.example.com/helpdesk/", "https://hd.example.com/helpdesk"),
        ("https://hd.example.com/api/TicketsApi/", "https://hd.example.com"),
    ],
)
def test_url_normalisation(url: str, expected: str) -> None:
    assert HelpdeskSettings(url=url, token=TOKEN).url == expected


def test_token_never_in_repr_or_str(settings: HelpdeskSettings) -> None:
    for text in (repr(settings), str(settings), repr(settings.model_dump()), settings.model_dump_json()):
        assert TOKEN not in text
        assert TOKEN.split(".")[1] not in text


@pytest.mark.parametrize(
    ("env", "names", "says"),
    [
        ({}, "HELPDESK_URL", "is not set"),
        ({"HELPDESK_URL": "https://hd.example.com"}, "HELPDESK_URL is set without HELPDESK_TOKEN", "JWT"),
        ({"HELPDESK_TOKEN": TOKEN}, "HELPDESK_TOKEN is set without HELPDESK_URL", "base URL"),
        ({"HELPDESK_URL": "ftp://hd", "HELPDESK_TOKEN": TOKEN}, "HELPDESK_URL='ftp://hd'", "http(s)"),
        ({"HELPDESK_URL": "https://hd?x=1", "HELPDESK_TOKEN": TOKEN}, "HELPDESK_URL", "query"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": "not-a-jwt-s3cr3t"}, "HELPDESK_TOKEN", "not a JWT"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": "Bearer " + TOKEN}, "HELPDESK_TOKEN", "Bearer"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": TOKEN, "HELPDESK_TIMEOUT": "soon"}, "HELPDESK_TIMEOUT",
         "number"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": TOKEN, "HELPDESK_TIMEOUT": "0"}, "HELPDESK_TIMEOUT=0.0",
         "greater than 0"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": TOKEN, "HELPDESK_CONNECT_TIMEOUT": "-1"},
         "HELPDESK_CONNECT_TIMEOUT", "greater than 0"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": TOKEN, "HELPDESK_MAX_ATTEMPTS": "11"},
         "HELPDESK_MAX_ATTEMPTS=11", "less than or equal to 10"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": TOKEN, "HELPDESK_MAX_ATTEMPTS": "0"},
         "HELPDESK_MAX_ATTEMPTS=0", "greater than or equal to 1"),
        ({"HELPDESK_URL": "https://hd", "HELPDESK_TOKEN": TOKEN, "HELPDESK_MAX_ATTEMPTS": "2.5"},
         "HELPDESK_MAX_ATTEMPTS", "whole number"),
    ],
)
def test_check_env_one_line_errors(env: dict[str, str], names: str, says: str) -> None:
    with pytest.raises(ValueError) as info:
        check_env(env)
    text = str(info.value)
    assert "\n" not in text
    assert names in text and says in text
    assert "s3cr3t" not in text and TOKEN not in text


def test_check_env_accepts_a_good_environment() -> None:
    check_env({"HELPDESK_URL": "https://hd.example.com", "HELPDESK_TOKEN": TOKEN})


# ---- token claims -------------------------------------------------------------------------------------------


def test_token_claims() -> None:
    claims = token_claims(TOKEN)
    assert (claims.sub, claims.unique_name, claims.email, claims.name, claims.role) == (
        "tech-kbrooks", "kbrooks", "kbrooks@msp.example", "Kim Brooks", "Technician",
    )
    assert claims.permission == ALL_PERMISSIONS
    assert claims.exp == datetime.fromtimestamp(2_000_000_000, timezone.utc)
    assert claims.allows(Permission.Close) and claims.allows("Tickets.Create")
    assert claims.model_extra == {"iss": "helpdesk-sandbox"}


def test_token_claims_are_read_without_verifying() -> None:
    # Signed with another key and long expired: still readable; only the server decides whether it is valid.
    expired = jwt.encode({"sub": "req-1", "exp": 1}, "another-key-of-at-least-32-bytes-long!!", algorithm="HS256")
    claims = token_claims(expired)
    assert claims.sub == "req-1" and claims.permission == [] and not claims.allows(Permission.Close)


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("Tickets.Reply", ["Tickets.Reply"]),
        ('["Tickets.Reply", "Tickets.Close"]', ["Tickets.Reply", "Tickets.Close"]),
        (None, []),
    ],
)
def test_permission_claim_forms(claim: Any, expected: list[str]) -> None:
    assert token_claims(make_token(permission=claim)).permission == expected


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer x.y.z", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln"])
def test_token_claims_refuses_what_is_not_a_jwt(token: str) -> None:
    with pytest.raises(ValueError, match="not a JWT") as info:
        token_claims(token)
    assert "\n" not in str(info.value)


# ---- models -------------------------------------------------------------------------------------------------


def test_write_models_are_strict() -> None:
    with pytest.raises(ValidationError, match="Description"):
        RegisterTicket(Title="x", CreatorId="req-1", SiteId=1, DepartmentId=1, TicketStatusId=1,
                       TicketType="Ticket")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="Title"):
        register_form(Title="x" * 256)
    with pytest.raises(ValidationError, match="Title"):
        register_form(Title="")
    with pytest.raises(ValidationError, match="Summary"):
        register_form(Summary="not a field")
    with pytest.raises(ValidationError, match="TicketType"):
        register_form(TicketType="Incident")
    with pytest.raises(ValidationError, match="timezone"):
        register_form(DueDate=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="CreatorId"):
        TicketUpdate()  # type: ignore[call-arg]
    assert register_form(Title="x" * 255).Title == "x" * 255


def test_to_form_encoding() -> None:
    form = register_form(
        DueDate=datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        SelectedTags=[4, 9],
        TicketPriorityId=3,
        Uploads=[("log.txt", b"boom", "text/plain")],
    )
    assert form.to_form() == [
        ("Title", "Printer offline"),
        ("Description", "The 3rd floor printer shows offline."),
        ("CreatorId", "req-123"),
        ("SiteId", "1"),
        ("DepartmentId", "2"),
        ("TicketStatusId", "1"),
        ("TicketType", "Ticket"),
        ("DueDate", "2026-05-01T12:00:00Z"),
        ("TicketPriorityId", "3"),
        ("SelectedTags", "4"),
        ("SelectedTags", "9"),
    ]
    assert form.uploads() == [("log.txt", b"boom", "text/plain")]
    closure = ClosureForm(TicketId=5, CloseBy="tech-1", Acknowledged=False)
    assert closure.to_form() == [("TicketId", "5"), ("CloseBy", "tech-1"), ("Acknowledged", "false")]
    assert ForwardForm(Id=5, Title="t", SendTo="a@b.c", HasDraft=True).to_form()[-1] == ("HasDraft", "true")
    assert ResolveForm(Id=5, Resolution="fixed", ResolvedBy="tech-1").uploads() == []


def test_response_models_are_lenient() -> None:
    ticket = TicketApiModel.model_validate(TICKET)
    assert ticket.status is not None and ticket.status.statusType == StatusType.Open
    assert ticket.creator is not None and ticket.creator.id == "req-123"
    assert ticket.conversations is not None and ticket.conversations[0].from_ is not None
    assert ticket.conversations[0].from_.userName == "aruiz"
    assert ticket.model_extra == {"slaName": "Gold"}
    assert TicketApiModel.model_validate({"id": 1}).title is None
    # A status type the contract does not list is still read.
    assert TicketList.model_validate({"id": 2, "statusType": "Waiting"}).statusType == "Waiting"
    with pytest.raises(ValidationError):
        TicketList.model_validate({"title": "no id"})


def test_ticket_page_has_more() -> None:
    assert TicketPage(items=[], total=60, page=2, page_size=25).has_more
    assert not TicketPage(items=[], total=50, page=2, page_size=25).has_more
    row = TicketList.model_validate(ROW)
    assert TicketPage(items=[row, row], total=None, page=1, page_size=2).has_more
    assert not TicketPage(items=[row], total=None, page=1, page_size=2).has_more


# ---- requests on the wire -----------------------------------------------------------------------------------


async def test_list_tickets(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.get("/api/TicketsApi").mock(
        return_value=httpx.Response(200, json=[ROW], headers={"X-Total-Count": "41"})
    )
    page = await client.list_tickets(
        ListType.MyOpenTickets, search="vpn & co", search_fields=[SearchField.Subject, "Requester"], page=2,
        page_size=20,
    )
    request = route.calls.last.request
    assert_headers(request)
    assert request.url.path == "/api/TicketsApi"
    assert dict(request.url.params) == {
        "listType": "MyOpenTickets", "search": "vpn & co", "searchFields": "Subject,Requester", "page": "2",
        "pageSize": "20",
    }
    assert page.items[0].id == 7 and page.items[0].isEscalated is True
    assert page.items[0].createdOn == datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    assert (page.total, page.page, page.page_size, page.has_more) == (41, 2, 20, True)


async def test_list_tickets_defaults_and_missing_count(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.get("/api/TicketsApi").mock(return_value=httpx.Response(200, json=[]))
    page = await client.list_tickets("AllTickets")
    assert dict(route.calls.last.request.url.params) == {"listType": "AllTickets", "page": "1", "pageSize": "25"}
    assert page.total is None and not page.has_more


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"list_type": "Everything"}, "unknown list type"),
        ({"list_type": "AllTickets", "search_fields": ["Body"]}, "unknown search field"),
        ({"list_type": "AllTickets", "page": 0}, "page starts at 1"),
        ({"list_type": "AllTickets", "page_size": 101}, "page_size"),
    ],
)
async def test_list_tickets_refuses_bad_arguments_before_sending(
    client: HelpdeskClient, mock: respx.MockRouter, kwargs: dict[str, Any], says: str
) -> None:
    route = mock.get("/api/TicketsApi")
    with pytest.raises(ValueError, match=says):
        await client.list_tickets(**kwargs)
    assert not route.called


async def test_get_ticket(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.get("/api/TicketsApi/7").mock(return_value=httpx.Response(200, json=TICKET))
    ticket = await client.get_ticket(7)
    assert_headers(route.calls.last.request)
    assert ticket.id == 7 and ticket.subCategory is not None and ticket.subCategory.name == "VPN"
    assert ticket.group is not None and ticket.group.group == "Network"
    assert ticket.priority is not None and ticket.priority.priority == "High"


@pytest.mark.parametrize("bad", [0, -3, True, "7", "7/../register"])
async def test_ticket_ids_must_be_positive_ints(client: HelpdeskClient, bad: Any) -> None:
    with pytest.raises(ValueError, match="positive whole number"):
        await client.get_ticket(bad)


async def test_register_ticket(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    created = {**TICKET, "id": 8, "title": "Printer offline"}
    route = mock.post("/api/TicketsApi/register").mock(
        return_value=httpx.Response(201, json=created, headers={"Location": "/api/TicketsApi/8"})
    )
    form = register_form(
        SelectedTags=[4, 9], Uploads=[("err.png", b"\x89PNG\r\n", "image/png"), ("log.txt", b"boom", "text/plain")]
    )
    ticket = await client.register_ticket(form)
    request = route.calls.last.request
    assert_headers(request)
    assert fields(request) == {
        "Title": "Printer offline",
        "Description": "The 3rd floor printer shows offline.",
        "CreatorId": "req-123",
        "SiteId": "1",
        "DepartmentId": "2",
        "TicketStatusId": "1",
        "TicketType": "Ticket",
        "SelectedTags": ["4", "9"],
        "Uploads": [("err.png", b"\x89PNG\r\n", "image/png"), ("log.txt", b"boom", "text/plain")],
    }
    assert ticket.id == 8 and ticket.title == "Printer offline"


async def test_new_ticket_is_multipart_without_uploads(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.post("/api/TicketsApi/new").mock(
        return_value=httpx.Response(201, json={**TICKET, "id": 9, "source": "Api"})
    )
    ticket = await client.new_ticket(
        IntegrationTicket(Title="Disk full", Description="C: at 99%", Requester="aruiz", TicketPriorityId=2)
    )
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert form_parts(request) == [
        ("Title", "Disk full"), ("Description", "C: at 99%"), ("Requester", "aruiz"), ("TicketPriorityId", "2"),
    ]
    assert ticket.source == "Api"


async def test_update_ticket(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.post("/api/TicketsApi/update/7").mock(return_value=httpx.Response(204))
    due = datetime(2026, 3, 9, 17, tzinfo=timezone.utc)
    result = await client.update_ticket(
        7, TicketUpdate(Id=7, CreatorId="req-123", TicketStatusId=3, AssignedUser="tech-kbrooks", DueDate=due)
    )
    assert result is None
    assert fields(route.calls.last.request) == {
        "CreatorId": "req-123", "Id": "7", "DueDate": "2026-03-09T17:00:00Z", "TicketStatusId": "3",
        "AssignedUser": "tech-kbrooks",
    }


async def test_reply_and_forward(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    reply = mock.post("/api/TicketsApi/reply/7").mock(return_value=httpx.Response(200, json={"message": "Reply sent"}))
    forward = mock.post("/api/TicketsApi/forward/7").mock(
        return_value=httpx.Response(200, json={"message": "Forwarded"})
    )
    assert await client.reply(
        7, ReplyForm(Id=7, Title="Re: VPN", SendTo="aruiz@client.example", Message="Try the new profile.",
                     Uploads=[("vpn.ovpn", b"client\n", "application/x-openvpn-profile")])
    ) is None
    await client.forward(7, ForwardForm(Id=7, Title="Fwd: VPN", SendTo="noc@msp.example", CcTo="lead@msp.example",
                                        HasDraft=False))
    assert form_parts(reply.calls.last.request) == [
        ("Id", "7"), ("Title", "Re: VPN"), ("SendTo", "aruiz@client.example"), ("Message", "Try the new profile."),
        ("Uploads", ("vpn.ovpn", b"client\n", "application/x-openvpn-profile")),
    ]
    assert fields(forward.calls.last.request) == {
        "Id": "7", "Title": "Fwd: VPN", "SendTo": "noc@msp.example", "CcTo": "lead@msp.example", "HasDraft": "false",
    }
    assert_headers(forward.calls.last.request)


async def test_close_tells_closed_now_from_already_closed(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.post("/api/TicketsApi/close/7").mock(side_effect=[httpx.Response(204), httpx.Response(200)])
    closing = datetime(2026, 3, 5, 8, 30, tzinfo=timezone.utc)
    form = ClosureForm(TicketId=7, CloseBy="tech-kbrooks", Acknowledged=True, Comments="done", ClosingDate=closing)
    assert await client.close(7, form) is True
    assert await client.close(7, form) is False
    assert fields(route.calls.last.request) == {
        "TicketId": "7", "CloseBy": "tech-kbrooks", "Acknowledged": "true", "Comments": "done",
        "ClosingDate": "2026-03-05T08:30:00Z",
    }


async def test_close_with_another_success_status_is_a_response_error(
    client: HelpdeskClient, mock: respx.MockRouter
) -> None:
    mock.post("/api/TicketsApi/close/7").mock(return_value=httpx.Response(202))
    with pytest.raises(HelpdeskResponseError, match="204 or 200"):
        await client.close(7, ClosureForm(TicketId=7, CloseBy="tech-1"))


async def test_resolve(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.post("/api/TicketsApi/resolve/7").mock(return_value=httpx.Response(204))
    assert await client.resolve(7, ResolveForm(Id=7, Resolution="Replaced the switch.", ResolvedBy="tech-1")) is None
    assert form_parts(route.calls.last.request) == [
        ("Id", "7"), ("Resolution", "Replaced the switch."), ("ResolvedBy", "tech-1"),
    ]


async def test_requester_reply(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.post("/api/TicketsApi/reqreply/7").mock(return_value=httpx.Response(200, json={"message": "ok"}))
    await client.requester_reply(7, RequesterReplyForm(Id=7, Username="aruiz", Title="Still broken"))
    assert form_parts(route.calls.last.request) == [("Id", "7"), ("Username", "aruiz"), ("Title", "Still broken")]


async def test_delete_ticket(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.delete("/api/TicketsApi/7").mock(
        return_value=httpx.Response(200, json={**TICKET, "isDeleted": True, "deletedOn": "2026-03-06T12:00:00Z"})
    )
    ticket = await client.delete_ticket(7)
    assert_headers(route.calls.last.request)
    assert ticket.isDeleted is True and ticket.deletedOn == datetime(2026, 3, 6, 12, tzinfo=timezone.utc)


METADATA = {
    "groups": [{"id": 4, "group": "Network"}],
    "levels": [{"id": 1, "title": "Tier 1"}],
    "priorities": [{"id": 3, "priority": "High"}],
    "categories": [{"id": 3, "name": "Network"}],
    "sub_categories": [{"id": 31, "name": "VPN"}],
    "items": [],
    "status": [{"id": 1, "status": "New", "statusType": "Open"}, {"id": 9, "status": "Closed", "statusType": "Closed"}],
    "clients": [{"id": 9, "name": "Contoso"}],
    "sites": [{"id": 1, "title": "HQ"}],
    "departments": [{"id": 2, "title": "Finance"}],
    "technicians": [{"id": "tech-kbrooks", "fullName": "Kim Brooks", "userName": "kbrooks"}],
    "requesters": [{"id": "req-123", "fullName": "Ana Ruiz", "userName": "aruiz"}],
}


async def test_metadata(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    everything = mock.get("/api/TicketsApi/metadata").mock(return_value=httpx.Response(200, json=METADATA))
    scoped = {key: value for key, value in METADATA.items() if key != "requesters"}
    for_ticket = mock.get("/api/TicketsApi/metadata/7").mock(return_value=httpx.Response(200, json=scoped))
    meta = await client.metadata()
    assert isinstance(meta, Metadata) and meta.requesters is not None and meta.requesters[0].userName == "aruiz"
    assert meta.status is not None and meta.status[1].statusType == StatusType.Closed
    assert meta.sub_categories is not None and meta.sub_categories[0].name == "VPN"
    assert (await client.metadata(7)).requesters is None
    assert everything.called and for_ticket.called
    assert_headers(for_ticket.calls.last.request)


async def test_app_metadata(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    app = {key: METADATA[key] for key in ("groups", "levels", "priorities", "categories", "status", "clients",
                                          "sites", "departments")}
    route = mock.get("/api/TicketsApi/appmetadata").mock(return_value=httpx.Response(200, json=app))
    meta = await client.app_metadata()
    assert_headers(route.calls.last.request)
    assert meta.departments is not None and meta.departments[0].title == "Finance"
    assert meta.groups is not None and meta.groups[0].group == "Network"


async def test_list_by_username(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.post("/api/TicketsApi/list").mock(return_value=httpx.Response(200, json=[TICKET]))
    tickets = await client.list_by_username("aruiz", page=2)
    assert form_parts(route.calls.last.request) == [("username", "aruiz"), ("page", "2")]
    assert [t.id for t in tickets] == [7]


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda c: c.reply(7, ReplyForm(Id=8, Title="t", SendTo="a@b.c")), "Id is 8"),
        (lambda c: c.forward(7, ForwardForm(Id=8, Title="t", SendTo="a@b.c")), "Id is 8"),
        (lambda c: c.close(7, ClosureForm(TicketId=8, CloseBy="tech-1")), "TicketId is 8"),
        (lambda c: c.resolve(7, ResolveForm(Id=8, Resolution="r", ResolvedBy="tech-1")), "Id is 8"),
        (lambda c: c.requester_reply(7, RequesterReplyForm(Id=8, Username="u", Title="t")), "Id is 8"),
        (lambda c: c.update_ticket(7, TicketUpdate(Id=8, CreatorId="req-1")), "Id is 8"),
    ],
)
async def test_a_form_for_another_ticket_is_never_sent(
    client: HelpdeskClient, mock: respx.MockRouter, call: Any, says: str
) -> None:
    route = mock.post(url__regex=r".*")
    with pytest.raises(ValueError, match=says):
        await call(client)
    assert not route.called


async def test_a_transport_can_be_given(settings: HelpdeskSettings) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=TICKET)

    async with HelpdeskClient(settings, transport=httpx.MockTransport(handler)) as helpdesk:
        assert (await helpdesk.get_ticket(7)).id == 7
    assert str(seen[0].url) == API + "/7"
    assert_headers(seen[0])


async def test_a_base_url_with_a_path_prefix(sleeps: Sleeps, mock: respx.MockRouter) -> None:
    route = mock.get("/helpdesk/api/TicketsApi/7").mock(return_value=httpx.Response(200, json=TICKET))
    async with HelpdeskClient(HelpdeskSettings(url=BASE + "/helpdesk/", token=TOKEN)) as helpdesk:
        await helpdesk.get_ticket(7)
    assert route.called


# ---- errors -------------------------------------------------------------------------------------------------


def error_json(status: int, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"status": status, "message": message, **extra})


@pytest.mark.parametrize(
    ("response", "error", "says"),
    [
        (
            error_json(400, "One or more validation errors occurred.",
                       errors={"Title": ["The Title field is required."], "SiteId": ["Unknown site 99."]}),
            HelpdeskValidationError,
            "One or more validation errors occurred. (Title: The Title field is required.; SiteId: Unknown site 99.)",
        ),
        (error_json(400, "Ticket 7 is locked"), HelpdeskValidationError, "Ticket 7 is locked"),
        (error_json(401, "The token expired"), HelpdeskAuthError, "Check HELPDESK_TOKEN"),
        (error_json(403, "Missing permission Tickets.Create"), HelpdeskPermissionError, "lacks Tickets.Create"),
        (error_json(404, "Ticket 7 was not found"), HelpdeskNotFoundError, "Ticket 7 was not found"),
        (error_json(500, "Object reference not set\nto an instance"), HelpdeskServerError,
         "Object reference not set to an instance"),
        (httpx.Response(502, text="<html>Bad gateway</html>"), HelpdeskServerError, "<html>Bad gateway</html>"),
        (error_json(409, "Conflict"), HelpdeskError, "HTTP 409: Conflict"),
    ],
)
async def test_error_statuses_raise_typed_errors(
    client: HelpdeskClient, mock: respx.MockRouter, response: httpx.Response, error: type[HelpdeskError], says: str
) -> None:
    mock.post("/api/TicketsApi/register").mock(return_value=response)
    with pytest.raises(error) as info:
        await client.register_ticket(register_form())
    text = str(info.value)
    assert says in text
    assert text.startswith(f"POST {API}/register failed with HTTP {response.status_code}")
    assert "\n" not in text and TOKEN not in text and TOKEN not in repr(info.value)
    assert info.value.status == response.status_code


async def test_error_keeps_the_api_message_and_field_errors(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    mock.post("/api/TicketsApi/register").mock(
        return_value=error_json(400, "One or more validation errors occurred.",
                                errors={"Title": ["The Title field is required."]})
    )
    with pytest.raises(HelpdeskValidationError) as info:
        await client.register_ticket(register_form())
    assert info.value.message == "One or more validation errors occurred."
    assert info.value.errors == {"Title": ["The Title field is required."]}


async def test_permission_error_names_the_permission(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    mock.post("/api/TicketsApi/close/7").mock(return_value=error_json(403, "Missing permission Tickets.Close"))
    with pytest.raises(HelpdeskPermissionError) as info:
        await client.close(7, ClosureForm(TicketId=7, CloseBy="tech-1"))
    assert info.value.permission == Permission.Close
    assert info.value.message == "Missing permission Tickets.Close"
    assert "HELPDESK_TOKEN" in str(info.value)


async def test_a_bare_403_still_says_what_to_do(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    mock.delete("/api/TicketsApi/7").mock(return_value=httpx.Response(403))
    with pytest.raises(HelpdeskPermissionError) as info:
        await client.delete_ticket(7)
    assert info.value.permission is None and "Tickets.* permission" in str(info.value)


async def test_a_401_on_a_read(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    mock.get("/api/TicketsApi/7").mock(
        return_value=httpx.Response(401, json={"status": 401, "message": "Invalid token"},
                                    headers={"WWW-Authenticate": "Bearer"})
    )
    with pytest.raises(HelpdeskAuthError, match="Invalid token. Check HELPDESK_TOKEN"):
        await client.get_ticket(7)


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (httpx.Response(200, text="<html>login</html>"), "not JSON"),
        (httpx.Response(200, json={"title": "no id"}), "first at id"),
        (httpx.Response(200, json=[{"id": "seven"}]), "unexpected answer shape"),
    ],
)
async def test_unparseable_answers(client: HelpdeskClient, mock: respx.MockRouter, response: httpx.Response,
                                   says: str) -> None:
    mock.get("/api/TicketsApi/7").mock(return_value=response)
    with pytest.raises(HelpdeskResponseError, match=says) as info:
        await client.get_ticket(7)
    assert "HELPDESK_URL" in str(info.value) and "\n" not in str(info.value)


# ---- retries ------------------------------------------------------------------------------------------------


async def test_get_503_then_200_is_retried(client: HelpdeskClient, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/TicketsApi/7").mock(side_effect=[error_json(503, "busy"), httpx.Response(200, json=TICKET)])
    assert (await client.get_ticket(7)).id == 7
    assert route.call_count == 2 and len(sleeps.waits) == 1


async def test_get_honours_retry_after(client: HelpdeskClient, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/TicketsApi").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(504),
            httpx.Response(200, json=[], headers={"X-Total-Count": "0"}),
        ]
    )
    await client.list_tickets(ListType.AllTickets)
    assert route.call_count == 3
    assert sleeps.waits[0] == 2.0 and 0 <= sleeps.waits[1] <= 0.5


async def test_retry_after_is_capped(settings: HelpdeskSettings, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    mock.get("/api/TicketsApi/7").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": "3600"}), httpx.Response(200, json=TICKET)]
    )
    async with HelpdeskClient(settings, retry=RetryPolicy(sleep=sleeps, max_retry_after=5)) as helpdesk:
        await helpdesk.get_ticket(7)
    assert sleeps.waits == [5]


async def test_get_gives_up_after_max_attempts(client: HelpdeskClient, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/TicketsApi/7").mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(HelpdeskRateLimitError) as info:
        await client.get_ticket(7)
    assert route.call_count == 3 and sleeps.waits == [1, 1]
    assert info.value.retry_after == 1 and "wait 1 s" in str(info.value)


async def test_get_500_is_not_retried(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.get("/api/TicketsApi/7").mock(return_value=error_json(500, "boom"))
    with pytest.raises(HelpdeskServerError):
        await client.get_ticket(7)
    assert route.call_count == 1


async def test_get_connection_errors_are_retried(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.get("/api/TicketsApi/7").mock(
        side_effect=[httpx.ReadError("reset"), httpx.RemoteProtocolError("dropped"), httpx.Response(200, json=TICKET)]
    )
    assert (await client.get_ticket(7)).id == 7
    assert route.call_count == 3


async def test_get_read_timeout_is_not_retried(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.get("/api/TicketsApi/7").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(HelpdeskTimeoutError, match="HELPDESK_TIMEOUT"):
        await client.get_ticket(7)
    assert route.call_count == 1


async def test_post_503_is_not_retried(client: HelpdeskClient, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.post("/api/TicketsApi/reply/7").mock(
        side_effect=[error_json(503, "busy"), httpx.Response(200, json={"message": "Reply sent"})]
    )
    with pytest.raises(HelpdeskServerError, match="busy"):
        await client.reply(7, ReplyForm(Id=7, Title="t", SendTo="a@b.c"))
    assert route.call_count == 1 and sleeps.waits == []


async def test_post_connect_error_is_retried(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.post("/api/TicketsApi/register").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ConnectTimeout("no SYN-ACK"),
                     httpx.Response(201, json=TICKET)]
    )
    form = register_form(Uploads=[("a.txt", b"x", "text/plain")])
    assert (await client.register_ticket(form)).id == 7
    assert route.call_count == 3
    # Each attempt carried the whole body, upload included.
    assert [fields(call.request)["Uploads"] for call in route.calls] == [("a.txt", b"x", "text/plain")] * 3


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ReadError("reset after sending"), HelpdeskConnectionError),
        (httpx.RemoteProtocolError("dropped"), HelpdeskConnectionError),
        (httpx.ReadTimeout("slow"), HelpdeskTimeoutError),
        (httpx.WriteTimeout("slow upload"), HelpdeskTimeoutError),
    ],
)
async def test_post_that_was_sent_is_never_retried(
    client: HelpdeskClient, mock: respx.MockRouter, failure: Exception, error: type[HelpdeskError]
) -> None:
    route = mock.post("/api/TicketsApi/close/7").mock(side_effect=[failure, httpx.Response(204)])
    with pytest.raises(error):
        await client.close(7, ClosureForm(TicketId=7, CloseBy="tech-1"))
    assert route.call_count == 1


async def test_delete_is_not_retried_on_a_status(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.delete("/api/TicketsApi/7").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=TICKET)])
    with pytest.raises(HelpdeskServerError):
        await client.delete_ticket(7)
    assert route.call_count == 1


async def test_unreachable_server_is_a_connection_error(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    route = mock.get("/api/TicketsApi/7").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(HelpdeskConnectionError) as info:
        await client.get_ticket(7)
    assert route.call_count == 3
    text = str(info.value)
    assert text.startswith(f"GET {API}/7 failed: ConnectError: refused") and "check HELPDESK_URL" in text
    assert "\n" not in text


def test_error_str_without_a_request() -> None:
    assert str(HelpdeskError()) == "Helpdesk request failed. Check the request and try again."
    assert HelpdeskNotFoundError("gone", status=404).errors == {}


async def test_a_connect_timeout_is_a_connection_error(client: HelpdeskClient, mock: respx.MockRouter) -> None:
    # It never reached the server, so it is retried even for a POST, and reported as unreachable, not as slow.
    route = mock.post("/api/TicketsApi/new").mock(side_effect=httpx.ConnectTimeout("no SYN-ACK"))
    with pytest.raises(HelpdeskConnectionError, match="ConnectTimeout"):
        await client.new_ticket(IntegrationTicket(Title="t", Description="d", Requester="aruiz"))
    assert route.call_count == 3
