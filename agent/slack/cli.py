"""`psa-copilot slack [--http --port N --host H]`: the Slack bot.

Socket Mode by default (SLACK_APP_TOKEN, SLACK_BOT_TOKEN); `--http` serves Slack's Events API and
interactivity at POST /slack/events, signed with SLACK_SIGNING_SECRET, and ConnectWise's callbacks at
POST /connectwise/callbacks (new tickets' hints go to SLACK_HINT_CHANNELS, else the owner's DM). The model
comes from OPENAI_* / COPILOT_MODEL as for `chat`; without one, only `/psa` works. Exit codes: 0 stopped
(SIGINT/SIGTERM), 1 Slack refused the bot token or could not be reached, 2 a bad setting.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from settings import ConfigError

log = logging.getLogger("psa_copilot.slack")


def add_slack_parser(sub: Any) -> None:
    slack = sub.add_parser("slack", help="the copilot as a Slack bot (Socket Mode, or --http for the Events API)")
    slack.add_argument("--http", action="store_true", help="serve POST /slack/events (needs SLACK_SIGNING_SECRET) instead of Socket Mode")
    slack.add_argument("--host", default="127.0.0.1", help="with --http: the address to bind (default 127.0.0.1)")
    slack.add_argument("--port", type=int, default=3000, help="with --http: the port (default 3000)")
    slack.add_argument("--max-steps", type=int, default=10, help="model calls per message (default 10)")


def _required(name: str, why: str) -> str:
    value = (os.environ.get(name) or "").strip()
    if not value:
        raise ConfigError(f"{name} is not set ({why}); see docs/slack.md")
    return value


def settings_from_env(*, http: bool, max_steps: int) -> Any:
    from agent.llm import LLMConfigError, LLMSettings
    from agent.slack.hints import CHANNELS_SETTING, parse_hint_channels
    from agent.slack.runtime import SlackSettings
    from guardrails.tokens import ttl_from_env

    if max_steps < 1:
        raise ConfigError("--max-steps must be at least 1")
    bot_token = _required("SLACK_BOT_TOKEN", "the bot's xoxb- token")
    app_token = None if http else _required("SLACK_APP_TOKEN", "Socket Mode's xapp- token; or run with --http")
    secret = _required("SLACK_SIGNING_SECRET", "--http verifies every request with it") if http else None
    hint_channels = parse_hint_channels(os.environ.get(CHANNELS_SETTING))
    try:
        ttl = ttl_from_env(os.environ.get("COPILOT_CONFIRM_TTL_SECONDS"))
        llm: LLMSettings | None = LLMSettings.from_env()
    except LLMConfigError as exc:
        log.warning("no model (%s): only /psa will work", exc)
        llm = None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return SlackSettings(bot_token=bot_token, app_token=app_token, signing_secret=secret, confirm_ttl_s=ttl, llm=llm,
                         max_steps=max_steps, hint_channels=hint_channels)


def run_slack(args: Any) -> int:
    from server import check_settings, listen, stderr_logging
    from settings import log_level_from_env

    check_settings(psa=True, knowledge=True, server=True)
    settings = settings_from_env(http=args.http, max_steps=args.max_steps)
    listener = listen(args.host, args.port) if args.http else None
    stderr_logging(log_level_from_env("INFO"))
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)

    from slack_bolt.error import BoltError

    from agent.session import agent_guard
    from agent.slack.hints import CHANNELS_SETTING
    from agent.slack.runtime import running_bot, serve_http, serve_socket_mode

    try:
        with running_bot(settings, agent_guard()) as (bot, app):
            if listener is not None:
                base = f"http://{args.host}:{listener.getsockname()[1]}"
                log.info("Slack bot: Events API at %s/slack/events, ConnectWise callbacks at %s/connectwise/callbacks",
                         base, base)
                serve_http(bot, app, listener, settings.hint_channels)
            else:
                if settings.hint_channels:
                    log.warning("%s is set, but Socket Mode receives no ConnectWise callbacks, so no hints are "
                                "posted: run with --http for them", CHANNELS_SETTING)
                assert settings.app_token is not None
                serve_socket_mode(app, settings.app_token)
    except BoltError as exc:
        # bolt's auth.test at start: a revoked or mistyped bot token (the message names Slack's error, not the token)
        print(f"psa-copilot slack: Slack refused the bot: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"psa-copilot slack: Slack could not be reached: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
