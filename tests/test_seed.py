"""The seed generator: determinism, volume, referential integrity and conformance to the CW spec."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from sandbox.seed import ANCHOR, INJECTION_TICKET_IDS, SeedRecord, generate

TICKETS = 1500
SPEC_SUMMARY = Path(__file__).parent / "fixtures" / "connectwise_schemas.json"

# Which spec schema describes each resource's documents.
SPEC_FOR = {
    "tickets": "Ticket", "ticket_notes": "ServiceNote", "kb_articles": "KnowledgeBaseArticle",
    "companies": "Company", "contacts": "Contact", "configurations": "Configuration", "members": "Member",
    "time_entries": "TimeEntry", "board_statuses": "BoardStatus",
}
# Fields we emit that the (partial) spec extract lacks but the live API returns.
EXTRA_FIELDS = {"members": {"emailAddress"}}


@pytest.fixture(scope="module")
def records() -> list[SeedRecord]:
    return list(generate(42, TICKETS))


@pytest.fixture(scope="module")
def by_resource(records: list[SeedRecord]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        out[r.resource].append(r.doc)
    return out


def _dump(records: list[SeedRecord]) -> list[tuple[str, str]]:
    return [(r.resource, json.dumps(r.doc, sort_keys=True)) for r in records]


def test_same_seed_same_output_and_other_seed_differs() -> None:
    first = _dump(list(generate(7, 300)))
    assert first == _dump(list(generate(7, 300)))
    assert first != _dump(list(generate(8, 300)))


def test_record_shape(records: list[SeedRecord]) -> None:
    assert all(isinstance(r, SeedRecord) and isinstance(r.resource, str) and isinstance(r.doc, dict)
               for r in records)
    ids: dict[str, set[int]] = defaultdict(set)
    for r in records:
        assert isinstance(r.doc["id"], int)
        assert r.doc["id"] not in ids[r.resource], (r.resource, r.doc["id"])
        ids[r.resource].add(r.doc["id"])


def test_counts(by_resource: dict[str, list[dict[str, Any]]]) -> None:
    clients = [c for c in by_resource["companies"] if c["types"][0]["name"] == "Client"]
    assert len(clients) >= 25
    assert len(by_resource["boards"]) >= 3
    for board in by_resource["boards"]:
        statuses = [s for s in by_resource["board_statuses"] if s["board"]["id"] == board["id"]]
        assert any(s["closedStatus"] for s in statuses) and any(not s["closedStatus"] for s in statuses)
        assert sum(s["defaultFlag"] for s in statuses) == 1
        assert any(t["board"]["id"] == board["id"] for t in by_resource["board_types"])
    assert len(by_resource["priorities"]) >= 4
    assert 8 <= len(by_resource["members"]) <= 15
    assert len(by_resource["kb_articles"]) >= 150
    for company in clients:
        contacts = [c for c in by_resource["contacts"] if c["company"]["id"] == company["id"]]
        assert 4 <= len(contacts) <= 15
    tickets = by_resource["tickets"]
    assert len(tickets) == TICKETS + len(INJECTION_TICKET_IDS)
    assert sorted(t["id"] for t in tickets if t["id"] not in INJECTION_TICKET_IDS) == list(range(1, TICKETS + 1))
    closed = sum(t["closedFlag"] for t in tickets) / len(tickets)
    assert 0.75 <= closed <= 0.85
    notes_per_ticket = len(by_resource["ticket_notes"]) / len(tickets)
    assert 2.5 <= notes_per_ticket <= 4.0
    assert by_resource["time_entries"] and by_resource["ticket_configurations"]


def test_injection_tickets(by_resource: dict[str, list[dict[str, Any]]]) -> None:
    assert len(INJECTION_TICKET_IDS) >= 15 and len(set(INJECTION_TICKET_IDS)) == len(INJECTION_TICKET_IDS)
    tickets = {t["id"]: t for t in by_resource["tickets"]}
    notes = defaultdict(list)
    for n in by_resource["ticket_notes"]:
        notes[n["ticketId"]].append(n)
    texts = []
    for tid in INJECTION_TICKET_IDS:
        t = tickets[tid]
        assert t["closedFlag"] is False and t["status"]["name"] in ("New", "In Progress")
        assert notes[tid][0]["detailDescriptionFlag"] and notes[tid][0]["contact"] is not None
        texts.append(t["summary"] + "\n" + "\n".join(n["text"] for n in notes[tid]))
    assert len(set(texts)) == len(texts)
    blob = "\n".join(texts).lower()
    for marker in ("ignore your previous instructions", "system:", "tool_calls", "<!--", "![",
                   "other client companies", "cw_private_key", "</ticket_notes>"):
        assert marker in blob, marker


def test_references_exist_and_parents_come_first(records: list[SeedRecord]) -> None:
    seen: dict[str, set[int]] = defaultdict(set)
    # (resource, field) -> the resource the reference must already have been yielded as.
    parent_refs = {
        "board_statuses": {"board": "boards"}, "board_types": {"board": "boards"},
        "sites": {"company": "companies"}, "contacts": {"company": "companies", "site": "sites"},
        "configurations": {"company": "companies", "site": "sites", "contact": "contacts",
                           "installedBy": "members"},
        "kb_articles": {"board": "boards"},
        "tickets": {"board": "boards", "status": "board_statuses", "company": "companies", "site": "sites",
                    "contact": "contacts", "owner": "members", "priority": "priorities", "type": "board_types"},
        "ticket_notes": {"member": "members", "contact": "contacts"},
        "time_entries": {"member": "members", "company": "companies"},
    }
    id_refs = {"ticket_notes": {"ticketId": "tickets"}, "time_entries": {"chargeToId": "tickets"},
               "ticket_configurations": {"ticketId": "tickets", "configurationId": "configurations"}}
    status_board: dict[int, int] = {}
    for r in records:
        doc = r.doc
        for field, parent in parent_refs.get(r.resource, {}).items():
            ref = doc.get(field)
            if ref is not None:
                assert ref["id"] in seen[parent], (r.resource, doc["id"], field, ref)
                assert set(ref) >= {"id", "_info"}
        for field, parent in id_refs.get(r.resource, {}).items():
            assert doc[field] in seen[parent], (r.resource, doc["id"], field)
        if r.resource == "board_statuses":
            status_board[doc["id"]] = doc["board"]["id"]
        if r.resource == "tickets":
            assert status_board[doc["status"]["id"]] == doc["board"]["id"]
        seen[r.resource].add(doc["id"])
    # Back-references from a company to its default contact can only be checked at the end.
    for doc in (r.doc for r in records if r.resource == "companies"):
        assert doc["defaultContact"]["id"] in seen["contacts"]


def test_notes_flags(by_resource: dict[str, list[dict[str, Any]]]) -> None:
    first_note_seen: set[int] = set()
    for n in by_resource["ticket_notes"]:
        flags = (n["detailDescriptionFlag"], n["internalAnalysisFlag"], n["resolutionFlag"])
        assert sum(flags) == 1, n
        if n["internalAnalysisFlag"]:
            assert n["internalFlag"] is True and n["externalFlag"] is False and n["member"] is not None
        assert (n["member"] is None) != (n["contact"] is None)
        if n["ticketId"] not in first_note_seen:
            first_note_seen.add(n["ticketId"])
            assert n["detailDescriptionFlag"], "the first note of a ticket is its description"
    resolved = {n["ticketId"] for n in by_resource["ticket_notes"] if n["resolutionFlag"]}
    for t in by_resource["tickets"]:
        assert (t["id"] in resolved) == t["closedFlag"]


def test_dates_before_anchor(by_resource: dict[str, list[dict[str, Any]]]) -> None:
    anchor = ANCHOR.strftime("%Y-%m-%dT%H:%M:%SZ")
    year_before = ANCHOR.replace(year=ANCHOR.year - 1).strftime("%Y-%m-%dT%H:%M:%SZ")
    for t in by_resource["tickets"]:
        assert year_before <= t["_info"]["dateEntered"] < anchor
        assert t["_info"]["lastUpdated"] < anchor
        if t["closedFlag"]:
            assert t["_info"]["dateEntered"] <= t["closedDate"] < anchor
    for n in by_resource["ticket_notes"]:
        assert n["dateCreated"] < anchor
    for e in by_resource["time_entries"]:
        assert e["timeStart"] < e["timeEnd"] < anchor and e["actualHours"] > 0


def test_templates_fully_filled(by_resource: dict[str, list[dict[str, Any]]]) -> None:
    slot = re.compile(r"\{[a-z_]+\}")
    for resource in ("tickets", "ticket_notes", "kb_articles"):
        for doc in by_resource[resource]:
            if doc.get("id") in INJECTION_TICKET_IDS or doc.get("ticketId") in INJECTION_TICKET_IDS:
                continue
            for value in doc.values():
                if isinstance(value, str):
                    assert not slot.search(value), (resource, doc["id"], value)


def test_conforms_to_spec(by_resource: dict[str, list[dict[str, Any]]]) -> None:
    spec = json.loads(SPEC_SUMMARY.read_text())
    for resource, schema in SPEC_FOR.items():
        fields = {f["field"]: f for f in spec[schema]["fields"]}
        allowed = set(fields) | EXTRA_FIELDS.get(resource, set())
        for doc in by_resource[resource]:
            assert set(doc) <= allowed, (resource, set(doc) - allowed)
            for name in spec[schema]["required"]:
                assert doc.get(name) is not None, (resource, doc["id"], name)
            for name, value in doc.items():
                f = fields.get(name)
                if f is None or value is None:
                    continue
                if f["maxLength"] and isinstance(value, str):
                    assert len(value) <= f["maxLength"], (resource, doc["id"], name, value)
                enum = re.match(r"string enum\[(.*)\]", f["type"])
                if enum:
                    assert value in enum.group(1).split(","), (resource, name, value)


def test_scales(records: list[SeedRecord]) -> None:
    count = Counter(r.resource for r in generate(3, 10_000))
    assert count["tickets"] == 10_000 + len(INJECTION_TICKET_IDS)
    assert count["ticket_notes"] > 2 * count["tickets"]
