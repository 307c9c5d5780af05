"""OIDC sign-in for COPILOT_AUTH=oidc: access tokens are JWTs from the team's identity provider, verified
against the keys it publishes; the technician is the email address the token carries.

What a token must pass: an asymmetric signature (ASYMMETRIC_ALGORITHMS; never `none` or HS*, whose "key" would
be public) by a key of the issuer's JWKS, found through `{issuer}/.well-known/openid-configuration`; `iss`
equal to COPILOT_OIDC_ISSUER; `aud` naming COPILOT_OIDC_AUDIENCE; `exp` in the future; `nbf` and `iat`, when
present, in the past; each time allowing LEEWAY_SECONDS of clock skew between the issuer and this server.

Keys: discovery and the first key fetch happen on the first verify, so the server starts while the issuer is
unreachable. A kid the cached set lacks triggers one refetch (that is how a rotated-in key is learnt), but
after a fetch that still lacked a kid no kid-driven refetch happens for `refetch_interval_seconds`: a flood of
tokens with made-up kids costs the issuer one request per interval. The whole set is refetched after
`keys_max_age_seconds`, so a key the issuer withdrew stops being trusted; if the issuer is down then, the keys
already held are kept (rather than refusing every sign-in) and the refetch is retried after the interval.

Failures are InvalidToken with a one-line reason fit for `WWW-Authenticate: Bearer error="invalid_token",
error_description="..."` (never the token itself); IssuerUnavailable, its subclass, says the issuer could not be
used at all, which is the server's problem rather than the token's (503, not 401).
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from settings import ConfigError

ISSUER_ENV = "COPILOT_OIDC_ISSUER"
AUDIENCE_ENV = "COPILOT_OIDC_AUDIENCE"
SCOPES_ENV = "COPILOT_OIDC_SCOPES"
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 30.0
IDENTITY_CLAIMS = ("email", "preferred_username", "upn")
"""Where the technician's email is read: the first holding an address wins (Entra v2 access tokens often lack
`email`; Keycloak's preferred_username is a login name unless it is an address)."""

# No client sends a bearer token this long (servers cap header size near 8-16 KB); refusing it early keeps a
# junk header from reaching the JSON parser.
_MAX_TOKEN_CHARS = 16_384
_SIGNING_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})
# RFC 6749 section 3.3 scope-token: printable ASCII but `"` and `\`, so a scope can go into a quoted header.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_SHOWN_NAME = re.compile(r"[A-Za-z0-9+_.-]{1,64}")
_EXAMPLE_ISSUER = "https://login.microsoftonline.com/<tenant-id>/v2.0"

log = logging.getLogger("psa_copilot.identity")


class InvalidToken(Exception):
    """A refused token. `reason` is one printable-ASCII line without `"` or `\\`, so it can sit inside a quoted
    header parameter as is."""

    def __init__(self, reason: str) -> None:
        line = " ".join(reason.split()).replace('"', "'").replace("\\", "/")
        self.reason = line.encode("ascii", "replace").decode("ascii")
        super().__init__(self.reason)


class IssuerUnavailable(InvalidToken):
    """The issuer's discovery document or keys could not be fetched or read: nothing the client can fix by
    signing in again."""


class OidcSettings(BaseModel):
    """COPILOT_OIDC_ISSUER, COPILOT_OIDC_AUDIENCE, COPILOT_OIDC_SCOPES, and the verifier's timings (the defaults
    suit production; tests shorten them)."""

    model_config = ConfigDict(frozen=True)

    issuer: str = Field(description="The issuer URL exactly as tokens spell `iss` (a trailing slash counts).")
    audience: str = Field(description="The `aud` access tokens carry for this server; a comma list accepts any.")
    leeway_seconds: float = Field(LEEWAY_SECONDS, ge=0, le=300, description="Clock skew allowed on exp/nbf/iat.")
    refetch_interval_seconds: float = Field(60.0, gt=0, description="Least time between kid-driven refetches.")
    keys_max_age_seconds: float = Field(3600.0, gt=0, description="Refetch the key set once it is this old.")
    scopes: tuple[str, ...] = Field((), description="Advertised to MCP clients so they ask the issuer for a "
                                    "token for this server (Entra needs api://.../scope); not checked in tokens.")
    timeout_seconds: float = Field(10.0, gt=0, description="Per request to the issuer (connect, read, write).")

    @field_validator("issuer")
    @classmethod
    def _http_url(cls, issuer: str) -> str:
        issuer = issuer.strip()
        try:
            parts = urlsplit(issuer)
            valid = (parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query
                     and not parts.fragment and not any(char.isspace() for char in issuer))
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(f"{ISSUER_ENV}={issuer!r} is not an http(s) URL: set it to your issuer's URL, "
                             f"e.g. {_EXAMPLE_ISSUER}")
        return issuer

    @field_validator("audience")
    @classmethod
    def _some_audience(cls, audience: str) -> str:
        if not _split(audience):
            raise ValueError(f"{AUDIENCE_ENV}={audience!r} names no audience: set it to the audience your issuer "
                             "puts in access tokens for this server, e.g. api://psa-copilot")
        return audience.strip()

    @field_validator("scopes")
    @classmethod
    def _scope_tokens(cls, scopes: tuple[str, ...]) -> tuple[str, ...]:
        for scope in scopes:
            if not _SCOPE_TOKEN.fullmatch(scope):
                raise ValueError(f"{SCOPES_ENV} holds {scope!r}, which is not an OAuth scope: list scopes "
                                 "separated by spaces or commas, e.g. api://psa-copilot/access_as_user")
        return scopes

    @property
    def audiences(self) -> tuple[str, ...]:
        return _split(self.audience)

    @property
    def discovery_url(self) -> str:
        # OpenID Connect Discovery 1.0, section 4: drop a terminating "/" before appending the well-known path.
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OidcSettings:
        """Read COPILOT_OIDC_ISSUER, COPILOT_OIDC_AUDIENCE and the optional COPILOT_OIDC_SCOPES (spaces or
        commas between scopes); ConfigError (one line naming the variable) when one is missing or bad."""
        source = os.environ if env is None else env
        issuer = (source.get(ISSUER_ENV) or "").strip()
        audience = (source.get(AUDIENCE_ENV) or "").strip()
        if not issuer:
            raise ConfigError(f"COPILOT_AUTH=oidc needs {ISSUER_ENV}: set it to your issuer's URL, "
                              f"e.g. {_EXAMPLE_ISSUER} (docs/deployment.md)")
        if not audience:
            raise ConfigError(f"COPILOT_AUTH=oidc needs {AUDIENCE_ENV}: set it to the audience your issuer puts "
                              "in access tokens for this server, e.g. api://psa-copilot (docs/deployment.md)")
        try:
            return cls(issuer=issuer, audience=audience, scopes=_split(source.get(SCOPES_ENV) or "", " ,"))
        except ValidationError as exc:
            raise ConfigError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None


def check_oidc_env(env: Mapping[str, str] | None = None) -> None:
    """What COPILOT_AUTH=oidc would refuse at start, as ConfigError: a missing COPILOT_OIDC_ISSUER or
    COPILOT_OIDC_AUDIENCE, an issuer that is not an http(s) URL. No network: the issuer is first contacted by
    the first sign-in. Call it only in oidc mode; it does not read COPILOT_AUTH."""
    OidcSettings.from_env(env)


def protected_resource_metadata(resource_url: str, issuer: str, scopes: Sequence[str] = ()) -> dict[str, object]:
    """The OAuth protected-resource metadata (RFC 9728) served at /.well-known/oauth-protected-resource: an MCP
    client that got a 401 reads `authorization_servers` to learn where the technician signs in, and
    `scopes_supported` (when there are scopes) to learn what to ask that issuer for."""
    document: dict[str, object] = {"resource": resource_url, "authorization_servers": [issuer],
                                   "bearer_methods_supported": ["header"]}
    if scopes:
        document["scopes_supported"] = list(scopes)
    return document


class OidcVerifier:
    """Verifies access tokens from one issuer. Share one per server: it holds the key cache and one pooled
    httpx client (its own unless `http` is given; `aclose()` closes only its own). `clock` is monotonic
    seconds, used only to age the key cache."""

    def __init__(self, settings: OidcSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._own_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_seconds), headers={"Accept": "application/json"})
        self._clock = clock
        self._lock = anyio.Lock()
        self._jwks_uri: str | None = None
        self._jwks: dict[str, dict[str, Any]] = {}
        self._parsed: dict[tuple[str, str], jwt.PyJWK] = {}
        self._refresh_due = -math.inf
        self._kid_refetch_at = -math.inf
        self._fetches = 0
        self._fetch_failure: IssuerUnavailable | None = None

    async def verify(self, token: str) -> str:
        """The technician's email (lower-cased) if `token` passes every check; InvalidToken otherwise."""
        kid, alg = _header(token)
        claims = self._decode(token, await self._key(kid, alg))
        return _technician(claims)

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def _key(self, kid: str, alg: str) -> jwt.PyJWK:
        if self._clock() < self._refresh_due and kid in self._jwks:
            return self._parse(kid, alg)
        # One fetch at a time: concurrent requests with the same new kid wait for it instead of each fetching.
        fetches = self._fetches
        async with self._lock:
            if self._fetches != fetches and self._fetch_failure is not None and not self._jwks:
                # The fetch this request waited on failed: share its answer rather than queue another timeout.
                raise IssuerUnavailable(self._fetch_failure.reason)
            fetched = await self._refresh_if_due()
            if kid not in self._jwks and self._clock() >= self._kid_refetch_at:
                # Whether the set was fetched just now or is refetched here, the kid has had its chance: the
                # next unknown kid waits out the interval.
                self._kid_refetch_at = self._clock() + self._settings.refetch_interval_seconds
                if not fetched:
                    await self._fetch_keys()
            if kid not in self._jwks:
                raise InvalidToken("the token is signed with a key the issuer does not publish (unknown kid)")
            return self._parse(kid, alg)

    async def _refresh_if_due(self) -> bool:
        """Fetch the key set when none is held yet or it is older than keys_max_age_seconds; True if fetched."""
        if self._clock() < self._refresh_due:
            return False
        try:
            await self._fetch_keys()
        except IssuerUnavailable as exc:
            if not self._jwks:
                raise
            self._refresh_due = self._clock() + self._settings.refetch_interval_seconds
            log.warning("keeping the OIDC keys already held: %s", exc.reason)
            return False
        return True

    async def _fetch_keys(self) -> None:
        # Counted when an attempt ends with an answer (not when cancelled), so a request that read the count
        # before waiting sees the attempt it waited on.
        try:
            await self._load_keys()
        except IssuerUnavailable as exc:
            self._fetch_failure, self._fetches = exc, self._fetches + 1
            raise
        self._fetch_failure, self._fetches = None, self._fetches + 1

    async def _load_keys(self) -> None:
        if self._jwks_uri is None:
            self._jwks_uri = await self._discover()
        document = await self._get_json(self._jwks_uri)
        listed = document.get("keys")
        keys = {key["kid"]: key for key in listed if _signing_key(key)} if isinstance(listed, list) else {}
        if not keys:
            raise IssuerUnavailable(f"the sign-in issuer's key set at {self._jwks_uri} holds no signing key")
        self._jwks, self._parsed = keys, {}
        self._refresh_due = self._clock() + self._settings.keys_max_age_seconds

    async def _discover(self) -> str:
        url, issuer = self._settings.discovery_url, self._settings.issuer
        document = await self._get_json(url)
        # Discovery section 4.3: a document naming another issuer must not be used (a mistyped tenant, a proxy).
        if document.get("issuer") != issuer:
            raise IssuerUnavailable(f"the discovery document at {url} is for issuer {document.get('issuer')!r}, "
                                    f"not {ISSUER_ENV}={issuer!r}")
        jwks_uri = document.get("jwks_uri")
        allowed = ("https",) if urlsplit(issuer).scheme == "https" else ("https", "http")
        if not isinstance(jwks_uri, str) or urlsplit(jwks_uri).scheme not in allowed:
            raise IssuerUnavailable(f"the discovery document at {url} has no usable jwks_uri")
        return jwks_uri

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise self._unavailable(f"the sign-in issuer cannot be reached ({url}: {type(exc).__name__})") from None
        if response.status_code != 200:
            raise self._unavailable(f"the sign-in issuer answered HTTP {response.status_code} for {url}")
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise self._unavailable(f"the sign-in issuer's {url} is not a JSON object")
        return document

    @staticmethod
    def _unavailable(reason: str) -> IssuerUnavailable:
        log.warning("OIDC issuer problem: %s", reason)
        return IssuerUnavailable(reason)

    def _parse(self, kid: str, alg: str) -> jwt.PyJWK:
        if (kid, alg) not in self._parsed:
            jwk = self._jwks[kid]
            declared = jwk.get("alg")
            if declared is not None and declared != alg:
                raise InvalidToken(f"the token's algorithm {_shown(alg)} is not its key's ({_shown(declared)})")
            try:
                self._parsed[(kid, alg)] = jwt.PyJWK(jwk, algorithm=alg)
            except jwt.PyJWTError:
                raise InvalidToken(f"the issuer's key {_shown(kid)} cannot check {_shown(alg)} signatures") from None
        return self._parsed[(kid, alg)]

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        settings = self._settings
        try:
            return jwt.decode(token, key, algorithms=[key.algorithm_name], audience=list(settings.audiences),
                              issuer=settings.issuer, leeway=settings.leeway_seconds,
                              options={"require": ["exp", "iss", "aud"], "enforce_minimum_key_length": True})
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not match the issuer's key") from None
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired (exp): sign in again") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"the token is from another issuer (iss is not {settings.issuer})") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is for another audience (aud is not {settings.audience})") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token has no {_shown(exc.claim)} claim") from None
        except jwt.InvalidKeyError:
            raise InvalidToken("the issuer's key is too weak to trust") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not valid ({type(exc).__name__})") from None


def _header(token: str) -> tuple[str, str]:
    """(kid, alg) from the unverified header, refusing what no key lookup should be spent on."""
    if not token.strip():
        raise InvalidToken("the bearer token is empty")
    if len(token) > _MAX_TOKEN_CHARS:
        raise InvalidToken("the bearer token is too long to be a JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken("the bearer token is not a JWT") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ASYMMETRIC_ALGORITHMS:
        raise InvalidToken(f"the token's algorithm {_shown(alg)} is not accepted: only asymmetric signatures "
                           f"({', '.join(ASYMMETRIC_ALGORITHMS)})")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("the token names no signing key (no kid in its header)")
    return kid, alg


def _technician(claims: Mapping[str, Any]) -> str:
    # An address the issuer says it has not verified could be anyone's (self-service profile edits).
    if claims.get("email_verified") in (False, "false"):
        raise InvalidToken("the token's email address is not verified by the issuer")
    for name in IDENTITY_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    raise InvalidToken("the token names no technician: no email, preferred_username or upn with an email address")


def _signing_key(jwk: object) -> bool:
    return (isinstance(jwk, dict) and isinstance(jwk.get("kid"), str) and jwk.get("kty") in _SIGNING_KEY_TYPES
            and jwk.get("use", "sig") == "sig")


def _shown(value: object) -> str:
    """A header value an attacker chose, quoted when it is a short plain name, else withheld."""
    return repr(value) if isinstance(value, str) and _SHOWN_NAME.fullmatch(value) else "(unreadable)"


def _split(text: str, separators: str = ",") -> tuple[str, ...]:
    for separator in separators[1:]:
        text = text.replace(separator, separators[0])
    return tuple(part.strip() for part in text.split(separators[0]) if part.strip())
