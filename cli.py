"""The `psa-copilot` command: one subcommand per job, each delegating to the package that owns it."""

from __future__ import annotations

import argparse
import sys

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
    return 2


if __name__ == "__main__":
    sys.exit(main())
