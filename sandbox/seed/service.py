"""The MSP's own service setup: boards with statuses and types, priorities and members.

Builds the documents once and keeps lookup tables (reference objects by name) that the ticket
generator reuses, so no reference dict is rebuilt per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from . import catalog
from .wire import ANCHOR_TS, DAY, SeedRecord, info, ref

# Setup records were last touched well before the ticket year, by the service manager.
_SETUP_UPDATED = ANCHOR_TS - 400 * DAY
_SETUP_BY = "dpatel"


@dataclass(slots=True)
class ServiceSetup:
    """Reference objects the ticket generator needs, keyed the way it looks them up."""

    board_refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    status_refs: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    closed_status_names: dict[int, tuple[str, ...]] = field(default_factory=dict)
    type_refs: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    subtype_refs: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    subtype_parent: dict[tuple[int, str], str] = field(default_factory=dict)
    priority_refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    member_refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    team_refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    source_refs: dict[str, dict[str, Any]] = field(default_factory=dict)
    location_refs: dict[str, dict[str, Any]] = field(default_factory=dict)
    work_type_refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    work_role_refs: dict[int, dict[str, Any]] = field(default_factory=dict)
    records: list[SeedRecord] = field(default_factory=list)


def build_service_setup() -> ServiceSetup:
    """All MSP-side records plus the lookup tables; deterministic and independent of the seed."""
    s = ServiceSetup()
    # Small reference tables first: the record builders below embed them.
    for tid, name in catalog.TEAMS:
        s.team_refs[tid] = ref(tid, name, "/service/boards/teams", "team_href")
    for sid, name in catalog.SOURCES:
        s.source_refs[name] = ref(sid, name, "/service/sources", "source_href")
    for lid, name in catalog.SERVICE_LOCATIONS:
        s.location_refs[name] = ref(lid, name, "/service/locations", "location_href")
    for wid, name in catalog.WORK_TYPES:
        s.work_type_refs[wid] = ref(wid, name, "/time/workTypes", "workType_href",
                                    utilizationFlag=name != "Admin")
    for rid, name in catalog.WORK_ROLES:
        s.work_role_refs[rid] = ref(rid, name, "/time/workRoles", "workRole_href")
    s.records.extend(_boards(s))
    s.records.extend(_priorities(s))
    s.records.extend(_members(s))
    return s


def _boards(s: ServiceSetup) -> Iterator[SeedRecord]:
    status_id = type_id = subtype_id = 0
    boards: list[SeedRecord] = []
    children: list[SeedRecord] = []
    for b in catalog.BOARDS:
        board_ref = ref(b.id, b.name, "/service/boards", "board_href")
        s.board_refs[b.id] = board_ref
        boards.append(SeedRecord("boards", {
            "id": b.id, "name": b.name,
            "location": {"id": 1, "name": "Main", "_info": {}},
            "department": {"id": 1, "identifier": "Services", "name": "Managed Services", "_info": {}},
            "inactiveFlag": False, "signOffTemplate": {"id": 1, "name": "Default"},
            "sendToContactFlag": True, "sendToResourceFlag": True, "projectFlag": False,
            "showDependenciesFlag": False, "autoCloseStatus": None,
            "autoAssignNewTicketsFlag": False, "autoAssignNewECTicketsFlag": False,
            "autoAssignNewPortalTicketsFlag": False, "discussionsLockedFlag": False,
            # Spec booleans: which note a time entry's notes default to (the discussion, i.e. the description).
            "timeEntryLockedFlag": False, "timeEntryDiscussionFlag": True, "timeEntryResolutionFlag": False,
            "timeEntryInternalAnalysisFlag": False,
            "dispatchMember": ref(2, "Jenna Morales", "/system/members", "member_href", identifier="jmorales"),
            "serviceManagerMember": ref(1, "Dana Patel", "/system/members", "member_href", identifier="dpatel"),
            "workRole": None, "workType": None,
            "billTime": "Billable", "billExpense": "Billable", "billProduct": "Billable",
            "closedLoopDiscussionsFlag": False, "closedLoopResolutionFlag": False,
            "closedLoopInternalAnalysisFlag": False, "closedLoopAllFlag": False,
            "percentageCalculation": "ActualHours", "allSort": "Descending",
            "markFirstNoteIssueFlag": False, "restrictBoardByDefaultFlag": False,
            "showEstimatesFlag": False, "overrideBillingSetupFlag": False,
            "_info": info(_SETUP_UPDATED, _SETUP_BY, _SETUP_UPDATED - 900 * DAY, _SETUP_BY),
        }))
        closed: list[str] = []
        for sort, st in enumerate(b.statuses):
            status_id += 1
            sref = ref(status_id, st.name, "/service/boards/%d/statuses" % b.id, "status_href", sort=sort)
            s.status_refs[(b.id, st.name)] = sref
            if st.closed:
                closed.append(st.name)
            children.append(SeedRecord("board_statuses", {
                "id": status_id, "name": st.name, "board": board_ref, "sortOrder": sort,
                "displayOnBoard": not st.closed or st.name == "Resolved", "inactive": False,
                "closedStatus": st.closed, "timeEntryNotAllowed": st.time_entry_not_allowed,
                "roundRobinCatchall": False, "defaultFlag": st.default, "escalationStatus": st.escalation,
                "customerPortalDescription": st.name, "customerPortalFlag": True,
                "_info": info(_SETUP_UPDATED, _SETUP_BY),
            }))
        s.closed_status_names[b.id] = tuple(closed)
        for type_name, subtypes in b.types:
            type_id += 1
            tref = ref(type_id, type_name, "/service/boards/%d/types" % b.id, "type_href")
            s.type_refs[(b.id, type_name)] = tref
            children.append(SeedRecord("board_types", {
                "id": type_id, "name": type_name, "board": board_ref, "category": "Reactive",
                "defaultFlag": False, "inactiveFlag": False, "requestForChangeFlag": False,
                "integrationXref": None,
                "location": {"id": 1, "name": "Main", "_info": {}},
                "department": {"id": 1, "identifier": "Services", "name": "Managed Services", "_info": {}},
                "_info": info(_SETUP_UPDATED, _SETUP_BY),
            }))
            for sub in subtypes:
                subtype_id += 1
                s.subtype_refs[(b.id, sub)] = ref(subtype_id, sub, "/service/boards/%d/subtypes" % b.id,
                                                  "subType_href")
                s.subtype_parent[(b.id, sub)] = type_name
    yield from boards
    yield from children


def _priorities(s: ServiceSetup) -> Iterator[SeedRecord]:
    for pid, name, color, level in catalog.PRIORITIES:
        s.priority_refs[pid] = ref(pid, name, "/service/priorities", "priority_href", sort=pid, level=level)
        yield SeedRecord("priorities", {
            "id": pid, "name": name, "color": color, "sortOrder": pid,
            "defaultFlag": pid == catalog.DEFAULT_PRIORITY_ID, "level": level,
            "_info": info(_SETUP_UPDATED, _SETUP_BY),
        })


_MAIN_LOCATION = {"id": 1, "name": "Main", "_info": {}}
_SERVICES_DEPARTMENT = {"id": 1, "identifier": "Services", "name": "Managed Services", "_info": {}}


def _members(s: ServiceSetup) -> Iterator[SeedRecord]:
    manager = ref(1, "Dana Patel", "/system/members", "member_href", identifier="dpatel")
    for m in catalog.MEMBERS:
        full = f"{m.first} {m.last}"
        s.member_refs[m.id] = ref(m.id, full, "/system/members", "member_href", identifier=m.identifier,
                                  dailyCapacity=0.0 if m.api else 8.0)
        email = f"{m.first.lower()}.{m.last.lower()}@{catalog.MSP_DOMAIN}"
        hired = m.hire + "T00:00:00Z"
        yield SeedRecord("members", {
            "id": m.id, "identifier": m.identifier, "firstName": m.first, "lastName": m.last,
            "title": m.title, "licenseClass": "A" if m.api else "F",
            "inactiveFlag": False, "disableOnlineFlag": False, "hireDate": hired,
            "officeEmail": email, "primaryEmail": email, "emailAddress": email, "defaultEmail": "Office",
            "officePhone": "2085550%03d" % (100 + m.id), "defaultPhone": "Office",
            "securityRole": {"id": 1 if m.api else (2 if not m.technician else 3),
                             "name": "API" if m.api else ("Admin" if not m.technician else "Technician"),
                             "_info": {}},
            "adminFlag": not m.technician and not m.api,
            "type": {"id": 1, "name": "API Member" if m.api else "Employee", "_info": {}},
            "timeZone": {"id": 1, "name": "US Mountain", "_info": {}},
            "workRole": s.work_role_refs[m.role_id], "dailyCapacity": 0.0 if m.api else 8.0,
            "serviceDefaultBoard": {"id": _member_board(m), "name": _board_name(_member_board(m)), "_info": {}},
            "teams": [m.team_id], "country": {"id": 1, "identifier": "US", "name": "United States", "_info": {}},
            "includeInUtilizationReportingFlag": m.technician,
            # What the spec's Member model carries besides: organisation, approvers, time-sheet rules.
            "employeeIdentifer": "E%04d" % (1000 + m.id), "enableMobileFlag": not m.api,
            "enableMobileGpsFlag": False, "memberPersonas": [],
            "structureLevel": {"id": 1, "name": "Corporate", "_info": {}},
            "securityLocation": _MAIN_LOCATION, "defaultLocation": _MAIN_LOCATION,
            "defaultDepartment": _SERVICES_DEPARTMENT, "serviceDefaultLocation": _MAIN_LOCATION,
            "serviceDefaultDepartment": _SERVICES_DEPARTMENT, "scheduleDefaultLocation": _MAIN_LOCATION,
            "scheduleDefaultDepartment": _SERVICES_DEPARTMENT, "restrictLocationFlag": False,
            "restrictDepartmentFlag": False,
            "reportsTo": None if m.id == 1 else manager, "timeApprover": manager, "expenseApprover": manager,
            "billableForecast": 75.0 if m.technician else 0.0, "hourlyCost": 0.0 if m.api else 38.0,
            "scheduleCapacity": 0.0 if m.api else 8.0, "requireExpenseEntryFlag": False,
            "requireTimeSheetEntryFlag": m.technician, "requireStartAndEndTimeOnTimeEntryFlag": m.technician,
            "daysTolerance": 2, "minimumHours": 0.0 if m.api else 40.0, "timeSheetStartDate": hired,
            "_info": info(_SETUP_UPDATED, _SETUP_BY, _hire_ts(m.hire), _SETUP_BY),
        })


def _member_board(m: catalog.MemberDef) -> int:
    for board_id, staff in catalog.BOARD_STAFF.items():
        if m.id in staff:
            return board_id
    return 1


def _board_name(board_id: int) -> str:
    return next(b.name for b in catalog.BOARDS if b.id == board_id)


def _hire_ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp())
