"""Typed exceptions built from ConnectWise's error body `{code, message, errors: [{code, message, resource, field}]}`.

Each message has three parts: what was called, ConnectWise's own words (passed through unchanged, since they
name the offending field or rule), and what the user can do about it.
"""

from __future__ import annotations

import json

import httpx
from pydantic import ValidationError

from psa.connectwise.models import ErrorResponseMessage, ValidationErrorDetail
from psa.errors import (
    PSAAuthError,
    PSAConflictError,
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
from psa.http import parse_retry_after


class ConnectWiseError(PSAError):
    """Base of every error raised by the ConnectWise client."""

    hint = "Check the request and try again."
    product = "ConnectWise"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        errors: list[ValidationErrorDetail] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message  # ConnectWise's own message, unchanged
        self.errors = errors or []
        self.method = method
        self.url = url
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.url}" if self.method and self.url else "ConnectWise request"
        head = f"{where} failed"
        if self.status is not None:
            head += f" with HTTP {self.status}"
        if self.code:
            head += f" ({self.code})"
        parts = [head]
        if self.message:
            parts.append(f"ConnectWise says: {self.message}")
        for err in self.errors:
            target = "/".join(p for p in (err.resource, err.field) if p)
            detail = err.message or err.code or ""
            parts.append(f"- {target}: {detail}" if target else f"- {detail}")
        parts.append(self.hint)
        return "\n".join(parts)


class ConnectWiseValidationError(ConnectWiseError, PSAValidationError):
    """400: ConnectWise understood the request and refused its content."""

    hint = "Fix the fields listed above; repeating the same request will fail the same way."


class ConnectWiseAuthError(ConnectWiseError, PSAAuthError):
    """401: the credentials were refused."""

    hint = (
        "Check CW_COMPANY_ID, CW_PUBLIC_KEY and CW_PRIVATE_KEY (the API member's keys), and CW_CLIENT_ID. "
        "On a cloud site CW_SITE must use the api- host (e.g. https://api-na.myconnectwise.net)."
    )


class ConnectWisePermissionError(ConnectWiseError, PSAPermissionError):
    """403: the API member's security role does not allow this."""

    hint = "Ask a ConnectWise admin to grant the API member's security role access to this area, then retry."


class ConnectWiseNotFoundError(ConnectWiseError, PSANotFoundError):
    """404: no such record (or, on cloud sites, sometimes bad authentication)."""

    hint = (
        "Check the id: the record may have been deleted or merged. On a cloud site a 404 on every call usually "
        "means wrong credentials or a CW_SITE without the api- prefix."
    )


class ConnectWiseConflictError(ConnectWiseError, PSAConflictError):
    """409: the record is in use or was changed by someone else."""

    hint = "Reload the record to see its current state, then retry the change if it still applies."


class ConnectWiseRateLimitError(ConnectWiseError, PSARateLimitError):
    """429: too many requests; `retry_after` is the server's requested wait in seconds, when it gave one."""

    hint = "ConnectWise is throttling this API member; wait a little and try again."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[arg-type]

    def _render(self) -> str:
        text = super()._render()
        if self.retry_after is not None:
            text += f" ConnectWise asked to wait {self.retry_after:.0f} s."
        return text


class ConnectWiseServerError(ConnectWiseError, PSAServerError):
    """5xx: a fault at ConnectWise or between us and it."""

    hint = "This is usually temporary; try again shortly. If it persists, report it to ConnectWise with the time."


class ConnectWiseTimeoutError(ConnectWiseError, PSATimeoutError):
    """No complete answer in time. For a write, the change may or may not have been applied."""

    hint = (
        "ConnectWise did not answer in time. For a read, retry; for a write, check whether it was applied "
        "before repeating it. Raise CW_TIMEOUT if the site is slow."
    )


class ConnectWiseConnectionError(ConnectWiseError, PSAConnectionError):
    """The request could not be delivered (DNS, refused connection, TLS, dropped connection)."""

    hint = "Could not reach ConnectWise: check CW_SITE, the network and any proxy, then retry."


class ConnectWiseConditionsError(ConnectWiseError, ValueError):
    """An expert conditions string was refused before sending (unbalanced quotes, brackets or parentheses).

    Also a ValueError: it is bad input, caught client-side so it can never alter the surrounding query.
    """

    hint = (
        'Fix the conditions string: quote text in double quotes (summary contains "vpn"), put dates in brackets '
        "([2026-01-02T03:04:05Z]), and balance every parenthesis."
    )

    def _render(self) -> str:
        # Raised before any request: there is no URL or ConnectWise reply to report.
        return f"Invalid ConnectWise conditions: {self.message}\n{self.hint}"


class ConnectWiseResponseError(ConnectWiseError, PSAResponseError):
    """A 2xx answer whose body does not match the expected model."""

    hint = "ConnectWise answered in an unexpected shape; check CW_API_VERSION matches what this tool targets."


_BY_STATUS: dict[int, type[ConnectWiseError]] = {
    400: ConnectWiseValidationError,
    401: ConnectWiseAuthError,
    403: ConnectWisePermissionError,
    404: ConnectWiseNotFoundError,
    409: ConnectWiseConflictError,
    429: ConnectWiseRateLimitError,
}


def error_from_response(response: httpx.Response) -> ConnectWiseError:
    """The typed exception for a non-2xx response, with ConnectWise's own code/message/errors when present."""
    status = response.status_code
    body: ErrorResponseMessage | None = None
    try:
        body = ErrorResponseMessage.model_validate(response.json())
    except (json.JSONDecodeError, ValueError, ValidationError):
        body = None
    message = body.message if body and body.message else (response.text.strip()[:500] or response.reason_phrase)
    kwargs = {
        "status": status,
        "code": body.code if body else None,
        "errors": (body.errors or []) if body else [],
        "method": response.request.method,
        "url": str(response.request.url),
    }
    if status == 429:
        return ConnectWiseRateLimitError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs
        )
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ConnectWiseServerError if status >= 500 else ConnectWiseError
    return cls(message, **kwargs)  # type: ignore[arg-type]
