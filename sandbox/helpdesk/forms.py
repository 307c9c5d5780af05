"""The request bodies (multipart/form-data or urlencoded) and the list query, as pydantic models named and
validated as the product's ASP.NET models are: field names match case-insensitively, an empty field is an absent
one, the first of repeated single fields wins, repeated list fields (SelectedTags, Uploads) collect, and a
failure is a 400 listing messages per field in ASP.NET's words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Annotated, Any, TypeVar, get_origin
from uuid import UUID

from pydantic import (
    AfterValidator,
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic.alias_generators import to_pascal
from pydantic_core import PydanticCustomError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from sandbox.helpdesk.errors import HelpdeskError, invalid
from sandbox.helpdesk.models import TicketType

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise PydanticCustomError("email", "not an e-mail address")
    return value


def _ticket_type(value: Any) -> Any:
    # Enum names bind case-insensitively in the product.
    if isinstance(value, str):
        return next((t for t in TicketType if t.value.lower() == value.strip().lower()), value)
    return value


EmailAddress = Annotated[str, AfterValidator(_email)]
Title = Annotated[str, Field(max_length=255)]
TicketTypeName = Annotated[TicketType, BeforeValidator(_ticket_type)]


class Upload(BaseModel):
    """An uploaded file as the sandbox keeps it: its name and size, never its contents."""

    name: str
    size: int


class FormModel(BaseModel):
    model_config = ConfigDict(alias_generator=AliasGenerator(validation_alias=to_pascal), extra="ignore")


class TicketCreate(FormModel):
    """TicketCreateViewModel (POST register)."""

    title: Title
    description: str
    creator_id: str
    site_id: int
    department_id: int
    ticket_status_id: int
    ticket_type: TicketTypeName
    cc: str | None = None
    guid: str | None = None
    ticket_category_id: int | None = None
    ticket_sub_category_id: int | None = None
    item_id: int | None = None
    due_date: datetime | None = None
    tier_level_id: int | None = None
    group_id: int | None = None
    client_id: int | None = None
    ticket_priority_id: int | None = None
    assigned_user: str | None = None
    # Accepted and checked, then unused: the sandbox has no SLAs, service catalogue or impact/urgency matrix.
    sla_id: int | None = Field(default=None, validation_alias="SLAId")
    service_id: int | None = None
    impact_id: int | None = None
    urgency_id: int | None = None
    selected_tags: list[int] = Field(default_factory=list)
    uploads: list[Upload] = Field(default_factory=list)


class TicketUpdate(FormModel):
    """TicketUpdateModel (POST update/{id}): every field but CreatorId is optional; absent ones stay as they are."""

    id: int | None = None
    creator_id: str
    due_date: datetime | None = None
    ticket_category_id: int | None = None
    ticket_sub_category_id: int | None = None
    item_id: int | None = None
    ticket_type: TicketTypeName | None = None
    tier_level_id: int | None = None
    client_id: int | None = None
    site_id: int | None = None
    department_id: int | None = None
    ticket_status_id: int | None = None
    ticket_priority_id: int | None = None
    group_id: int | None = None
    assigned_user: str | None = None
    template_id: UUID | None = None
    service_id: int | None = None
    impact_id: int | None = None
    urgency_id: int | None = None


class TicketEmail(FormModel):
    """ApiReplyTicket (POST reply/{id}) and, with HasDraft, ApiForwardTicket (POST forward/{id})."""

    id: int
    title: str
    send_to: EmailAddress
    cc_to: str | None = None
    message: str | None = None
    has_draft: bool = False
    uploads: list[Upload] = Field(default_factory=list)


class TicketClosure(FormModel):
    """ApiTicketClosure (POST close/{id})."""

    ticket_id: int
    close_by: str
    acknowledged: bool = False
    comments: str | None = None
    status: int | None = None  # the product's ClosureStatus code; checked, not stored
    closure_comments: str | None = None
    closing_date: datetime | None = None
    uploads: list[Upload] = Field(default_factory=list)


class TicketResolve(FormModel):
    """POST resolve/{id} (our shape: the seed names the endpoint but not its body)."""

    id: int
    resolution: str
    resolved_by: str


class NewTicket(FormModel):
    """ICreateTicketVM (POST new): the integration endpoint; omitted lookups take the system defaults."""

    title: Title
    description: str
    requester: str
    email: str | None = None
    tier_level_id: int | None = None
    group_id: int | None = None
    site_id: int | None = None
    department_id: int | None = None
    client_id: int | None = None
    ticket_status_id: int | None = None
    ticket_priority_id: int | None = None
    ticket_category_id: int | None = None
    uploads: list[Upload] = Field(default_factory=list)


class TicketsByUser(FormModel):
    """POST list: the form's names are lower case in the product."""

    username: str = Field(validation_alias="username")
    page: int = Field(default=1, ge=1, validation_alias="page")


class RequesterReply(FormModel):
    """ReqReplyTicket (POST reqreply/{id})."""

    id: int
    username: str
    title: str
    message: str | None = None
    uploads: list[Upload] = Field(default_factory=list)


class ListQuery(FormModel):
    """The query of GET /api/TicketsApi."""

    list_type: str = Field(default="AllTickets", validation_alias="listType")
    search: str | None = Field(default=None, validation_alias="search")
    search_fields: str | None = Field(default=None, validation_alias="searchFields")
    page: int = Field(default=1, ge=1, validation_alias="page")
    page_size: int = Field(default=25, ge=1, le=100, validation_alias="pageSize")


F = TypeVar("F", bound=FormModel)


@cache
def _fields(model: type[FormModel]) -> dict[str, tuple[str, bool]]:
    """lower-case wire name -> (wire name, whether the field collects repeated values)."""
    out = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else to_pascal(name)
        out[alias.lower()] = (alias, get_origin(info.annotation) is list)
    return out


def _message(error: Any) -> str:
    field = str(error["loc"][0]) + "".join(f"[{part}]" for part in error["loc"][1:])
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return f"The {field} field is required."
    if kind == "string_too_long":
        return f"The field {field} must be a string with a maximum length of {ctx['max_length']}."
    if kind == "greater_than_equal":
        return f"The field {field} must be at least {ctx['ge']}."
    if kind == "less_than_equal":
        return f"The field {field} must be at most {ctx['le']}."
    if kind == "email":
        return f"The {field} field is not a valid e-mail address."
    return f"The value '{error.get('input')}' is not valid for {field}."


def parse(model: type[F], items: Iterable[tuple[str, str | UploadFile]]) -> F:
    """`items` (a form's or a query's multi_items) as `model`; a 400 with per-field messages if they do not fit."""
    fields = _fields(model)
    values: dict[str, Any] = {}
    for key, raw in items:
        spec = fields.get(key.lower())
        if spec is None:
            continue
        alias, many = spec
        value: Any = raw
        if isinstance(raw, UploadFile):
            if not raw.filename:
                continue  # a file input left empty
            value = Upload(name=raw.filename, size=raw.size or 0)
        elif not raw.strip():
            continue
        if many:
            values.setdefault(alias, []).append(value)
        else:
            values.setdefault(alias, value)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            errors.setdefault(str(error["loc"][0]), []).append(_message(error))
        raise invalid(errors) from None


async def read_form(request: Request, model: type[F]) -> F:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in _FORM_TYPES:
        raise HelpdeskError(415, f"Unsupported content type {content_type}: send multipart/form-data")
    async with request.form() as form:
        return parse(model, form.multi_items())
