"""The forms a helpdesk write sends, as the bodies the human confirms, and what every writer shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, TypeVar

from pydantic import ValidationError

from psa.helpdesk.client import HelpdeskClient
from psa.helpdesk.models import Metadata, TicketApiModel, WriteForm
from psa.writes import Body, WriteNotPlanned

F = TypeVar("F", bound=WriteForm)

API = "POST /api/TicketsApi"
TITLE_MAX = 255

# What the tool's arguments are called in a form, for a refusal that names the argument the user gave.
ARGUMENTS = {"Title": "summary", "Description": "description", "Message": "text", "Resolution": "text"}


def form_of(model: type[F], **fields: Any) -> F:
    """The form, or WriteNotPlanned naming what the helpdesk would refuse (a summary over 255 characters)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = "; ".join(f"{ARGUMENTS.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else 'the form'}: "
                             f"{e['msg']}" for e in exc.errors())
        raise WriteNotPlanned(f"The helpdesk would refuse this: {problems}.") from None


def body_of(form: WriteForm) -> dict[str, Any]:
    """The form's fields by name, as JSON: what the human confirms and the sender rebuilds the form from."""
    return form.model_dump(mode="json", exclude_none=True, exclude={"Uploads"})


def fields_of(body: Body) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise TypeError("a helpdesk body is a form's fields by name, not a list")
    return body


def expect(request: str, planned: str) -> None:
    # The body alone decides which form is rebuilt; a request naming another endpoint or ticket is not this plan.
    if request != planned:
        raise ValueError(f"the plan's request is {planned!r}, not {request!r}")


def same_text(a: str | None, b: str | None) -> bool:
    return (a or "").replace("\r\n", "\n").strip() == (b or "").replace("\r\n", "\n").strip()


def creator_id(t: TicketApiModel) -> str:
    if t.creator is None:
        raise WriteNotPlanned(f"Ticket #{t.id} has no requester, which the helpdesk's update needs.")
    return t.creator.id


class WriterBase(ABC):
    """What every helpdesk writer needs of HelpdeskProvider: the client, and the desk's cached lookups."""

    client: HelpdeskClient

    @abstractmethod
    async def _lookups(self) -> Metadata: ...

    def _user_id(self) -> str:
        """Who the token is: the helpdesk records them as the one who closed or resolved."""
        return self.client.settings.claims().sub or "unknown"
