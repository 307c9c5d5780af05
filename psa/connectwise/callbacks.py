"""ConnectWise callbacks on the wire: the `/system/callbacks` entries, the payload ConnectWise POSTs, and how its
signature is checked.

The developer guide ("Verifying the Callback Source"): the payload's `Metadata.key_url` returns the signing
key, and `x-content-signature` is base64(HMAC-SHA256(key = SHA-256 of that key, message = the raw body)).
Anyone can put a key_url of their own in a payload and sign it with their own key, so a key is fetched only
from the configured site's own origin; a payload pointing anywhere else is refused without a request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from psa.connectwise.models import CWModel, Info, Str100

CALLBACKS = "/system/callbacks"
KEY_PATH = "/system/callbackkey/index.rails"
"""The key_url's path below the codebase (`/v4_6_release`), as the guide and real sites show it."""
SIGNATURE_HEADER = "x-content-signature"

CallbackType = Literal["Ticket", "KnowledgeBaseArticle", "Company", "Contact", "Configuration"]
Action = Literal["added", "updated", "deleted"]

_KEYS_KEPT = 64
_REFETCH_AFTER_S = 30.0
"""An unknown signature re-fetches a cached key (it may have been rotated) at most this often per key_url, so
forged payloads cannot make us hammer the site."""
_KEY_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class CallbackEntry(CWModel):
    """A `/system/callbacks` record as ConnectWise returns it."""

    id: int | None = None
    description: str | None = None
    url: str | None = None
    objectId: int | None = None
    type: str | None = None
    level: str | None = None
    memberId: int | None = None
    inactiveFlag: bool | None = None
    info: Info | None = Field(None, alias="_info")


class CallbackEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    description: Str100
    url: str
    objectId: int = Field(ge=1)
    type: CallbackType
    level: str
    inactiveFlag: bool = False


class CallbackMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    key_url: str


class CallbackPayload(BaseModel):
    """What ConnectWise POSTs. `Entity` (the record as a JSON string) is never trusted: the receiver re-reads the
    record, so a late or reordered delivery cannot put old data in the index."""

    model_config = ConfigDict(extra="allow")

    MessageId: str = Field(min_length=1, max_length=200)
    FromUrl: str | None = None
    CompanyId: str | None = None
    MemberId: str | int | None = None
    Action: str
    Type: str
    ID: int
    Entity: str | None = None
    Metadata: CallbackMetadata
    CallbackObjectRecId: int | None = None

    @property
    def kind(self) -> str:
        """The record type, lower-cased as ConnectWise spells it (`ticket`, `knowledgebasearticle`)."""
        return self.Type.strip().lower()

    @property
    def action(self) -> str:
        return self.Action.strip().lower()


class CallbackRefused(Exception):
    """A delivery that is not ConnectWise's: `status` is what the receiver answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class KeyUnavailable(Exception):
    """The signing key could not be fetched from the site (it is down): ConnectWise should retry later."""


def signature(signing_key: str, body: bytes) -> str:
    """The guide's algorithm: base64(HMAC-SHA256(SHA-256(signing key), body))."""
    key = hashlib.sha256(signing_key.encode("utf-8")).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


def parse_payload(body: bytes) -> CallbackPayload:
    """The payload, or CallbackRefused(400) naming what is wrong with it."""
    try:
        return CallbackPayload.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise CallbackRefused(400, f"not a ConnectWise callback payload: {where}: {first['msg']}") from None


def _origins(site: str) -> set[tuple[str, str, int | None]]:
    """The site's origin and its cloud twin: an `api-` host signs with key_urls on either name."""
    parts = urlsplit(site)
    host = (parts.hostname or "").lower()
    hosts = {host, host.removeprefix("api-"), host if host.startswith("api-") else "api-" + host}
    port = parts.port
    return {(parts.scheme.lower(), h, port) for h in hosts if h}


class SigningKeys:
    """Fetches and caches signing keys from the configured ConnectWise site, and checks signatures with them."""

    def __init__(self, site: str, *, client: httpx.AsyncClient | None = None) -> None:
        self._origins = _origins(site)
        self._client = client or httpx.AsyncClient(timeout=_KEY_TIMEOUT, follow_redirects=False)
        self._owns_client = client is None
        self._keys: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def allowed(self, key_url: str) -> bool:
        try:
            parts = urlsplit(key_url)
            origin = (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
        except ValueError:
            return False
        return origin in self._origins and parts.path.endswith(KEY_PATH)

    async def verify(self, body: bytes, signed: str | None, key_url: str) -> None:
        """Return when `signed` is the signature of `body` under the key at `key_url`; else CallbackRefused
        (403 for a key_url off the site, 401 for a missing or wrong signature) or KeyUnavailable."""
        if not self.allowed(key_url):
            raise CallbackRefused(403, "the payload's key_url is not on the configured ConnectWise site")
        if not signed:
            raise CallbackRefused(401, f"the {SIGNATURE_HEADER} header is missing")
        cached = self._keys.get(key_url)
        key = cached[0] if cached is not None else await self._fetch(key_url)
        if _matches(key, body, signed):
            return
        if cached is not None and time.monotonic() - cached[1] >= _REFETCH_AFTER_S:
            # The key may have been rotated since it was cached: one fresh look before refusing.
            if _matches(await self._fetch(key_url), body, signed):
                return
        raise CallbackRefused(401, f"the {SIGNATURE_HEADER} signature does not match the payload")

    async def _fetch(self, key_url: str) -> str:
        try:
            response = await self._client.get(key_url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise KeyUnavailable(f"the signing key could not be fetched ({type(exc).__name__})") from exc
        if response.status_code == 404:
            raise CallbackRefused(401, "the site does not know the payload's signing key")
        if response.status_code != 200:
            raise KeyUnavailable(f"the site answered HTTP {response.status_code} for the signing key")
        key = _signing_key(response)
        self._keys[key_url] = (key, time.monotonic())
        self._keys.move_to_end(key_url)
        while len(self._keys) > _KEYS_KEPT:
            self._keys.popitem(last=False)
        return key


def _signing_key(response: httpx.Response) -> str:
    try:
        data: Any = response.json()
    except json.JSONDecodeError:
        raise KeyUnavailable("the site's signing-key answer is not JSON") from None
    key = data.get("signing_key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not key:
        raise KeyUnavailable("the site's signing-key answer has no signing_key")
    return key


def _matches(key: str, body: bytes, signed: str) -> bool:
    return hmac.compare_digest(signature(key, body), signed.strip())
