"""The helpdesk's error bodies, `{"status", "message", "errors"?}`, and the exception that carries one out of a
handler. `errors` (field -> messages) is present only on validation failures, as ASP.NET sends it."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

VALIDATION_MESSAGE = "One or more validation errors occurred."


class ErrorBody(BaseModel):
    status: int
    message: str
    errors: dict[str, list[str]] | None = None


class HelpdeskError(Exception):
    """Raised anywhere below a route; the app answers `status` with its body."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.body = ErrorBody(status=status, message=message, errors=errors)
        self.headers = headers or {}


def invalid(errors: dict[str, list[str]]) -> HelpdeskError:
    return HelpdeskError(400, VALIDATION_MESSAGE, errors)


def invalid_field(field: str, message: str) -> HelpdeskError:
    return invalid({field: [message]})


def bad_request(message: str) -> HelpdeskError:
    return HelpdeskError(400, message)


def not_found(message: str) -> HelpdeskError:
    return HelpdeskError(404, message)


def ticket_not_found(ticket_id: int, status: int = 404) -> HelpdeskError:
    """Most endpoints answer a missing ticket with 404; update, reply, forward and reqreply with 400."""
    return HelpdeskError(status, f"Ticket {ticket_id} was not found")


def unauthorized(message: str) -> HelpdeskError:
    return HelpdeskError(401, message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> HelpdeskError:
    return HelpdeskError(403, message)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(status=status, message=message).model_dump(exclude_none=True), status_code=status,
                        headers=headers)


async def helpdesk_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HelpdeskError)
    return JSONResponse(exc.body.model_dump(exclude_none=True), status_code=exc.body.status, headers=exc.headers)
