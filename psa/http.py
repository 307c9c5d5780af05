"""HTTP pieces every product's client shares: reading Retry-After, the wait before a repeat, and the repeat loop.
Which failures a product repeats is its own rule (psa/connectwise/retry.py, psa/helpdesk/client.py); how long it
waits and how it repeats is this.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import anyio
import httpx

Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3). None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


@dataclass(frozen=True)
class Backoff:
    """Exponential waits with full jitter (`uniform(0, min(max_delay, base * 2**n))`), so many clients do not
    retry in lockstep; a Retry-After header overrides them, capped at `max_retry_after` so a hostile or buggy
    header cannot stall a call."""

    max_attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    sleep: Sleep = anyio.sleep
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, retry_number: int) -> float:
        """Full-jitter exponential backoff for the `retry_number`-th retry (0-based)."""
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * (2**retry_number)))

    def delay_for(self, retry_number: int, response: httpx.Response | None) -> float:
        if response is not None:
            requested = parse_retry_after(response.headers.get("Retry-After"))
            if requested is not None:
                return min(requested, self.max_retry_after)
        return self.backoff(retry_number)


class RetryRule(Protocol):
    """A product's rule for repeating a request: a `Backoff` with its own `should_retry_*`."""

    max_attempts: int
    sleep: Sleep

    def backoff(self, retry_number: int) -> float: ...

    def delay_for(self, retry_number: int, response: httpx.Response | None) -> float: ...

    def should_retry_status(self, method: str, status: int) -> bool: ...

    def should_retry_error(self, method: str, error: Exception) -> bool: ...


async def send_with_retry(send: Callable[[], Awaitable[httpx.Response]], method: str, rule: RetryRule) -> httpx.Response:
    """Call `send` until it gives an answer `rule` does not repeat, or attempts run out. Returns the last response
    (possibly an error status, for the caller to raise); re-raises the last transport error when every attempt
    failed that way or a repeat was not safe."""
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await send()
        except httpx.TransportError as error:
            if attempt >= rule.max_attempts or not rule.should_retry_error(method, error):
                raise
            await rule.sleep(rule.backoff(attempt - 1))
            continue
        if attempt >= rule.max_attempts or not rule.should_retry_status(method, response.status_code):
            return response
        await response.aclose()
        await rule.sleep(rule.delay_for(attempt - 1, response))
