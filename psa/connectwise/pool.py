"""One ConnectWise client per set of API keys, shared by the calls that use them.

A technician with their own ConnectWise API keys acts with them, so ConnectWise attributes their notes and time
to them; everyone else uses the server's own keys. Each key pair gets one `ConnectWiseProvider` (one httpx
connection pool), created on first use and shared by every concurrent call with the same keys. The pool is
bounded: past `max_size` the least recently used provider that no call holds is closed, and a provider idle
for `idle_seconds` is closed at the next lease. A provider a lease holds is never closed under it.

The pool keys its providers by a digest of the key pair, so no secret sits in its own structures; the keys
live only in each provider's settings, where the private key is a SecretStr.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import anyio
from pydantic import SecretStr

from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.settings import ConnectWiseSettings

log = logging.getLogger("psa_copilot.pool")


class ApiKeys(Protocol):
    """A ConnectWise API key pair, such as identity.keys.ConnectWiseKeys (psa/ does not depend on identity/)."""

    @property
    def public_key(self) -> str: ...

    @property
    def private_key(self) -> SecretStr: ...


@dataclass
class _Pooled:
    provider: ConnectWiseProvider
    leases: int = 0
    last_used: float = 0.0


def _digest(public_key: str, private_key: str) -> str:
    return hashlib.sha256(f"{public_key}\0{private_key}".encode()).hexdigest()


class ProviderPool:
    """The server's own provider (`own`, built from `base`) and one provider per technician key pair.

    `base` supplies everything but the keys (site, company id, client id, timeouts): a technician's keys belong
    to a member of the server's own ConnectWise company. Closing the pool closes every provider, `own` too.
    """

    def __init__(
        self,
        base: ConnectWiseSettings,
        max_size: int = 32,
        idle_seconds: float = 600.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.base = base
        self.max_size = max_size
        self.idle_seconds = idle_seconds
        self._clock = clock
        self.own = ConnectWiseProvider.from_settings(base)
        self._own_digest = _digest(base.public_key, base.private_key.get_secret_value())
        self._pooled: OrderedDict[str, _Pooled] = OrderedDict()
        """Least recently leased first."""
        self._closed = False

    @property
    def size(self) -> int:
        """How many technician providers are open (the server's own is not counted)."""
        return len(self._pooled)

    async def __aenter__(self) -> ProviderPool:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    @asynccontextmanager
    async def lease(self, keys: ApiKeys | None) -> AsyncIterator[ConnectWiseProvider]:
        """The provider for `keys` (None: the server's own) for the duration of the block."""
        if self._closed:
            raise RuntimeError("the ConnectWise provider pool is closed")
        digest = self._own_digest if keys is None else _digest(keys.public_key, keys.private_key.get_secret_value())
        if keys is None or digest == self._own_digest:
            yield self.own
            return
        # No await between the lookup and the increment: concurrent leases of new keys share one provider.
        pooled = self._pooled.get(digest)
        if pooled is None:
            settings = self.base.model_copy(update={"public_key": keys.public_key, "private_key": keys.private_key})
            pooled = self._pooled[digest] = _Pooled(ConnectWiseProvider.from_settings(settings))
            log.debug("opened a pooled ConnectWise client (%d open)", len(self._pooled))
        self._pooled.move_to_end(digest)
        pooled.leases += 1
        try:
            await self._sweep()
            yield pooled.provider
        finally:
            pooled.leases -= 1
            pooled.last_used = self._clock()
            await self._sweep()

    async def _sweep(self) -> None:
        """Close the idle providers that are past `idle_seconds` or over `max_size`, least recent first."""
        now = self._clock()
        excess = len(self._pooled) - self.max_size
        doomed: list[ConnectWiseProvider] = []
        for digest, pooled in list(self._pooled.items()):
            if pooled.leases:
                continue
            if excess > 0 or now - pooled.last_used >= self.idle_seconds:
                del self._pooled[digest]
                doomed.append(pooled.provider)
                excess -= 1
        if doomed:
            log.debug("closing %d pooled ConnectWise client(s) (%d open)", len(doomed), len(self._pooled))
            await _close(doomed)

    async def aclose(self) -> None:
        """Close every provider, leased or not: the server is stopping."""
        self._closed = True
        doomed = [pooled.provider for pooled in self._pooled.values()]
        self._pooled.clear()
        await _close([*doomed, self.own])


async def _close(providers: list[ConnectWiseProvider]) -> None:
    # Shielded: a lease ending because its call was cancelled must still release the connections it owned.
    with anyio.CancelScope(shield=True):
        for provider in providers:
            await provider.aclose()
