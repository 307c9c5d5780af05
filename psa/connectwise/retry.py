"""When and how long to wait before repeating a failed request.

Policy (ConnectWise's developer guide: retry 5xx and throttling with backoff, never retry 4xx):
- Idempotent verbs (GET, HEAD, OPTIONS, PUT, DELETE) are retried on 429, 500/502/503/504, timeouts and
  connection errors. Repeating them cannot change the outcome.
- POST and PATCH are retried only when the request provably never reached the server: a failed connect
  (`httpx.ConnectError`, `httpx.ConnectTimeout`) or no free pool connection (`httpx.PoolTimeout`). A read
  timeout, a dropped connection or any HTTP answer (even 429/5xx) means ConnectWise may have acted, and a
  repeat could add a second note or time entry.
  PATCH counts as non-idempotent: a `replace` of a field is idempotent in effect, but `add` on a list is
  not, and a status change fires workflow rules and notifications each time it is applied.
- Waits are psa/http.py's `Backoff`: exponential with full jitter, a Retry-After header (seconds or HTTP date)
  overriding it, capped at `max_retry_after` so a hostile or buggy header cannot stall a tool call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from psa.http import Backoff
from psa.http import send_with_retry as retrying

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Failures where the request bytes were never handed to the server.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures after (or while) sending: safe to repeat only for idempotent verbs.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

@dataclass(frozen=True)
class RetryPolicy(Backoff):
    def is_idempotent(self, method: str) -> bool:
        return method.upper() in IDEMPOTENT_METHODS

    def should_retry_status(self, method: str, status: int) -> bool:
        return self.is_idempotent(method) and status in RETRY_STATUSES

    def should_retry_error(self, method: str, error: Exception) -> bool:
        if isinstance(error, NOT_SENT_ERRORS):
            return True
        return self.is_idempotent(method) and isinstance(error, TRANSIENT_ERRORS)


async def send_with_retry(
    send: Callable[[], Awaitable[httpx.Response]],
    method: str,
    policy: RetryPolicy,
    *,
    idempotent: bool | None = None,
) -> httpx.Response:
    """psa.http.send_with_retry under ConnectWise's rule. `idempotent` overrides the verb's default:
    `POST .../search` is a read that travels as a POST only because its conditions are too long for a URL, so it
    is as safe to repeat as a GET."""
    retry_as = "GET" if idempotent else ("POST" if idempotent is False else method)
    return await retrying(send, retry_as, policy)
