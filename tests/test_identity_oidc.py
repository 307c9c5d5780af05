"""OIDC access-token verification against a real issuer on loopback (tests/oidc_issuer.py): what is accepted,
each refusal and its reason, how often the issuer is asked for its keys, and the OIDC settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import pytest

from identity.oidc import (
    InvalidToken,
    IssuerUnavailable,
    OidcSettings,
    OidcVerifier,
    check_oidc_env,
    protected_resource_metadata,
)
from settings import ConfigError
from oidc_issuer import AUDIENCE, DISCOVERY_PATH, JWKS_PATH, OidcIssuer, new_key, unused_url

pytestmark = pytest.mark.anyio


class Clock:
    """Monotonic seconds that move only when a test says so (the verifier's key-cache clock)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def issuer() -> Iterator[OidcIssuer]:
    with OidcIssuer() as running:
        yield running


@pytest.fixture
def fresh_issuer() -> Iterator[OidcIssuer]:
    """An issuer of its own, for tests that rotate keys, take it down or count its requests."""
    with OidcIssuer() as running:
        yield running


@pytest.fixture(scope="module")
def stranger() -> object:
    """A key the issuer never published, for tokens under made-up kids (made once: RSA keys are slow to make)."""
    return new_key("stranger")


@pytest.fixture
async def verifier(issuer: OidcIssuer) -> AsyncIterator[OidcVerifier]:
    verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE))
    yield verifier
    await verifier.aclose()


async def refused(verifier: OidcVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as caught:
        await verifier.verify(token)
    reason = caught.value.reason
    assert (not token or token not in reason) and '"' not in reason and "\n" not in reason
    return reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forged(header: dict[str, object], claims: dict[str, object], secret: bytes | None) -> str:
    """What an attacker sends: `alg: none` (no signature), or HS256 keyed with something public."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{_b64(signature)}"


def claims_for(issuer: OidcIssuer) -> dict[str, object]:
    now = int(time.time())
    return {"iss": issuer.url, "aud": AUDIENCE, "email": "mallory@example.com", "iat": now, "exp": now + 300}


# ---- accepted -----------------------------------------------------------------------------------------------------


async def test_a_valid_token_names_the_technician_by_email_lower_cased(issuer: OidcIssuer,
                                                                      verifier: OidcVerifier) -> None:
    assert await verifier.verify(issuer.issue({"email": "Kim.Brooks@Example.COM"})) == "kim.brooks@example.com"


async def test_without_email_preferred_username_then_upn_name_the_technician(issuer: OidcIssuer,
                                                                            verifier: OidcVerifier) -> None:
    both = issuer.issue({"email": None, "preferred_username": "Ana@Example.com", "upn": "other@example.com"})
    assert await verifier.verify(both) == "ana@example.com"
    assert await verifier.verify(issuer.issue({"email": None, "upn": "Raj@Example.com"})) == "raj@example.com"
    # Keycloak's default preferred_username is a bare login name, which cannot name a technician.
    login = issuer.issue({"email": None, "preferred_username": "kbrooks", "upn": "kb@example.com"})
    assert await verifier.verify(login) == "kb@example.com"


async def test_a_token_without_any_email_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    reason = await refused(verifier, issuer.issue({"email": None, "preferred_username": "kbrooks"}))
    assert "names no technician" in reason


async def test_an_email_the_issuer_has_not_verified_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    assert "not verified" in await refused(verifier, issuer.issue({"email_verified": False}))
    assert await verifier.verify(issuer.issue({"email_verified": True})) == "kim.brooks@example.com"


async def test_an_audience_list_accepts_any_of_its_audiences(issuer: OidcIssuer) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=f"api://other, {AUDIENCE}"))
    try:
        assert await verifier.verify(issuer.issue({"aud": ["some-client", AUDIENCE]})) == "kim.brooks@example.com"
    finally:
        await verifier.aclose()


async def test_a_few_seconds_of_clock_skew_are_allowed(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    now = int(time.time())
    assert await verifier.verify(issuer.issue({"exp": now - 5, "nbf": now + 5, "iat": now + 5}))


async def test_a_key_published_without_alg_verifies_tokens_of_its_type(fresh_issuer: OidcIssuer) -> None:
    kid = fresh_issuer.rotate(declare_alg=False)  # Entra ID publishes its keys without `alg`
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE))
    try:
        assert await verifier.verify(fresh_issuer.issue(kid=kid, alg="PS256")) == "kim.brooks@example.com"
        assert await verifier.verify(fresh_issuer.issue(kid=kid, alg="RS256")) == "kim.brooks@example.com"
        # k1 declares RS256: a PS256 token under its kid is refused rather than checked another way.
        assert "not its key's" in await refused(verifier, fresh_issuer.issue(kid="k1", alg="PS256"))
    finally:
        await verifier.aclose()


# ---- refused ------------------------------------------------------------------------------------------------------


async def test_a_signature_by_another_key_under_a_published_kid_is_refused(issuer: OidcIssuer,
                                                                          verifier: OidcVerifier) -> None:
    token = issuer.issue(kid="k1", signing_key=new_key("k1"))
    assert "signature does not match" in await refused(verifier, token)


async def test_another_issuer_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    assert "another issuer" in await refused(verifier, issuer.issue({"iss": "https://evil.example.com"}))


async def test_another_audience_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    assert "another audience" in await refused(verifier, issuer.issue({"aud": "api://some-other-api"}))


async def test_an_expired_token_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    assert "expired" in await refused(verifier, issuer.issue({"exp": int(time.time()) - 600}))


async def test_a_token_not_valid_yet_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    assert "not valid yet" in await refused(verifier, issuer.issue({"nbf": int(time.time()) + 600}))


@pytest.mark.parametrize("claim", ["exp", "iss", "aud"])
async def test_a_token_missing_a_required_claim_is_refused(claim: str, issuer: OidcIssuer,
                                                           verifier: OidcVerifier) -> None:
    assert f"no '{claim}' claim" in await refused(verifier, issuer.issue({claim: None}))


async def test_alg_none_is_refused_before_any_key_is_fetched(fresh_issuer: OidcIssuer) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE))
    try:
        for header_alg in ("none", "None"):
            token = forged({"alg": header_alg, "kid": "k1"}, claims_for(fresh_issuer), None)
            assert f"algorithm '{header_alg}' is not accepted" in await refused(verifier, token)
        assert fresh_issuer.requests == []
    finally:
        await verifier.aclose()


async def test_hs256_keyed_with_the_public_key_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    token = forged({"alg": "HS256", "kid": "k1", "typ": "JWT"}, claims_for(issuer), issuer.public_pem("k1"))
    assert "'HS256' is not accepted: only asymmetric" in await refused(verifier, token)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "x" * 20_000])
async def test_what_is_not_a_jwt_is_refused(token: str, verifier: OidcVerifier) -> None:
    assert "bearer token" in await refused(verifier, token)


async def test_a_token_without_kid_is_refused(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    token = forged({"alg": "RS256"}, claims_for(issuer), None)
    assert "no kid" in await refused(verifier, token)


async def test_a_kid_the_attacker_wrote_is_never_echoed(issuer: OidcIssuer, verifier: OidcVerifier) -> None:
    token = issuer.issue(kid='x"\r\nSet-Cookie: a=b', signing_key=new_key("other"))
    reason = await refused(verifier, token)
    assert "unknown kid" in reason and "Set-Cookie" not in reason


# ---- keys: rotation, caching, refetch limits ----------------------------------------------------------------------


async def test_a_rotated_in_key_is_fetched_once_and_old_tokens_keep_working(fresh_issuer: OidcIssuer) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE), clock=Clock())
    try:
        old = fresh_issuer.issue()
        assert await verifier.verify(old)
        fresh_issuer.rotate("k2")
        new = fresh_issuer.issue()
        for _ in range(3):
            assert await verifier.verify(new) == "kim.brooks@example.com"
        assert await verifier.verify(old)
        assert (fresh_issuer.count(DISCOVERY_PATH), fresh_issuer.count(JWKS_PATH)) == (1, 2)
    finally:
        await verifier.aclose()


async def test_unknown_kids_cost_at_most_one_key_fetch_per_interval(fresh_issuer: OidcIssuer,
                                                                     stranger: object) -> None:
    clock = Clock()
    settings = OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE, refetch_interval_seconds=60)
    verifier = OidcVerifier(settings, clock=clock)
    try:
        for n in range(20):
            token = fresh_issuer.issue(kid=f"made-up-{n}", signing_key=stranger)
            assert "unknown kid" in await refused(verifier, token)
        assert fresh_issuer.count(JWKS_PATH) == 1
        assert await verifier.verify(fresh_issuer.issue())  # a known kid never waits on the limit
        clock.now += 61
        fresh_issuer.rotate("k2")
        assert await verifier.verify(fresh_issuer.issue())
        assert await refused(verifier, fresh_issuer.issue(kid="made-up", signing_key=stranger))
        assert fresh_issuer.count(JWKS_PATH) == 2
    finally:
        await verifier.aclose()


async def test_a_warm_cache_refetches_once_for_a_flood_of_unknown_kids(fresh_issuer: OidcIssuer,
                                                                       stranger: object) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE), clock=Clock())
    try:
        assert await verifier.verify(fresh_issuer.issue())
        for n in range(20):
            await refused(verifier, fresh_issuer.issue(kid=f"made-up-{n}", signing_key=stranger))
        assert fresh_issuer.count(JWKS_PATH) == 2
    finally:
        await verifier.aclose()


async def test_concurrent_first_sign_ins_share_one_discovery_and_one_key_fetch(fresh_issuer: OidcIssuer) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE))
    token = fresh_issuer.issue()
    emails: list[str] = []

    async def sign_in() -> None:
        emails.append(await verifier.verify(token))

    try:
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(sign_in)
        assert emails == ["kim.brooks@example.com"] * 10
        assert (fresh_issuer.count(DISCOVERY_PATH), fresh_issuer.count(JWKS_PATH)) == (1, 1)
    finally:
        await verifier.aclose()


async def test_a_withdrawn_key_stops_verifying_once_the_key_set_ages_out(fresh_issuer: OidcIssuer) -> None:
    clock = Clock()
    settings = OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE, keys_max_age_seconds=3600)
    verifier = OidcVerifier(settings, clock=clock)
    try:
        old = fresh_issuer.issue()
        assert await verifier.verify(old)
        fresh_issuer.rotate("k2")
        fresh_issuer.withdraw("k1")
        assert await verifier.verify(old)  # still cached
        clock.now += 3601
        assert "unknown kid" in await refused(verifier, old)
        assert await verifier.verify(fresh_issuer.issue())
    finally:
        await verifier.aclose()


async def test_keys_already_held_outlive_an_issuer_outage(fresh_issuer: OidcIssuer) -> None:
    clock = Clock()
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE), clock=clock)
    try:
        token = fresh_issuer.issue()
        assert await verifier.verify(token)
        fresh_issuer.down = True
        clock.now += 7200
        assert await verifier.verify(token)
        assert await verifier.verify(token)  # the failed refetch is not retried on every request
        assert fresh_issuer.count(JWKS_PATH) == 2
        fresh_issuer.down = False
        clock.now += 61
        assert await verifier.verify(token)
        assert fresh_issuer.count(JWKS_PATH) == 3
    finally:
        await verifier.aclose()


# ---- the issuer itself ----------------------------------------------------------------------------------------------


async def test_an_unreachable_issuer_refuses_with_a_clear_reason() -> None:
    url = unused_url()
    verifier = OidcVerifier(OidcSettings(issuer=url, audience=AUDIENCE))
    with OidcIssuer() as elsewhere:
        token = elsewhere.issue({"iss": url})
    try:
        with pytest.raises(IssuerUnavailable) as caught:
            await verifier.verify(token)
        assert caught.value.reason.startswith("the sign-in issuer cannot be reached")
        assert url in caught.value.reason and token not in caught.value.reason
    finally:
        await verifier.aclose()


async def test_an_issuer_that_answers_an_error_is_unavailable_then_recovers(fresh_issuer: OidcIssuer) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE))
    try:
        fresh_issuer.down = True
        with pytest.raises(IssuerUnavailable, match="answered HTTP 503"):
            await verifier.verify(fresh_issuer.issue())
        fresh_issuer.down = False
        assert await verifier.verify(fresh_issuer.issue()) == "kim.brooks@example.com"
    finally:
        await verifier.aclose()


async def test_concurrent_sign_ins_share_one_failed_fetch(fresh_issuer: OidcIssuer) -> None:
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE))
    token = fresh_issuer.issue()
    reasons: list[str] = []

    async def sign_in() -> None:
        with pytest.raises(IssuerUnavailable) as caught:
            await verifier.verify(token)
        reasons.append(caught.value.reason)

    fresh_issuer.down = True
    try:
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(sign_in)
        assert len(reasons) == 10 and len(set(reasons)) == 1
        assert fresh_issuer.count(DISCOVERY_PATH) == 1
    finally:
        await verifier.aclose()


async def test_a_discovery_document_for_another_issuer_is_not_used(fresh_issuer: OidcIssuer) -> None:
    fresh_issuer.discovery_issuer = "https://login.example.com/another-tenant/v2.0"
    verifier = OidcVerifier(OidcSettings(issuer=fresh_issuer.url, audience=AUDIENCE))
    try:
        with pytest.raises(IssuerUnavailable, match="another-tenant"):
            await verifier.verify(fresh_issuer.issue())
        assert fresh_issuer.count(JWKS_PATH) == 0
    finally:
        await verifier.aclose()


async def test_a_given_http_client_is_used_and_left_open(issuer: OidcIssuer) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        verifier = OidcVerifier(OidcSettings(issuer=issuer.url, audience=AUDIENCE), http)
        assert await verifier.verify(issuer.issue())
        await verifier.aclose()
        assert not http.is_closed


# ---- settings and metadata ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "named"), [
    ({"COPILOT_OIDC_AUDIENCE": AUDIENCE}, "COPILOT_OIDC_ISSUER"),
    ({"COPILOT_OIDC_ISSUER": "https://idp.example.com", "COPILOT_OIDC_AUDIENCE": " "}, "COPILOT_OIDC_AUDIENCE"),
    ({"COPILOT_OIDC_ISSUER": "https://idp.example.com", "COPILOT_OIDC_AUDIENCE": ","}, "COPILOT_OIDC_AUDIENCE"),
    ({"COPILOT_OIDC_ISSUER": "ftp://idp.example.com", "COPILOT_OIDC_AUDIENCE": AUDIENCE}, "COPILOT_OIDC_ISSUER"),
    ({"COPILOT_OIDC_ISSUER": "idp.example.com", "COPILOT_OIDC_AUDIENCE": AUDIENCE}, "COPILOT_OIDC_ISSUER"),
    ({"COPILOT_OIDC_ISSUER": "https://", "COPILOT_OIDC_AUDIENCE": AUDIENCE}, "COPILOT_OIDC_ISSUER"),
    ({"COPILOT_OIDC_ISSUER": "https://idp.example.com", "COPILOT_OIDC_AUDIENCE": AUDIENCE,
      "COPILOT_OIDC_SCOPES": 'api://x/"quoted"'}, "COPILOT_OIDC_SCOPES"),
])
def test_bad_oidc_settings_are_one_line_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_oidc_env({"COPILOT_AUTH": "oidc", **env})
    assert named in str(caught.value) and "\n" not in str(caught.value)


def test_good_oidc_settings_are_checked_without_the_network() -> None:
    env = {"COPILOT_OIDC_ISSUER": unused_url() + "/realms/msp/", "COPILOT_OIDC_AUDIENCE": "api://a, api://b",
           "COPILOT_OIDC_SCOPES": "api://a/access_as_user, offline_access openid"}
    check_oidc_env(env)
    settings = OidcSettings.from_env(env)
    assert settings.issuer.endswith("/realms/msp/")  # kept as tokens spell it
    assert settings.discovery_url.endswith("/realms/msp/.well-known/openid-configuration")
    assert settings.audiences == ("api://a", "api://b")
    assert settings.scopes == ("api://a/access_as_user", "offline_access", "openid")


def test_protected_resource_metadata_points_clients_at_the_issuer() -> None:
    assert protected_resource_metadata("https://copilot.example.com/mcp", "https://idp.example.com") == {
        "resource": "https://copilot.example.com/mcp",
        "authorization_servers": ["https://idp.example.com"],
        "bearer_methods_supported": ["header"],
    }
    with_scope = protected_resource_metadata("https://c.example.com/mcp", "https://idp.example.com", ("api://c/use",))
    assert with_scope["scopes_supported"] == ["api://c/use"]
