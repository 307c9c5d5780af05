"""The sandbox's writable state read over its REST API, before and after a run, and what changed in between.

Read with plain httpx and the sandbox credentials, never through psa/ or the tools: the grader must not trust
the code it grades. Tickets, time entries and KB articles are read whole (a few requests); notes only for the
tickets a scenario is about and for any ticket whose lastUpdated moved (a note change moves it, as on
ConnectWise), so an unexpected note anywhere is still caught.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, Field

from psa.connectwise.auth import auth_headers
from psa.connectwise.settings import ConnectWiseSettings

PAGE = 1000


class TicketState(BaseModel):
    board: str | None
    status: str | None
    last_updated: str | None


class NoteState(BaseModel):
    id: int
    kind: str
    text: str


class TimeEntryState(BaseModel):
    id: int
    ticket_id: int | None
    hours: float | None
    notes: str


class KbArticleState(BaseModel):
    id: int
    title: str
    text: str


class Snapshot(BaseModel):
    tickets: dict[int, TicketState]
    notes: dict[int, list[NoteState]] = Field(default_factory=dict, description="Only for the tickets read.")
    time_entries: dict[int, TimeEntryState]
    kb_articles: dict[int, KbArticleState]


class StatusMove(BaseModel):
    ticket_id: int
    board: str | None
    before: str | None
    after: str | None


class Changes(BaseModel):
    new_notes: dict[int, list[NoteState]] = Field(default_factory=dict)
    removed_notes: dict[int, list[int]] = Field(default_factory=dict)
    statuses: list[StatusMove] = Field(default_factory=list)
    touched: list[int] = Field(default_factory=list, description="lastUpdated moved without a status change.")
    new_time_entries: list[TimeEntryState] = Field(default_factory=list)
    new_kb_articles: list[KbArticleState] = Field(default_factory=list)
    missing_tickets: list[int] = Field(default_factory=list)


def _kind(note: dict[str, Any]) -> str:
    if note.get("internalAnalysisFlag"):
        return "internal_analysis"
    if note.get("resolutionFlag"):
        return "resolution"
    return "discussion"


class SandboxReader:
    """A read-only REST client on one sandbox."""

    def __init__(self, settings: ConnectWiseSettings) -> None:
        self._http = httpx.Client(base_url=settings.api_root, headers=auth_headers(settings), timeout=30)

    def close(self) -> None:
        self._http.close()

    def _all(self, path: str, fields: str) -> list[dict[str, Any]]:
        # Only the fields compared: whole tickets would make each snapshot several times slower.
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"pageSize": PAGE, "page": page, "orderBy": "id asc", "fields": fields}
            response = self._http.get(path, params=params)
            response.raise_for_status()
            batch = response.json()
            items.extend(batch)
            if len(batch) < PAGE:
                return items
            page += 1

    def notes(self, ticket_id: int) -> list[NoteState]:
        response = self._http.get(f"/service/tickets/{ticket_id}/notes", params={"pageSize": PAGE})
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [NoteState(id=n["id"], kind=_kind(n), text=n.get("text") or "") for n in response.json()]

    def snapshot(self, note_tickets: set[int]) -> Snapshot:
        tickets = {
            t["id"]: TicketState(
                board=(t.get("board") or {}).get("name"),
                status=(t.get("status") or {}).get("name"),
                last_updated=(t.get("_info") or {}).get("lastUpdated"),
            )
            for t in self._all("/service/tickets", "id,board/name,status/name,_info/lastUpdated")
        }
        entries = {
            e["id"]: TimeEntryState(
                id=e["id"],
                ticket_id=e.get("chargeToId") if e.get("chargeToType") == "ServiceTicket" else None,
                hours=e.get("actualHours"),
                notes=e.get("notes") or "",
            )
            for e in self._all("/time/entries", "id,chargeToId,chargeToType,actualHours,notes")
        }
        articles = {
            a["id"]: KbArticleState(
                id=a["id"],
                title=a.get("title") or "",
                text="\n".join(a.get(k) or "" for k in ("title", "issue", "resolution")),
            )
            for a in self._all("/service/knowledgeBaseArticles", "id,title,issue,resolution")
        }
        notes = {tid: self.notes(tid) for tid in sorted(note_tickets) if tid in tickets}
        return Snapshot(tickets=tickets, notes=notes, time_entries=entries, kb_articles=articles)

    def snapshot_after(self, before: Snapshot) -> Snapshot:
        """The state now, with notes for every ticket read before plus every ticket whose lastUpdated moved."""
        probe = self.snapshot(set())
        moved = {tid for tid, t in probe.tickets.items() if tid in before.tickets and t != before.tickets[tid]}
        probe.notes = {tid: self.notes(tid) for tid in sorted(set(before.notes) | moved) if tid in probe.tickets}
        return probe


def diff(before: Snapshot, after: Snapshot) -> Changes:
    changes = Changes()
    for tid, old in before.tickets.items():
        new = after.tickets.get(tid)
        if new is None:
            changes.missing_tickets.append(tid)
            continue
        if new.status != old.status or new.board != old.board:
            changes.statuses.append(StatusMove(ticket_id=tid, board=new.board, before=old.status, after=new.status))
        elif new.last_updated != old.last_updated:
            changes.touched.append(tid)
    for tid, notes in after.notes.items():
        if tid not in before.notes:
            continue  # not read before, so its notes cannot be told apart: it stays reported as touched
        old_ids = {n.id for n in before.notes[tid]}
        added = [n for n in notes if n.id not in old_ids]
        if added:
            changes.new_notes[tid] = added
        gone = sorted(old_ids - {n.id for n in notes})
        if gone:
            changes.removed_notes[tid] = gone
    # A touched ticket whose only change is explained by its new notes is not reported twice.
    changes.touched = [tid for tid in changes.touched if tid not in changes.new_notes and tid not in changes.removed_notes]
    changes.new_time_entries = [e for eid, e in after.time_entries.items() if eid not in before.time_entries]
    changes.new_kb_articles = [a for aid, a in after.kb_articles.items() if aid not in before.kb_articles]
    return changes
