"""Hints for new tickets in Slack: where they go (SLACK_HINT_CHANNELS, else a DM to the assigned technician),
the message (the ticket, top KB articles, similar resolved tickets, configurations, and an *Open in a thread*
button), and the sink the callback worker hands them to. Nothing here writes to ConnectWise.

Ticket text (the summary, similar tickets' summaries and fixes, configuration names) is customer data: it is
escaped everywhere, so a ticket saying `<!channel>` or `<https://evil|your invoice>` shows those characters
and neither pings anyone nor hides a link.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import anyio

from agent.slack.render import FALLBACK_MAX, OPEN_THREAD, SECTION_MAX, context, cut, escape, ticket_url
from agent.slack.web import SlackOut
from callbacks.hints import TicketHints
from identity import technicians
from settings import ConfigError

log = logging.getLogger("psa_copilot.slack")

CHANNELS_SETTING = "SLACK_HINT_CHANNELS"
SHOWN = 3
"""KB articles and similar tickets shown of each; the hints carry no more than this today."""

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9_-]{0,79}$")
_FORMAT = "expected BOARD NAME=CHANNEL, comma-separated, the channel an id like C0123ABCD or a #name"


# ---- the setting --------------------------------------------------------------------------------------------------


def parse_hint_channels(raw: str | None) -> dict[str, str]:
    """SLACK_HINT_CHANNELS as {lower-cased board name: channel}; ConfigError (one line) when malformed."""
    channels: dict[str, str] = {}
    for item in (raw or "").split(","):
        if not item.strip():
            continue  # a trailing comma, or the setting unset
        # At the last `=`: a channel never holds one, a board name might.
        board, equals, channel = item.rpartition("=")
        board, channel = " ".join(board.split()), channel.strip()
        if not equals or not board:
            raise ConfigError(f"{CHANNELS_SETTING}: {item.strip()!r} names no board and channel; {_FORMAT}")
        if not (_CHANNEL_ID.match(channel) or _CHANNEL_NAME.match(channel)):
            raise ConfigError(f"{CHANNELS_SETTING}: {channel!r} (for {board!r}) is not a Slack channel; {_FORMAT}")
        key = _board_key(board)
        if channels.get(key, channel) != channel:
            raise ConfigError(f"{CHANNELS_SETTING}: board {board!r} is given two channels")
        channels[key] = channel
    return channels


def _board_key(name: str) -> str:
    """Board names compare in any case and spacing, as a person types them."""
    return " ".join(name.split()).lower()


# ---- the message --------------------------------------------------------------------------------------------------


def _ticket(site: str | None, ticket_id: int) -> str:
    url = ticket_url(site, ticket_id)
    return f"#{ticket_id}" if url is None else f"<{url}|#{ticket_id}>"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_MAX)}}


def hint_message(hints: TicketHints, site: str | None) -> dict[str, Any]:
    """The chat.postMessage arguments for one new ticket's hints."""
    summary = escape(hints.summary) or "(no summary)"
    blocks: list[dict[str, Any]] = [_section(f"*New ticket {_ticket(site, hints.ticket_id)}*: {summary}")]
    where = [f"{label} {escape(value)}" for label, value in (("company", hints.company), ("board", hints.board)) if value]
    if where:
        blocks.append(context(" · ".join(where)))
    if hints.articles:
        lines = [f"• {escape(a.title)} (KB {a.id})" for a in hints.articles[:SHOWN]]
        blocks.append(_section("*Knowledge-base articles*\n" + "\n".join(lines)))
    if hints.similar:
        lines = [
            f"• {_ticket(site, t.id)} {escape(t.summary)}" + (f"\n    fix: {escape(t.resolution)}" if t.resolution else "")
            for t in hints.similar[:SHOWN]
        ]
        blocks.append(_section("*Similar resolved tickets*\n" + "\n".join(lines)))
    if hints.configurations:
        lines = [
            f"• {escape(c.name)}" + (f" ({escape(c.type)})" if c.type else "")
            + (" · attached" if c.attached else " · mentioned in the ticket")
            for c in hints.configurations
        ]
        blocks.append(_section("*Configurations*\n" + "\n".join(lines)))
    if hints.index_note:
        blocks.append(context(f"_{escape(hints.index_note)}_"))
    blocks.append({
        "type": "actions",
        "block_id": f"hints_{hints.ticket_id}",
        "elements": [{"type": "button", "action_id": OPEN_THREAD, "value": str(hints.ticket_id),
                      "text": {"type": "plain_text", "text": "Open in a thread"}}],
    })
    return {
        "text": cut(f"New ticket #{hints.ticket_id}: {summary}", FALLBACK_MAX),
        "blocks": blocks,
        # A customer's URL gets no preview card: the message is about the ticket, not the sites it names.
        "unfurl_links": False,
        "unfurl_media": False,
    }


# ---- delivery -----------------------------------------------------------------------------------------------------


class HintSlack(SlackOut):
    """The two Web API calls a DM needs beyond posting (conversations.open needs im:write, users.lookupByEmail
    users:read.email)."""

    async def open_dm(self, user: str) -> str | None:
        response = await self._call(self.client.conversations_open, users=user)
        return None if response is None else (response.get("channel") or {}).get("id")

    async def user_by_email(self, email: str) -> str | None:
        response = await self._call(self.client.users_lookupByEmail, email=email)
        return None if response is None else (response.get("user") or {}).get("id")


class _NoTarget(Exception):
    """Nowhere to post these hints; the message says why."""


class SlackHintSink:
    """A HintSink: the board's channel when SLACK_HINT_CHANNELS names it, else a DM to the technician the ticket
    is assigned to (their linked Slack id, else the Slack user with their email). No target: one INFO line."""

    def __init__(self, slack: HintSlack, channels: Mapping[str, str], site: Callable[[], str | None]) -> None:
        self.slack = slack
        self.channels = dict(channels)
        self.site = site
        """The ConnectWise site, read at delivery: on the embedded sandbox it is known only once it runs."""

    async def deliver(self, hints: TicketHints) -> None:
        try:
            channel = await self._target(hints)
            ts = await self.slack.post(channel, None, hint_message(hints, self.site()))
        except _NoTarget as exc:
            log.info("hints for ticket %s not posted to Slack: %s", hints.ticket_id, exc)
            return
        except Exception:  # noqa: BLE001 - Slack unreachable or the technicians db unreadable: this sink's failure
            log.exception("posting hints for ticket %s to Slack failed", hints.ticket_id)
            return
        if ts is not None:
            log.info("hints for ticket %s posted to Slack (%s)", hints.ticket_id, channel)

    async def _target(self, hints: TicketHints) -> str:
        channel = self.channels.get(_board_key(hints.board or ""))
        if channel is not None:
            return channel
        board = f"board {hints.board!r} has no channel in {CHANNELS_SETTING}"
        if not hints.owner:
            raise _NoTarget(f"{board} and the ticket has no owner")
        technician = await anyio.to_thread.run_sync(technicians.lookup_by_member, hints.owner)
        if technician is None:
            raise _NoTarget(f"{board} and its owner {hints.owner!r} is none of our technicians")
        user = technician.slack_id or await self.slack.user_by_email(technician.email)
        if user is None:
            raise _NoTarget(f"{board} and {technician.email} has no Slack account (not linked, and no Slack user "
                            "has that email)")
        dm = await self.slack.open_dm(user)
        if dm is None:
            raise _NoTarget(f"{board} and Slack would not open a DM with {user}")
        return dm
