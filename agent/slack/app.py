"""The bolt app: Slack's events, button presses and `/psa`, each acknowledged at once and handed to the bot's
event loop (Slack wants an answer within 3 s; a turn takes longer). The work lives in conversations.py,
approvals.py and commands.py; this module only routes. A new ticket's hints (hints.py) carry an *Open in a
thread* button: pressing it starts the agent on that ticket in the thread under the hint message.

Retried deliveries are dropped by event id, and a message seen twice (an @mention arrives both as
`app_mention` and as `message`) runs once, keyed by its channel and ts.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from anyio.abc import TaskGroup
from anyio.from_thread import BlockingPortal
from slack_bolt import App
from slack_sdk import WebClient

from agent.slack import commands, render
from agent.slack.approvals import Approvals
from agent.slack.conversations import REFUSAL, Conversations, Where
from agent.slack.mcp import SharedServer
from agent.slack.people import who_is
from agent.slack.web import SlackOut

log = logging.getLogger("psa_copilot.slack")

_MENTION = re.compile(r"<@[A-Z0-9]+>")
SEEN_KEPT = 5000


class _Seen:
    """Keys already handled (bounded, thread-safe: bolt runs listeners in a thread pool)."""

    def __init__(self) -> None:
        self._keys: OrderedDict[Any, None] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, *keys: Any) -> bool:
        """True when none of `keys` was seen before; all are marked seen."""
        with self._lock:
            fresh = not any(k in self._keys for k in keys if k is not None)
            for key in keys:
                if key is not None:
                    self._keys[key] = None
            while len(self._keys) > SEEN_KEPT:
                self._keys.popitem(last=False)
            return fresh


@dataclass
class Bot:
    portal: BlockingPortal
    tasks: TaskGroup
    mcp: SharedServer
    web: WebClient
    approvals: Approvals
    conversations: Conversations

    def __post_init__(self) -> None:
        self.slack = SlackOut(self.web)
        self._seen = _Seen()

    def spawn(self, fn: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run `fn(*args)` on the bot's loop in the background and return at once; its failure is logged, never
        fatal."""

        async def guarded() -> None:
            try:
                await fn(*args)
            except Exception:  # noqa: BLE001 - one failed reply must not stop the bot
                log.exception("a Slack handler failed")

        self.portal.call(self._start, guarded)

    def _start(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        # Not portal.call(tasks.start_soon, ...): start_soon returns an awaitable task handle (anyio 4.14+), and
        # portal.call would wait for the whole task, holding bolt's listener thread (or the caller) until it ends.
        self.tasks.start_soon(fn)

    # ---- messages

    def on_event(self, body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None) -> None:
        if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast") or not event.get("user"):
            return  # our own messages, edits, joins, other bots
        if event.get("user") == bot_user_id:
            return
        channel, ts = event.get("channel"), event.get("ts")
        mention = event.get("type") == "app_mention"
        direct = event.get("channel_type") == "im"
        if not mention and not direct and bot_user_id and f"<@{bot_user_id}>" in (event.get("text") or ""):
            return  # the app_mention event for this message does the work
        if not self._seen.first(body.get("event_id"), (channel, ts)):
            log.info("dropped a repeated delivery of event %s", body.get("event_id"))
            return
        thread_ts = event.get("thread_ts") or ts
        text = _MENTION.sub("", event.get("text") or "").strip()
        self.spawn(self._message, event["user"], Where(channel=channel, thread_ts=thread_ts), text, mention or direct)

    async def _message(self, user: str, where: Where, text: str, starts: bool) -> None:
        if not starts and not self.conversations.knows(where):
            return  # a thread reply in a channel thread the bot is not part of
        person = await anyio.to_thread.run_sync(who_is, self.web, user)
        await self.conversations.turn(person, where, text or "Hello")

    # ---- buttons

    def on_press(self, body: dict[str, Any], *, approve: bool) -> None:
        user = (body.get("user") or {}).get("id", "")
        action = (body.get("actions") or [{}])[0]
        channel = (body.get("channel") or {}).get("id", "")
        press = self.portal.call(partial(self.approvals.press, str(action.get("value", "")), user, approve=approve))
        if press.outcome == "decided":
            return  # the waiting turn updates the message and writes (or not)
        thread_ts = press.pending.thread_ts if press.pending else None
        text = {
            "not_requester": f"Only {press.pending.requester_name if press.pending else 'the requester'} can approve this.",
            "already_decided": "This write was already decided; nothing more happens.",
            "unknown": "This approval is no longer open; nothing was written.",
        }[press.outcome]
        self.spawn(self.slack.ephemeral, channel, user, text, thread_ts)

    def on_open_thread(self, body: dict[str, Any]) -> None:
        """*Open in a thread* on a new ticket's hints: the thread hangs under the hint message itself."""
        user = (body.get("user") or {}).get("id", "")
        value = str((body.get("actions") or [{}])[0].get("value", ""))
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        thread_ts = (body.get("message") or {}).get("ts") or container.get("message_ts")
        if not (user and value.isdigit() and channel and thread_ts):
            log.warning("ignored an %s press without a user, a ticket id or its message", render.OPEN_THREAD)
            return
        self.spawn(self._open_thread, user, Where(channel=channel, thread_ts=thread_ts), int(value))

    async def _open_thread(self, user: str, where: Where, ticket_id: int) -> None:
        person = await anyio.to_thread.run_sync(who_is, self.web, user)
        if person.identity is None:
            refusal = REFUSAL.format(name=render.escape(person.name), slack_id=person.slack_id)
            await self.slack.ephemeral(where.channel, user, refusal, where.thread_ts)
            return
        if self.conversations.llm is not None:
            # The thread is keyed by (channel, hint ts): a second press, or a reply there, continues it.
            await self.conversations.turn(person, where, f"Help me with ticket #{ticket_id}")
            return
        for subcommand in ("ticket", "similar"):
            reply = await commands.answer(f"{subcommand} {ticket_id}", person, self.mcp)
            await self.slack.post(where.channel, where.thread_ts, _message(reply))

    # ---- /psa

    def on_command(self, body: dict[str, Any], respond: Callable[..., Any]) -> None:
        self.spawn(self._command, body.get("user_id", ""), body.get("channel_id", ""), body.get("text") or "", respond)

    async def _command(self, user: str, channel: str, text: str, respond: Callable[..., Any]) -> None:
        person = await anyio.to_thread.run_sync(who_is, self.web, user)
        reply = await commands.answer(text, person, self.mcp)
        message = _message(reply)
        if await self.slack.post(channel, None, message) is None:
            # Not in that channel: the command's response_url still reaches the person who typed it.
            await anyio.to_thread.run_sync(partial(respond, **message))


def _message(mrkdwn: str) -> dict[str, Any]:
    return {"text": render.cut(mrkdwn, render.FALLBACK_MAX), "blocks": render.sections(mrkdwn)}


def build_app(bot: Bot, *, signing_secret: str | None) -> App:
    """`signing_secret` None: Socket Mode, where Slack's websocket (opened with the app token) vouches for the
    payloads and nothing is signed."""
    app = App(
        client=bot.web,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        process_before_response=False,
    )

    @app.event("app_mention")
    def mention(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        bot.on_event(body, event, context.bot_user_id)

    @app.event("message")
    def message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        bot.on_event(body, event, context.bot_user_id)

    @app.action(render.APPROVE)
    def approve(ack: Any, body: dict[str, Any]) -> None:
        ack()
        bot.on_press(body, approve=True)

    @app.action(render.DECLINE)
    def decline(ack: Any, body: dict[str, Any]) -> None:
        ack()
        bot.on_press(body, approve=False)

    @app.action(render.OPEN_THREAD)
    def open_thread(ack: Any, body: dict[str, Any]) -> None:
        ack()
        bot.on_open_thread(body)

    @app.command("/psa")
    def psa(ack: Any, body: dict[str, Any], respond: Any) -> None:
        ack()
        bot.on_command(body, respond)

    return app
