"""Names a user gives a write, resolved to ConnectWise records before anyone is asked: boards, statuses,
priorities, a board's types, subtypes and items, members and companies (create_ticket and update_ticket).

A name that is not there is refused with the names that are (psa.writes.WriteNotPlanned).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psa.connectwise.mapping import ref
from psa.connectwise.models import Board, BoardStatus, BoardType, Company, Member, Priority, Reference
from psa.connectwise.provider import ConnectWiseProvider
from psa.writes import WriteNotPlanned, listed


def _inactive(entry: Any) -> bool:
    return bool(getattr(entry, "inactiveFlag", None) or getattr(entry, "inactive", None))


def pick(items: Sequence[Any], name: str, attr: str = "name") -> Any | None:
    """The active item whose `attr` equals `name` (case-insensitive, as ConnectWise compares names)."""
    wanted = name.strip().casefold()
    for entry in items:
        if not _inactive(entry) and (getattr(entry, attr, None) or "").casefold() == wanted:
            return entry
    return None


def active_names(items: Sequence[Any]) -> list[str]:
    return [i.name for i in items if i.name and not _inactive(i)]


def label(value: Reference | None) -> str:
    """A reference's old value as the preview shows it (psa.models.Ref.label), or (none)."""
    mapped = ref(value)
    return (mapped.label if mapped is not None else None) or "(none)"


async def resolve_board(wire: ConnectWiseProvider, name: str) -> Board:
    boards = await wire.list_boards()
    found = pick(boards, name)
    if found is None or found.id is None:
        raise WriteNotPlanned(f"There is no active board {name!r}. Boards: {listed(active_names(boards))}.")
    return found


async def resolve_status(wire: ConnectWiseProvider, board: Board, name: str) -> BoardStatus:
    assert board.id is not None
    found = await wire.get_board_status_by_name(board.id, name.strip())
    if found is None or found.id is None or found.inactive:
        statuses = await wire.list_board_statuses(board.id)
        raise WriteNotPlanned(
            f"Board {board.name!r} has no active status {name!r}. Its statuses: {listed(active_names(statuses))}."
        )
    return found


async def resolve_priority(wire: ConnectWiseProvider, name: str) -> Priority:
    priorities = await wire.list_priorities()
    found = pick(priorities, name)
    if found is None or found.id is None:
        raise WriteNotPlanned(f"There is no priority {name!r}. Priorities: {listed(p.name for p in priorities)}.")
    return found


_KINDS = {"type": "list_board_types", "subtype": "list_board_subtypes", "item": "list_board_items"}


async def resolve_on_board(wire: ConnectWiseProvider, board: Board, kind: str, name: str) -> BoardType:
    """A type, subtype or item of `board`, by name."""
    assert board.id is not None
    entries = await getattr(wire, _KINDS[kind])(board.id)
    found = pick(entries, name)
    if found is None or found.id is None:
        raise WriteNotPlanned(
            f"Board {board.name!r} has no active {kind} {name!r}. Its {kind}s: {listed(active_names(entries))}."
        )
    return found


async def resolve_member(wire: ConnectWiseProvider, identifier: str) -> Member:
    found = await wire.get_member_by_identifier(identifier.strip())
    if found is None or found.id is None or found.inactiveFlag:
        raise WriteNotPlanned(f"No active member has the identifier {identifier!r}.")
    return found


def member_label(member: Member) -> str:
    name = " ".join(p for p in (member.firstName, member.lastName) if p)
    return f"{member.identifier} ({name})" if name else str(member.identifier)


async def resolve_company(wire: ConnectWiseProvider, name: str) -> Company:
    matches = [c for c in await wire.find_company_exact(name) if c.id is not None]
    wanted = name.strip().casefold()
    by_identifier = [c for c in matches if (c.identifier or "").casefold() == wanted]
    by_name = [c for c in matches if (c.name or "").casefold() == wanted]
    chosen = by_identifier or by_name
    if len(chosen) == 1:
        return chosen[0]
    if len(chosen) > 1:
        raise WriteNotPlanned(
            f"Several companies are called {name!r}: "
            f"{listed(f'{c.identifier} ({c.name})' for c in chosen)}. Give the identifier."
        )
    near = (await wire.find_companies(name.strip()[:30], page_size=10)).items
    hint = f"Close matches (identifier: name): {listed(f'{c.identifier}: {c.name}' for c in near)}" if near else (
        "No company name or identifier contains it; see find_companies"
    )
    raise WriteNotPlanned(f"There is no company with the identifier or name {name!r}. {hint}.")
