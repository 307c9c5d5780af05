"""Technicians act with their own ConnectWise keys (issue 9, "Team service").

- The sandbox accepts a member's keys (`kbrooks-public:kbrooks-private`) and attributes what they write to that
  member; the sandbox's API keys still write as the API member.
- ProviderPool: one provider per key pair, shared by concurrent leases, LRU-bounded and idle-evicted, never
  closing a leased provider; the server's own provider for None.
- The middleware: a signed-in technician's call runs on their provider; unreadable keys refuse the call.
- End to end: `psa-copilot serve --transport http` (a child process, COPILOT_AUTH=tokens) on a sandbox this
  test runs; technicians with keys in the key store add notes through a real MCP client over HTTP, a scripted
  human accepts, and the sandbox (read over plain HTTP) shows each note created by the right member.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import ElicitRequestParams, ElicitResult
from pydantic import SecretStr

from http_serving import serving_http
from identity.keys import ConnectWiseKeys, KeysUnreadable
from identity.models import Identity
from identity.technicians import Technicians
from psa.connectwise.auth import auth_headers
from psa.connectwise.pool import ProviderPool
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings
from storage.technicians import TechnicianStore
from psa.connectwise.neutral import ConnectWisePSA
from tools.acting import ActingMember, acting_provider

pytestmark = pytest.mark.anyio

API_MEMBER = "SandboxAPI"


def member_keys(identifier: str) -> ConnectWiseKeys:
    return ConnectWiseKeys(public_key=f"{identifier}-public", private_key=SecretStr(f"{identifier}-private"))


def closed(provider: ConnectWiseProvider) -> bool:
    return provider.client._http.is_closed


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sandbox.runner import start_sandbox

    running = start_sandbox(db_path=tmp_path_factory.mktemp("cw") / "s.db", tickets=20)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def base(sandbox: Any) -> ConnectWiseSettings:
    return ConnectWiseSettings.sandbox(sandbox.url)


@pytest.fixture(scope="module")
def ticket_ids(base: ConnectWiseSettings) -> Iterator[int]:
    """Tickets in id order; each test takes its own, so no two write to the same thread."""
    with sandbox_http(base) as http:
        tickets = http.get("/service/tickets", params={"pageSize": 1000, "orderBy": "id asc"}).json()
    return iter([t["id"] for t in tickets])


@contextmanager
def sandbox_http(
    base: ConnectWiseSettings, public: str | None = None, private: str | None = None
) -> Iterator[httpx.Client]:
    """ConnectWise over plain HTTP, never through the code under test: the sandbox's API keys, or a member's."""
    headers = auth_headers(base)
    if public is not None:
        token = base64.b64encode(f"{base.company_id}+{public}:{private}".encode()).decode()
        headers = {**headers, "Authorization": f"Basic {token}"}
    with httpx.Client(base_url=base.api_root, headers=headers, timeout=30) as http:
        yield http


def notes_of(base: ConnectWiseSettings, ticket_id: int) -> list[dict[str, Any]]:
    with sandbox_http(base) as http:
        response = http.get(f"/service/tickets/{ticket_id}/notes", params={"pageSize": 1000})
        response.raise_for_status()
        return response.json()


def note_by_text(base: ConnectWiseSettings, ticket_id: int, text: str) -> dict[str, Any]:
    found = [n for n in notes_of(base, ticket_id) if n["text"] == text]
    assert len(found) == 1, found
    return found[0]


# ---- the sandbox: member keys -----------------------------------------------------------------------------------


def test_a_members_keys_act_as_that_member_and_the_api_keys_as_the_api_member(
    base: ConnectWiseSettings, ticket_ids: Iterator[int]
) -> None:
    ticket_id = next(ticket_ids)
    note = {"text": "Rebooted the print spooler.", "internalAnalysisFlag": True}
    entry = {"chargeToId": ticket_id, "chargeToType": "ServiceTicket", "timeStart": "2025-03-03T09:00:00Z",
             "actualHours": 0.5, "notes": "Spooler."}
    with sandbox_http(base, "kbrooks-public", "kbrooks-private") as as_kevin:
        kevins = as_kevin.post(f"/service/tickets/{ticket_id}/notes", json=note).json()
        kevins_time = as_kevin.post("/time/entries", json=entry).json()
    assert (kevins["createdBy"], kevins["member"]["identifier"]) == ("kbrooks", "kbrooks")
    assert kevins["_info"]["enteredBy"] == "kbrooks"
    assert (kevins_time["member"]["identifier"], kevins_time["enteredBy"]) == ("kbrooks", "kbrooks")
    with sandbox_http(base) as as_api:
        apis = as_api.post(f"/service/tickets/{ticket_id}/notes", json=note).json()
    assert (apis["createdBy"], apis.get("member"), apis["_info"]["enteredBy"]) == (API_MEMBER, None, API_MEMBER)


@pytest.mark.parametrize(("public", "private"), [
    ("kbrooks-public", "sandbox-private"),  # another key's private half
    ("kbrooks-public", "anguyen-private"),
    ("KBROOKS-public", "KBROOKS-private"),  # keys are case-sensitive
    ("nobody-public", "nobody-private"),  # not a member
    ("-public", "-private"),
    ("kbrooks", "kbrooks-private"),
])
def test_other_keys_are_refused(base: ConnectWiseSettings, public: str, private: str) -> None:
    with sandbox_http(base, public, private) as http:
        response = http.get("/service/tickets", params={"pageSize": 1})
    assert response.status_code == 401
    assert response.json()["message"] == "The supplied authentication is incorrect"


# ---- the pool -----------------------------------------------------------------------------------------------------


async def test_the_same_keys_share_one_provider_other_keys_get_their_own_and_none_is_the_servers(
    base: ConnectWiseSettings, ticket_ids: Iterator[int]
) -> None:
    ticket_id = next(ticket_ids)
    async with ProviderPool(base) as pool:
        async with pool.lease(member_keys("kbrooks")) as first, pool.lease(member_keys("kbrooks")) as second:
            async with pool.lease(member_keys("anguyen")) as other, pool.lease(None) as own:
                assert first is second and first is not other and own is pool.own
                assert pool.size == 2
                await first.add_ticket_note(ticket_id, "Kevin's note.", internal_analysis=True)
                await other.add_ticket_note(ticket_id, "Alicia's note.", internal_analysis=True)
                await own.add_ticket_note(ticket_id, "The API member's note.", internal_analysis=True)
        # The server's own keys are the server's provider, not a second client for the same member.
        async with pool.lease(ConnectWiseKeys(public_key=base.public_key, private_key=base.private_key)) as same:
            assert same is pool.own
    assert note_by_text(base, ticket_id, "Kevin's note.")["createdBy"] == "kbrooks"
    assert note_by_text(base, ticket_id, "Alicia's note.")["createdBy"] == "anguyen"
    assert note_by_text(base, ticket_id, "The API member's note.")["createdBy"] == API_MEMBER


async def test_over_max_size_the_least_recently_used_idle_provider_is_closed_never_a_leased_one(
    base: ConnectWiseSettings,
) -> None:
    async with ProviderPool(base, max_size=2) as pool:
        async with pool.lease(member_keys("kbrooks")) as kevin:
            pass
        async with pool.lease(member_keys("anguyen")) as alicia:
            pass
        async with pool.lease(member_keys("kbrooks")):  # Kevin is now the more recent of the two
            pass
        async with pool.lease(member_keys("mokafor")) as marcus:
            assert closed(alicia) and not closed(kevin) and not closed(marcus)
        assert pool.size == 2
    async with ProviderPool(base, max_size=1) as pool:
        async with pool.lease(member_keys("kbrooks")) as held:
            async with pool.lease(member_keys("anguyen")) as passing:
                assert not closed(held) and not closed(passing)  # both leased: over the bound for a while
            assert closed(passing) and not closed(held)
            assert (await held.get_ticket(1)).id == 1
        assert not closed(held) and pool.size == 1


async def test_a_provider_idle_past_idle_seconds_is_closed_at_the_next_lease(base: ConnectWiseSettings) -> None:
    now = [0.0]
    async with ProviderPool(base, idle_seconds=600, clock=lambda: now[0]) as pool:
        async with pool.lease(member_keys("kbrooks")) as kevin:
            now[0] += 3600  # a long call is not idle
        async with pool.lease(member_keys("anguyen")):
            assert not closed(kevin)
        now[0] += 601
        async with pool.lease(None):
            pass
        async with pool.lease(member_keys("mokafor")):
            assert closed(kevin) and pool.size == 1


async def test_aclose_closes_every_provider_the_servers_too(base: ConnectWiseSettings) -> None:
    pool = ProviderPool(base)
    async with pool.lease(member_keys("kbrooks")) as kevin, pool.lease(member_keys("anguyen")) as alicia:
        pass
    await pool.aclose()
    assert closed(kevin) and closed(alicia) and closed(pool.own)
    with pytest.raises(RuntimeError, match="closed"):
        async with pool.lease(None):
            pass


def test_no_key_in_a_repr(base: ConnectWiseSettings) -> None:
    keys = member_keys("kbrooks")
    settings = base.model_copy(update={"public_key": keys.public_key, "private_key": keys.private_key})
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(keys), repr(base)):
        assert "-private" not in shown


# ---- the middleware -----------------------------------------------------------------------------------------------


def tool_call(identity: Identity | None, pool: ProviderPool, method: str = "tools/call") -> Any:
    """What the SDK hands a server middleware: method, lifespan state, and the HTTP request's scope."""
    state = {"identity": identity} if identity is not None else {}
    return SimpleNamespace(
        method=method, params={"name": "get_ticket"}, lifespan_context=SimpleNamespace(pool=pool),
        request=SimpleNamespace(scope={"type": "http", "state": state}),
    )


async def test_the_middleware_runs_a_signed_in_technicians_call_on_their_provider(base: ConnectWiseSettings) -> None:
    stored = {"kim@example.com": member_keys("kbrooks")}
    gate = ActingMember(keys_for=stored.get)
    seen: list[Any] = []

    async def call_next(_ctx: Any) -> str:
        seen.append(acting_provider())
        return "done"

    kim = Identity(user="kim@example.com", member="kbrooks", via="tokens")
    sam = Identity(user="sam@example.com", member="sreyes", via="oidc")
    operator = Identity(user="kim@example.com", via="none")  # an unsigned loopback server: the operator
    async with ProviderPool(base) as pool:
        assert await gate(tool_call(kim, pool), call_next) == "done"
        assert await gate(tool_call(sam, pool), call_next) == "done"
        assert await gate(tool_call(operator, pool), call_next) == "done"
        assert await gate(tool_call(kim, pool, method="tools/list"), call_next) == "done"
        kims = seen[0]
        assert isinstance(kims, ConnectWisePSA) and kims.wire.client.settings.public_key == "kbrooks-public"
        assert seen[1:] == [None, None, None]
        assert acting_provider() is None and not closed(kims.wire)


async def test_unreadable_keys_refuse_the_call_rather_than_act_as_the_api_member(base: ConnectWiseSettings) -> None:
    def unreadable(_email: str) -> ConnectWiseKeys | None:
        raise KeysUnreadable("stored ConnectWise keys cannot be decrypted with this key")

    async def call_next(_ctx: Any) -> str:
        raise AssertionError("the call must not run")

    async with ProviderPool(base) as pool:
        kim = Identity(user="kim@example.com", member="kbrooks", via="tokens")
        result = await ActingMember(keys_for=unreadable)(tool_call(kim, pool), call_next)
    assert result.is_error and result.content[0].text.startswith("your ConnectWise keys could not be read")


# ---- end to end: the HTTP service ---------------------------------------------------------------------------------


@dataclass
class Service:
    url: str
    tokens: dict[str, str]


TECHNICIANS = [  # (email, member, own keys)
    ("kevin.brooks@example.com", "kbrooks", True),
    ("alicia.nguyen@example.com", "anguyen", True),
    ("sofia.reyes@example.com", "sreyes", False),
]


@pytest.fixture(scope="module")
def service(sandbox: Any, base: ConnectWiseSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`serve --transport http` with bearer tokens on this module's sandbox; technicians added with the key store
    API (the same store `psa-copilot users add` and `users set-keys` write)."""
    data = tmp_path_factory.mktemp("service")
    with pytest.MonkeyPatch.context() as env:
        env.delenv("COPILOT_SECRET_KEY", raising=False)  # the key file in the data folder, as the server reads it
        technicians = Technicians(TechnicianStore(data / "copilot.db"))
        tokens = {}
        for email, member, own_keys in TECHNICIANS:
            _, token = technicians.add(email, member, with_token=True)
            assert token is not None
            tokens[email] = token
            if own_keys:
                technicians.set_keys(email, f"{member}-public", f"{member}-private")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_"))}
    environment.update(
        COPILOT_DATA_DIR=str(data), COPILOT_AUTH="tokens", COPILOT_TOOLSETS="tickets", COPILOT_LOG_LEVEL="WARNING",
        CW_SITE=sandbox.url, CW_COMPANY_ID=base.company_id, CW_PUBLIC_KEY=base.public_key,
        CW_PRIVATE_KEY=base.private_key.get_secret_value(), CW_CLIENT_ID=base.client_id,
    )
    with serving_http(data, environment) as url:
        yield Service(url, tokens)

class Human:
    """Accepts every write, once `together` people have been asked: with two, both calls are in flight (each
    holding its own provider) before either writes."""

    def __init__(self, together: anyio.Event | None = None) -> None:
        self.together = together
        self.asked: list[str] = []

    async def __call__(self, _ctx: Any, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        if self.together is not None:
            await self.together.wait()
        return ElicitResult(action="accept", content={"confirm": True})


@asynccontextmanager
async def client_for(service: Service, email: str, human: Human) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {service.tokens[email]}"}
    # The transport does not close a client it was given: close it here, on this test's loop.
    async with create_mcp_http_client(headers=headers) as http:
        async with Client(streamable_http_client(service.url, http_client=http), elicitation_callback=human) as client:
            yield client


async def add_note(service: Service, email: str, ticket_id: int, text: str, human: Human) -> None:
    async with client_for(service, email, human) as client:
        result = await client.call_tool("add_ticket_note", {"ticket_id": ticket_id, "text": text})
        assert not result.is_error, result.content
        assert result.structured_content["status"] == "written"


async def test_a_technician_with_keys_writes_as_their_member(
    service: Service, base: ConnectWiseSettings, ticket_ids: Iterator[int]
) -> None:
    ticket_id = next(ticket_ids)
    human = Human()
    with anyio.fail_after(120):
        await add_note(service, "kevin.brooks@example.com", ticket_id, "Kevin: replaced the toner.", human)
    assert len(human.asked) == 1
    note = note_by_text(base, ticket_id, "Kevin: replaced the toner.")
    assert (note["createdBy"], note["member"]["identifier"], note["_info"]["enteredBy"]) == ("kbrooks",) * 3


async def test_a_technician_without_keys_writes_as_the_api_member(
    service: Service, base: ConnectWiseSettings, ticket_ids: Iterator[int]
) -> None:
    ticket_id = next(ticket_ids)
    with anyio.fail_after(120):
        await add_note(service, "sofia.reyes@example.com", ticket_id, "Sofia: checked the switch.", Human())
    note = note_by_text(base, ticket_id, "Sofia: checked the switch.")
    assert (note["createdBy"], note.get("member")) == (API_MEMBER, None)


async def test_two_technicians_at_once_each_write_with_their_own_keys(
    service: Service, base: ConnectWiseSettings, ticket_ids: Iterator[int]
) -> None:
    ticket_id = next(ticket_ids)
    both_asked = anyio.Event()
    kevin, alicia = Human(both_asked), Human(both_asked)

    async def release_when_both_asked() -> None:
        while not (kevin.asked and alicia.asked):
            await anyio.sleep(0.05)
        both_asked.set()

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            tg.start_soon(release_when_both_asked)
            tg.start_soon(add_note, service, "kevin.brooks@example.com", ticket_id, "Kevin: at once.", kevin)
            tg.start_soon(add_note, service, "alicia.nguyen@example.com", ticket_id, "Alicia: at once.", alicia)
    kevins, alicias = (note_by_text(base, ticket_id, text) for text in ("Kevin: at once.", "Alicia: at once."))
    assert (kevins["createdBy"], kevins["member"]["identifier"]) == ("kbrooks", "kbrooks")
    assert (alicias["createdBy"], alicias["member"]["identifier"]) == ("anguyen", "anguyen")
