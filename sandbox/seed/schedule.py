"""Schedule entries (`/schedule/entries`): technicians booked against their service tickets.

Built after every ticket, from a brief of each, with a random stream of its own: adding the schedule never
changes a draw of the tickets, notes or time entries that came before it. A closed ticket was often booked
once while it was open (done); an open ticket is usually booked in the coming working days, or was booked
earlier and is still pending. Times are working hours, Monday to Friday (UTC).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .wire import ANCHOR_TS, API_ROOT, DAY, HOUR, SeedRecord, iso

_SALT = 0x5C4ED
_SERVICE_TYPE = {"id": 4, "identifier": "S", "_info": {"type_href": f"{API_ROOT}/schedule/types/4"}}
_FIRM = {"id": 2, "name": "Firm", "_info": {"status_href": f"{API_ROOT}/schedule/statuses/2"}}
_TENTATIVE = {"id": 1, "name": "Tentative", "_info": {"status_href": f"{API_ROOT}/schedule/statuses/1"}}
_REMINDER = {"id": 2, "name": "15 minutes", "_info": {"reminder_href": f"{API_ROOT}/schedule/reminderTimes/2"}}
_REMOTE = {"id": 1, "name": "Remote", "_info": {}}
_WORKDAY_START_H = 14  # 08:00 US Mountain is 14:00 UTC (MDT 14:00, MST 15:00; close enough for demo data)
_WORKDAY_HOURS = 8


@dataclass(frozen=True)
class TicketBrief:
    """What a schedule entry needs of its ticket."""

    id: int
    owner: dict[str, Any] | None
    entered: int
    closed_at: int | None
    summary: str
    company: str | None
    location: dict[str, Any] | None

    @classmethod
    def of(cls, ticket: dict[str, Any]) -> TicketBrief:
        closed = ticket.get("closedDate") if ticket.get("closedFlag") else None
        return cls(
            id=ticket["id"],
            owner=ticket.get("owner"),
            entered=_ts(ticket["_info"]["dateEntered"]),
            closed_at=_ts(closed) if closed else None,
            summary=ticket.get("summary") or "",
            company=(ticket.get("company") or {}).get("name"),
            location=ticket.get("serviceLocation"),
        )


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _weekday(ts: int) -> int:
    return (ts // DAY + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)


def _working_slot(rng: random.Random, lo: int, hi: int, hours: float) -> int | None:
    """A start time on a working day within [lo, hi - hours], on the half hour, or None when there is none."""
    first_day, last_day = lo // DAY, (hi - int(hours * HOUR)) // DAY
    days = [d for d in range(first_day, last_day + 1) if _weekday(d * DAY) < 5]
    rng.shuffle(days)
    for day in days[:6]:
        latest_slot = int((_WORKDAY_HOURS - hours) * 2)
        start = day * DAY + _WORKDAY_START_H * HOUR + rng.randint(0, max(0, latest_slot)) * HOUR // 2
        if lo <= start and start + hours * HOUR <= hi:
            return start
    return None


def _entry(rng: random.Random, id_: int, t: TicketBrief, member: dict[str, Any], start: int, hours: float,
           done: bool) -> dict[str, Any]:
    end = start + int(hours * HOUR)
    booked = max(t.entered, min(start - rng.randint(2, 48) * HOUR, ANCHOR_TS - HOUR))  # booked before "now"
    name = f"{t.company} / {t.summary}" if t.company else t.summary
    return {
        "id": id_, "objectId": t.id, "name": name[:250], "member": member,
        "where": t.location or _REMOTE, "dateStart": iso(start), "dateEnd": iso(end),
        "reminder": _REMINDER, "status": _FIRM if done or rng.random() < 0.8 else _TENTATIVE,
        "type": _SERVICE_TYPE, "span": None, "doneFlag": done, "acknowledgedFlag": True, "ownerFlag": False,
        "meetingFlag": False, "ticketType": None, "allowScheduleConflictsFlag": False,
        "addMemberToProjectFlag": False, "projectRoleId": None,
        "mobileGuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "acknowledgedDate": iso(booked + 600), "closeDate": iso(end) if done else None,
        "notifyResource": False, "notificationSent": False, "notificationResponse": None,
        "hours": hours, "startTimeSet": True, "endTimeSet": True,
        "_info": {"lastUpdated": iso(end if done else booked), "updatedBy": "jmorales",
                  "dateEntered": iso(booked), "enteredBy": "jmorales"},
    }


def build_schedule(seed: int, tickets: list[TicketBrief], technicians: set[str]) -> Iterator[SeedRecord]:
    """Schedule entries for the owners (technicians only, no API members) of `tickets`."""
    rng = random.Random(seed * 1_000_003 + _SALT)
    next_id = 0
    for t in tickets:
        owner = t.owner
        if not owner or owner.get("identifier") not in technicians:
            continue
        hours = rng.choice((0.5, 1.0, 1.0, 1.5, 2.0))
        if t.closed_at is not None:
            if rng.random() >= 0.85:
                continue
            start = _working_slot(rng, t.entered + HOUR, t.closed_at, hours)
            done = True
        elif t.entered >= ANCHOR_TS - 21 * DAY or rng.random() < 0.5:
            # Open: the coming working days, or (older tickets, now and then) a past booking still pending.
            if rng.random() < 0.75:
                start = _working_slot(rng, ANCHOR_TS, ANCHOR_TS + 9 * DAY, hours)
            else:
                start = _working_slot(rng, max(t.entered + HOUR, ANCHOR_TS - 7 * DAY), ANCHOR_TS, hours)
            done = False
        else:
            continue
        if start is None:
            continue
        next_id += 1
        yield SeedRecord("schedule_entries", _entry(rng, next_id, t, owner, start, hours, done))


__all__ = ["TicketBrief", "build_schedule"]
