"""Routes: the TicketsApi of docs/helpdesk-api.md under /api/TicketsApi, /health, and the /__sandbox control
endpoints (the request log, the emails sent, tokens for any seeded user).

Every API request is authenticated (401) and, where the endpoint needs one, its permission checked (403)
before its body is read, so a caller without rights learns nothing about the ticket or its own form.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.faults import LoggedRequest, RequestLog
from sandbox.helpdesk.auth import Principal, authenticate, issue
from sandbox.helpdesk.desk import Desk
from sandbox.helpdesk.errors import HelpdeskError, bad_request, error_response, helpdesk_error, not_found
from sandbox.helpdesk.forms import (
    ListQuery,
    NewTicket,
    RequesterReply,
    TicketClosure,
    TicketCreate,
    TicketEmail,
    TicketResolve,
    TicketsByUser,
    TicketUpdate,
    parse,
    read_form,
)
from sandbox.helpdesk.models import Permission, Ticket
from sandbox.helpdesk.outbox import Outbox
from sandbox.helpdesk.shapes import app_metadata, deleted_ticket_model, metadata, ticket_model, ticket_row
from sandbox.helpdesk.store import Store

API_PREFIX = "/api/TicketsApi"

Handler = Callable[[Request, Principal], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


class TokenRequest(BaseModel):
    user: str  # a user name
    permissions: list[Permission] | None = None  # None: the user's defaults


class RequestLogMiddleware:
    """Outermost ASGI layer: records every API request and the status it was answered with."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        entry = LoggedRequest(method=scope["method"], path=scope["path"], status=None, at=time.time(),
                              query=scope.get("query_string", b"").decode("latin-1"))
        self.log.append(entry)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, receive, recording_send)


class Api:
    """Binds the store, the desk and the outbox to request handlers; one per running helpdesk."""

    def __init__(self, store: Store, outbox: Outbox) -> None:
        self.store = store
        self.desk = Desk(store, outbox)

    def guarded(self, handler: Handler, permission: Permission | None = None) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            principal = authenticate(self.store, request.headers.get("authorization"))
            if permission is not None:
                principal.require(permission)
            return await handler(request, principal)
        return endpoint

    def _one(self, ticket: Ticket) -> dict[str, Any]:
        return ticket_model(self.store, ticket, self.store.conversations([ticket.id])[ticket.id]).wire()

    def _created(self, ticket: Ticket) -> Response:
        return JSONResponse(self._one(ticket), status_code=201, headers={"Location": f"{API_PREFIX}/{ticket.id}"})

    # reads ----------------------------------------------------------------------------------------------------

    async def list_tickets(self, request: Request, principal: Principal) -> Response:
        query = parse(ListQuery, request.query_params.multi_items())
        rows, total = await run_in_threadpool(self.desk.page, query, principal.user)
        return JSONResponse([ticket_row(self.store, t, overdue).wire() for t, overdue in rows],
                            headers={"X-Total-Count": str(total)})

    async def get_ticket(self, request: Request, principal: Principal) -> Response:
        ticket = await run_in_threadpool(self.desk.get, request.path_params["id"])
        return JSONResponse(await run_in_threadpool(self._one, ticket))

    async def by_user(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, TicketsByUser)
        tickets = await run_in_threadpool(self.desk.by_user, form)
        threads = await run_in_threadpool(self.store.conversations, [t.id for t in tickets])
        return JSONResponse([ticket_model(self.store, t, threads[t.id]).wire() for t in tickets])

    async def metadata(self, request: Request, principal: Principal) -> Response:
        ticket_id = request.path_params.get("id")
        ticket = None if ticket_id is None else await run_in_threadpool(self.desk.metadata_ticket, ticket_id)
        return JSONResponse(metadata(self.store, ticket).wire())

    async def app_metadata(self, request: Request, principal: Principal) -> Response:
        return JSONResponse(app_metadata(self.store).wire())

    # writes ---------------------------------------------------------------------------------------------------

    async def register(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, TicketCreate)
        return self._created(await run_in_threadpool(self.desk.register, form, principal.user))

    async def new(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, NewTicket)
        return self._created(await run_in_threadpool(self.desk.new, form, principal.user))

    async def update(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, TicketUpdate)
        await run_in_threadpool(self.desk.update, request.path_params["id"], form)
        return Response(status_code=204)

    async def reply(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, TicketEmail)
        await run_in_threadpool(self.desk.send, request.path_params["id"], form, "reply", principal.user)
        return JSONResponse({"message": "Reply sent"})

    async def forward(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, TicketEmail)
        await run_in_threadpool(self.desk.send, request.path_params["id"], form, "forward", principal.user)
        return JSONResponse({"message": "Forwarded"})

    async def close(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, TicketClosure)
        ticket_id = request.path_params["id"]
        if await run_in_threadpool(self.desk.close, ticket_id, form):
            return Response(status_code=204)
        return JSONResponse({"message": f"Ticket {ticket_id} is already closed"})

    async def resolve(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, TicketResolve)
        await run_in_threadpool(self.desk.resolve, request.path_params["id"], form)
        return Response(status_code=204)

    async def delete(self, request: Request, principal: Principal) -> Response:
        ticket = await run_in_threadpool(self.desk.delete, request.path_params["id"])
        threads = await run_in_threadpool(self.store.conversations, [ticket.id])
        return JSONResponse(deleted_ticket_model(self.store, ticket, threads[ticket.id]).wire())

    async def requester_reply(self, request: Request, principal: Principal) -> Response:
        form = await read_form(request, RequesterReply)
        await run_in_threadpool(self.desk.requester_reply, request.path_params["id"], form)
        return JSONResponse({"message": "Reply posted"})


def _api_routes(api: Api) -> list[BaseRoute]:
    g = api.guarded
    return [
        Route(API_PREFIX, g(api.list_tickets), methods=["GET"]),
        Route(f"{API_PREFIX}/metadata", g(api.metadata), methods=["GET"]),
        Route(f"{API_PREFIX}/metadata/{{id:int}}", g(api.metadata), methods=["GET"]),
        Route(f"{API_PREFIX}/appmetadata", g(api.app_metadata), methods=["GET"]),
        Route(f"{API_PREFIX}/register", g(api.register, Permission.CREATE), methods=["POST"]),
        Route(f"{API_PREFIX}/new", g(api.new), methods=["POST"]),
        Route(f"{API_PREFIX}/list", g(api.by_user), methods=["POST"]),
        Route(f"{API_PREFIX}/update/{{id:int}}", g(api.update, Permission.UPDATE), methods=["POST"]),
        Route(f"{API_PREFIX}/forward/{{id:int}}", g(api.forward, Permission.FORWARD), methods=["POST"]),
        Route(f"{API_PREFIX}/reply/{{id:int}}", g(api.reply, Permission.REPLY), methods=["POST"]),
        Route(f"{API_PREFIX}/close/{{id:int}}", g(api.close, Permission.CLOSE), methods=["POST"]),
        Route(f"{API_PREFIX}/resolve/{{id:int}}", g(api.resolve, Permission.RESOLVE), methods=["POST"]),
        Route(f"{API_PREFIX}/reqreply/{{id:int}}", g(api.requester_reply), methods=["POST"]),
        Route(f"{API_PREFIX}/{{id:int}}", g(api.get_ticket), methods=["GET"]),
        Route(f"{API_PREFIX}/{{id:int}}", g(api.delete, Permission.DELETE), methods=["DELETE"]),
    ]


def _control_routes(store: Store, outbox: Outbox, log: RequestLog) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def requests_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            return Response(status_code=204)
        return JSONResponse([e.model_dump() for e in log.entries()])

    async def emails_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            outbox.clear()
            return Response(status_code=204)
        return JSONResponse([e.model_dump() for e in outbox.emails()])

    async def tokens_endpoint(request: Request) -> Response:
        try:
            body = TokenRequest.model_validate(json.loads(await request.body() or b"null"))
        except (json.JSONDecodeError, PydanticValidationError) as exc:
            raise bad_request(f'Send {{"user": "<user name>", "permissions": [...] or null}}: {exc}') from None
        user = store.user_by_name(body.user)
        if user is None:
            raise not_found(f"User '{body.user}' was not found")
        return JSONResponse({"token": issue(store, user, body.permissions)})

    return [
        Route("/health", health, methods=["GET"]),
        Route("/__sandbox/requests", requests_endpoint, methods=["GET", "DELETE"]),
        Route("/__sandbox/emails", emails_endpoint, methods=["GET", "DELETE"]),
        Route("/__sandbox/tokens", tokens_endpoint, methods=["POST"]),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "The resource was not found" if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, message, dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "An unexpected error occurred")


def build_app(store: Store, outbox: Outbox, log: RequestLog) -> ASGIApp:
    """The helpdesk app, with the request log around it."""
    app = Starlette(
        routes=[*_api_routes(Api(store, outbox)), *_control_routes(store, outbox, log)],
        exception_handlers={HelpdeskError: helpdesk_error, HTTPException: _http_error, Exception: _server_error},
    )
    return RequestLogMiddleware(app, log)
