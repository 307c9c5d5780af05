"""Lookup endpoints third-party ConnectWise clients call, wired into `sandbox.app` by two small hooks.

Stored lookups (tables in `sandbox.lookup_tables`, seeded by `sandbox.seed.lookups`) get ConnectWise's list,
count and get semantics through the app's generic endpoints; ticket tasks are writable too. The rest are
derived or fixed answers: `/system/info`, `/login/companyinfo/{company}` (codebase discovery, outside the API
prefix as on ConnectWise), `/service/boards/{id}/statuses/info`, `/company/contacts/{id}/communications`,
`/system/documents` (filtered by recordType and recordId) and `POST /service/tickets/{id}/attachChildren`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.auth import COMPANY_ID
from sandbox.errors import bad_request, field_error, not_found
from sandbox.query import list_params, navigable_links
from sandbox.resources import Resource, _board_ref, acting_identifier, now_iso
from sandbox.store import Doc, Store

API_PREFIX = "/v4_6_release/apis/3.0"
SANDBOX_VERSION = "v2025.1.10431"  # the ConnectWise release the sandbox answers as


class _Lookup(Resource):
    read_only = True


def _lookup(name: str, label: str, parent: str | None = None) -> type[Resource]:
    attrs: dict[str, Any] = {"name": name, "label": label}
    if parent == "boards":
        attrs.update(parent_field="board", parent_resource="boards", parent_shape=staticmethod(_board_ref))
    elif parent == "boardId":
        attrs.update(parent_field="boardId", parent_resource="boards")
    return type(f"Lookup_{name}", (_Lookup,), attrs)


class TicketTasks(Resource):
    name, label = "ticket_tasks", "ticketTask"
    parent_field, parent_resource = "ticketId", "tickets"
    touches_parent = True

    def fill_defaults(self, doc: Doc, existing: Doc | None) -> None:
        if not isinstance(doc.get("notes"), str) or not doc["notes"].strip():
            raise field_error(self.label, "notes", "NullOrEmpty", "notes may not be empty")
        doc.setdefault("closedFlag", False)
        doc.setdefault("summary", doc["notes"][:100])
        if existing is None and doc.get("priority") is None:
            doc["priority"] = self.store.count(self.name, parent_id=doc["ticketId"]) + 1


LOOKUP_RESOURCES: dict[str, type[Resource]] = {cls.name: cls for cls in (
    _lookup("board_subtypes", "boardSubType", "boards"),
    _lookup("board_items", "boardItem", "boards"),
    _lookup("board_teams", "boardTeam", "boardId"),
    _lookup("service_sources", "source"),
    _lookup("service_locations", "serviceLocation"),
    _lookup("service_teams", "serviceTeam"),
    _lookup("kb_categories", "knowledgeBaseCategory"),
    _lookup("company_statuses", "companyStatus"),
    _lookup("company_types", "companyType"),
    _lookup("configuration_types", "configurationType"),
    _lookup("configuration_statuses", "configurationStatus"),
    _lookup("work_roles", "workRole"),
    _lookup("work_types", "workType"),
    _lookup("documents", "document"),
    _lookup("activities", "activity"),
    TicketTasks,
)}

# (collection path, resource, methods beyond list/count/get), as app._COLLECTIONS
LOOKUP_COLLECTIONS: list[tuple[str, str, set[str]]] = [
    ("/service/boards/{parent_id:int}/subtypes", "board_subtypes", set()),
    ("/service/boards/{parent_id:int}/items", "board_items", set()),
    ("/service/boards/{parent_id:int}/teams", "board_teams", set()),
    ("/service/sources", "service_sources", set()),
    ("/service/locations", "service_locations", set()),
    ("/service/teams", "service_teams", set()),
    ("/service/knowledgeBaseCategories", "kb_categories", set()),
    ("/company/companies/statuses", "company_statuses", set()),
    ("/company/companies/types", "company_types", set()),
    ("/company/configurations/types", "configuration_types", set()),
    ("/company/configurations/statuses", "configuration_statuses", set()),
    ("/time/workRoles", "work_roles", set()),
    ("/time/workTypes", "work_types", set()),
    ("/service/tickets/{parent_id:int}/tasks", "ticket_tasks", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/sales/activities", "activities", set()),
]

_DOCUMENT_HIDDEN = ("recordType", "recordId")


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


def _page(request: Request, items: list[Doc]) -> Response:
    if request.url.path.endswith("/count"):
        return _json({"count": len(items)})
    params = list_params(dict(request.query_params), forward_only=False)
    start = (params.page - 1) * params.page_size
    base = str(request.url.replace(query="")).removesuffix("/count")
    link = navigable_links(base, dict(request.query_params), params.page, params.page_size, len(items))
    return _json(items[start:start + params.page_size], headers={"Link": link} if link else None)


def lookup_routes(store: Store) -> list[BaseRoute]:
    """The derived and fixed endpoints."""

    def system_info(request: Request) -> Response:
        return _json({"version": SANDBOX_VERSION, "isCloud": False, "serverTimeZone": "Mountain Standard Time",
                      "licenseBits": [{"activeFlag": True, "name": "Service Desk"},
                                      {"activeFlag": True, "name": "Time and Expense"}],
                      "cloudRegion": None})

    def company_info(request: Request) -> Response:
        # Codebase discovery (developer guide: /login/companyinfo/{company}); no credentials, outside the API.
        if request.path_params["company"].lower() != COMPANY_ID.lower():
            raise not_found(f"Company {request.path_params['company']!r} was not found")
        return _json({"CompanyName": "Summit Peak IT (sandbox)", "Codebase": "v4_6_release/",
                      "VersionCode": SANDBOX_VERSION.rsplit(".", 1)[0], "VersionNumber": "v4.6." +
                      SANDBOX_VERSION.rsplit(".", 1)[1], "CompanyID": COMPANY_ID, "IsCloud": False,
                      "SiteUrl": request.url.netloc})

    def status_info(request: Request) -> Response:
        board_id = request.path_params["parent_id"]
        if store.get("boards", board_id) is None:
            raise not_found(f"Board with id {board_id} was not found")
        keep = ("id", "name", "board", "sortOrder", "inactive", "closedStatus", "_info")
        return _page(request, [{k: s.get(k) for k in keep}
                               for s in store.select("board_statuses", parent_id=board_id)])

    def communications(request: Request) -> Response:
        contact = store.get("contacts", request.path_params["parent_id"])
        if contact is None:
            raise not_found(f"Contact with id {request.path_params['parent_id']} was not found")
        items = [copy.deepcopy(item) for item in contact.get("communicationItems") or []]
        for index, item in enumerate(items, start=1):
            item.setdefault("id", index)
        return _page(request, items)

    def documents(request: Request) -> Response:
        record_type = request.query_params.get("recordType")
        record_id = request.query_params.get("recordId")
        if (record_type is None) != (record_id is None):
            raise bad_request("recordType and recordId are given together")
        where, args = "", []
        if record_id is not None:
            if not record_id.isdigit():
                raise bad_request("recordId must be an integer")
            where, args = "parent_id = ? AND json_extract(doc, '$.recordType') = ? COLLATE NOCASE", \
                [int(record_id), record_type]
        docs = store.select("documents", where=where, params=args)
        return _page(request, [{k: v for k, v in d.items() if k not in _DOCUMENT_HIDDEN} for d in docs])

    async def attach_children(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except json.JSONDecodeError:
            raise bad_request("Malformed JSON body") from None
        children = body.get("childTicketIds") if isinstance(body, dict) else None
        if not isinstance(children, list) or not children or not all(
                isinstance(c, int) and not isinstance(c, bool) for c in children):
            raise field_error("attachChildren", "childTicketIds", "InvalidField",
                              "childTicketIds must be a non-empty array of ticket ids")
        await run_in_threadpool(_attach, store, request.path_params["parent_id"], children)
        return _json({"success": True})

    return [
        Route(f"{API_PREFIX}/system/info", system_info, methods=["GET"]),
        Route("/login/companyinfo/{company}", company_info, methods=["GET"]),
        Route(f"{API_PREFIX}/service/boards/{{parent_id:int}}/statuses/info", status_info, methods=["GET"]),
        Route(f"{API_PREFIX}/service/boards/{{parent_id:int}}/statuses/info/count", status_info, methods=["GET"]),
        Route(f"{API_PREFIX}/company/contacts/{{parent_id:int}}/communications", communications, methods=["GET"]),
        Route(f"{API_PREFIX}/company/contacts/{{parent_id:int}}/communications/count", communications,
              methods=["GET"]),
        Route(f"{API_PREFIX}/system/documents", documents, methods=["GET"]),
        Route(f"{API_PREFIX}/system/documents/count", documents, methods=["GET"]),
        Route(f"{API_PREFIX}/service/tickets/{{parent_id:int}}/attachChildren", attach_children, methods=["POST"]),
    ]


def _attach(store: Store, parent_id: int, children: list[int]) -> None:
    with store.transaction():
        parent = store.get("tickets", parent_id)
        if parent is None:
            raise not_found(f"Ticket with id {parent_id} was not found")
        stamp, author = now_iso(), acting_identifier()
        for child_id in children:
            child = store.get("tickets", child_id)
            if child is None or child_id == parent_id:
                raise field_error("attachChildren", "childTicketIds", "InvalidField",
                                  f"ticket {child_id} cannot be attached to ticket {parent_id}")
            child = {**child, "parentTicketId": parent_id,
                     "_info": {**(child.get("_info") or {}), "lastUpdated": stamp, "updatedBy": author}}
            store.replace("tickets", child)
        parent = {**parent, "hasChildTicket": True,
                  "_info": {**(parent.get("_info") or {}), "lastUpdated": stamp, "updatedBy": author}}
        store.replace("tickets", parent)
