"""`psa-copilot users ...`: the technicians of the team service, their bearer tokens, Slack ids and own
ConnectWise keys.

A bearer token is printed once, as the last line of stdout, so a script can take it with `tail -n 1`; only its
hash is kept. A private key is read from stdin (never argv or the environment, which other local users and
shell histories can see) and stored encrypted. Exit codes: 0 done, 2 bad input or a bad setting (one line on
stderr).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from identity.members import check_member
from identity.models import Technician
from identity.technicians import Technicians, normalize_email, normalize_member, normalize_slack_id
from settings import ConfigError, check_data_dir, one_line
from storage.sqlite import StorageUnavailable
from storage.technicians import TechnicianExists, TechnicianNotFound

_PREFIX = "psa-copilot users"
_NO_TOKEN = ("no bearer token issued: tokens are only used with COPILOT_AUTH=tokens; "
             "`psa-copilot users token EMAIL` issues one later")
_LISTED = ("email", "member", "slack_id", "has_keys", "has_token", "created_at")


def add_users_parser(sub: Any) -> None:
    users = sub.add_parser("users", help="technicians of the team service: tokens, Slack ids, ConnectWise keys")
    commands = users.add_subparsers(dest="users_command", required=True)

    add = commands.add_parser("add", help="add a technician (prints a bearer token with COPILOT_AUTH=tokens)")
    add.add_argument("email", help="their email (lower-cased; the key every other command takes)")
    add.add_argument("--member", required=True, metavar="IDENTIFIER",
                     help="their ConnectWise member identifier, e.g. kbrooks, checked against ConnectWise "
                          "(on the helpdesk: their technician user name, checked against its technicians)")
    add.add_argument("--slack-id", default=None, metavar="ID", help="their Slack user id, e.g. U04ABCD1234")

    listing = commands.add_parser("list", help="list technicians (never a token or key)")
    listing.add_argument("--json", action="store_true", help="one JSON array, one object per technician")

    remove = commands.add_parser("remove", help="remove a technician (their token and keys go with them)")
    remove.add_argument("email", help="the technician's email")

    token = commands.add_parser("token", help="issue a new bearer token; the previous one stops working")
    token.add_argument("email", help="the technician's email")

    link = commands.add_parser("link", help="link a technician to their Slack user id")
    link.add_argument("email", help="the technician's email")
    link.add_argument("--slack-id", required=True, metavar="ID")

    keys = commands.add_parser("set-keys", help="store their own ConnectWise API keys (private key read from stdin)")
    keys.add_argument("email", help="the technician's email")
    keys.add_argument("--public-key", required=True, metavar="PUB")


def run_users(args: argparse.Namespace, technicians: Technicians | None = None) -> int:
    if technicians is None:
        check_data_dir()
        technicians = Technicians()
    try:
        return _COMMANDS[args.users_command](args, technicians)
    except ConfigError:
        raise  # cli.main reports it as a configuration error, exit 2
    except (ValueError, LookupError, StorageUnavailable) as exc:
        return _fail(one_line(exc))


def _add(args: argparse.Namespace, technicians: Technicians) -> int:
    email, member = normalize_email(args.email), normalize_member(args.member)
    slack_id = normalize_slack_id(args.slack_id) if args.slack_id is not None else None
    # Refused before the product is asked, so a duplicate costs no round trip.
    if technicians.lookup_by_email(email) is not None:
        raise TechnicianExists(f"{email} already exists")
    check = check_member(member)
    if check.outcome == "missing":
        return _fail(f"no {check.kind} {member!r} at {check.where}: check the identifier {check.hint}")
    if check.outcome == "unchecked":
        print(f"{_PREFIX}: warning: member {member!r} could not be checked against {check.where} "
              f"({check.reason}); stored as given", file=sys.stderr)
    technician, token = technicians.add(email, check.identifier, slack_id=slack_id, with_token=_tokens_mode())
    print(f"added {technician.email} ({check.kind} {technician.member})")
    if token is None:
        print(_NO_TOKEN)
    else:
        _print_token(token, "bearer token (shown once; only its hash is stored):")
    return 0


def _list(args: argparse.Namespace, technicians: Technicians) -> int:
    rows = technicians.list()
    if args.json:
        print(json.dumps([row.model_dump(mode="json", include=set(_LISTED)) for row in rows]))
    elif not rows:
        print("no technicians yet: add one with `psa-copilot users add EMAIL --member IDENTIFIER`")
    else:
        _table(rows)
    return 0


def _remove(args: argparse.Namespace, technicians: Technicians) -> int:
    technicians.remove(args.email)
    print(f"removed {normalize_email(args.email)}")
    return 0


def _token(args: argparse.Namespace, technicians: Technicians) -> int:
    token = technicians.issue_token(args.email)
    if not _tokens_mode():
        print(f"{_PREFIX}: note: tokens are only used with COPILOT_AUTH=tokens", file=sys.stderr)
    heading = f"new bearer token for {normalize_email(args.email)} (shown once; the previous one no longer works):"
    _print_token(token, heading)
    return 0


def _link(args: argparse.Namespace, technicians: Technicians) -> int:
    technicians.link_slack(args.email, args.slack_id)
    print(f"linked {normalize_email(args.email)} to Slack id {normalize_slack_id(args.slack_id)}")
    return 0


def _set_keys(args: argparse.Namespace, technicians: Technicians) -> int:
    email = normalize_email(args.email)
    # Asked before reading stdin, so nobody types a private key for an email that is not stored.
    if technicians.lookup_by_email(email) is None:
        raise TechnicianNotFound(email)
    technicians.set_keys(email, args.public_key, _read_private_key())
    print(f"stored ConnectWise keys for {email} (public key {args.public_key.strip()}; private key encrypted)")
    return 0


_COMMANDS = {"add": _add, "list": _list, "remove": _remove, "token": _token, "link": _link, "set-keys": _set_keys}


def _read_private_key() -> str:
    """From stdin: piped, or typed at a terminal without echo."""
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        return getpass.getpass("ConnectWise private key (not shown): ")
    return sys.stdin.read()


def _tokens_mode() -> bool:
    return (os.environ.get("COPILOT_AUTH") or "").strip().lower() == "tokens"


def _print_token(token: str, heading: str) -> None:
    print(heading)
    print(token, flush=True)


def _table(rows: list[Technician]) -> None:
    header = ("email", "member", "slack id", "keys", "token", "created (UTC)")
    lines = [header] + [
        (row.email, row.member, row.slack_id or "-", "yes" if row.has_keys else "no",
         "yes" if row.has_token else "no", row.created_at.strftime("%Y-%m-%d %H:%M"))
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _fail(message: str) -> int:
    print(f"{_PREFIX}: {message}", file=sys.stderr)
    return 2
