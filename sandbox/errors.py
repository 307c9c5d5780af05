"""ConnectWise's error body (`ErrorResponseMessage`) and the exception that carries it out of a handler."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import JSONResponse


class ValidationError(BaseModel):
    code: str
    message: str
    resource: str
    field: str


class ErrorBody(BaseModel):
    code: str
    message: str
    # CW sends null, not [], when an error is not about specific fields.
    errors: list[ValidationError] | None = None


class ApiError(Exception):
    """Raised anywhere below a route; the app turns it into `status` + a CW error body."""

    def __init__(self, status: int, code: str, message: str, errors: list[ValidationError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(code=code, message=message, errors=errors)
        self.headers = headers or {}


def invalid_object(resource: str, errors: list[ValidationError]) -> ApiError:
    label = resource[:1].upper() + resource[1:]
    return ApiError(400, "InvalidObject", f"{label} object is invalid", errors)


def field_error(resource: str, field: str, code: str, message: str) -> ApiError:
    return invalid_object(resource, [ValidationError(code=code, message=message, resource=resource, field=field)])


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def not_found(message: str = "Not found") -> ApiError:
    return ApiError(404, "NotFound", message)


def conflict(resource: str, field: str, message: str) -> ApiError:
    err = ValidationError(code="InUse", message=message, resource=resource, field=field)
    return ApiError(409, "Conflict", message, [err])


def forbidden(message: str) -> ApiError:
    return ApiError(403, "Forbidden", message)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message)


def error_response(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)
