"""`psa-copilot audit [--limit N] [--json]`: the newest write attempts, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from storage.audit import AuditLog, AuditRow

_OUTCOME_STYLE = {
    "written": "green", "pending": "cyan", "sending": "cyan", "not_written": "yellow", "unknown": "magenta"
}


def add_audit_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="list write attempts from the audit log ($COPILOT_DATA_DIR/audit.db)")
    audit.add_argument("--limit", type=int, default=50, help="newest N rows (default 50; 0 = all)")
    audit.add_argument("--json", action="store_true", help="JSON lines, one row each, newest first")


def run_audit(args: argparse.Namespace, log: AuditLog | None = None) -> int:
    log = AuditLog() if log is None else log
    rows = log.entries(limit=args.limit or None)
    broken = log.verify()
    if args.json:
        for row in rows:
            print(json.dumps(row.model_dump(mode="json"), ensure_ascii=False))
    else:
        _table(rows, str(log.path))
    if broken:
        # Integrity problems go to stderr and the exit code, so neither output format hides them.
        print(f"psa-copilot: audit log hash chain broken at row(s) {broken[:10]}: it was edited.", file=sys.stderr)
        return 1
    return 0


def _table(rows: list[AuditRow], path: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Write attempts, newest first ({path})", show_lines=False)
    for column in ("id", "attempt", "time (UTC)", "connection", "tool", "ticket", "outcome", "confirmation", "cw id"):
        table.add_column(column, no_wrap=True)
    table.add_column("detail", overflow="fold", ratio=1)
    for row in rows:
        style = _OUTCOME_STYLE.get(row.outcome, "red")
        body = (row.payload or {}).get("body") if isinstance(row.payload, dict) else None
        detail = row.error or (json.dumps(body, ensure_ascii=False)[:120] if body is not None else "")
        table.add_row(
            str(row.id),
            str(row.attempt or row.id),
            row.at.strftime("%Y-%m-%d %H:%M:%S"),
            row.connection,
            row.tool,
            str(row.ticket_id or ""),
            f"[{style}]{row.outcome}[/{style}]",
            row.confirmation,
            str(row.cw_id or ""),
            detail,
        )
    Console().print(table)
