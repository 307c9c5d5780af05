"""Per-resource write rules: validation, reference resolution, server-filled fields and side effects.

Each `Resource` turns a client body into the stored document the way ConnectWise does: references given
by id or by name/identifier come back filled out (`{id, name, _info: {..._href}}`), `_info` is stamped,
and resource-specific rules apply (a closed status closes the ticket, a note needs a flag, ...).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from sandbox.errors import ApiError, ValidationError, conflict, field_error, forbidden, invalid_object, not_found
from sandbox.fields import FIELDS, MAX_LENGTHS, REQUIRED
from sandbox.store import Doc, Store

API_ROOT = "/v4_6_release/apis/3.0"
API_MEMBER = "SandboxAPI"  # what CW shows as updatedBy for writes made with the sandbox's API keys
READ_ONLY_FIELDS = frozenset({"id", "_info"})

acting_member: ContextVar[Doc | None] = ContextVar("sandbox_acting_member", default=None)
"""The member whose own API keys made the request being served (sandbox/auth.py sets it); None: the API member."""


def acting_identifier() -> str:
    """Who ConnectWise records as a write's author (createdBy, enteredBy, updatedBy, closedBy)."""
    member = acting_member.get()
    return member["identifier"] if member is not None else API_MEMBER


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _href(path: str) -> str:
    return f"{API_ROOT}{path}"


# reference shapes ----------------------------------------------------------------------------------

def _board_ref(d: Doc) -> Doc:
    return {"id": d["id"], "name": d.get("name"), "_info": {"board_href": _href(f"/service/boards/{d['id']}")}}


def _status_ref(d: Doc) -> Doc:
    board_id = (d.get("board") or {}).get("id")
    return {"id": d["id"], "name": d.get("name"), "sort": d.get("sortOrder"),
            "_info": {"status_href": _href(f"/service/boards/{board_id}/statuses/{d['id']}")}}


def _type_ref(d: Doc) -> Doc:
    board_id = (d.get("board") or {}).get("id")
    return {"id": d["id"], "name": d.get("name"),
            "_info": {"type_href": _href(f"/service/boards/{board_id}/types/{d['id']}")}}


def _priority_ref(d: Doc) -> Doc:
    return {"id": d["id"], "name": d.get("name"), "sort": d.get("sortOrder"),
            "_info": {"priority_href": _href(f"/service/priorities/{d['id']}")}}


def _company_ref(d: Doc) -> Doc:
    return {"id": d["id"], "identifier": d.get("identifier"), "name": d.get("name"),
            "_info": {"company_href": _href(f"/company/companies/{d['id']}")}}


def _site_ref(d: Doc) -> Doc:
    company_id = (d.get("company") or {}).get("id")
    return {"id": d["id"], "name": d.get("name"),
            "_info": {"site_href": _href(f"/company/companies/{company_id}/sites/{d['id']}")}}


def _contact_ref(d: Doc) -> Doc:
    name = " ".join(p for p in (d.get("firstName"), d.get("lastName")) if p)
    return {"id": d["id"], "name": name, "_info": {"contact_href": _href(f"/company/contacts/{d['id']}")}}


def _member_ref(d: Doc) -> Doc:
    name = " ".join(p for p in (d.get("firstName"), d.get("lastName")) if p)
    return {"id": d["id"], "identifier": d.get("identifier"), "name": name,
            "_info": {"member_href": _href(f"/system/members/{d['id']}")}}


def configuration_ref(d: Doc) -> Doc:
    return {"id": d["id"], "name": d.get("name"), "deviceIdentifier": d.get("deviceIdentifier"),
            "_info": {"configuration_href": _href(f"/company/configurations/{d['id']}")}}


@dataclass(frozen=True)
class RefRule:
    resource: str
    keys: tuple[str, ...]  # unique-ish fields a client may name the target by, besides id
    shape: Callable[[Doc], Doc]
    scope: str | None = None  # sibling reference whose id scopes the lookup (a status belongs to a board)


BOARD = RefRule("boards", ("name",), _board_ref)
STATUS = RefRule("board_statuses", ("name",), _status_ref, scope="board")
TYPE = RefRule("board_types", ("name",), _type_ref, scope="board")
PRIORITY = RefRule("priorities", ("name",), _priority_ref)
COMPANY = RefRule("companies", ("identifier", "name"), _company_ref)
SITE = RefRule("sites", ("name",), _site_ref, scope="company")
CONTACT = RefRule("contacts", (), _contact_ref)
MEMBER = RefRule("members", ("identifier",), _member_ref)


class Resource:
    """Default rules: required fields, max lengths, references; subclasses add resource behaviour."""

    name: str = ""
    label: str = ""  # the `resource` in CW validation errors
    refs: dict[str, RefRule] = {}
    parent_field: str | None = None  # where the URL's parent id lands in the document
    parent_shape: Callable[[Doc], Doc] | None = None
    parent_resource: str | None = None
    # A child whose changes count as changes of its parent (a ticket's notes): ConnectWise moves the
    # parent's _info.lastUpdated, which incremental sync and the write guard's staleness check rely on.
    touches_parent: bool = False
    read_only: bool = False

    def __init__(self, store: Store) -> None:
        self.store = store

    # hooks --------------------------------------------------------------------------------------

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        """Server-side defaults and derived fields; `existing` is None on create."""

    def check_conflicts(self, doc: Doc) -> None:
        """Raise 409 when the document clashes with stored data."""

    def before_delete(self, doc: Doc) -> None:
        """Cascade or refuse a delete."""

    # pipeline -----------------------------------------------------------------------------------

    def _guard_writable(self) -> None:
        if self.read_only:
            raise forbidden(f"The API member does not have permission to modify {self.label} records")

    def _validate(self, doc: Doc) -> None:
        errors: list[ValidationError] = []
        for field in REQUIRED.get(self.name, ()):
            if doc.get(field) in (None, "", {}):
                errors.append(ValidationError(code="NullOrEmpty", message=f"{field} may not be empty",
                                              resource=self.label, field=field))
        for field, limit in MAX_LENGTHS.get(self.name, {}).items():
            value = doc.get(field)
            if value is None:
                continue
            if not isinstance(value, str):
                errors.append(ValidationError(code="InvalidField", message=f"{field} must be a string",
                                              resource=self.label, field=field))
            elif len(value) > limit:
                errors.append(ValidationError(code="InvalidField",
                                              message=f"{field} has a max length of {limit}",
                                              resource=self.label, field=field))
        if errors:
            raise invalid_object(self.label, errors)

    def resolve_ref(self, doc: Doc, field: str, rule: RefRule) -> None:
        given = doc.get(field)
        if given is None:
            return
        if not isinstance(given, dict):
            raise field_error(self.label, field, "InvalidField", f"{field} must be an object")
        scope_id = None
        if rule.scope:
            scope_id = (doc.get(rule.scope) or {}).get("id")
        target: Doc | None = None
        if given.get("id") is not None:
            if not isinstance(given["id"], int) or isinstance(given["id"], bool):
                raise field_error(self.label, field, "InvalidField", f"{field}/id must be an integer")
            target = self.store.get(rule.resource, given["id"], parent_id=scope_id)
        else:
            for key in rule.keys:
                if isinstance(given.get(key), str):
                    target = self.store.find_one(rule.resource, key, given[key], parent_id=scope_id)
                    break
            else:
                raise field_error(self.label, field, "InvalidField",
                                  f"{field} must be given by id{''.join(' or ' + k for k in rule.keys)}")
        if target is None:
            raise field_error(self.label, field, "InvalidField", f"{field} not found: {given}")
        doc[field] = rule.shape(target)

    def _resolve_refs(self, doc: Doc, before: Doc | None) -> None:
        # Scoping references resolve first so their ids are there when the scoped ones look up.
        order = sorted(self.refs.items(), key=lambda item: item[1].scope is not None)
        for field, rule in order:
            if before is not None and doc.get(field) == before.get(field):
                continue
            self.resolve_ref(doc, field, rule)

    def _stamp(self, doc: Doc, existing: Doc | None) -> None:
        stamp = now_iso()
        info = dict((existing or {}).get("_info") or {})
        author = acting_identifier()
        info.update({"lastUpdated": stamp, "updatedBy": author})
        if existing is None:
            info.update({"dateEntered": stamp, "enteredBy": author})
        doc["_info"] = info

    def require_parent(self, parent_id: int | None) -> Doc | None:
        if self.parent_resource is None:
            return None
        parent = self.store.get(self.parent_resource, parent_id) if parent_id is not None else None
        if parent is None:
            raise not_found(f"{self.parent_resource[:-1].capitalize()} with id {parent_id} was not found")
        return parent

    def create(self, body: Any, parent_id: int | None = None) -> Doc:
        self._guard_writable()
        if not isinstance(body, dict):
            raise invalid_object(self.label, [ValidationError(code="InvalidObject", message="body must be a JSON object",
                                                                resource=self.label, field="")])
        with self.store.transaction():
            parent = self.require_parent(parent_id)
            doc = {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY_FIELDS}
            if parent is not None and self.parent_field:
                doc[self.parent_field] = self.parent_shape(parent) if self.parent_shape else parent["id"]
            self._validate(doc)
            self._resolve_refs(doc, None)
            self.fill_defaults(doc, None)
            self.check_conflicts(doc)
            self._stamp(doc, None)
            saved = self.store.insert(self.name, doc)
            self._touch_parent(parent)
            return saved

    def get(self, id_: int, parent_id: int | None = None) -> Doc:
        if self.parent_resource is not None:
            self.require_parent(parent_id)
        doc = self.store.get(self.name, id_, parent_id=parent_id)
        if doc is None:
            raise not_found(f"{self.label[:1].upper()}{self.label[1:]} with id {id_} was not found")
        return doc

    def replace(self, id_: int, body: Any, parent_id: int | None = None) -> Doc:
        """PUT: the body becomes the document; unspecified fields are reset, ids and _info are kept."""
        self._guard_writable()
        if not isinstance(body, dict):
            raise invalid_object(self.label, [ValidationError(code="InvalidObject", message="body must be a JSON object",
                                                                resource=self.label, field="")])
        with self.store.transaction():
            existing = self.get(id_, parent_id)
            doc = {k: copy.deepcopy(v) for k, v in body.items() if k not in READ_ONLY_FIELDS}
            if self.parent_field:
                doc[self.parent_field] = existing.get(self.parent_field)
            return self._save(id_, doc, existing)

    def patch(self, id_: int, operations: Any, parent_id: int | None = None) -> Doc:
        self._guard_writable()
        with self.store.transaction():
            existing = self.get(id_, parent_id)
            doc = copy.deepcopy(existing)
            for op in _patch_operations(operations, self.label):
                self._apply(doc, op)
            return self._save(id_, doc, existing)

    def _save(self, id_: int, doc: Doc, existing: Doc) -> Doc:
        doc["id"] = id_
        self._validate(doc)
        self._resolve_refs(doc, existing)
        self.fill_defaults(doc, existing)
        self.check_conflicts(doc)
        self._stamp(doc, existing)
        saved = self.store.replace(self.name, doc)
        self._touch_parent(self.store.get(self.parent_resource, existing.get(self.parent_field))
                           if self.touches_parent and self.parent_resource and self.parent_field else None)
        return saved

    def _touch_parent(self, parent: Doc | None) -> None:
        if not self.touches_parent or parent is None or self.parent_resource is None:
            return
        touched = copy.deepcopy(parent)
        touched.setdefault("_info", {})["lastUpdated"] = now_iso()
        self.store.replace(self.parent_resource, touched)

    def _apply(self, doc: Doc, op: dict[str, Any]) -> None:
        path = op["path"].strip("/")
        segments = path.split("/") if path else []
        if not segments or any(not s for s in segments):
            raise _patch_error(self.label, op["path"], "path must name a field")
        head = segments[0]
        known = FIELDS.get(self.name)
        if head in READ_ONLY_FIELDS or (self.parent_field and head == self.parent_field):
            raise _patch_error(self.label, head, f"{head} is read-only")
        if known is not None and head not in known:
            raise _patch_error(self.label, head, f"{head} is not a field of {self.label}")
        if head in self.refs and len(segments) == 2 and segments[1] == "id":
            # `status/id`: CW reads it as the whole reference replaced by the one with that id.
            if op["op"] == "remove":
                doc[head] = None
            elif "value" not in op:
                raise _patch_error(self.label, op["path"], "value is required for add/replace")
            else:
                doc[head] = {segments[1]: copy.deepcopy(op["value"])}
            return
        if len(segments) > 1 and (head in self.refs or isinstance(doc.get(head), dict) and "id" in doc[head]):
            # CW only replaces references whole; a path into one would silently do nothing there.
            raise _patch_error(self.label, op["path"], f"replace the whole {head} reference, not {op['path']}")
        parent: Any = doc
        for key in segments[:-1]:
            parent = parent.setdefault(key, {})
            if not isinstance(parent, dict):
                raise _patch_error(self.label, op["path"], f"{key} is not an object")
        leaf = segments[-1]
        if op["op"] == "remove":
            parent[leaf] = None
        else:
            if "value" not in op:
                raise _patch_error(self.label, op["path"], "value is required for add/replace")
            parent[leaf] = copy.deepcopy(op["value"])

    def delete(self, id_: int, parent_id: int | None = None) -> None:
        self._guard_writable()
        with self.store.transaction():
            doc = self.get(id_, parent_id)
            self.before_delete(doc)
            self.store.delete(self.name, id_)
            self._touch_parent(self.require_parent(parent_id) if self.touches_parent else None)


def _patch_error(resource: str, field: str, message: str) -> ApiError:
    return field_error(resource, field, "InvalidPatch", message)


def _patch_operations(operations: Any, label: str) -> list[dict[str, Any]]:
    if not isinstance(operations, list):
        raise _patch_error(label, "", "PATCH body must be a JSON array of {op, path, value} operations")
    checked = []
    for item in operations:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not isinstance(item.get("op"), str):
            raise _patch_error(label, "", "each operation needs string op and path")
        op = item["op"].lower()
        if op not in ("add", "replace", "remove"):
            raise _patch_error(label, item["path"], f"unsupported op {item['op']!r} (use add, replace or remove)")
        checked.append({**item, "op": op})
    return checked


# concrete resources -------------------------------------------------------------------------------

# Write-only ticket fields: a POST turns each into a note of the ticket with these flags; no GET returns them.
INITIAL_NOTES: dict[str, dict[str, bool]] = {
    "initialDescription": {"detailDescriptionFlag": True},
    "initialInternalAnalysis": {"internalAnalysisFlag": True, "internalFlag": True},
    "initialResolution": {"resolutionFlag": True},
}
WRITE_ONLY: dict[str, frozenset[str]] = {"tickets": frozenset(INITIAL_NOTES)}


def hide_write_only(resource: str, doc: Doc) -> Doc:
    """The document as a GET shows it: without the resource's write-only fields."""
    hidden = WRITE_ONLY.get(resource)
    if not hidden or not hidden & doc.keys():
        return doc
    return {k: v for k, v in doc.items() if k not in hidden}


class Tickets(Resource):
    name, label = "tickets", "ticket"
    refs = {"board": BOARD, "status": STATUS, "type": TYPE, "priority": PRIORITY, "company": COMPANY,
            "site": SITE, "contact": CONTACT, "owner": MEMBER}

    def create(self, body: Any, parent_id: int | None = None) -> Doc:
        initial: dict[str, str] = {}
        if isinstance(body, dict):
            body = dict(body)
            for field in INITIAL_NOTES:
                value = body.pop(field, None)
                if value is not None and not isinstance(value, str):
                    raise field_error(self.label, field, "InvalidField", f"{field} must be a string")
                if value and value.strip():
                    initial[field] = value
        with self.store.transaction():
            ticket = super().create(body, parent_id)
            notes = TicketNotes(self.store)
            for field, text in initial.items():
                notes.create({"text": text, **INITIAL_NOTES[field]}, ticket["id"])
            return self.get(ticket["id"]) if initial else ticket

    def _first(self, resource: str, parent_id: int | None = None) -> Doc | None:
        defaults = self.store.select(resource, where="json_extract(doc, '$.defaultFlag') = 1",
                                     parent_id=parent_id, limit=1)
        return defaults[0] if defaults else next(iter(self.store.select(resource, parent_id=parent_id, limit=1)), None)

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        for field in INITIAL_NOTES:  # write-only: never stored (a PUT or PATCH of one changes nothing)
            doc.pop(field, None)
        if existing is None:
            doc.setdefault("recordType", "ServiceTicket")
            doc.setdefault("severity", "Medium")
            doc.setdefault("impact", "Medium")
            doc.setdefault("customFields", [])
            doc["closedFlag"] = False
            if not doc.get("board") and (board := self._first("boards")):
                doc["board"] = _board_ref(board)
            if not doc.get("priority") and (priority := self._first("priorities")):
                doc["priority"] = _priority_ref(priority)
        board_id = (doc.get("board") or {}).get("id")
        status_id = (doc.get("status") or {}).get("id")
        status_doc = self.store.get("board_statuses", status_id, parent_id=board_id) if status_id else None
        if board_id is not None and status_doc is None:
            # A ticket always carries a status of its own board; moving boards resets it to the default.
            status_doc = self._first("board_statuses", board_id)
            doc["status"] = _status_ref(status_doc) if status_doc else None
        self._apply_closed_state(doc, existing, status_doc)

    def _apply_closed_state(self, doc: Doc, existing: Doc | None, status_doc: Doc | None) -> None:
        closed = bool(status_doc and status_doc.get("closedStatus"))
        was_closed = bool(existing and existing.get("closedFlag"))
        if closed and not was_closed:
            doc.update(closedFlag=True, closedDate=now_iso(), closedBy=acting_identifier())
        elif closed:
            doc.update(closedFlag=True, closedDate=existing.get("closedDate"), closedBy=existing.get("closedBy"))
        else:
            doc.update(closedFlag=False, closedDate=None, closedBy=None)

    def before_delete(self, doc: Doc) -> None:
        self.store.delete_children("ticket_notes", doc["id"])
        self.store.delete_children("ticket_configurations", doc["id"])


class TicketNotes(Resource):
    name, label = "ticket_notes", "serviceNote"
    refs = {"member": MEMBER, "contact": CONTACT}
    parent_field, parent_resource = "ticketId", "tickets"
    touches_parent = True

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        flags = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")
        if not any(doc.get(f) is True for f in flags):
            raise field_error(self.label, "detailDescriptionFlag", "InvalidField",
                              "At least one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag "
                              "must be true")
        if not isinstance(doc.get("text"), str) or not doc["text"].strip():
            raise field_error(self.label, "text", "NullOrEmpty", "text may not be empty")
        for flag in (*flags, "issueFlag", "internalFlag", "externalFlag", "customerUpdatedFlag"):
            doc.setdefault(flag, False)
        if existing is None:
            doc.setdefault("dateCreated", now_iso())
            doc.setdefault("createdBy", acting_identifier())
            # A note written with a member's own keys is theirs, as ConnectWise attributes it.
            if not doc.get("member") and (member := acting_member.get()) is not None:
                doc["member"] = _member_ref(member)
        else:
            doc["dateCreated"], doc["createdBy"] = existing.get("dateCreated"), existing.get("createdBy")


class TimeEntries(Resource):
    name, label = "time_entries", "timeEntry"
    refs = {"member": MEMBER, "company": COMPANY}

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        charge_type = doc.get("chargeToType") or "ServiceTicket"
        doc["chargeToType"] = charge_type
        if charge_type in ("ServiceTicket", "ProjectTicket"):
            ticket_id = doc.get("chargeToId")
            ticket = self.store.get("tickets", ticket_id) if isinstance(ticket_id, int) else None
            if ticket is None:
                raise field_error(self.label, "chargeToId", "InvalidField", f"ticket {ticket_id} not found")
            doc["ticket"] = {"id": ticket["id"], "summary": ticket.get("summary"),
                             "_info": {"ticket_href": _href(f"/service/tickets/{ticket['id']}")}}
            doc.setdefault("company", ticket.get("company"))
            doc["ticketBoard"] = (ticket.get("board") or {}).get("name")
            doc["ticketStatus"] = (ticket.get("status") or {}).get("name")
        # A member's own keys log their own time; the API member's fall back to the first member.
        if not doc.get("member") and (
            member := acting_member.get() or next(iter(self.store.select("members", limit=1)), None)
        ):
            doc["member"] = _member_ref(member)
        if doc.get("actualHours") is None and isinstance(doc.get("timeEnd"), str):
            start = _parse_time(doc["timeStart"], "timeStart", self.label)
            end = _parse_time(doc["timeEnd"], "timeEnd", self.label)
            if end < start:
                raise field_error(self.label, "timeEnd", "InvalidField", "timeEnd must be after timeStart")
            doc["actualHours"] = round((end - start).total_seconds() / 3600, 2)
        doc.setdefault("billableOption", "Billable")
        doc.setdefault("status", "Open")
        doc["enteredBy"] = (existing or {}).get("enteredBy", acting_identifier())
        doc["dateEntered"] = (existing or {}).get("dateEntered", now_iso())


def _parse_time(raw: Any, field: str, label: str) -> datetime:
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise field_error(label, field, "InvalidField", f"{field} must be an ISO 8601 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class KbArticles(Resource):
    name, label = "kb_articles", "knowledgeBaseArticle"
    refs = {"board": BOARD}

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        if existing is None:
            doc.setdefault("dateCreated", now_iso())
            doc.setdefault("createdBy", acting_identifier())
        else:
            doc["dateCreated"], doc["createdBy"] = existing.get("dateCreated"), existing.get("createdBy")


class Companies(Resource):
    name, label = "companies", "company"

    def check_conflicts(self, doc: Doc) -> None:
        clash = self.store.find_one("companies", "identifier", doc.get("identifier"))
        if clash is not None and clash["id"] != doc.get("id"):
            raise conflict(self.label, "identifier", f"The company identifier {doc['identifier']!r} is already in use")

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        doc.setdefault("deletedFlag", False)


class Sites(Resource):
    name, label = "sites", "site"
    parent_field, parent_resource, parent_shape = "company", "companies", staticmethod(_company_ref)


class Contacts(Resource):
    name, label = "contacts", "contact"
    refs = {"company": COMPANY, "site": SITE}

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        if not doc.get("firstName"):
            raise field_error(self.label, "firstName", "NullOrEmpty", "firstName may not be empty")
        doc.setdefault("inactiveFlag", False)
        doc.setdefault("communicationItems", [])


class Configurations(Resource):
    name, label = "configurations", "configuration"
    refs = {"company": COMPANY, "contact": CONTACT, "site": SITE}


class Members(Resource):
    name, label = "members", "member"
    # Sandbox API keys model an API member without the "System > Members" security role.
    read_only = True


class Boards(Resource):
    name, label = "boards", "board"

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        if not doc.get("name"):
            raise field_error(self.label, "name", "NullOrEmpty", "name may not be empty")
        doc.setdefault("inactiveFlag", False)

    def check_conflicts(self, doc: Doc) -> None:
        clash = self.store.find_one("boards", "name", doc["name"])
        if clash is not None and clash["id"] != doc.get("id"):
            raise conflict(self.label, "name", f"A board named {doc['name']!r} already exists")

    def before_delete(self, doc: Doc) -> None:
        if self.store.count("tickets", where="json_extract(doc, '$.board.id') = ?", params=[doc["id"]]):
            raise ApiError(409, "Conflict", "The board is in use by tickets and cannot be deleted")


class _BoardChild(Resource):
    parent_field, parent_resource, parent_shape = "board", "boards", staticmethod(_board_ref)

    def check_conflicts(self, doc: Doc) -> None:
        board_id = doc["board"]["id"]
        clash = self.store.find_one(self.name, "name", doc.get("name"), parent_id=board_id)
        if clash is not None and clash["id"] != doc.get("id"):
            raise conflict(self.label, "name", f"{doc.get('name')!r} already exists on board {board_id}")


class BoardStatuses(_BoardChild):
    name, label = "board_statuses", "boardStatus"

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        doc.setdefault("closedStatus", False)
        doc.setdefault("inactive", False)
        doc.setdefault("defaultFlag", False)
        doc.setdefault("sortOrder", 0)


class BoardTypes(_BoardChild):
    name, label = "board_types", "boardType"


class Priorities(Resource):
    name, label = "priorities", "priority"


# Callback types and the levels each accepts. The spec's CallbackEntry has type and level as plain required
# strings; the values are the developer guide's (its callback tables and changelog: Company Status and Type
# levels, Contact Type, Ticket Board and Status, project tickets by project board and status). Owner is the
# whole record type, with objectId 1.
CALLBACK_LEVELS: dict[str, tuple[str, ...]] = {
    "Activity": ("Owner",),
    "Company": ("Owner", "Status", "Type"),
    "Configuration": ("Owner", "Type"),
    "Contact": ("Owner", "Type"),
    "Invoice": ("Owner",),
    # Not in the guide's changelog; the sandbox sends it so that the copilot's index can follow KB edits.
    "KnowledgeBaseArticle": ("Owner",),
    "Opportunity": ("Owner", "Status"),
    "Project": ("Owner", "Board", "Status"),
    "Ticket": ("Owner", "Board", "Status", "ProjectBoard", "ProjectStatus"),
}


class Callbacks(Resource):
    name, label = "callbacks", "callback"

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        type_ = _canonical(doc.get("type"), CALLBACK_LEVELS)
        if type_ is None:
            raise field_error(self.label, "type", "InvalidField",
                              f"type must be one of {', '.join(CALLBACK_LEVELS)}")
        level = _canonical(doc.get("level"), CALLBACK_LEVELS[type_])
        if level is None:
            raise field_error(self.label, "level", "InvalidField",
                              f"level of a {type_} callback must be one of {', '.join(CALLBACK_LEVELS[type_])}")
        object_id = doc.get("objectId")
        if not isinstance(object_id, int) or isinstance(object_id, bool) or object_id < 1:
            raise field_error(self.label, "objectId", "InvalidField", "objectId must be a positive integer")
        if level == "Owner" and object_id != 1:
            raise field_error(self.label, "objectId", "InvalidField", "objectId must be 1 for an Owner level callback")
        url = doc.get("url")
        parsed = urlsplit(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
            raise field_error(self.label, "url", "InvalidField", "url must be an http or https URL")
        doc.update(type=type_, level=level)
        doc.setdefault("inactiveFlag", False)
        doc.setdefault("memberId", 0)


def _canonical(value: Any, allowed: Any) -> str | None:
    """`value` spelled as in `allowed` (CW matches these case-insensitively), or None when it is not there."""
    if not isinstance(value, str):
        return None
    return next((a for a in allowed if a.lower() == value.strip().lower()), None)


class ScheduleEntries(Resource):
    name, label = "schedule_entries", "scheduleEntry"
    refs = {"member": MEMBER}


RESOURCES: dict[str, type[Resource]] = {cls.name: cls for cls in (
    Tickets, TicketNotes, TimeEntries, KbArticles, Companies, Sites, Contacts, Configurations, Members, Boards,
    BoardStatuses, BoardTypes, Priorities, Callbacks, ScheduleEntries,
)}
