"""The `psa-copilot` command: one subcommand per job, each delegating to the package that owns it."""

from __future__ import annotations

import argparse
import sys

from agent.eval.cli import add_eval_parser, run_eval
from guardrails.audit_cli import add_audit_parser, run_audit
from kb_index.cli import add_kb_parser, run_kb


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="psa-copilot", description="Service-desk copilot for ConnectWise Manage.")
    sub = parser.add_subparsers(dest="command", required=True)

    sandbox = sub.add_parser("sandbox", help="run the ConnectWise-compatible sandbox server")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8077)
    sandbox.add_argument("--db", default=None, help="SQLite file (default: $COPILOT_DATA_DIR/sandbox.db)")
    sandbox.add_argument("--seed", type=int, default=42, help="random seed for the demo data")
    sandbox.add_argument("--tickets", type=int, default=2000, help="number of seeded tickets")

    serve = sub.add_parser("serve", help="run the MCP server")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    add_kb_parser(sub)
    add_audit_parser(sub)

    chat = sub.add_parser("chat", help="the copilot agent in a terminal (needs OPENAI_API_KEY or OPENAI_BASE_URL)")
    chat.add_argument("--server-url", default=None, help="a remote MCP server (streamable HTTP, e.g. http://host:8000/mcp); default: in process")
    chat.add_argument("--once", default=None, metavar="QUESTION", help="answer one question and exit; confirmations are read from stdin")
    chat.add_argument("--max-steps", type=int, default=10, help="model calls per question (default 10)")
    add_eval_parser(sub)

    demo = sub.add_parser("demo", help="a scripted tour over the embedded sandbox (no API key needed)")
    demo.add_argument("--yes", action="store_true", help="confirm the tour's one write (a note, to the sandbox only)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.command == "sandbox":
        from sandbox.cli import run_sandbox

        return run_sandbox(host=args.host, port=args.port, db=args.db, seed=args.seed, tickets=args.tickets)
    if args.command == "serve":
        from server import run_server

        return run_server(transport=args.transport, host=args.host, port=args.port)
    if args.command == "kb":
        return run_kb(args)
    if args.command == "audit":
        return run_audit(args)
    if args.command == "chat":
        from agent.chat import run_chat

        return run_chat(server_url=args.server_url, once=args.once, max_steps=args.max_steps)
    if args.command == "eval":
        return run_eval(args)
    if args.command == "demo":
        from agent.demo import run_demo

        return run_demo(yes=args.yes)
    return 2


if __name__ == "__main__":
    sys.exit(main())
