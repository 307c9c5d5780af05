"""`psa-copilot callbacks register|list|remove`: the ConnectWise callback entries that feed the receiver at
POST /connectwise/callbacks (callbacks/register.py does the work).

Results go to stdout, one line per entry; warnings and failures to stderr, one line each, never a traceback.
Exit codes, as `kb sync`: 0 done; 1 ConnectWise cannot be reached (or failed); 2 bad input, a bad setting or
refused keys (`cli.py` checks the settings before this runs). With no CW_SITE it works on the embedded sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from callbacks.receiver import CALLBACK_PATH
from callbacks.register import (
    CallbackInputError,
    EntryView,
    callback_url,
    list_entries,
    register,
    remove_ids,
    remove_url,
)
from psa.connectwise.errors import (
    ConnectWiseAuthError,
    ConnectWiseError,
    ConnectWisePermissionError,
    ConnectWiseValidationError,
)
from psa.connectwise.provider import ConnectWiseProvider
from settings import one_line

_PREFIX = "psa-copilot callbacks"
_COLUMNS = ("id", "type", "level", "object", "active", "url", "description")


def add_callbacks_parser(sub: Any) -> None:
    callbacks = sub.add_parser("callbacks", help="ConnectWise callback entries for the receiver: register, list, remove")
    commands = callbacks.add_subparsers(dest="callbacks_command", required=True)

    reg = commands.add_parser("register", help="create our callback entries (idempotent: a re-run creates nothing)")
    reg.add_argument("--url", required=True, metavar="PUBLIC_URL",
                     help=f"the receiver's public URL; a bare https://host gets {CALLBACK_PATH}")
    reg.add_argument("--board", action="append", default=[], metavar="NAME",
                     help="also watch this board's new tickets for hints (repeatable; any case)")

    listing = commands.add_parser("list", help="every callback entry on the site, ours or not")
    listing.add_argument("--json", action="store_true", help="one JSON array, one object per entry")

    remove = commands.add_parser("remove", help="delete callback entries by URL or by id",
                                 usage="%(prog)s [-h] (--url URL | ID [ID ...])")
    remove.add_argument("--url", default=None, metavar="URL", help="every entry for this receiver URL")
    remove.add_argument("ids", nargs="*", type=_positive_id, metavar="ID", help="entry ids (see `callbacks list`)")
    # argparse cannot make a positional list and an option exclusive, so run_callbacks checks it with this.
    remove.set_defaults(callbacks_usage=remove.error)


def _positive_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a callback entry id (a positive integer)")
    return int(text)


def run_callbacks(args: argparse.Namespace) -> int:
    """Run the parsed subcommand; its exit code (see the module docstring)."""
    if args.callbacks_command == "remove" and bool(args.url) == bool(args.ids):
        args.callbacks_usage("give either --url URL or one or more IDs")
    try:
        if getattr(args, "url", None):
            callback_url(args.url)  # a bad URL is refused before ConnectWise (or the sandbox) is opened
        return asyncio.run(_with_provider(_COMMANDS[args.callbacks_command], args))
    except CallbackInputError as exc:
        return _fail(args, str(exc), 2)
    except (ConnectWiseAuthError, ConnectWisePermissionError) as exc:
        print(f"psa-copilot: configuration error: {one_line(exc)}", file=sys.stderr)
        return 2
    except ConnectWiseValidationError as exc:  # ConnectWise refused what we sent (e.g. the URL): bad input
        return _fail(args, one_line(exc), 2)
    except ConnectWiseError as exc:
        return _fail(args, one_line(exc), 1)


Command = Callable[[ConnectWiseProvider, argparse.Namespace], Awaitable[int]]


async def _with_provider(command: Command, args: argparse.Namespace) -> int:
    async with _provider_from_env() as provider:
        return await command(provider, args)


@asynccontextmanager
async def _provider_from_env() -> AsyncIterator[ConnectWiseProvider]:
    """CW_* when CW_SITE is set; otherwise the embedded sandbox on its usual database, as `kb sync` does."""
    from psa.connectwise.settings import ConnectWiseSettings

    if (os.environ.get("CW_SITE") or "").strip():
        async with ConnectWiseProvider.from_settings(ConnectWiseSettings.from_env()) as provider:
            yield provider
        return
    from sandbox.embedded import start_embedded

    print(f"{_PREFIX}: CW_SITE is not set: using the embedded sandbox", file=sys.stderr)
    sandbox = await asyncio.to_thread(start_embedded)
    try:
        async with ConnectWiseProvider.from_settings(ConnectWiseSettings.sandbox(sandbox.url)) as provider:
            yield provider
    finally:
        await asyncio.to_thread(sandbox.stop)


async def _register(provider: ConnectWiseProvider, args: argparse.Namespace) -> int:
    registration = await register(provider, args.url, args.board)
    for warning in registration.warnings:
        print(f"{_PREFIX} register: warning: {warning}", file=sys.stderr)
    for row in registration.entries:
        print(f"{row.outcome} {row.entry.line()}")
    return 0


async def _list(provider: ConnectWiseProvider, args: argparse.Namespace) -> int:
    entries = await list_entries(provider)
    if args.json:
        print(json.dumps([entry.model_dump() for entry in entries]))
    elif not entries:
        print("no callback entries: create ours with `psa-copilot callbacks register --url PUBLIC_URL`")
    else:
        _table(entries)
    return 0


async def _remove(provider: ConnectWiseProvider, args: argparse.Namespace) -> int:
    removed = await (remove_url(provider, args.url) if args.url else remove_ids(provider, args.ids))
    if not removed:  # only --url can find nothing: unknown ids are refused
        print(f"no callback entries for {callback_url(args.url)}")
    for entry in removed:
        print(f"removed {entry.line()}")
    return 0


_COMMANDS: dict[str, Command] = {"register": _register, "list": _list, "remove": _remove}


def _table(entries: list[EntryView]) -> None:
    lines = [_COLUMNS] + [
        (str(e.id), e.type or "-", e.level or "-", "-" if e.object_id is None else str(e.object_id),
         "yes" if e.active else "no", e.url or "-", e.description or "")
        for e in entries
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(_COLUMNS))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    print(f"{_PREFIX} {args.callbacks_command}: {message}", file=sys.stderr)
    return code
