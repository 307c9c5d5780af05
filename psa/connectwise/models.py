"""Pydantic models for the ConnectWise Manage REST API (shapes from shared/connectwise-spec).

Field names are ConnectWise's own camelCase names, so a model serialises straight back to the wire format
without an alias table; the one exception is `_info`, which pydantic cannot use as a field name and so is
`info` with the alias `_info`.

Two families:
- Response models are lenient: every field optional, unknown fields kept (`extra="allow"`). ConnectWise adds
  fields without a version bump (its guide says so), and a missing field must not break a read.
- Write models (`*Create`) are strict: the spec's required fields are required, its `Max length: N` notes are
  `max_length` constraints, and unknown fields are refused, so a bad payload fails here with a field name
  instead of at ConnectWise with a 400.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

_LENIENT = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)
_STRICT = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True, str_strip_whitespace=False)


# Bounded strings for write models; the numbers are the spec's "Max length: N" notes.
Str12 = Annotated[str, StringConstraints(max_length=12)]
Str20 = Annotated[str, StringConstraints(max_length=20)]
Str25 = Annotated[str, StringConstraints(max_length=25)]
Str30 = Annotated[str, StringConstraints(max_length=30)]
Str50 = Annotated[str, StringConstraints(max_length=50)]
Str62 = Annotated[str, StringConstraints(max_length=62)]
Str100 = Annotated[str, StringConstraints(max_length=100)]
Str156 = Annotated[str, StringConstraints(max_length=156)]
Str250 = Annotated[str, StringConstraints(max_length=250)]
Str255 = Annotated[str, StringConstraints(max_length=255)]
Str500 = Annotated[str, StringConstraints(max_length=500)]
Str1000 = Annotated[str, StringConstraints(max_length=1000)]


class CWModel(BaseModel):
    """Base of every response model: tolerant of unknown and missing fields."""

    model_config = _LENIENT

    def to_cw(self) -> dict[str, Any]:
        """The JSON body ConnectWise expects: CW field names, no nulls for fields never set."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Info(CWModel):
    """The read-only `_info` block: audit timestamps plus `*_href` links (kept as extra fields)."""

    lastUpdated: datetime | None = None
    updatedBy: str | None = None
    dateEntered: datetime | None = None
    enteredBy: str | None = None


class _HasInfo(CWModel):
    info: Info | None = Field(None, alias="_info")


# ---- references: {id, name | identifier, _info} -------------------------------------------------------------


class Reference(_HasInfo):
    """A pointer to another record. ConnectWise sends id plus a display field (name, identifier or both)."""

    id: int | None = None
    name: str | None = None
    identifier: str | None = None


class BoardReference(Reference): ...


class ServiceStatusReference(Reference):
    sort: int | None = None


class CompanyReference(Reference): ...


class ContactReference(Reference): ...


class MemberReference(Reference):
    dailyCapacity: float | None = None


class PriorityReference(Reference):
    sort: int | None = None
    level: str | None = None


class ConfigurationReference(Reference):
    """The /service/tickets/{id}/configurations item: id and deviceIdentifier only (spec 2026.4)."""

    deviceIdentifier: str | None = None


class TicketReference(Reference):
    summary: str | None = None


class CustomFieldValue(CWModel):
    id: int | None = None
    caption: str | None = None
    type: str | None = None
    entryMethod: str | None = None
    numberOfDecimals: int | None = None
    value: Any = None


# ---- response models -----------------------------------------------------------------------------------------


class Ticket(_HasInfo):
    id: int | None = None
    summary: str | None = None
    recordType: str | None = None
    board: BoardReference | None = None
    status: ServiceStatusReference | None = None
    company: CompanyReference | None = None
    site: Reference | None = None
    siteName: str | None = None
    contact: ContactReference | None = None
    contactName: str | None = None
    contactPhoneNumber: str | None = None
    contactEmailAddress: str | None = None
    type: Reference | None = None
    subType: Reference | None = None
    item: Reference | None = None
    team: Reference | None = None
    owner: MemberReference | None = None
    priority: PriorityReference | None = None
    serviceLocation: Reference | None = None
    source: Reference | None = None
    agreement: Reference | None = None
    severity: str | None = None
    impact: str | None = None
    requiredDate: datetime | None = None
    budgetHours: float | None = None
    actualHours: float | None = None
    initialDescription: str | None = None
    initialInternalAnalysis: str | None = None
    initialResolution: str | None = None
    closedDate: datetime | None = None
    closedBy: str | None = None
    closedFlag: bool | None = None
    dateResolved: datetime | None = None
    dateResponded: datetime | None = None
    isInSla: bool | None = None
    resources: str | None = None
    parentTicketId: int | None = None
    knowledgeBaseCategoryId: int | None = None
    knowledgeBaseSubCategoryId: int | None = None
    customerUpdatedFlag: bool | None = None
    customFields: list[CustomFieldValue] | None = None

    @property
    def date_entered(self) -> datetime | None:
        """ConnectWise keeps a ticket's entry date in `_info.dateEntered`."""
        return self.info.dateEntered if self.info else None

    @property
    def last_updated(self) -> datetime | None:
        return self.info.lastUpdated if self.info else None


class ServiceNote(_HasInfo):
    """An item of GET /service/tickets/{id}/notes."""

    id: int | None = None
    ticketId: int | None = None
    text: str | None = None
    detailDescriptionFlag: bool | None = None
    internalAnalysisFlag: bool | None = None
    resolutionFlag: bool | None = None
    issueFlag: bool | None = None
    member: MemberReference | None = None
    contact: ContactReference | None = None
    customerUpdatedFlag: bool | None = None
    processNotifications: bool | None = None
    dateCreated: datetime | None = None
    createdBy: str | None = None
    internalFlag: bool | None = None
    externalFlag: bool | None = None
    sentimentScore: float | None = None


# What the provider protocol calls a ticket note is the /notes item. (The spec's own "TicketNote" schema is the
# same shape without dateCreated/createdBy; /allNotes returns ServiceTicketNote below.)
TicketNote = ServiceNote


class ServiceTicketNote(_HasInfo):
    """An item of GET /service/tickets/{id}/allNotes: notes and time-entry notes merged into one thread."""

    id: int | None = None
    ticketId: int | None = None
    text: str | None = None
    noteType: str | None = None
    isMarkdownFlag: bool | None = None
    isInternalNote: bool | None = None
    isExternalNote: bool | None = None
    isIssueFlag: bool | None = None
    detailDescriptionFlag: bool | None = None
    internalAnalysisFlag: bool | None = None
    resolutionFlag: bool | None = None
    timeStart: datetime | None = None
    timeEnd: datetime | None = None
    dateCreated: datetime | None = None
    createdBy: str | None = None
    member: MemberReference | None = None
    contact: ContactReference | None = None


class Company(_HasInfo):
    id: int | None = None
    identifier: str | None = None
    name: str | None = None
    status: Reference | None = None
    types: list[Reference] | None = None
    addressLine1: str | None = None
    addressLine2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: Reference | None = None
    phoneNumber: str | None = None
    faxNumber: str | None = None
    website: str | None = None
    territory: Reference | None = None
    defaultContact: ContactReference | None = None
    site: Reference | None = None
    deletedFlag: bool | None = None
    leadFlag: bool | None = None
    customFields: list[CustomFieldValue] | None = None


class ContactCommunicationItem(CWModel):
    id: int | None = None
    type: Reference | None = None
    value: str | None = None
    extension: str | None = None
    defaultFlag: bool | None = None
    communicationType: str | None = None


class Contact(_HasInfo):
    id: int | None = None
    firstName: str | None = None
    lastName: str | None = None
    company: CompanyReference | None = None
    site: Reference | None = None
    title: str | None = None
    department: Reference | None = None
    inactiveFlag: bool | None = None
    defaultPhoneType: str | None = None
    defaultPhoneNbr: str | None = None
    defaultPhoneExtension: str | None = None
    defaultFlag: bool | None = None
    communicationItems: list[ContactCommunicationItem] | None = None
    types: list[Reference] | None = None
    customFields: list[CustomFieldValue] | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.firstName, self.lastName) if p)


class Configuration(_HasInfo):
    """A company configuration (spec name "Company.Configuration"): a device, licence or service."""

    id: int | None = None
    name: str | None = None
    type: Reference | None = None
    status: Reference | None = None
    company: CompanyReference | None = None
    contact: ContactReference | None = None
    site: Reference | None = None
    deviceIdentifier: str | None = None
    serialNumber: str | None = None
    modelNumber: str | None = None
    tagNumber: str | None = None
    manufacturer: Reference | None = None
    osType: str | None = None
    osInfo: str | None = None
    ipAddress: str | None = None
    macAddress: str | None = None
    lastLoginName: str | None = None
    warrantyExpirationDate: datetime | None = None
    installationDate: datetime | None = None
    activeFlag: bool | None = None
    notes: str | None = None
    vendorNotes: str | None = None
    customFields: list[CustomFieldValue] | None = None


class Member(_HasInfo):
    id: int | None = None
    identifier: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    title: str | None = None
    inactiveFlag: bool | None = None
    licenseClass: str | None = None
    primaryEmail: str | None = None
    officeEmail: str | None = None
    defaultEmail: str | None = None
    officePhone: str | None = None
    workRole: Reference | None = None
    workType: Reference | None = None


class Board(_HasInfo):
    id: int | None = None
    name: str | None = None
    location: Reference | None = None
    department: Reference | None = None
    inactiveFlag: bool | None = None
    projectFlag: bool | None = None


class BoardStatus(_HasInfo):
    id: int | None = None
    name: str | None = None
    board: BoardReference | None = None
    # The service seed shows a bare boardId; the 2026.4 schema a board reference. Accept both.
    boardId: int | None = None
    sortOrder: int | None = None
    displayOnBoard: bool | None = None
    inactive: bool | None = None
    closedStatus: bool | None = None
    defaultFlag: bool | None = None
    timeEntryNotAllowed: bool | None = None
    escalationStatus: str | None = None
    customerPortalDescription: str | None = None


class Priority(_HasInfo):
    id: int | None = None
    name: str | None = None
    color: str | None = None
    sortOrder: int | None = None
    defaultFlag: bool | None = None
    level: str | None = None


class BoardType(_HasInfo):
    """/service/boards/{id}/types, /subtypes and /items share these fields (Service.BoardType, BoardSubType,
    BoardItem in the spec)."""

    id: int | None = None
    name: str | None = None
    board: BoardReference | None = None
    inactiveFlag: bool | None = None
    defaultFlag: bool | None = None


class KnowledgeBaseArticle(_HasInfo):
    id: int | None = None
    title: str | None = None
    issue: str | None = None
    resolution: str | None = None
    board: BoardReference | None = None
    # Older releases (and the service seed) send a bare boardId.
    boardId: int | None = None
    locationId: int | None = None
    businessUnitId: int | None = None
    categoryId: int | None = None
    subCategoryId: int | None = None
    dateCreated: datetime | None = None
    createdBy: str | None = None


class TimeEntry(_HasInfo):
    id: int | None = None
    company: CompanyReference | None = None
    chargeToId: int | None = None
    chargeToType: str | None = None
    member: MemberReference | None = None
    workType: Reference | None = None
    workRole: Reference | None = None
    timeStart: datetime | None = None
    timeEnd: datetime | None = None
    actualHours: float | None = None
    hoursDeduct: float | None = None
    billableOption: str | None = None
    notes: str | None = None
    internalNotes: str | None = None
    addToDetailDescriptionFlag: bool | None = None
    addToInternalAnalysisFlag: bool | None = None
    addToResolutionFlag: bool | None = None
    ticket: TicketReference | None = None
    status: str | None = None
    enteredBy: str | None = None
    dateEntered: datetime | None = None


class ScheduleEntry(_HasInfo):
    """A /schedule/entries record: a member booked for something; type "S" is a service ticket (`objectId`)."""

    id: int | None = None
    objectId: int | None = None
    name: str | None = None
    member: MemberReference | None = None
    where: Reference | None = None
    dateStart: datetime | None = None
    dateEnd: datetime | None = None
    status: Reference | None = None
    type: Reference | None = None
    doneFlag: bool | None = None
    acknowledgedFlag: bool | None = None
    hours: float | None = None


class Count(CWModel):
    """The answer of every `.../count` endpoint."""

    count: int


class ValidationErrorDetail(CWModel):
    """One item of ErrorResponseMessage.errors (the spec's ValidationError)."""

    code: str | None = None
    message: str | None = None
    resource: str | None = None
    field: str | None = None
    details: str | None = None


class ErrorResponseMessage(CWModel):
    code: str | None = None
    message: str | None = None
    errors: list[ValidationErrorDetail] | None = None


# ---- write models ----------------------------------------------------------------------------------------------


class WriteModel(BaseModel):
    """Base of every request body: strict, and serialised with CW names and without unset fields."""

    model_config = _STRICT

    def to_cw(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ReferenceInput(WriteModel):
    """A reference in a request body. ConnectWise resolves it by id, or by identifier where one exists;
    names are not unique (the developer guide warns), so name alone is accepted only where CW takes it."""

    id: int | None = Field(None, ge=1)
    identifier: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _one_key(self) -> ReferenceInput:
        if self.id is None and self.identifier is None and self.name is None:
            raise ValueError("a reference needs an id, an identifier or a name")
        return self


_PATCH_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PatchOperation(WriteModel):
    """One element of a PATCH body. Paths are bare top-level field names (`status`, not `/status` or
    `status/id`): ConnectWise replaces a reference whole and may answer a false 200 for a nested path."""

    op: Literal["add", "replace", "remove"]
    path: str
    value: Any = None

    @field_validator("path")
    @classmethod
    def _bare_path(cls, path: str) -> str:
        if not _PATCH_PATH.fullmatch(path):
            raise ValueError(
                f"PATCH path {path!r} must be a bare field name such as 'summary' or 'status'; "
                "replace a reference whole (value={'id': 5}) instead of patching 'status/id'"
            )
        return path

    def to_cw(self) -> dict[str, Any]:
        # `value` is kept even when None: {"op": "replace", "path": "x", "value": null} clears a field.
        body = self.model_dump(mode="json")
        if self.op == "remove":
            body.pop("value", None)
        return body

    @classmethod
    def replace(cls, path: str, value: Any) -> PatchOperation:
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
        return cls(op="replace", path=path, value=value)


class TicketCreate(WriteModel):
    summary: Str100
    company: ReferenceInput
    recordType: Literal["ServiceTicket", "ProjectTicket", "ProjectIssue"] | None = None
    board: ReferenceInput | None = None
    status: ReferenceInput | None = None
    priority: ReferenceInput | None = None
    contact: ReferenceInput | None = None
    contactName: Str62 | None = None
    contactPhoneNumber: Str20 | None = None
    contactEmailAddress: Str250 | None = None
    site: ReferenceInput | None = None
    siteName: Str156 | None = None
    type: ReferenceInput | None = None
    subType: ReferenceInput | None = None
    item: ReferenceInput | None = None
    team: ReferenceInput | None = None
    owner: ReferenceInput | None = None
    serviceLocation: ReferenceInput | None = None
    source: ReferenceInput | None = None
    severity: Literal["Low", "Medium", "High"] | None = None
    impact: Literal["Low", "Medium", "High"] | None = None
    externalXRef: Str100 | None = None
    poNumber: Str50 | None = None
    automaticEmailCc: Str1000 | None = None
    initialDescription: str | None = None
    initialInternalAnalysis: str | None = None
    initialResolution: str | None = None
    requiredDate: datetime | None = None
    budgetHours: float | None = Field(None, ge=0)


class ServiceNoteCreate(WriteModel):
    """POST /service/tickets/{id}/notes. ConnectWise rejects a note that sets none of the three flags."""

    text: Annotated[str, StringConstraints(min_length=1)]
    detailDescriptionFlag: bool = False
    internalAnalysisFlag: bool = False
    resolutionFlag: bool = False
    issueFlag: bool | None = None
    internalFlag: bool | None = None
    externalFlag: bool | None = None
    customerUpdatedFlag: bool | None = None
    processNotifications: bool | None = None
    member: ReferenceInput | None = None
    contact: ReferenceInput | None = None

    @model_validator(mode="after")
    def _one_flag(self) -> ServiceNoteCreate:
        if not (self.detailDescriptionFlag or self.internalAnalysisFlag or self.resolutionFlag):
            raise ValueError(
                "a note must set one of detailDescriptionFlag (discussion), internalAnalysisFlag or resolutionFlag"
            )
        return self


class KnowledgeBaseArticleCreate(WriteModel):
    title: Annotated[str, StringConstraints(min_length=1)]
    issue: Annotated[str, StringConstraints(min_length=1)]
    resolution: Annotated[str, StringConstraints(min_length=1)]
    board: ReferenceInput | None = None
    categoryId: int | None = None
    subCategoryId: int | None = None
    locationId: int | None = None
    businessUnitId: int | None = None


class TimeEntryCreate(WriteModel):
    timeStart: datetime
    timeEnd: datetime | None = None
    chargeToId: int | None = None
    chargeToType: Literal["Company", "ServiceTicket", "ProjectTicket", "ChargeCode", "Activity"] | None = None
    company: ReferenceInput | None = None
    member: ReferenceInput | None = None
    workType: ReferenceInput | None = None
    workRole: ReferenceInput | None = None
    actualHours: float | None = Field(None, ge=0)
    hoursDeduct: float | None = Field(None, ge=0)
    billableOption: Literal["Billable", "DoNotBill", "NoCharge", "NoDefault"] | None = None
    notes: str | None = None
    internalNotes: str | None = None
    addToDetailDescriptionFlag: bool | None = None
    addToInternalAnalysisFlag: bool | None = None
    addToResolutionFlag: bool | None = None
    emailResourceFlag: bool | None = None
    emailContactFlag: bool | None = None
    emailCcFlag: bool | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> TimeEntryCreate:
        if self.timeEnd is not None and self.timeEnd <= self.timeStart:
            raise ValueError("timeEnd must be after timeStart")
        return self


class CompanyCreate(WriteModel):
    identifier: Str156
    name: Str156
    status: ReferenceInput | None = None
    types: list[ReferenceInput] | None = None
    site: ReferenceInput | None = None
    addressLine1: Str50 | None = None
    addressLine2: Str50 | None = None
    city: Str50 | None = None
    state: Str50 | None = None
    zip: Str12 | None = None
    phoneNumber: Str30 | None = None
    faxNumber: Str30 | None = None
    website: Str255 | None = None
    leadSource: Str50 | None = None


class ConfigurationCreate(WriteModel):
    name: Str100
    type: ReferenceInput
    company: ReferenceInput
    status: ReferenceInput | None = None
    contact: ReferenceInput | None = None
    deviceIdentifier: Str100 | None = None
    serialNumber: Str250 | None = None
    modelNumber: Str50 | None = None
    tagNumber: Str50 | None = None
    macAddress: Str25 | None = None
    lastLoginName: Str100 | None = None
    ipAddress: Str50 | None = None
    osType: Str250 | None = None
    osInfo: Str250 | None = None
    notes: str | None = None


class BoardStatusCreate(WriteModel):
    name: Str50
    sortOrder: int | None = None
    closedStatus: bool | None = None
    defaultFlag: bool | None = None
    inactive: bool | None = None
    customerPortalDescription: Str500 | None = None
