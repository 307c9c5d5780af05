"""Slack's Web API for the bot: the SDK's sync WebClient (no aiohttp needed) with its 429 Retry-After handler,
and async wrappers that run each call in a worker thread so the event loop keeps serving other threads."""

from __future__ import annotations

import logging
import os
from functools import partial
from typing import Any

import anyio
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

log = logging.getLogger("psa_copilot.slack")

DEFAULT_API_URL = "https://slack.com/api/"


def web_client(token: str | None = None) -> WebClient:
    """SLACK_API_URL overrides Slack's base URL (tests point it at a fake Slack on loopback)."""
    base_url = (os.environ.get("SLACK_API_URL") or "").strip() or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(
        token=token if token is not None else os.environ.get("SLACK_BOT_TOKEN"),
        base_url=base_url,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


class SlackOut:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    async def post(self, channel: str, thread_ts: str | None, message: dict[str, Any]) -> str | None:
        """The posted message's ts; None when Slack refused it (logged: the turn goes on)."""
        response = await self._call(self.client.chat_postMessage, channel=channel, thread_ts=thread_ts, **message)
        return None if response is None else response.get("ts")

    async def update(self, channel: str, ts: str | None, message: dict[str, Any]) -> None:
        if ts is not None:
            await self._call(self.client.chat_update, channel=channel, ts=ts, **message)

    async def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        await self._call(self.client.chat_postEphemeral, channel=channel, user=user, text=text, thread_ts=thread_ts)

    async def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return await anyio.to_thread.run_sync(partial(method, **{k: v for k, v in kwargs.items() if v is not None}))
        except SlackApiError as exc:
            log.warning("Slack refused %s: %s", getattr(method, "__name__", "a call"), exc.response.get("error"))
            return None
