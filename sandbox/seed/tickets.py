"""Service tickets with their notes, time entries and linked configurations.

Tickets are dated across the year before the anchor, numbered in date order (like CW, where ids
grow over time), and older tickets are far more likely to be closed. Everything is drawn from one
``random.Random`` in a fixed order, and all per-topic data is precomputed, so 100,000 tickets
stay fast.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Iterator

from . import catalog
from .clients import ClientInfo, ContactInfo, Estate
from .kb import client_slots, generic_article_ids
from .service import ServiceSetup
from .topics import SCENARIOS, TOPICS, WORKSTATIONS, Scenario, Topic
from .wire import ANCHOR_TS, DAY, HOUR, SeedRecord, info, iso

YEAR = 365 * DAY
SUMMARY_MAX = 100
_RMM_MEMBER_ID = 12
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Business-hours shape for human-raised tickets, in UTC (the clients are US based: 8am-6pm local).
_HOUR_WEIGHTS = (1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 8, 10, 10, 9, 7, 9, 9, 8, 6, 3)
_HOUR_CUM = list(accumulate(_HOUR_WEIGHTS))
# Weekends see a fifth of the weekday volume. Day 0 is the anchor minus 365 days.
_ANCHOR_WEEKDAY_OFFSET = (ANCHOR_TS // DAY + 3) % 7          # 1970-01-01 was a Thursday (3)
_DAY_WEIGHTS = [(2 if (_ANCHOR_WEEKDAY_OFFSET - 365 + d) % 7 >= 5 else 10) for d in range(365)]
_DAY_CUM = list(accumulate(_DAY_WEIGHTS))

# Typical first-response and resolution times per priority id (seconds).
_RESPOND = {1: 15 * 60, 2: 60 * 60, 3: 3 * HOUR, 4: 8 * HOUR, 5: 24 * HOUR}
_SEVERITY_IMPACT = {1: ("High", "High"), 2: ("Medium", "High"), 3: ("Medium", "Medium"),
                    4: ("Low", "Low"), 5: ("Low", "Low")}
_BUDGET = {1: 4.0, 2: 2.0, 3: 1.5, 4: 1.0, 5: 3.0}


@dataclass(frozen=True, slots=True)
class _Board:
    """Per-board references the generator needs for every ticket."""

    ref: dict[str, Any]
    team: dict[str, Any]
    open_new: tuple[dict[str, Any], ...]     # statuses of freshly opened tickets
    open_stale: tuple[dict[str, Any], ...]   # statuses that explain an older open ticket
    closed: dict[str, Any]
    resolved: dict[str, Any]
    cancelled: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Texts:
    """A scenario resolved to concrete template pools, plus the KB article documenting its fix."""

    summaries: tuple[str, ...]
    descriptions: tuple[str, ...]
    updates: tuple[str, ...]
    internal: tuple[str, ...]
    resolutions: tuple[str, ...]
    kb_id: int | None


@dataclass(frozen=True, slots=True)
class _TopicRefs:
    topic: Topic
    board: _Board
    type_ref: dict[str, Any]
    subtype_refs: tuple[dict[str, Any], ...]
    slot_items: tuple[tuple[str, tuple[str, ...], tuple[bool, ...]], ...]  # name, values, value-has-slots
    scenarios: tuple[_Texts, ...]


# Technician notes that fit any ticket; used when a scenario's own pool is used up on a ticket.
_FOLLOW_UPS = (
    "Hi {first}, just checking in - is this still happening? If I don't hear back I'll close the ticket in 3 "
    "business days.",
    "Left a voicemail for {first} to schedule a remote session.",
    "{first}, I've scheduled a remote session for {day} afternoon - you'll get a calendar invite.",
)
_INTERNAL_FOLLOW_UPS = (
    "Waiting on user to confirm. Set a follow-up reminder for tomorrow.",
    "Reproduced the behaviour on a second machine at the site; continuing troubleshooting.",
    "No response from the user after 2 attempts (phone + email).",
)
# Share of closed tickets the technician linked to the KB article they followed (CW's KB link field).
_KB_LINK_RATE = 0.35


def _resolve(topic: Topic, sc: Scenario, kb_ids: tuple[int, ...]) -> _Texts:
    def pool(stage: str) -> tuple[str, ...]:
        picks: tuple[int | str, ...] = getattr(sc, stage)
        full: tuple[str, ...] = getattr(topic, stage)
        return tuple(full[p] if isinstance(p, int) else p for p in picks) if picks else full

    return _Texts(pool("summaries"), pool("descriptions"), pool("updates"), pool("internal"),
                  pool("resolutions"), kb_ids[sc.kb] if sc.kb is not None and kb_ids else None)


@dataclass(slots=True)
class TicketContext:
    """Everything shared by all tickets: references, estate, counters."""

    setup: ServiceSetup
    clients: list[ClientInfo]
    client_cum: list[int]
    client_slots: list[dict[str, str]]
    topics: list[_TopicRefs]
    topic_cum: list[int]
    boards: dict[int, _Board]
    note_id: int = 0
    time_id: int = 0
    link_id: int = 0


def build_context(setup: ServiceSetup, estate: Estate) -> TicketContext:
    boards: dict[int, _Board] = {}
    for b in catalog.BOARDS:
        names = [s.name for s in b.statuses]
        st = setup.status_refs

        def pick(*wanted: str, board_id: int = b.id) -> tuple[dict[str, Any], ...]:
            return tuple(st[(board_id, w)] for w in wanted if w in names)

        team_id = next(tid for tid, name in catalog.TEAMS if name == b.team)
        closed_name = "Closed"
        resolved_name = "Resolved" if "Resolved" in names else "Completed"
        boards[b.id] = _Board(
            ref=setup.board_refs[b.id], team=setup.team_refs[team_id],
            open_new=pick("New", "New", "Assigned", "Acknowledged", "In Progress"),
            open_stale=pick("In Progress", "Waiting on Client", "Waiting on Client", "Waiting on Vendor",
                            "Scheduled", "Escalated", "Customer Responded", "Waiting on Hardware"),
            closed=st[(b.id, closed_name)], resolved=st[(b.id, resolved_name)],
            cancelled=st.get((b.id, "Cancelled"), st[(b.id, closed_name)]),
        )
    topics = []
    kb_ids = generic_article_ids()
    for t in TOPICS:
        slot_items = tuple((name, vals, tuple("{" in v for v in vals)) for name, vals in t.slots.items())
        scenarios = tuple(_resolve(t, sc, kb_ids[t.key]) for sc in SCENARIOS.get(t.key, (Scenario(0),)))
        topics.append(_TopicRefs(t, boards[t.board], setup.type_refs[(t.board, t.type)],
                                 tuple(setup.subtype_refs[(t.board, s)] for s in t.subtypes), slot_items,
                                 scenarios))
    return TicketContext(
        setup=setup, clients=estate.clients, client_cum=list(accumulate(estate.weights)),
        client_slots=[client_slots(c) for c in estate.clients],
        topics=topics, topic_cum=list(accumulate(t.weight for t in TOPICS)), boards=boards,
    )


def _draw_dates(rng: random.Random, n: int, alert_flags: list[bool]) -> list[int]:
    """Entry timestamps: alerts any time of day, people during business hours on (mostly) weekdays."""
    out = []
    day_total, hour_total = _DAY_CUM[-1], _HOUR_CUM[-1]
    start = ANCHOR_TS - YEAR
    for i in range(n):
        day = bisect(_DAY_CUM, rng.random() * day_total)
        if alert_flags[i]:
            second = rng.randrange(DAY)
        else:
            second = bisect(_HOUR_CUM, rng.random() * hour_total) * HOUR + rng.randrange(HOUR)
        out.append(start + day * DAY + second)
    return out


def generate_tickets(rng: random.Random, ctx: TicketContext, count: int) -> Iterator[SeedRecord]:
    """``count`` tickets with ids 1..count in date order, each followed by its children."""
    topic_total = ctx.topic_cum[-1]
    picks = [bisect(ctx.topic_cum, rng.random() * topic_total) for _ in range(count)]
    dates = _draw_dates(rng, count, [ctx.topics[p].topic.alert for p in picks])
    order = sorted(range(count), key=dates.__getitem__)
    for ticket_id, i in enumerate(order, start=1):
        yield from build_ticket(rng, ctx, ticket_id, ctx.topics[picks[i]], dates[i])


def _fresh(rng: random.Random, pool: tuple[str, ...], used: set[str]) -> str | None:
    """A template from ``pool`` not yet used on this ticket (technicians don't paste a note twice)."""
    choice = rng.choice(pool)
    if choice in used:
        left = [p for p in pool if p not in used]
        if not left:
            return None
        choice = rng.choice(left)
    used.add(choice)
    return choice


def _open_probability(age_days: float) -> float:
    # Tuned so roughly 80% of a year's tickets end up closed, with the open ones skewed recent.
    if age_days < 30:
        return 0.6
    if age_days < 90:
        return 0.35
    return 0.12


@dataclass(frozen=True, slots=True)
class Script:
    """Pins down what is otherwise random, for hand-written tickets (see injection.py).

    ``notes`` lists the notes after the description: "u" technician update, "i" internal analysis,
    "c" customer reply. The ticket stays open in ``status``.
    """

    status: str
    client_id: int
    notes: tuple[str, ...]


def topic_refs(ctx: TicketContext, topic: Topic) -> _TopicRefs:
    """References for a topic that is not in TOPICS (the hand-written injection tickets)."""
    return _TopicRefs(topic, ctx.boards[topic.board], ctx.setup.type_refs[(topic.board, topic.type)],
                      tuple(ctx.setup.subtype_refs[(topic.board, s)] for s in topic.subtypes), (),
                      (_resolve(topic, Scenario(None), ()),))


def build_ticket(rng: random.Random, ctx: TicketContext, ticket_id: int, tr: _TopicRefs, entered: int,
                 script: Script | None = None) -> Iterator[SeedRecord]:
    """One ticket document followed by its notes, time entries and configuration links."""
    setup = ctx.setup
    topic = tr.topic
    rnd = rng.random
    ci = bisect(ctx.client_cum, rnd() * ctx.client_cum[-1]) if script is None else script.client_id - 1
    client = ctx.clients[ci]
    contact: ContactInfo = client.contacts[int(rnd() * len(client.contacts))]
    owner_id = rng.choice(catalog.BOARD_STAFF[topic.board])
    owner = setup.member_refs[owner_id]
    owner_ident = owner["identifier"]
    priority_id = rng.choice(topic.priorities)

    # Devices: the contact's own workstation for desktop issues, otherwise the client's gear.
    linked: list[int] = []
    host = contact.device
    for type_id in topic.devices[:2]:
        if type_id in WORKSTATIONS:
            mine = [d for d in client.devices_by_contact.get(contact.id, ()) if d.type_id == type_id]
            if mine:
                linked.append(mine[0].id)
        else:
            pool = client.devices_by_type.get(type_id)
            if pool:
                dev = pool[int(rnd() * len(pool))]
                linked.append(dev.id)
                if not host or topic.alert:
                    host = dev.name

    coworker = client.contacts[int(rnd() * len(client.contacts))]
    if coworker is contact:
        coworker = client.contacts[(client.contacts.index(contact) + 1) % len(client.contacts)]
    texts = tr.scenarios[int(rnd() * len(tr.scenarios))]
    slots = dict(ctx.client_slots[ci])
    if client.servers:
        slots["server"] = client.servers[int(rnd() * len(client.servers))]
    site_id = contact.site_id
    site_row = client.site_rows[site_id]
    slots.update(first=contact.first, name=f"{contact.first} {contact.last}", email=contact.email,
                 login=contact.login, host=host or f"{client.prefix}-LT001",
                 tech=catalog.MEMBERS[owner_id - 1].first, site=site_row["name"] + " office",
                 day=_WEEKDAYS[(entered // DAY + 3) % 7], coworker=f"{coworker.first} {coworker.last}")
    for name, vals, nested in tr.slot_items:
        k = int(rnd() * len(vals))
        slots[name] = vals[k].format_map(slots) if nested[k] else vals[k]

    summary = rng.choice(texts.summaries).format_map(slots)
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 3].rstrip() + "..."

    # Timeline: response, a few working notes, then resolution. Open tickets stop before the anchor.
    age_days = (ANCHOR_TS - entered) / DAY
    closed = rnd() >= _open_probability(age_days)
    responded = entered + int(_RESPOND[priority_id] * (0.2 + rnd()))
    extra = (0, 1, 1, 1, 2, 2, 2, 3, 4)[int(rnd() * 9)] if not topic.alert else (0, 0, 1, 1, 2)[int(rnd() * 5)]
    if not closed and age_days > 3:
        extra = max(extra, 1)   # an older open ticket has been worked at least once
    board = tr.board

    notes: list[dict[str, Any]] = []
    times: list[dict[str, Any]] = []
    members_on_ticket = [owner_ident]
    contact_name = slots["name"]
    rmm = setup.member_refs[_RMM_MEMBER_ID]

    def add_note(ts: int, text: str, kind: str, member: dict[str, Any] | None) -> None:
        ctx.note_id += 1
        by = member["identifier"] if member else contact.email
        notes.append({
            "id": ctx.note_id, "ticketId": ticket_id, "text": text,
            "detailDescriptionFlag": kind == "d", "internalAnalysisFlag": kind == "i",
            "resolutionFlag": kind == "r", "issueFlag": False,
            "member": member, "contact": None if member else contact.ref,
            "customerUpdatedFlag": member is None and kind == "d" and ts != entered,
            "processNotifications": False, "dateCreated": iso(ts), "createdBy": by,
            "internalFlag": kind == "i", "externalFlag": kind != "i",
            "_info": {"lastUpdated": iso(ts), "updatedBy": by},
        })

    def add_time(end: int, member: dict[str, Any], role_id: int, text: str) -> float:
        hours = round(max(0.25, (topic.hours[0] + rnd() * (topic.hours[1] - topic.hours[0])) / 2) * 4) / 4
        start = end - int(hours * HOUR)
        ctx.time_id += 1
        work_type = setup.work_type_refs[4 if topic.board == 4 else (3 if (end // HOUR) % 24 < 12 else 1)]
        times.append({
            "id": ctx.time_id, "company": client.ref, "companyType": "Client", "chargeToId": ticket_id,
            "chargeToType": "ServiceTicket", "member": member, "locationId": 1, "businessUnitId": 1,
            "workType": work_type, "workRole": setup.work_role_refs[role_id],
            "agreement": None, "timeStart": iso(start), "timeEnd": iso(end), "hoursDeduct": 0.0,
            "actualHours": hours, "billableOption": "Billable" if topic.board != 3 else "NoCharge",
            "notes": text, "internalNotes": None, "addToDetailDescriptionFlag": False,
            "addToInternalAnalysisFlag": False, "addToResolutionFlag": False,
            "emailResourceFlag": False, "emailContactFlag": False, "emailCcFlag": False,
            "hoursBilled": hours if topic.board != 3 else 0.0, "invoiceHours": hours,
            "enteredBy": member["identifier"], "dateEntered": iso(end), "status": "ApprovedByTierOne",
            "ticket": {"id": ticket_id, "summary": summary, "_info": {}},
            "ticketBoard": board.ref["name"], "ticketType": tr.type_ref["name"],
            "_info": {"lastUpdated": iso(end + 600), "updatedBy": member["identifier"]},
        })
        return hours

    # The initial description: the customer's words, or the alert body from the RMM integration.
    add_note(entered, rng.choice(texts.descriptions).format_map(slots), "d", rmm if topic.alert else None)
    used: set[str] = set()
    t = responded
    last_by = rmm["identifier"] if topic.alert else contact.email
    actual = 0.0
    limit = ANCHOR_TS - 300
    last_note_ts = entered
    steps = script.notes if script is not None else ("?",) * extra
    for step in steps:
        if t >= limit:
            break
        roll = rnd()
        if step == "?":
            step = ("c" if topic.replies and roll < 0.3 and notes[-1]["member"] is not None
                    else ("i" if roll >= 0.6 else "u"))
        if step == "c":
            reply = _fresh(rng, topic.replies, used)
            if reply is None:
                continue
            add_note(t, reply.format_map(slots), "d", None)
            last_by = contact.email
        else:
            # Mostly the owner; sometimes an escalation engineer or a colleague jumps in.
            member_id = owner_id if rnd() < 0.75 else rng.choice(catalog.BOARD_STAFF[topic.board])
            member = setup.member_refs[member_id]
            internal = step == "i"
            template = _fresh(rng, texts.internal if internal else texts.updates, used) or _fresh(
                rng, _INTERNAL_FOLLOW_UPS if internal or topic.alert else _FOLLOW_UPS, used)
            if template is None:
                continue
            text = template.format_map(slots)
            add_note(t, text, "i" if internal else "d", member)
            if rnd() < 0.7:
                actual += add_time(t, member, catalog.MEMBERS[member_id - 1].role_id, text)
            if member["identifier"] not in members_on_ticket:
                members_on_ticket.append(member["identifier"])
            last_by = member["identifier"]
        last_note_ts = t
        t += int((0.2 + rnd() * 6) * HOUR) if rnd() < 0.8 else int((1 + rnd() * 3) * DAY)

    closed_at = t + int(rnd() * 2 * HOUR)
    if script is not None or closed_at >= limit:
        closed = False
    if closed:
        text = rng.choice(texts.resolutions).format_map(slots)
        add_note(closed_at, text, "r", owner)
        actual += add_time(closed_at, owner, catalog.MEMBERS[owner_id - 1].role_id, text)
        cancelled = rnd() < 0.02
        recent = ANCHOR_TS - closed_at < 5 * DAY
        status = board.cancelled if cancelled else (board.resolved if recent else board.closed)
        last_by = owner_ident
        last_ts = closed_at + (0 if recent else 3 * DAY)
    else:
        stale = ANCHOR_TS - entered > 3 * DAY
        pool = board.open_stale if stale else board.open_new
        status = pool[int(rnd() * len(pool))]
        if script is not None:
            status = setup.status_refs[(topic.board, script.status)]
        last_ts = last_note_ts

    kb_link = texts.kb_id if closed and texts.kb_id is not None and rnd() < _KB_LINK_RATE else None
    severity, impact = _SEVERITY_IMPACT[priority_id]
    entered_by = rmm["identifier"] if topic.alert else ("jmorales" if topic.sources[0] == "Phone" else "zadmin")
    source = setup.source_refs[rng.choice(topic.sources)]
    respond_min = (responded - entered) // 60
    resolve_min = (closed_at - entered) // 60 if closed else 0
    site_ref = next(r for sid, r in client.sites if sid == site_id)
    ticket = {
        "id": ticket_id, "summary": summary, "recordType": "ServiceTicket",
        "board": board.ref, "status": status,
        "workRole": None, "workType": None,
        "company": client.ref, "site": site_ref, "siteName": site_row["name"],
        "addressLine1": site_row["addressLine1"], "addressLine2": None, "city": site_row["city"],
        "stateIdentifier": client.spec.state, "zip": site_row["zip"], "country": site_row["country"],
        "contact": contact.ref, "contactName": contact_name, "contactPhoneNumber": contact.phone,
        "contactPhoneExtension": None, "contactEmailAddress": contact.email,
        "type": tr.type_ref, "subType": tr.subtype_refs[int(rnd() * len(tr.subtype_refs))], "item": None,
        "team": board.team, "owner": owner, "priority": setup.priority_refs[priority_id],
        "serviceLocation": setup.location_refs["On-Site" if rnd() < 0.08 else "Remote"],
        "source": source, "requiredDate": iso(entered + 3 * DAY), "budgetHours": _BUDGET[priority_id],
        "opportunity": None,
        "agreement": {"id": client.id, "name": f"Managed Services - {client.spec.identifier}",
                      "type": "Managed Services", "chargeFirmFlag": False, "_info": {}},
        "agreementType": "Managed Services",
        "severity": severity, "impact": impact, "externalXRef": None, "poNumber": None,
        "knowledgeBaseCategoryId": None, "knowledgeBaseSubCategoryId": None,
        "knowledgeBaseLinkId": kb_link, "knowledgeBaseLinkType": "KnowledgeBaseArticle" if kb_link else None,
        "allowAllClientsPortalView": False, "customerUpdatedFlag": notes[-1]["member"] is None and not closed,
        "automaticEmailContactFlag": True, "automaticEmailResourceFlag": True, "automaticEmailCcFlag": False,
        "automaticEmailCc": None,
        "closedDate": iso(closed_at) if closed else None, "closedBy": owner_ident if closed else None,
        "closedFlag": closed, "actualHours": actual, "approved": True,
        "estimatedExpenseCost": 0.0, "estimatedExpenseRevenue": 0.0, "estimatedProductCost": 0.0,
        "estimatedProductRevenue": 0.0, "estimatedTimeCost": 0.0, "estimatedTimeRevenue": 0.0,
        "billingMethod": "ActualRates", "billingAmount": 0.0, "hourlyRate": 0.0,
        "subBillingMethod": "ActualRates", "subBillingAmount": 0.0,
        "dateResolved": iso(closed_at) if closed else None, "dateResplan": iso(responded),
        "dateResponded": iso(responded), "resolveMinutes": resolve_min, "resPlanMinutes": respond_min,
        "respondMinutes": respond_min, "isInSla": respond_min * 60 <= _RESPOND[priority_id],
        "resources": ", ".join(members_on_ticket), "parentTicketId": None, "hasChildTicket": False,
        "hasMergedChildTicketFlag": False, "billTime": "Billable", "billExpenses": "Billable",
        "billProducts": "Billable", "location": {"id": 1, "name": "Main", "_info": {}},
        "department": {"id": 1, "identifier": "Services", "name": "Managed Services", "_info": {}},
        "sla": {"id": 1, "name": "Standard SLA", "_info": {}},
        "currency": {"id": 1, "symbol": "$", "currencyCode": "USD", "name": "US Dollars", "_info": {}},
        "escalationLevel": 0, "minutesBeforeWaiting": 0, "respondedBy": owner_ident,
        "resolvedBy": owner_ident if closed else None, "minutesWaiting": 0,
        "customFields": [],
        "_info": info(max(last_ts, entered), last_by, entered, entered_by),
    }
    yield SeedRecord("tickets", ticket)
    for note in notes:
        yield SeedRecord("ticket_notes", note)
    for entry in times:
        yield SeedRecord("time_entries", entry)
    for config_id in linked:
        ctx.link_id += 1
        yield SeedRecord("ticket_configurations", {"id": ctx.link_id, "ticketId": ticket_id,
                                                   "configurationId": config_id})
