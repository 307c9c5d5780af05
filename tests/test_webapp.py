"""The HTTP service as a team service: `psa-copilot serve --transport http` in a real child process, spoken to
over real HTTP (httpx for the raw statuses, the MCP SDK's streamable HTTP client for the tools).

Host and Origin on a 127.0.0.2 bind, COPILOT_AUTH=none refused off loopback, /health open, bearer tokens
(401 / 200), and identity in the audit trail: a technician's write is audited with their email and member,
and a two-step token issued to one technician is refused for another.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from cli import main
from http_serving import ROOT, serving_http
from storage.audit import AuditLog

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "COPILOT_", "OPENAI_"))}
    env.update(
        COPILOT_DATA_DIR=str(data_dir),
        COPILOT_SANDBOX_TICKETS="30",
        COPILOT_TOOLSETS="tickets,directory",
        COPILOT_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


@contextmanager
def serving(data_dir: Path, host: str = "127.0.0.1", **extra: str) -> Iterator[str]:
    with serving_http(data_dir, server_env(data_dir, **extra), host) as url:
        yield url


def add_technician(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   email: str, member: str) -> str:
    """`psa-copilot users add` in tokens mode; the token it prints last."""
    for key, value in server_env(data_dir, COPILOT_AUTH="tokens").items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["users", "add", email, "--member", member]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


@asynccontextmanager
async def mcp_client(url: str, token: str | None = None, **client_args: Any) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    # The transport does not close a client it was given: close it here, on this test's loop.
    async with create_mcp_http_client(headers=headers) as http:
        async with Client(streamable_http_client(url, http_client=http), **client_args) as client:
            yield client


# ---- binding and transport security -------------------------------------------------------------------------


def test_no_auth_off_loopback_is_refused_at_start(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "0"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "COPILOT_AUTH" in lines[0], proc.stderr
    assert proc.stdout == ""


def test_host_and_origin_are_checked_on_a_127_0_0_2_bind(tmp_path: Path) -> None:
    with serving(tmp_path, host="127.0.0.2") as url:
        base = url.removesuffix("/mcp")
        with httpx.Client(timeout=30) as http:
            assert http.post(url, json=INIT, headers={**MCP_HEADERS, "Host": "evil.example"}).status_code == 421
            foreign = {**MCP_HEADERS, "Origin": "http://evil.example"}
            assert http.post(url, json=INIT, headers=foreign).status_code == 403
            assert http.post(url, json=INIT, headers=MCP_HEADERS).status_code == 200
            health = http.get(f"{base}/health", headers={"Host": "whatever.example"})
            assert (health.status_code, health.json()) == (200, {"status": "ok"})


# ---- bearer tokens ----------------------------------------------------------------------------------------------


def test_tokens_mode_401_without_or_with_a_bad_token_200_with_a_technicians(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = add_technician(tmp_path, monkeypatch, capsys, "kim.brooks@example.com", "kbrooks")
    with serving(tmp_path, COPILOT_AUTH="tokens") as url:
        base = url.removesuffix("/mcp")
        with httpx.Client(timeout=30) as http:
            missing = http.post(url, json=INIT, headers=MCP_HEADERS)
            assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer ")
            bad = http.post(url, json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer psa_not-a-token"})
            assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
            assert "psa_not-a-token" not in bad.text
            assert http.get(f"{base}/health").status_code == 200
            ok = http.post(url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
            assert ok.status_code == 200


@pytest.mark.anyio
async def test_a_technicians_write_is_audited_with_their_email_and_member_and_tokens_stay_theirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kim = add_technician(tmp_path, monkeypatch, capsys, "kim.brooks@example.com", "kbrooks")
    sam = add_technician(tmp_path, monkeypatch, capsys, "sam.ortiz@example.com", "sortiz")
    with serving(tmp_path, COPILOT_AUTH="tokens", COPILOT_WRITE_MODE="two_step") as url:
        with anyio.fail_after(120):
            async with mcp_client(url, kim) as as_kim, mcp_client(url, sam) as as_sam:
                found = await as_kim.call_tool("search_tickets", {"page_size": 1})
                ticket_id = found.structured_content["items"][0]["id"]
                preview = await as_kim.call_tool("add_ticket_note", {"ticket_id": ticket_id, "text": "Kim's note."})
                token = preview.structured_content["token"]
                stolen = await as_sam.call_tool("confirm_write", {"token": token})
                assert stolen.is_error and "another technician" in stolen.content[0].text
                confirmed = await as_kim.call_tool("confirm_write", {"token": token})
                assert confirmed.structured_content["status"] == "written"
    rows = AuditLog(tmp_path / "audit.db").entries()
    by_outcome = {(r.outcome, r.confirmation): r for r in rows}
    written = by_outcome[("written", "token")]
    assert (written.user, written.member) == ("kim.brooks@example.com", "kbrooks")
    refused = by_outcome[("refused", "token_foreign")]
    assert (refused.user, refused.member) == ("sam.ortiz@example.com", "sortiz")
    capsys.readouterr()
    assert main(["audit", "--json"]) == 0
    assert '"user": "kim.brooks@example.com"' in capsys.readouterr().out


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "192.168.1.20", "copilot.example.com"])
def test_no_auth_is_allowed_only_on_loopback(host: str) -> None:
    from settings import ConfigError
    from webapp.settings import HttpSettings

    with pytest.raises(ConfigError, match="COPILOT_AUTH"):
        HttpSettings.from_env(host, {})
    assert HttpSettings.from_env(host, {"COPILOT_AUTH": "tokens"}).auth == "tokens"
    for loopback in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert HttpSettings.from_env(loopback, {}).auth == "none"


def test_allowed_hosts_and_origins_add_to_the_loopback_names() -> None:
    from settings import ConfigError
    from webapp.settings import HttpSettings

    http = HttpSettings.from_env(
        "0.0.0.0",
        {
            "COPILOT_AUTH": "tokens",
            "COPILOT_ALLOWED_HOSTS": "copilot.example.com, [fe80::1]:8443",
            "COPILOT_ALLOWED_ORIGINS": "https://copilot.example.com",
        },
    )
    assert {"copilot.example.com", "copilot.example.com:*", "[fe80::1]:8443", "127.0.0.1:*"} <= set(http.allowed_hosts)
    assert "0.0.0.0" not in http.allowed_hosts  # a wildcard bind is not a name anyone browses to
    assert "https://copilot.example.com" in http.allowed_origins
    with pytest.raises(ConfigError, match="COPILOT_ALLOWED_ORIGINS"):
        HttpSettings.from_env("127.0.0.1", {"COPILOT_ALLOWED_ORIGINS": "copilot.example.com"})
    with pytest.raises(ConfigError, match="COPILOT_AUTH"):
        HttpSettings.from_env("127.0.0.1", {"COPILOT_AUTH": "basic"})


@pytest.mark.anyio
async def test_one_technicians_confirmation_never_answers_anothers_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two authenticated sessions at once, elicit mode: each human answers only their own preview, and Kim's
    question token (2026-07-28 request_state) carried by Sam with a yes writes nothing."""
    from mcp_types import ElicitResult, InputRequiredResult

    kim = add_technician(tmp_path, monkeypatch, capsys, "kim.brooks@example.com", "kbrooks")
    sam = add_technician(tmp_path, monkeypatch, capsys, "sam.ortiz@example.com", "sortiz")
    asked: dict[str, list[str]] = {"kim": [], "sam": []}

    def human(name: str, yes: bool) -> Any:
        async def answer(_ctx: Any, params: Any) -> ElicitResult:
            asked[name].append(params.message)
            await anyio.sleep(0.2)  # both questions are out at the same time
            return ElicitResult(action="accept", content={"confirm": True}) if yes else ElicitResult(action="decline")

        return answer

    with serving(tmp_path, COPILOT_AUTH="tokens") as url:
        with anyio.fail_after(180):
            async with (
                mcp_client(url, kim, elicitation_callback=human("kim", True)) as as_kim,
                mcp_client(url, sam, elicitation_callback=human("sam", False)) as as_sam,
            ):
                found = await as_kim.call_tool("search_tickets", {"page_size": 2})
                first, second = (t["id"] for t in found.structured_content["items"])
                results: dict[str, Any] = {}

                async def write(name: str, client: Client, ticket_id: int) -> None:
                    args = {"ticket_id": ticket_id, "text": f"{name} was here."}
                    results[name] = await client.call_tool("add_ticket_note", args)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(write, "kim", as_kim, first)
                    tg.start_soon(write, "sam", as_sam, second)
                assert results["kim"].structured_content["status"] == "written"
                assert results["sam"].structured_content["status"] == "not_written"
                assert [f"#{first}" in m for m in asked["kim"]] == [True]
                assert [f"#{second}" in m for m in asked["sam"]] == [True]

                args = {"ticket_id": first, "text": "Kim's second note."}
                question = await as_kim.session.call_tool("add_ticket_note", args, allow_input_required=True)
                assert isinstance(question, InputRequiredResult)
                yes = {"confirm_write": ElicitResult(action="accept", content={"confirm": True})}
                stolen = await as_sam.session.call_tool(
                    "add_ticket_note", args, input_responses=yes, request_state=question.request_state,
                    allow_input_required=True,
                )
                assert stolen.structured_content["status"] == "not_written"
    rows = AuditLog(tmp_path / "audit.db").entries()
    assert {(r.user, r.outcome) for r in rows if r.outcome == "written"} == {("kim.brooks@example.com", "written")}


# ---- OIDC ---------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_oidc_mode_401_403_200_and_the_protected_resource_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from oidc_issuer import AUDIENCE, OidcIssuer

    add_technician(tmp_path, monkeypatch, capsys, "kim.brooks@example.com", "kbrooks")
    with OidcIssuer() as issuer:
        oidc = {"COPILOT_AUTH": "oidc", "COPILOT_OIDC_ISSUER": issuer.url, "COPILOT_OIDC_AUDIENCE": AUDIENCE}
        with serving(tmp_path, **oidc) as url:
            base = url.removesuffix("/mcp")
            with httpx.Client(timeout=30) as http:
                missing = http.post(url, json=INIT, headers=MCP_HEADERS)
                assert missing.status_code == 401
                challenge = missing.headers["www-authenticate"]
                assert challenge.startswith("Bearer ") and "resource_metadata=" in challenge
                metadata_url = re.search(r'resource_metadata="([^"]+)"', challenge).group(1)  # type: ignore[union-attr]
                metadata = http.get(metadata_url).json()
                assert metadata["resource"] == url and metadata["authorization_servers"] == [issuer.url]

                def post(token: str) -> httpx.Response:
                    return http.post(url, json=INIT, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})

                assert post(issuer.issue({"aud": "someone-else"})).status_code == 401
                assert post(issuer.issue(expires_in=-600)).status_code == 401
                stranger = post(issuer.issue({"email": "stranger@example.com"}))
                assert stranger.status_code == 403 and "not a technician" in stranger.text
                assert post(issuer.issue({"email": "Kim.Brooks@example.com"})).status_code == 200
                assert http.get(f"{base}/health").status_code == 200
            with anyio.fail_after(120):
                async with mcp_client(url, issuer.issue({"email": "kim.brooks@example.com"})) as client:
                    listed = {t.name for t in (await client.list_tools()).tools}
                    assert "search_tickets" in listed
