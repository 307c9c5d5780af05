"""Models follow the ConnectWise spec (tests/fixtures/connectwise_schemas.json, an extract of the schemas they
map): write models enforce required fields and max lengths; response models tolerate unknown and missing fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from psa.connectwise import models as m

SPEC = Path(__file__).parent / "fixtures" / "connectwise_schemas.json"
SUMMARY: dict[str, Any] = json.loads(SPEC.read_text())

# Write model -> spec schema it posts.
WRITE_MODELS: dict[type[BaseModel], str] = {
    m.TicketCreate: "Ticket",
    m.CompanyCreate: "Company",
    m.ConfigurationCreate: "Configuration",
    m.KnowledgeBaseArticleCreate: "KnowledgeBaseArticle",
    m.TimeEntryCreate: "TimeEntry",
    m.BoardStatusCreate: "BoardStatus",
}
RESPONSE_MODELS: dict[type[BaseModel], str] = {
    m.Ticket: "Ticket",
    m.ServiceNote: "ServiceNote",
    m.Company: "Company",
    m.Contact: "Contact",
    m.Configuration: "Configuration",
    m.Member: "Member",
    m.BoardStatus: "BoardStatus",
    m.KnowledgeBaseArticle: "KnowledgeBaseArticle",
    m.TimeEntry: "TimeEntry",
    m.Count: "Count",
}


def _max_length(model: type[BaseModel], name: str) -> int | None:
    for meta in model.model_fields[name].metadata:
        if getattr(meta, "max_length", None) is not None:
            return meta.max_length
    # Optional[Annotated[str, ...]] keeps the constraint inside the union
    annotation = model.model_fields[name].annotation
    for arg in getattr(annotation, "__args__", ()):
        for meta in getattr(arg, "__metadata__", ()):
            if getattr(meta, "max_length", None) is not None:
                return meta.max_length
    return None


@pytest.mark.parametrize("model", list(WRITE_MODELS), ids=lambda x: x.__name__)
def test_write_models_require_what_the_spec_requires(model: type[BaseModel]) -> None:
    spec = SUMMARY[WRITE_MODELS[model]]
    for name in spec["required"]:
        assert name in model.model_fields, f"{model.__name__} lacks required spec field {name}"
        assert model.model_fields[name].is_required(), f"{model.__name__}.{name} should be required"


@pytest.mark.parametrize("model", list(WRITE_MODELS), ids=lambda x: x.__name__)
def test_write_model_max_lengths_match_the_spec(model: type[BaseModel]) -> None:
    spec = {f["field"]: f for f in SUMMARY[WRITE_MODELS[model]]["fields"]}
    for name in model.model_fields:
        assert name in spec, f"{model.__name__}.{name} is not a {WRITE_MODELS[model]} field"
        assert _max_length(model, name) == spec[name]["maxLength"], f"{model.__name__}.{name}"


@pytest.mark.parametrize("model", list(RESPONSE_MODELS), ids=lambda x: x.__name__)
def test_response_model_fields_exist_in_the_spec(model: type[BaseModel]) -> None:
    spec_fields = {f["field"] for f in SUMMARY[RESPONSE_MODELS[model]]["fields"]}
    # Fields we accept beyond the spec, each for a documented reason (see the model's comments).
    extras = {"boardId", "dateCreated", "createdBy", "dateEntered"}
    for name, info in model.model_fields.items():
        wire = info.alias or name
        assert wire in spec_fields or wire in extras, f"{model.__name__}.{wire} not in spec"


def test_ticket_create_enforces_lengths_and_required() -> None:
    ok = m.TicketCreate(summary="x" * 100, company={"identifier": "ACME"})
    assert ok.to_cw() == {"summary": "x" * 100, "company": {"identifier": "ACME"}}
    with pytest.raises(ValidationError, match="summary"):
        m.TicketCreate(summary="x" * 101, company={"id": 1})
    with pytest.raises(ValidationError, match="company"):
        m.TicketCreate(summary="x")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="contactName"):
        m.TicketCreate(summary="x", company={"id": 1}, contactName="n" * 63)
    with pytest.raises(ValidationError):
        m.TicketCreate(summary="x", company={"id": 1}, bogus=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        m.TicketCreate(summary="x", company={})


def test_note_create_needs_a_flag() -> None:
    with pytest.raises(ValidationError, match="detailDescriptionFlag"):
        m.ServiceNoteCreate(text="hello")
    note = m.ServiceNoteCreate(text="hello", internalAnalysisFlag=True, internalFlag=True)
    assert note.to_cw() == {
        "text": "hello",
        "detailDescriptionFlag": False,
        "internalAnalysisFlag": True,
        "resolutionFlag": False,
        "internalFlag": True,
    }
    with pytest.raises(ValidationError):
        m.ServiceNoteCreate(text="", resolutionFlag=True)


def test_time_entry_and_kb_create() -> None:
    from datetime import datetime, timezone

    start = datetime(2026, 1, 2, 9, tzinfo=timezone.utc)
    entry = m.TimeEntryCreate(timeStart=start, timeEnd=start.replace(hour=10), chargeToId=5, chargeToType="ServiceTicket")
    assert entry.to_cw()["timeStart"] == "2026-01-02T09:00:00Z"
    with pytest.raises(ValidationError):
        m.TimeEntryCreate(timeStart=start, timeEnd=start)
    with pytest.raises(ValidationError, match="resolution"):
        m.KnowledgeBaseArticleCreate(title="t", issue="i")  # type: ignore[call-arg]


def test_patch_operation_paths_are_bare() -> None:
    op = m.PatchOperation.replace("status", {"id": 5})
    assert op.to_cw() == {"op": "replace", "path": "status", "value": {"id": 5}}
    assert m.PatchOperation(op="replace", path="summary", value=None).to_cw() == {
        "op": "replace",
        "path": "summary",
        "value": None,
    }
    assert m.PatchOperation(op="remove", path="owner").to_cw() == {"op": "remove", "path": "owner"}
    for bad in ["/status", "status/id", "company/identifier", "", "a b"]:
        with pytest.raises(ValidationError):
            m.PatchOperation(op="replace", path=bad, value=1)
    with pytest.raises(ValidationError):
        m.PatchOperation(op="move", path="status", value=1)  # type: ignore[arg-type]


REAL_TICKET = {
    "id": 12345,
    "summary": "Server Down",
    "recordType": "ServiceTicket",
    "board": {"id": 1, "name": "Service Board", "_info": {"board_href": "https://x/service/boards/1"}},
    "status": {"id": 1, "name": "New", "Sort": 0, "_info": {"status_href": "https://x"}},
    "priority": {"id": 1, "name": "High", "sort": 2, "level": "High", "_info": {}},
    "company": {"id": 1, "identifier": "ABC", "name": "ABC Company", "_info": {}},
    "contact": {"id": 1, "name": "John Doe"},
    "owner": {"id": 1, "identifier": "user1", "name": "Support User"},
    "requiredDate": "2023-01-15T12:00:00Z",
    "budgetHours": 2.0,
    "dateResolved": None,
    "isInSla": True,
    "customFields": [{"id": 5, "caption": "CloudPlus", "type": "Checkbox", "value": False}],
    "someFieldFrom2031": {"nested": [1, 2]},
    "_info": {
        "lastUpdated": "2023-01-15T08:30:00Z",
        "updatedBy": "user1",
        "dateEntered": "2023-01-15T08:15:00Z",
        "enteredBy": "user1",
        "activities_href": "https://x/sales/activities?conditions=ticket/id=12345",
    },
}


def test_ticket_parses_real_looking_document() -> None:
    ticket = m.Ticket.model_validate(REAL_TICKET)
    assert ticket.board and ticket.board.name == "Service Board"
    assert ticket.company and ticket.company.identifier == "ABC"
    assert ticket.info and ticket.info.lastUpdated and ticket.info.lastUpdated.year == 2023
    assert ticket.date_entered is not None and ticket.last_updated is not None
    assert ticket.model_extra == {"someFieldFrom2031": {"nested": [1, 2]}}
    wire = ticket.to_cw()
    assert wire["_info"]["activities_href"].startswith("https://")
    assert wire["someFieldFrom2031"] == {"nested": [1, 2]}
    assert "dateResolved" not in wire


def test_response_models_accept_empty_and_partial_documents() -> None:
    for model in RESPONSE_MODELS:
        if model is m.Count:
            continue
        assert model.model_validate({}).model_dump() is not None
    note = m.TicketNote.model_validate(
        {"id": 1, "ticketId": 2, "text": "t", "internalAnalysisFlag": True, "dateCreated": "2023-01-15T08:45:00Z", "x": 1}
    )
    assert note.internalAnalysisFlag and note.dateCreated is not None
    assert m.TicketNote is m.ServiceNote
    status = m.BoardStatus.model_validate({"id": 1, "name": "New", "boardId": 1, "closedStatus": False})
    assert status.boardId == 1
    assert m.Count.model_validate({"count": 3}).count == 3
    conf = m.ConfigurationReference.model_validate({"id": 9, "deviceIdentifier": "PC-9", "_info": {}})
    assert conf.deviceIdentifier == "PC-9"


def test_error_response_model() -> None:
    body = {
        "code": "InvalidObject",
        "message": "ticket object is invalid",
        "errors": [{"code": "MissingRequiredField", "message": "The summary field is required.", "resource": "ticket", "field": "summary"}],
    }
    err = m.ErrorResponseMessage.model_validate(body)
    assert err.errors and err.errors[0].field == "summary"
