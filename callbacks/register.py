"""What `psa-copilot callbacks register|list|remove` does, as functions of a provider (no argparse, no printing).

`register` puts on ConnectWise the entries the receiver (callbacks/receiver.py) relies on: every ticket and
every KB article at level Owner (the knowledge index follows closes, reopens and KB edits), and one Ticket
entry per watched board (hints for its new tickets, callbacks/worker.py). It is idempotent: an entry that is
there already is kept (re-activated if someone switched it off), so a re-run creates nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pydantic import BaseModel

from callbacks.receiver import CALLBACK_PATH
from psa.connectwise.callbacks import CallbackEntry, CallbackEntryCreate, CallbackType
from psa.connectwise.errors import ConnectWiseNotFoundError, ConnectWiseResponseError, ConnectWiseValidationError
from psa.connectwise.models import Board
from psa.connectwise.provider import ConnectWiseProvider

OWNER_OBJECT_ID = 1
"""ConnectWise's objectId for an Owner-level entry: the whole record type."""
DESCRIPTION_MAX = 100
"""The length ConnectWise allows for a callback entry's description."""


class CallbackInputError(ValueError):
    """Input ConnectWise was not asked about (a bad URL, an unknown board or id): one line, exit code 2."""


class EntryView(BaseModel):
    """One callback entry as the CLI shows it, ours or anyone's."""

    id: int
    type: str | None
    level: str | None
    object_id: int | None
    active: bool
    url: str | None
    description: str | None

    @classmethod
    def of(cls, entry: CallbackEntry) -> EntryView:
        return cls(id=entry_id(entry), type=entry.type, level=entry.level, object_id=entry.objectId,
                   active=not entry.inactiveFlag, url=entry.url, description=entry.description)

    def line(self) -> str:
        return f"#{self.id} {self.type} {self.level} {self.object_id} {self.url}"


class Registered(BaseModel):
    outcome: Literal["created", "exists", "reactivated"]
    entry: EntryView


class Registration(BaseModel):
    """What `register` did: one row per entry it wants, in the order it wanted them, and what it could not do."""

    url: str
    entries: list[Registered]
    warnings: list[str]


class _Wanted(BaseModel):
    type: CallbackType
    level: Literal["Owner", "Board"]
    object_id: int
    description: str


def entry_id(entry: CallbackEntry) -> int:
    """Its id; ConnectWise always sends one, and without it an entry can be neither shown nor changed."""
    if entry.id is None:
        raise ConnectWiseResponseError("ConnectWise returned a callback entry without an id")
    return entry.id


def callback_url(public_url: str) -> str:
    """The receiver's URL from its public URL: http(s) with a host; a bare origin gets CALLBACK_PATH."""
    parts = _http_url(public_url.strip())
    if parts is None:
        raise CallbackInputError(f"{public_url!r} is not an http(s) URL with a host, e.g. https://copilot.example.com")
    if parts.path in ("", "/"):
        parts = parts._replace(path=CALLBACK_PATH)
    return urlunsplit(parts)


def _http_url(text: str) -> SplitResult | None:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a malformed host, or a port that is not a number in range
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0:
        return None
    return parts


def describe(text: str) -> str:
    """One line within ConnectWise's limit (a board's name can be long or carry line breaks)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= DESCRIPTION_MAX else flat[: DESCRIPTION_MAX - 1] + "…"


def _same(entry: CallbackEntry, url: str, wanted: _Wanted) -> bool:
    # ConnectWise matches type and level case-insensitively; the URL is ours, normalised the same way each run.
    return (entry.url == url and entry.objectId == wanted.object_id
            and (entry.type or "").casefold() == wanted.type.casefold()
            and (entry.level or "").casefold() == wanted.level.casefold())


def _watched(boards: Sequence[Board], names: Sequence[str]) -> dict[int, str]:
    """Id -> name of the boards named (case-insensitively, each once), or CallbackInputError naming the valid ones."""
    by_name = {board.name.casefold(): (board.id, board.name) for board in boards if board.name and board.id}
    unknown = [name for name in names if name.strip().casefold() not in by_name]
    if unknown:
        valid = ", ".join(name for _, name in by_name.values())
        raise CallbackInputError(f"unknown board {unknown[0]!r}: the boards are {valid}")
    return dict(by_name[name.strip().casefold()] for name in names)


def _wanted(boards: dict[int, str]) -> list[_Wanted]:
    return [
        _Wanted(type="Ticket", level="Owner", object_id=OWNER_OBJECT_ID,
                description=describe("psa-copilot: knowledge index (tickets)")),
        _Wanted(type="KnowledgeBaseArticle", level="Owner", object_id=OWNER_OBJECT_ID,
                description=describe("psa-copilot: knowledge index (KB articles)")),
        *(_Wanted(type="Ticket", level="Board", object_id=board_id,
                  description=describe(f"psa-copilot: hints for new tickets on {name}"))
          for board_id, name in boards.items()),
    ]


async def register(provider: ConnectWiseProvider, public_url: str, boards: Sequence[str] = ()) -> Registration:
    """Create (or keep, or re-activate) our entries for the receiver at `public_url` and the watched `boards`.
    Every input is checked before the first write, so a bad one leaves the site as it was."""
    url = callback_url(public_url)
    watched = _watched(await provider.list_boards(), boards) if boards else {}
    existing = await provider.list_callbacks()
    done: list[Registered] = []
    warnings: list[str] = []
    for wanted in _wanted(watched):
        matches = [entry for entry in existing if _same(entry, url, wanted)]
        active = next((entry for entry in matches if not entry.inactiveFlag), None)
        if active is not None:
            done.append(Registered(outcome="exists", entry=EntryView.of(active)))
        elif matches:
            entry = await provider.activate_callback(entry_id(matches[0]))
            done.append(Registered(outcome="reactivated", entry=EntryView.of(entry)))
        else:
            create = CallbackEntryCreate(description=wanted.description, url=url, objectId=wanted.object_id,
                                         type=wanted.type, level=wanted.level)
            try:
                entry = await provider.create_callback(create)
            except ConnectWiseValidationError as exc:
                # Not every site offers KB article callbacks; the index still gets KB edits from `kb sync`.
                if wanted.type != "KnowledgeBaseArticle":
                    raise
                warnings.append(f"ConnectWise refused the KnowledgeBaseArticle callback ({_refusal(exc)}); "
                                "KB edits reach the index through `psa-copilot kb sync` only")
                continue
            done.append(Registered(outcome="created", entry=EntryView.of(entry)))
    return Registration(url=url, entries=done, warnings=warnings)


def _refusal(exc: ConnectWiseValidationError) -> str:
    """ConnectWise's own words, without the client's advice to fix the request (there is nothing to fix)."""
    words = [exc.message or "", *(error.message or "" for error in exc.errors)]
    return "; ".join(word for word in words if word) or f"HTTP {exc.status}"


async def list_entries(provider: ConnectWiseProvider) -> list[EntryView]:
    """Every callback entry on the site, whoever made it."""
    return [EntryView.of(entry) for entry in await provider.list_callbacks()]


async def remove_url(provider: ConnectWiseProvider, public_url: str) -> list[EntryView]:
    """Delete every entry whose URL is the receiver's at `public_url` (normalised as `register` does)."""
    url = callback_url(public_url)
    ours = [entry for entry in await provider.list_callbacks() if entry.url == url]
    views = [EntryView.of(entry) for entry in ours]
    for view in views:
        await provider.delete_callback(view.id)
    return views


async def remove_ids(provider: ConnectWiseProvider, ids: Sequence[int]) -> list[EntryView]:
    """Delete the entries with these ids; all of them are looked up first, so an unknown one deletes nothing."""
    unique = list(dict.fromkeys(ids))
    found: list[CallbackEntry] = []
    missing: list[int] = []
    for callback_id in unique:
        try:
            found.append(await provider.get_callback(callback_id))
        except ConnectWiseNotFoundError:
            missing.append(callback_id)
    if missing:
        listed = ", ".join(f"#{callback_id}" for callback_id in missing)
        raise CallbackInputError(f"no callback entry {listed} (see `psa-copilot callbacks list`); nothing removed")
    views = [EntryView.of(entry) for entry in found]
    for view in views:
        await provider.delete_callback(view.id)
    return views
