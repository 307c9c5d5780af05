"""Lookup data third-party ConnectWise clients read: sources, locations, teams, board subtypes, items and
teams, KB categories, company and configuration statuses and types, work roles and types, ticket tasks,
documents and activities.

Built last, from a random stream of its own (``seed`` mixed with a salt): adding the lookups never changes a
draw of any record before them. Ids follow the catalogue wherever tickets, members or configurations already
reference a lookup (a ticket's ``source``, ``subType``, ``team``, ``serviceLocation``; a time entry's
``workType``), so every such reference resolves.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from . import catalog
from .kb import KB_CATEGORIES
from .service import ServiceSetup
from .wire import ANCHOR_TS, API_ROOT, DAY, HOUR, SeedRecord, info, iso, ref

_SALT = 0x10C0B5
_UPDATED = ANCHOR_TS - 400 * DAY
_BY = "dpatel"
_MAIN = {"id": 1, "name": "Main", "_info": {}}
_SERVICES = {"id": 1, "identifier": "Services", "name": "Managed Services", "_info": {}}


class TicketLike(Protocol):
    id: int
    owner: dict[str, Any] | None
    entered: int
    closed_at: int | None
    summary: str


_ITEMS: dict[int, tuple[str, ...]] = {
    1: ("Laptop", "Desktop", "Printer", "Mobile Device", "Microsoft 365", "Line-of-Business App"),
    2: ("Firewall", "Switch", "Wireless", "VPN", "Internet Circuit"),
    3: ("Server", "Workstation", "Backup Appliance", "Cloud Tenant"),
    4: ("New Hire", "Departure", "Equipment Order"),
}
_TEAM_BOARD = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4}  # catalogue team -> the board it works (Tier 2 backs up Help Desk)
_TEAM_LEADER = {1: 2, 2: 6, 3: 8, 4: 9, 5: 10}  # team -> leading member id
_ROLE_RATES = {1: 95.0, 2: 125.0, 3: 165.0, 4: 150.0, 5: 140.0}
_WORK_TYPE_BILLING = {1: ("Billable", 1.0), 2: ("Billable", 1.25), 3: ("Billable", 1.5), 4: ("Billable", 1.0),
                      5: ("DoNotBill", 0.0)}
_TASKS = (
    "Confirm the issue with the user", "Check the RMM agent and recent alerts", "Apply the fix",
    "Test with the user", "Document the fix in the ticket", "Schedule a follow-up check",
    "Update the configuration record", "Escalate to Tier 2 if unresolved",
)
_DOC_KINDS = (("Screenshot", "png", True, 180_000), ("Event log export", "evtx", False, 1_400_000),
              ("Error message", "png", True, 95_000), ("Config backup", "txt", False, 42_000),
              ("Signed work order", "pdf", False, 210_000))
_ACTIVITY_TYPES = ((1, "Call"), (3, "Email"), (6, "Follow-up"))


def _member(member_id: int) -> dict[str, Any]:
    m = next(m for m in catalog.MEMBERS if m.id == member_id)
    return ref(m.id, f"{m.first} {m.last}", "/system/members", "member_href", identifier=m.identifier)


def build_lookups(seed: int, setup: ServiceSetup, tickets: Sequence[TicketLike]) -> Iterator[SeedRecord]:
    """Every lookup record; the same ``(seed, tickets)`` always gives the same records."""
    rng = random.Random(seed ^ _SALT)
    stamp = info(_UPDATED, _BY, _UPDATED - 900 * DAY, _BY)
    yield from _service_lookups(setup, stamp)
    yield from _company_lookups(stamp)
    yield from _time_lookups(stamp)
    yield from _ticket_extras(rng, tickets)


def _service_lookups(setup: ServiceSetup, stamp: dict[str, str]) -> Iterator[SeedRecord]:
    for sid, name in catalog.SOURCES:
        yield SeedRecord("service_sources", {"id": sid, "name": name, "defaultFlag": name == "Email Connector",
                                             "enteredBy": _BY, "dateEntered": stamp["dateEntered"], "_info": stamp})
    where = {"Remote": "Remote", "On-Site": "OnSite", "In-house": "InHouse"}
    for lid, name in catalog.SERVICE_LOCATIONS:
        yield SeedRecord("service_locations", {"id": lid, "name": name, "where": where.get(name, "Remote"),
                                               "defaultFlag": name == "Remote", "_info": stamp})
    staff_of = {tid: [m.id for m in catalog.MEMBERS if m.team_id == tid and not m.api] for tid, _ in catalog.TEAMS}
    for tid, name in catalog.TEAMS:
        leader = _member(_TEAM_LEADER[tid])
        yield SeedRecord("service_teams", {"id": tid, "name": name, "leader": leader, "location": _MAIN,
                                           "department": _SERVICES, "deleteNotifyFlag": False, "_info": stamp})
        board_id = _TEAM_BOARD[tid]
        board_team = next(b.team for b in catalog.BOARDS if b.id == board_id)
        yield SeedRecord("board_teams", {
            "id": tid, "name": name, "teamLeader": leader, "members": staff_of[tid],
            "defaultFlag": name == board_team, "notifyOnTicketDelete": False, "defaultRoundRobinFlag": False,
            "roundRobinFlag": False, "boardId": board_id, "locationId": 1, "businessUnitId": 1, "_info": stamp,
        })
    for (board_id, sub_name), sub_ref in setup.subtype_refs.items():
        type_ref = setup.type_refs[(board_id, setup.subtype_parent[(board_id, sub_name)])]
        yield SeedRecord("board_subtypes", {
            "id": sub_ref["id"], "name": sub_name, "inactiveFlag": False, "typeAssociationIds": [type_ref["id"]],
            "addAllTypesFlag": False, "removeAllTypesFlag": False, "board": setup.board_refs[board_id],
            "_info": stamp,
        })
    item_id = 0
    for board_id, names in _ITEMS.items():
        for name in names:
            item_id += 1
            yield SeedRecord("board_items", {"id": item_id, "name": name, "inactiveFlag": False,
                                             "board": setup.board_refs[board_id], "_info": stamp})
    for cid, name in KB_CATEGORIES.items():
        yield SeedRecord("kb_categories", {"id": cid, "name": name, "locationId": 1, "businessUnitId": 1,
                                           "_info": stamp})


def _company_lookups(stamp: dict[str, str]) -> Iterator[SeedRecord]:
    for sid, name, default, disallow in ((1, "Active", True, False), (2, "Inactive", False, False),
                                         (3, "Not-Approved", False, True), (4, "Credit Hold", False, False)):
        yield SeedRecord("company_statuses", {
            "id": sid, "name": name, "defaultFlag": default, "inactiveFlag": name == "Inactive",
            "notifyFlag": name == "Credit Hold", "disallowSavingFlag": disallow,
            "notificationMessage": "Check with accounts before doing billable work" if name == "Credit Hold" else None,
            "customNoteFlag": False, "cancelOpenTracksFlag": name == "Inactive", "_info": stamp,
        })
    for tid, name, default, vendor in ((1, "Owner", False, False), (2, "Client", True, False),
                                       (3, "Vendor", False, True), (4, "Prospect", False, False)):
        yield SeedRecord("company_types", {"id": tid, "name": name, "defaultFlag": default, "vendorFlag": vendor,
                                           "serviceAlertFlag": False, "serviceAlertMessage": None, "_info": stamp})
    for t in catalog.CONFIG_TYPES:
        yield SeedRecord("configuration_types", {"id": t.id, "name": t.name, "inactiveFlag": False,
                                                 "systemFlag": False, "_info": stamp})
    for sid, name in catalog.CONFIG_STATUSES:
        yield SeedRecord("configuration_statuses", {"id": sid, "description": name, "closedFlag": name == "Retired",
                                                    "defaultFlag": sid == 1, "_info": stamp})


def _time_lookups(stamp: dict[str, str]) -> Iterator[SeedRecord]:
    for rid, name in catalog.WORK_ROLES:
        yield SeedRecord("work_roles", {"id": rid, "name": name, "hourlyRate": _ROLE_RATES.get(rid, 100.0),
                                        "integrationXref": None, "inactiveFlag": False, "addAllLocations": True,
                                        "removeAllLocations": False, "addAllAgreementExclusions": False,
                                        "locationIds": [1], "_info": stamp})
    for wid, name in catalog.WORK_TYPES:
        bill, rate = _WORK_TYPE_BILLING.get(wid, ("Billable", 1.0))
        yield SeedRecord("work_types", {
            "id": wid, "name": name, "billTime": bill, "rateType": "Multiplier", "rate": rate, "hoursMin": 0.0,
            "hoursMax": 0.0, "roundBillHoursTo": 0.25, "inactiveFlag": False, "overallDefaultFlag": wid == 1,
            "activityDefaultFlag": wid == 1, "utilizationFlag": name != "Admin", "costMultiplier": 1.0,
            "integrationXRef": None, "addAllAgreementExclusions": False, "_info": stamp,
        })


def _ticket_extras(rng: random.Random, tickets: Sequence[TicketLike]) -> Iterator[SeedRecord]:
    task_id = doc_id = activity_id = 0
    tasks: list[SeedRecord] = []
    docs: list[SeedRecord] = []
    activities: list[SeedRecord] = []
    for t in tickets:
        roll = rng.random()
        owner = t.owner
        done_by = t.closed_at or ANCHOR_TS - HOUR
        if roll < 0.18:  # a checklist
            picks = rng.sample(_TASKS, rng.randint(2, 4))
            for priority, text in enumerate(picks, start=1):
                task_id += 1
                closed = t.closed_at is not None or rng.random() < 0.3
                tasks.append(SeedRecord("ticket_tasks", {
                    "id": task_id, "ticketId": t.id, "notes": text, "closedFlag": closed, "priority": priority,
                    "schedule": None, "code": None, "member": owner,
                    "resolution": "Done." if closed else None, "childScheduleAction": None,
                    "childTicketId": None, "summary": text,
                    "_info": info(min(done_by, t.entered + 2 * HOUR), (owner or {}).get("identifier") or _BY),
                }))
        if rng.random() < 0.08:  # an attachment
            title, ext, image, size = _DOC_KINDS[rng.randrange(len(_DOC_KINDS))]
            doc_id += 1
            created = min(t.entered + rng.randint(5, 240) * 60, done_by)
            docs.append(SeedRecord("documents", {
                "id": doc_id, "title": title, "fileName": f"{title.lower().replace(' ', '-')}-{t.id}.{ext}",
                "serverFileName": f"{doc_id:08x}.{ext}", "owner": (owner or {}).get("identifier") or _BY,
                "linkFlag": False, "imageFlag": image, "publicFlag": False, "htmlTemplateFlag": False,
                "readOnlyFlag": False, "size": size + rng.randint(0, size // 4), "urlFlag": False,
                "createdOnDate": iso(created), "documentType": {"id": 7 if image else 1,
                                                                "name": "Image" if image else "Document",
                                                                "_info": {}},
                "guid": f"{rng.getrandbits(128):032x}", "guidSecondary": None,
                "recordType": "Ticket", "recordId": t.id,
                "_info": {"lastUpdated": iso(created), "updatedBy": (owner or {}).get("identifier") or _BY,
                          "document_href": f"{API_ROOT}/system/documents/{doc_id}"},
            }))
        if t.closed_at is not None and owner is not None and rng.random() < 0.06:  # a follow-up call
            type_id, type_name = _ACTIVITY_TYPES[rng.randrange(len(_ACTIVITY_TYPES))]
            activity_id += 1
            start = min(t.closed_at + rng.randint(1, 5) * DAY, ANCHOR_TS - 2 * HOUR)
            done = start < ANCHOR_TS - DAY
            activities.append(SeedRecord("activities", {
                "id": activity_id, "name": f"{type_name}: {t.summary}"[:100],
                "type": {"id": type_id, "name": type_name, "_info": {}},
                "status": {"id": 2 if done else 1, "name": "Closed" if done else "Open", "_info": {}},
                "ticket": {"id": t.id, "summary": t.summary,
                           "_info": {"ticket_href": f"{API_ROOT}/service/tickets/{t.id}"}},
                "notes": "Check the fix held and the user is happy to close.", "dateStart": iso(start),
                "dateEnd": iso(start + HOUR // 4), "assignedBy": owner, "assignTo": owner,
                "notifyFlag": False, "closeFlag": done, "customFields": [],
                "_info": info(start, owner.get("identifier") or _BY, start - DAY, owner.get("identifier") or _BY),
            }))
    yield from tasks
    yield from docs
    yield from activities
