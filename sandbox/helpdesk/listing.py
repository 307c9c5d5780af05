"""GET /api/TicketsApi's query as SQL: the listType (the "My..." ones relative to the caller), the search over
searchFields, and always "not deleted". Fragments name the aliases of `store.TICKET_FROM` (t, s, p, r)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sandbox.helpdesk.errors import invalid_field
from sandbox.helpdesk.forms import ListQuery
from sandbox.helpdesk.models import Role, User, utc_iso

OVERDUE = "(t.due_date IS NOT NULL AND t.due_date < :now AND s.status_type NOT IN ('Resolved', 'Closed'))"
_MINE = "(t.assignee_id = :me OR t.creator_id = :me)"
_OPEN = "s.status_type = 'Open'"
_ON_HOLD = "s.status_type = 'OnHold'"
_PENDING = "s.status_type = 'Pending'"
_COMPLETED = "s.status_type IN ('Resolved', 'Closed')"
_DUE_TODAY = "substr(t.due_date, 1, 10) = :today"
_ESCALATED = "t.is_escalated = 1"
_MY_GROUPS = "t.group_id IN (SELECT group_id FROM group_members WHERE user_id = :me)"


def _tasks(completed: bool) -> str:
    return (f"EXISTS (SELECT 1 FROM tasks k WHERE k.ticket_id = t.id AND k.assignee_id = :me "
            f"AND k.completed = {int(completed)})")


LIST_TYPES: dict[str, str] = {
    "AllMyGroups": _MY_GROUPS,
    "MyOpenOrUnassigned": f"{_OPEN} AND ({_MINE} OR t.assignee_id IS NULL)",
    "UnassignedTickets": "t.assignee_id IS NULL",
    "MyOpenTickets": f"{_OPEN} AND {_MINE}",
    "MyTicketsOnhold": f"{_ON_HOLD} AND {_MINE}",
    "MyOverdueTickets": f"{OVERDUE} AND {_MINE}",
    "MyPendingTickets": f"{_PENDING} AND {_MINE}",
    "MyTicketsDueToday": f"{_DUE_TODAY} AND {_MINE}",
    "MyEscalated": f"{_ESCALATED} AND {_MINE}",
    "AllEscalated": _ESCALATED,
    "MyCompletedTickets": f"{_COMPLETED} AND {_MINE}",
    "AllMyTickets": _MINE,
    "MyOpenTasks": _tasks(completed=False),
    "MyCompletedTasks": _tasks(completed=True),
    "TicketsOnHold": _ON_HOLD,
    "OverdueTickets": OVERDUE,
    "TicketsDueToday": _DUE_TODAY,
    "PendingTickets": _PENDING,
    "CompletedTickets": _COMPLETED,
    "AllTickets": "1 = 1",
}
_BY_LOWER = {name.lower(): name for name in LIST_TYPES}

_LIKE = "LIKE :like ESCAPE '\\'"
SEARCH_FIELDS: dict[str, str] = {
    "Subject": f"t.title {_LIKE}",
    "TicketId": "CAST(t.id AS TEXT) = :exact",
    "Priority": f"p.name {_LIKE}",
    "Requester": f"(r.full_name {_LIKE} OR r.user_name {_LIKE} OR r.email {_LIKE})",
}
_FIELDS_BY_LOWER = {name.lower(): name for name in SEARCH_FIELDS}


@dataclass(frozen=True)
class TicketQuery:
    where: str
    params: dict[str, Any] = field(default_factory=dict)


def _clock(now: datetime | None) -> dict[str, str]:
    moment = now or datetime.now(timezone.utc)
    return {"now": utc_iso(moment), "today": utc_iso(moment)[:10]}


def compile_list(query: ListQuery, user: User, now: datetime | None = None) -> TicketQuery:
    """The WHERE of a ticket list; 400 for an unknown listType or searchFields name."""
    list_type = _BY_LOWER.get(query.list_type.lower())
    if list_type is None:
        raise invalid_field("listType", f"'{query.list_type}' is not a list type; use one of "
                            f"{', '.join(LIST_TYPES)}.")
    clauses = ["t.deleted_on IS NULL", f"({LIST_TYPES[list_type]})"]
    # Requesters are the product's "members": whatever they list, they see their own tickets only.
    if user.role == Role.REQUESTER:
        clauses.append("t.creator_id = :me")
    params: dict[str, Any] = {"me": user.id, **_clock(now)}
    if query.search and query.search.strip():
        names = [n.strip() for n in (query.search_fields or ",".join(SEARCH_FIELDS)).split(",") if n.strip()]
        unknown = [n for n in names if n.lower() not in _FIELDS_BY_LOWER]
        if unknown:
            raise invalid_field("searchFields", f"'{unknown[0]}' is not a search field; use any of "
                                f"{', '.join(SEARCH_FIELDS)}.")
        text = query.search.strip()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params |= {"like": f"%{escaped}%", "exact": text.lstrip("#")}
        clauses.append("(" + " OR ".join(SEARCH_FIELDS[_FIELDS_BY_LOWER[n.lower()]] for n in names) + ")")
    return TicketQuery(" AND ".join(clauses), params)


def created_by(user: User, now: datetime | None = None) -> TicketQuery:
    """POST /list: the tickets a user created."""
    return TicketQuery("t.deleted_on IS NULL AND t.creator_id = :me", {"me": user.id, **_clock(now)})
