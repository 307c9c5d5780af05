"""The `psa-copilot` command: one subcommand per job, each delegating to the package that owns it.

Only the named subcommand's module is imported (an MCP client waits for `serve` to start on every launch), and
the settings a subcommand will use are checked before it starts (`server.check_settings`): a bad one is one
line on stderr and exit code 2. Ctrl-C is one line and exit code 130, except where a subcommand says otherwise
(`serve` stops cleanly with 0; `chat` leaves with 0).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from settings import ConfigError

def _add_sandbox(sub: Any) -> None:
    sandbox = sub.add_parser("sandbox", help="run a PSA sandbox server (ConnectWise, or the helpdesk)")
    sandbox.add_argument("--product", choices=["connectwise", "helpdesk"], default="connectwise",
                         help="which product to simulate (default connectwise)")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=None, help="default 8077 (connectwise), 8078 (helpdesk)")
    sandbox.add_argument("--db", default=None,
                         help="SQLite file (default: $COPILOT_DATA_DIR/sandbox.db, or helpdesk.db for the helpdesk)")
    sandbox.add_argument("--seed", type=int, default=42, help="random seed for the demo data")
    sandbox.add_argument("--tickets", type=int, default=2000, help="number of seeded tickets")


def _add_serve(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the MCP server")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)


def _add_kb(sub: Any) -> None:
    from kb_index.cli import add_kb_parser

    add_kb_parser(sub)


def _add_audit(sub: Any) -> None:
    from guardrails.audit_cli import add_audit_parser

    add_audit_parser(sub)


def _add_chat(sub: Any) -> None:
    chat = sub.add_parser("chat", help="the copilot agent in a terminal (needs OPENAI_API_KEY or OPENAI_BASE_URL)")
    chat.add_argument("--server-url", default=None, help="a remote MCP server (streamable HTTP, e.g. http://host:8000/mcp); default: in process")
    chat.add_argument("--once", default=None, metavar="QUESTION", help="answer one question and exit; confirmations are read from stdin")
    chat.add_argument("--max-steps", type=int, default=10, help="model calls per question (default 10)")


def _add_eval(sub: Any) -> None:
    from agent.eval.cli import add_eval_parser

    add_eval_parser(sub)


def _add_users(sub: Any) -> None:
    from identity.cli import add_users_parser

    add_users_parser(sub)


def _add_callbacks(sub: Any) -> None:
    from callbacks.cli import add_callbacks_parser

    add_callbacks_parser(sub)


def _add_slack(sub: Any) -> None:
    from agent.slack.cli import add_slack_parser

    add_slack_parser(sub)


def _add_demo(sub: Any) -> None:
    demo = sub.add_parser("demo", help="a scripted tour over the embedded sandbox (no API key needed)")
    demo.add_argument("--yes", action="store_true", help="confirm the tour's one write (a note, to the sandbox only)")


COMMANDS: dict[str, Callable[[Any], None]] = {
    "sandbox": _add_sandbox,
    "serve": _add_serve,
    "kb": _add_kb,
    "audit": _add_audit,
    "chat": _add_chat,
    "eval": _add_eval,
    "demo": _add_demo,
    "users": _add_users,
    "callbacks": _add_callbacks,
    "slack": _add_slack,
}


def _build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Every subcommand for help and for a name we do not know; else only the one named."""
    parser = argparse.ArgumentParser(prog="psa-copilot", description="Service-desk copilot for ConnectWise Manage.")
    sub = parser.add_subparsers(dest="command", required=True)
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, add in COMMANDS.items():
        if named not in COMMANDS or name == named:
            add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _build_parser(argv).parse_args(argv)
    try:
        return _run(args)
    except ConfigError as exc:
        print(f"psa-copilot: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("psa-copilot: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "sandbox" and args.product == "helpdesk":
        from sandbox.helpdesk.cli import DEFAULT_PORT as HELPDESK_PORT, run_helpdesk

        port = HELPDESK_PORT if args.port is None else args.port
        return run_helpdesk(host=args.host, port=port, db=args.db, seed=args.seed, tickets=args.tickets)
    if args.command == "sandbox":
        from sandbox.cli import DEFAULT_PORT, run_sandbox

        port = DEFAULT_PORT if args.port is None else args.port
        return run_sandbox(host=args.host, port=port, db=args.db, seed=args.seed, tickets=args.tickets)
    if args.command == "serve":
        from server import run_server

        return run_server(transport=args.transport, host=args.host, port=args.port)
    if args.command == "kb":
        from kb_index.cli import run_kb

        if args.kb_psa or args.kb_index:
            from server import check_settings

            check_settings(psa=args.kb_psa, knowledge=args.kb_index)
        return run_kb(args)
    if args.command == "audit":
        from guardrails.audit_cli import run_audit

        return run_audit(args)
    if args.command == "chat":
        from agent.chat import run_chat
        from server import check_settings

        # In process, chat runs our server; a remote one checks its own settings.
        check_settings(psa=not args.server_url, knowledge=not args.server_url, server=not args.server_url)
        return run_chat(server_url=args.server_url, once=args.once, max_steps=args.max_steps)
    if args.command == "eval":
        from agent.eval.cli import run_eval

        return run_eval(args)
    if args.command == "users":
        from identity.cli import run_users

        return run_users(args)
    if args.command == "callbacks":
        from callbacks.cli import run_callbacks
        from server import check_settings

        check_settings(psa=True)
        return run_callbacks(args)
    if args.command == "slack":
        from agent.slack.cli import run_slack

        return run_slack(args)
    if args.command == "demo":
        from agent.demo import run_demo
        from server import check_settings

        # With CW_SITE set the tour ignores it and runs in a temporary data folder (agent/demo.py checks that).
        embedded = not (os.environ.get("CW_SITE") or "").strip()
        check_settings(psa=embedded, knowledge=embedded, server=embedded)
        return run_demo(yes=args.yes)
    return 2


if __name__ == "__main__":
    sys.exit(main())
