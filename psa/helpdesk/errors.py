"""Typed exceptions built from the helpdesk's error body `{status, message, errors?: {Field: [messages]}}`.

`str(exc)` is one line with three parts: what was called, the API's own words (passed through, since they name
the field, the rule or the missing permission), and what the user can do about it. Nothing here ever holds the
token: errors are built from the request line and the answer, never from headers.
"""

from __future__ import annotations

import re

import httpx
from pydantic import ValidationError

from psa.errors import (
    PSAAuthError,
    PSAConnectionError,
    PSAError,
    PSANotFoundError,
    PSAPermissionError,
    PSARateLimitError,
    PSAResponseError,
    PSAServerError,
    PSATimeoutError,
    PSAValidationError,
)
from psa.helpdesk.models import ErrorBody
from psa.http import parse_retry_after

_PERMISSION = re.compile(r"\bTickets\.[A-Za-z]+\b")


def _one_line(text: str) -> str:
    return " ".join(text.split())


class HelpdeskError(PSAError):
    """Base of every error raised by the helpdesk client."""

    hint = "Check the request and try again."
    product = "The helpdesk"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        errors: dict[str, list[str]] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.message = message  # the API's own message, unchanged
        self.errors = errors or {}
        self.method = method
        self.url = url
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.url}" if self.method and self.url else "Helpdesk request"
        head = f"{where} failed"
        if self.status is not None:
            head += f" with HTTP {self.status}"
        text = f"{head}: {self.message}" if self.message else head
        if self.errors:
            fields = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())
            text += f" ({fields})"
        text = _one_line(text)
        return f"{text} {self.hint}" if text.endswith((".", "!", "?")) else f"{text}. {self.hint}"


class HelpdeskValidationError(HelpdeskError, PSAValidationError):
    """400: the helpdesk refused the content (a field error, a business rule, or a missing ticket on update)."""

    hint = "Fix what the helpdesk names; repeating the same request will fail the same way."


class HelpdeskAuthError(HelpdeskError, PSAAuthError):
    """401: the token is missing, malformed, expired or not the server's."""

    hint = "Check HELPDESK_TOKEN: it may be expired or issued by another server; get a new token from the helpdesk."


class HelpdeskPermissionError(HelpdeskError, PSAPermissionError):
    """403: the token is valid but lacks a permission; `permission` is the one the helpdesk named."""

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        found = _PERMISSION.search(message or "")
        self.permission = found.group(0) if found else None
        super().__init__(message, **kwargs)  # type: ignore[arg-type]

    @property
    def hint(self) -> str:  # type: ignore[override]
        if self.permission:
            return f"The token lacks {self.permission}: use a HELPDESK_TOKEN issued for a user who has it."
        return "The token may not do this: use a HELPDESK_TOKEN with the needed Tickets.* permission."


class HelpdeskNotFoundError(HelpdeskError, PSANotFoundError):
    """404: no such ticket (or it was deleted)."""

    hint = "Check the ticket id: the ticket may not exist or may have been deleted."


class HelpdeskRateLimitError(HelpdeskError, PSARateLimitError):
    """429: too many requests; `retry_after` is the server's requested wait in seconds, when it gave one."""

    hint = "The helpdesk is throttling this token; wait a little and try again."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]

    def _render(self) -> str:
        text = super()._render()
        if self.retry_after is not None:
            text += f" The helpdesk asked to wait {self.retry_after:.0f} s."
        return text


class HelpdeskServerError(HelpdeskError, PSAServerError):
    """5xx: a fault at the helpdesk or between us and it."""

    hint = (
        "The helpdesk failed on its side; a read can be retried shortly, but check a write's ticket before "
        "repeating it, since it may have been applied."
    )


class HelpdeskTimeoutError(HelpdeskError, PSATimeoutError):
    """No complete answer in time. For a write, the change may or may not have been applied."""

    hint = (
        "The helpdesk did not answer in time; retry a read, but check a write's ticket before repeating it. "
        "Raise HELPDESK_TIMEOUT if the server is slow."
    )


class HelpdeskConnectionError(HelpdeskError, PSAConnectionError):
    """The request could not be delivered (DNS, refused connection, TLS, dropped connection)."""

    hint = "Could not reach the helpdesk: check HELPDESK_URL, the network and any proxy, then retry."


class HelpdeskResponseError(HelpdeskError, PSAResponseError):
    """A 2xx answer that is not what the contract promises (not JSON, or the wrong shape or status)."""

    hint = "The helpdesk answered in an unexpected shape; check HELPDESK_URL points at a TicketsApi server."


_BY_STATUS: dict[int, type[HelpdeskError]] = {
    400: HelpdeskValidationError,
    401: HelpdeskAuthError,
    403: HelpdeskPermissionError,
    404: HelpdeskNotFoundError,
}


def error_from_response(response: httpx.Response) -> HelpdeskError:
    """The typed exception for a non-2xx response, with the API's own message and field errors when present."""
    status = response.status_code
    try:
        body: ErrorBody | None = ErrorBody.model_validate(response.json())
    except (ValueError, ValidationError):  # not JSON, or JSON of another shape (a proxy's page, a bare string)
        body = None
    message = body.message if body and body.message else (response.text.strip()[:300] or response.reason_phrase)
    kwargs: dict[str, object] = {
        "status": status,
        "errors": (body.errors or {}) if body else {},
        "method": response.request.method,
        "url": str(response.request.url),
    }
    if status == 429:
        return HelpdeskRateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = HelpdeskServerError if status >= 500 else HelpdeskError
    return cls(message, **kwargs)  # type: ignore[arg-type]
