"""Running the bot: its event loop (a blocking portal thread holding the shared MCP server and the turns),
the bolt app, and one of Slack's two transports: Socket Mode (a websocket the bot opens; no public URL) or
HTTP (the Events API and interactivity at POST /slack/events, GET /health, and ConnectWise's callbacks at
POST /connectwise/callbacks, whose new tickets' hints the bot posts: hints.py)."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import anyio
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from pydantic import BaseModel, Field
from slack_bolt import App, BoltRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent.llm import LLMSettings
from agent.slack.app import Bot, build_app
from agent.slack.approvals import Approvals
from agent.slack.conversations import Conversations
from agent.slack.hints import HintSlack, SlackHintSink
from agent.slack.mcp import SharedServer, shared
from agent.slack.web import SlackOut, web_client
from callbacks.receiver import CALLBACK_PATH, read_body, response, signature_of, too_large
from guardrails.guard import WriteGuard

if TYPE_CHECKING:
    from callbacks.service import CallbackService

log = logging.getLogger("psa_copilot.slack")


class SlackSettings(BaseModel):
    bot_token: str = Field(repr=False)
    app_token: str | None = Field(None, repr=False)
    signing_secret: str | None = Field(None, repr=False)
    confirm_ttl_s: float
    llm: LLMSettings | None
    max_steps: int = 10
    hint_channels: dict[str, str] = Field(default_factory=dict)
    """SLACK_HINT_CHANNELS: lower-cased board name -> the channel its new tickets' hints go to."""


@asynccontextmanager
async def _loop_state(guard: WriteGuard) -> AsyncIterator[tuple[SharedServer, Any]]:
    async with shared(guard) as mcp, anyio.create_task_group() as tasks:
        try:
            yield mcp, tasks
        finally:
            # Turns still waiting for a press end with the bot, before the server they use closes.
            tasks.cancel_scope.cancel()


@contextmanager
def running_bot(settings: SlackSettings, guard: WriteGuard) -> Iterator[tuple[Bot, App]]:
    """The bot with its loop running, and its bolt app (auth.test is called here: a bad token fails now)."""
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(_loop_state(guard)) as (mcp, tasks):
        web = web_client(settings.bot_token)
        approvals = Approvals(settings.confirm_ttl_s)
        conversations = Conversations(mcp, SlackOut(web), approvals, settings.llm, max_steps=settings.max_steps)
        bot = Bot(portal=portal, tasks=tasks, mcp=mcp, web=web, approvals=approvals, conversations=conversations)
        yield bot, build_app(bot, signing_secret=settings.signing_secret)


# ---- HTTP ---------------------------------------------------------------------------------------------------------

Endpoint = Callable[[Request], Awaitable[Response]]


def receive_hints(bot: Bot, hint_channels: Mapping[str, str]) -> CallbackService:
    """The callback service, run on the bot's loop (once the PSA connection and the index are open) with the
    bot as its hint sink: the inbox, the worker and the sink then share the loop the bot's state lives on."""
    from callbacks.service import CallbackService
    from server import receive_callbacks

    sink = SlackHintSink(HintSlack(bot.web), hint_channels, lambda: bot.mcp.site)
    service = CallbackService(sinks=[sink])
    bot.spawn(receive_callbacks, bot.mcp.state, service)
    return service


def callback_endpoint(portal: BlockingPortal, service: CallbackService) -> Endpoint:
    """POST /connectwise/callbacks on uvicorn's loop: the body is read there, the delivery is handled on the
    bot's loop (through its portal, from a worker thread so neither loop blocks the other)."""

    async def endpoint(request: Request) -> Response:
        body = await read_body(request)
        if body is None:
            return response(too_large())
        answer = await anyio.to_thread.run_sync(portal.call, service.handle, body, signature_of(request))
        return response(answer)

    return endpoint


def http_app(app: App, callbacks: Endpoint) -> Starlette:
    async def events(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", errors="replace")
        bolt_request = BoltRequest(body=body, query=request.url.query, headers=dict(request.headers))
        # bolt verifies the v0 signature (5-minute window) and answers 401 before any listener runs; it blocks
        # until the listener acks, so it runs in a worker thread, not on the server's loop.
        response = await anyio.to_thread.run_sync(app.dispatch, bolt_request)
        return Response(response.body, status_code=response.status, headers=response.first_headers_without_set_cookie())

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[
        Route("/slack/events", events, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route(CALLBACK_PATH, callbacks, methods=["POST"]),
    ])


def serve_http(bot: Bot, app: App, listener: socket.socket, hint_channels: Mapping[str, str]) -> None:
    """Slack's events and ConnectWise's callbacks, until SIGINT/SIGTERM (uvicorn's handlers)."""
    service = receive_hints(bot, hint_channels)
    config = uvicorn.Config(http_app(app, callback_endpoint(bot.portal, service)), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[listener])


# ---- Socket Mode ----------------------------------------------------------------------------------------------------


def serve_socket_mode(app: App, app_token: str) -> None:
    """Until SIGINT/SIGTERM: the SDK's own websocket client (no extra dependency), reconnecting by itself."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token)
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        handler.connect()
        log.info("Slack Socket Mode connected")
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        handler.close()
