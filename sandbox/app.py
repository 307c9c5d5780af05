"""Routes: the ConnectWise REST surface under /v4_6_release/apis/3.0, the callback key endpoint, and the
/__sandbox control endpoints."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox.auth import AuthMiddleware
from sandbox.callbacks import KEY_PATH, Action, CallbackDispatcher, CallbackFaultRule
from sandbox.errors import ApiError, ErrorBody, bad_request, conflict, error_response, field_error, not_found
from sandbox.faults import FaultRule, Faults, RequestLog
from sandbox.query import (
    FieldResolver,
    compile_order_by,
    compile_where,
    forward_link,
    list_params,
    navigable_links,
    project,
)
from sandbox.lookups import LOOKUP_COLLECTIONS, LOOKUP_RESOURCES, lookup_routes
from sandbox.resources import RESOURCES, Resource, configuration_ref, hide_write_only
from sandbox.store import Doc, Store

API_PREFIX = "/v4_6_release/apis/3.0"
JSON_MEDIA = "application/json; charset=utf-8"


class CwJSON(JSONResponse):
    media_type = JSON_MEDIA


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise bad_request("A JSON request body is required")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise bad_request(f"Malformed JSON body: {exc.msg}") from None


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _base_url(request: Request) -> str:
    return str(request.url.replace(query=""))


def _parent_id(request: Request) -> int | None:
    return request.path_params.get("parent_id")


def _site_root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class Api:
    """Binds the store to request handlers; one instance per running sandbox."""

    def __init__(self, store: Store, callbacks: CallbackDispatcher) -> None:
        self.store = store
        self.callbacks = callbacks
        self.resources: dict[str, Resource] = {name: cls(store)
                                               for name, cls in {**RESOURCES, **LOOKUP_RESOURCES}.items()}

    # lists -----------------------------------------------------------------------------------------

    def _list(self, request: Request, resource: str, values: dict[str, Any], base_url: str) -> Response:
        forward_only = request.headers.get("pagination-type", "").lower() == "forward-only"
        params = list_params(values, forward_only)
        parent_id = _parent_id(request)
        if parent_id is not None:
            self.resources[resource].require_parent(parent_id)
        resolver = FieldResolver(self.store, resource)
        where, args = compile_where(params, resolver)
        query = {k: str(v) for k, v in values.items() if isinstance(v, (str, int))}
        headers: dict[str, str] = {}
        if forward_only:
            if params.page_id is not None:
                where = f"({where}) AND id > ?" if where else "id > ?"
                args = [*args, params.page_id]
            docs = self.store.select(resource, where=where, params=args, parent_id=parent_id,
                                     order_by="id ASC", limit=params.page_size)
            if docs:
                headers["Link"] = forward_link(base_url, query, params.page_size, docs[-1]["id"])
        else:
            order = compile_order_by(params.order_by, resolver)
            total = self.store.count(resource, where=where, params=args, parent_id=parent_id)
            docs = self.store.select(resource, where=where, params=args, parent_id=parent_id, order_by=order,
                                     limit=params.page_size, offset=(params.page - 1) * params.page_size)
            link = navigable_links(base_url, query, params.page, params.page_size, total)
            if link:
                headers["Link"] = link
        return CwJSON([project(hide_write_only(resource, d), params.fields, resolver) for d in docs], headers=headers)

    def list_endpoint(self, resource: str):
        def endpoint(request: Request) -> Response:
            return self._list(request, resource, _query(request), _base_url(request))
        return endpoint

    def count_endpoint(self, resource: str):
        def endpoint(request: Request) -> Response:
            params = list_params(_query(request), forward_only=False)
            parent_id = _parent_id(request)
            if parent_id is not None:
                self.resources[resource].require_parent(parent_id)
            where, args = compile_where(params, FieldResolver(self.store, resource))
            return CwJSON({"count": self.store.count(resource, where=where, params=args, parent_id=parent_id)})
        return endpoint

    def search_endpoint(self, resource: str):
        """POST .../search: the same list semantics with conditions in the JSON body (long conditions)."""
        async def endpoint(request: Request) -> Response:
            body = await _json_body(request)
            if not isinstance(body, dict):
                raise bad_request("The search body must be a JSON object")
            values: dict[str, Any] = {**_query(request), **{k: v for k, v in body.items() if v is not None}}
            base_url = _base_url(request).removesuffix("/search")
            return await run_in_threadpool(self._list, request, resource, values, base_url)
        return endpoint

    # single documents ------------------------------------------------------------------------------

    def create_endpoint(self, resource: str):
        async def endpoint(request: Request) -> Response:
            body = await _json_body(request)
            doc = await run_in_threadpool(self._create, request, resource, body)
            return CwJSON(hide_write_only(resource, doc), status_code=201,
                          headers={"Location": f"{_base_url(request)}/{doc['id']}"})
        return endpoint

    def item_endpoint(self, resource: str):
        async def endpoint(request: Request) -> Response:
            rules = self.resources[resource]
            id_, parent_id = request.path_params["id"], _parent_id(request)
            if request.method == "GET":
                doc = await run_in_threadpool(rules.get, id_, parent_id)
                fields = request.query_params.get("fields")
                return CwJSON(project(hide_write_only(resource, doc), fields, FieldResolver(self.store, resource)))
            if request.method == "DELETE":
                await run_in_threadpool(self._delete, request, resource, id_, parent_id)
                return Response(status_code=204)
            body = await _json_body(request)
            doc = await run_in_threadpool(self._update, request, resource, id_, body, parent_id)
            return CwJSON(hide_write_only(resource, doc))
        return endpoint

    # writes, each told to the callbacks once committed -------------------------------------------------

    def _create(self, request: Request, resource: str, body: Any) -> Doc:
        parent_id = _parent_id(request)
        doc = self.resources[resource].create(body, parent_id)
        self._changed(request, resource, "added", doc, parent_id)
        return doc

    def _update(self, request: Request, resource: str, id_: int, body: Any, parent_id: int | None) -> Doc:
        rules = self.resources[resource]
        doc = (rules.patch if request.method == "PATCH" else rules.replace)(id_, body, parent_id)
        self._changed(request, resource, "updated", doc, parent_id)
        return doc

    def _delete(self, request: Request, resource: str, id_: int, parent_id: int | None) -> None:
        # One transaction, so the state a deleted callback carries is the one that was deleted.
        with self.store.transaction():
            before = self.store.get(resource, id_, parent_id=parent_id)
            self.resources[resource].delete(id_, parent_id)
        if before is not None:
            self._changed(request, resource, "deleted", before, parent_id)

    def _changed(self, request: Request, resource: str, action: Action, doc: Doc, parent_id: int | None) -> None:
        rules = self.resources[resource]
        if rules.touches_parent and rules.parent_resource is not None and parent_id is not None:
            self._parent_changed(request, rules.parent_resource, parent_id)
        else:
            self.callbacks.emit(from_url=_site_root(request), resource=resource, action=action, doc=doc)

    def _parent_changed(self, request: Request, resource: str, id_: int) -> None:
        """A change below a record (a ticket's note or configuration) is an update of the record, as
        ConnectWise reports it."""
        doc = self.store.get(resource, id_)
        if doc is not None:
            self.callbacks.emit(from_url=_site_root(request), resource=resource, action="updated", doc=doc)

    # ticket sub-collections with their own shapes ---------------------------------------------------

    def _ticket(self, ticket_id: int) -> Doc:
        return self.resources["tickets"].get(ticket_id)

    def all_notes(self, request: Request) -> Response:
        """Notes plus time-entry notes of a ticket, oldest first, in CW's TicketNote shape."""
        ticket_id = request.path_params["parent_id"]
        self._ticket(ticket_id)
        params = list_params(_query(request), forward_only=False)
        notes = [{**_ticket_note(n), "noteType": "TicketNote"}
                 for n in self.store.select("ticket_notes", parent_id=ticket_id)]
        entries = self.store.select("time_entries", where="json_extract(doc, '$.chargeToId') = ?", params=[ticket_id])
        notes += [_time_entry_note(e, ticket_id) for e in entries
                  if e.get("notes") and e.get("chargeToType") in ("ServiceTicket", "ProjectTicket")]
        notes.sort(key=lambda n: ((n.get("_info") or {}).get("dateEntered") or n.get("dateCreated") or "", n["id"]))
        if request.url.path.endswith("/count"):
            return CwJSON({"count": len(notes)})
        start = (params.page - 1) * params.page_size
        link = navigable_links(_base_url(request), _query(request), params.page, params.page_size, len(notes))
        return CwJSON(notes[start:start + params.page_size], headers={"Link": link} if link else None)

    def ticket_configurations(self, request: Request) -> Response:
        ticket_id = request.path_params["parent_id"]
        self._ticket(ticket_id)
        params = list_params(_query(request), forward_only=False)
        links = self.store.select("ticket_configurations", parent_id=ticket_id)
        refs = [configuration_ref(c) for link in links
                if (c := self.store.get("configurations", link["configurationId"])) is not None]
        if request.url.path.endswith("/count"):
            return CwJSON({"count": len(refs)})
        start = (params.page - 1) * params.page_size
        link_header = navigable_links(_base_url(request), _query(request), params.page, params.page_size, len(refs))
        return CwJSON(refs[start:start + params.page_size], headers={"Link": link_header} if link_header else None)

    async def add_ticket_configuration(self, request: Request) -> Response:
        body = await _json_body(request)
        ticket_id = request.path_params["parent_id"]
        ref = await run_in_threadpool(self._link_configuration, ticket_id, body)
        await run_in_threadpool(self._parent_changed, request, "tickets", ticket_id)
        return CwJSON(ref, status_code=201)

    def _link_configuration(self, ticket_id: int, body: Any) -> Doc:
        given = body.get("configuration", body) if isinstance(body, dict) else None
        config_id = given.get("id") if isinstance(given, dict) else None
        if not isinstance(config_id, int):
            raise field_error("configurationReference", "id", "NullOrEmpty", "id may not be empty")
        with self.store.transaction():
            self._ticket(ticket_id)
            config = self.store.get("configurations", config_id)
            if config is None:
                raise field_error("configurationReference", "id", "InvalidField", f"configuration {config_id} not found")
            existing = self.store.select("ticket_configurations", parent_id=ticket_id,
                                         where="json_extract(doc, '$.configurationId') = ?", params=[config_id])
            if existing:
                raise conflict("configurationReference", "id", "The configuration is already attached to this ticket")
            self.store.insert("ticket_configurations", {"ticketId": ticket_id, "configurationId": config_id})
        return configuration_ref(config)

    def ticket_configuration_item(self, request: Request) -> Response:
        ticket_id, config_id = request.path_params["parent_id"], request.path_params["id"]
        self._ticket(ticket_id)
        links = self.store.select("ticket_configurations", parent_id=ticket_id,
                                  where="json_extract(doc, '$.configurationId') = ?", params=[config_id])
        config = self.store.get("configurations", config_id) if links else None
        if config is None:
            raise not_found(f"Configuration {config_id} is not attached to ticket {ticket_id}")
        if request.method == "DELETE":
            self.store.delete("ticket_configurations", links[0]["id"])
            self._parent_changed(request, "tickets", ticket_id)
            return Response(status_code=204)
        return CwJSON(configuration_ref(config))


def _ticket_note(note: Doc) -> Doc:
    keep = ("id", "ticketId", "text", "detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "issueFlag",
            "member", "contact", "customerUpdatedFlag", "processNotifications", "internalFlag", "externalFlag", "_info")
    out = {k: note.get(k) for k in keep if k in note}
    out.setdefault("_info", {})
    out["_info"] = {**out["_info"], "dateEntered": out["_info"].get("dateEntered") or note.get("dateCreated")}
    return out


def _time_entry_note(entry: Doc, ticket_id: int) -> Doc:
    return {
        "id": entry["id"], "ticketId": ticket_id, "text": entry.get("notes"),
        "detailDescriptionFlag": bool(entry.get("addToDetailDescriptionFlag")),
        "internalAnalysisFlag": bool(entry.get("addToInternalAnalysisFlag")),
        "resolutionFlag": bool(entry.get("addToResolutionFlag")),
        "issueFlag": False, "member": entry.get("member"), "internalFlag": False, "externalFlag": False,
        "noteType": "TimeEntryNote",
        "_info": {**(entry.get("_info") or {}), "dateEntered": entry.get("timeStart") or entry.get("dateEntered")},
    }


# (collection path, resource, methods beyond list/count/get)
_COLLECTIONS: list[tuple[str, str, set[str]]] = [
    ("/service/tickets", "tickets", {"POST", "PUT", "PATCH", "DELETE", "SEARCH"}),
    ("/service/tickets/{parent_id:int}/notes", "ticket_notes", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/service/boards", "boards", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/service/boards/{parent_id:int}/statuses", "board_statuses", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/service/boards/{parent_id:int}/types", "board_types", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/service/priorities", "priorities", set()),
    ("/service/knowledgeBaseArticles", "kb_articles", {"POST", "PUT", "PATCH", "DELETE", "SEARCH"}),
    ("/company/companies", "companies", {"POST", "PUT", "PATCH", "DELETE", "SEARCH"}),
    ("/company/companies/{parent_id:int}/sites", "sites", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/company/contacts", "contacts", {"POST", "PUT", "PATCH", "DELETE", "SEARCH"}),
    ("/company/configurations", "configurations", {"POST", "PUT", "PATCH", "DELETE", "SEARCH"}),
    # Writes are routed so that they answer 403 (no security role) rather than 405.
    ("/system/members", "members", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/time/entries", "time_entries", {"POST", "PUT", "PATCH", "DELETE", "SEARCH"}),
    ("/system/callbacks", "callbacks", {"POST", "PUT", "PATCH", "DELETE"}),
    ("/schedule/entries", "schedule_entries", {"POST", "PUT", "PATCH", "DELETE", "SEARCH"}),
]


def _api_routes(api: Api) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route(f"{API_PREFIX}/service/tickets/{{parent_id:int}}/allNotes", api.all_notes, methods=["GET"]),
        Route(f"{API_PREFIX}/service/tickets/{{parent_id:int}}/allNotes/count", api.all_notes, methods=["GET"]),
        Route(f"{API_PREFIX}/service/tickets/{{parent_id:int}}/configurations", api.ticket_configurations,
              methods=["GET"]),
        Route(f"{API_PREFIX}/service/tickets/{{parent_id:int}}/configurations/count", api.ticket_configurations,
              methods=["GET"]),
        Route(f"{API_PREFIX}/service/tickets/{{parent_id:int}}/configurations", api.add_ticket_configuration,
              methods=["POST"]),
        Route(f"{API_PREFIX}/service/tickets/{{parent_id:int}}/configurations/{{id:int}}",
              api.ticket_configuration_item, methods=["GET", "DELETE"]),
    ]
    routes += lookup_routes(api.store)
    for path, resource, extra in [*_COLLECTIONS, *LOOKUP_COLLECTIONS]:
        base = API_PREFIX + path
        routes.append(Route(base, api.list_endpoint(resource), methods=["GET"]))
        routes.append(Route(f"{base}/count", api.count_endpoint(resource), methods=["GET"]))
        if "SEARCH" in extra:
            routes.append(Route(f"{base}/search", api.search_endpoint(resource), methods=["POST"]))
        if "POST" in extra:
            routes.append(Route(base, api.create_endpoint(resource), methods=["POST"]))
        item_methods = ["GET", *sorted(extra & {"PUT", "PATCH", "DELETE"})]
        routes.append(Route(f"{base}/{{id:int}}", api.item_endpoint(resource), methods=item_methods))
    return routes


def _callback_key_route(callbacks: CallbackDispatcher) -> BaseRoute:
    """ConnectWise serves the signing key outside the API, without auth: a receiver holds no API keys."""
    def endpoint(request: Request) -> Response:
        raw = request.query_params.get("id", "")
        key = callbacks.keys.get(int(raw)) if raw.isdigit() else None
        if key is None:
            raise not_found(f"Callback key {raw!r} was not found")
        return JSONResponse({"signing_key": key})

    return Route(KEY_PATH, endpoint, methods=["GET"])


def _control_routes(faults: Faults, log: RequestLog, callbacks: CallbackDispatcher) -> list[BaseRoute]:
    async def faults_endpoint(request: Request) -> Response:
        if request.method == "POST":
            try:
                rule = faults.add(FaultRule.model_validate(await _json_body(request)))
            except PydanticValidationError as exc:
                raise bad_request(f"Invalid fault rule: {exc.errors()[0]['msg']}") from None
            return JSONResponse(rule.model_dump(), status_code=201)
        if request.method == "DELETE":
            faults.clear()
            return Response(status_code=204)
        return JSONResponse([r.model_dump() for r in faults.rules()])

    async def requests_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            return Response(status_code=204)
        return JSONResponse([e.model_dump() for e in log.entries()])

    async def callback_faults_endpoint(request: Request) -> Response:
        if request.method == "POST":
            try:
                rule = callbacks.faults.add(CallbackFaultRule.model_validate(await _json_body(request)))
            except PydanticValidationError as exc:
                raise bad_request(f"Invalid callback fault rule: {exc.errors()[0]['msg']}") from None
            return JSONResponse(rule.model_dump(), status_code=201)
        if request.method == "DELETE":
            callbacks.faults.clear()
            return Response(status_code=204)
        return JSONResponse([r.model_dump() for r in callbacks.faults.rules()])

    async def callback_deliveries_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            callbacks.clear_deliveries()
            return Response(status_code=204)
        return JSONResponse([d.model_dump() for d in callbacks.deliveries()])

    def callback_key_endpoint(request: Request) -> Response:
        return JSONResponse(callbacks.rotate_key().model_dump(), status_code=201)

    return [
        Route("/__sandbox/faults", faults_endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/__sandbox/requests", requests_endpoint, methods=["GET", "DELETE"]),
        Route("/__sandbox/callback-faults", callback_faults_endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/__sandbox/callback-deliveries", callback_deliveries_endpoint, methods=["GET", "DELETE"]),
        Route("/__sandbox/callback-key", callback_key_endpoint, methods=["POST"]),
    ]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.body, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "NotFound", 405: "MethodNotAllowed"}
    message = "The resource was not found" if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, ErrorBody(code=codes.get(exc.status_code, "Error"), message=message),
                          dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, ErrorBody(code="UnexpectedError", message="An unexpected error occurred"))


class StripTrailingSlash:
    """ConnectWise serves `/service/tickets/` as `/service/tickets`; Starlette would answer 307 instead."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            stripped = path.rstrip("/") or "/"
            raw = scope.get("raw_path")
            scope = {**scope, "path": stripped,
                     "raw_path": raw.rstrip(b"/") or b"/" if isinstance(raw, bytes) else raw}
        await self.app(scope, receive, send)


def build_app(store: Store, faults: Faults, log: RequestLog, callbacks: CallbackDispatcher) -> Starlette:
    """The Starlette app (without the fault layer, which `sandbox.runner` wraps around it)."""
    api = Api(store, callbacks)
    return Starlette(
        routes=[*_api_routes(api), _callback_key_route(callbacks), *_control_routes(faults, log, callbacks)],
        middleware=[Middleware(StripTrailingSlash), Middleware(AuthMiddleware, prefix=API_PREFIX, store=store)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
