"""Deterministic demo data for the ConnectWise sandbox: a small MSP and a year of its service desk.

``generate(seed, tickets)`` yields ``SeedRecord(resource, doc)`` where ``doc`` is the JSON document
as the ConnectWise API returns it. Parents come before children: boards before their statuses and
types, companies before sites, contacts and configurations, each ticket before its notes, time
entries and configuration links. The same ``(seed, tickets)`` always yields the same records.

Resources: boards, board_statuses, board_types, priorities, members, companies, sites, contacts,
configurations, kb_articles, tickets, ticket_notes, time_entries, ticket_configurations, schedule_entries
(last, from their own random stream, so they change no other record), then the lookups of
``sandbox.seed.lookups`` (sources, locations, teams, board subtypes/items/teams, KB categories, company and
configuration statuses and types, work roles and types, ticket tasks, documents, activities; a stream of
their own too). No callbacks
are seeded: a seeded callback URL could make the sandbox call out to the network.

Nested reference objects (``board``, ``company``, ``owner`` ...) are shared between documents to
keep generation fast: treat the docs as read-only, or copy before mutating.
"""

from __future__ import annotations

import random
from typing import Iterator

from . import catalog
from .clients import build_estate
from .injection import INJECTION_TICKET_IDS, generate_injection_tickets
from .kb import build_kb
from .lookups import build_lookups
from .schedule import TicketBrief, build_schedule
from .service import build_service_setup
from .tickets import build_context, generate_tickets
from .wire import ANCHOR, SeedRecord

__all__ = ["ANCHOR", "INJECTION_TICKET_IDS", "SeedRecord", "generate"]


def generate(seed: int = 42, tickets: int = 2000) -> Iterator[SeedRecord]:
    """Yield every demo record for ``seed``; ``tickets`` generated tickets plus the injection set."""
    if not 0 <= tickets < INJECTION_TICKET_IDS[0]:
        raise ValueError(f"tickets must be between 0 and {INJECTION_TICKET_IDS[0] - 1}")
    rng = random.Random(seed)
    setup = build_service_setup()
    yield from setup.records
    estate = build_estate(rng, setup.member_refs)
    yield from estate.records
    yield from build_kb(rng, estate.clients, setup.board_refs)
    ctx = build_context(setup, estate)
    briefs: list[TicketBrief] = []
    yield from _noting(generate_tickets(rng, ctx, tickets), briefs)
    yield from _noting(generate_injection_tickets(rng, ctx), briefs)
    # Last, from a random stream of its own: the records above are the same with or without it.
    yield from build_schedule(seed, briefs, {m.identifier for m in catalog.MEMBERS if m.technician and not m.api})
    # Then the lookups (sandbox/seed/lookups.py), from another stream of their own.
    yield from build_lookups(seed, setup, briefs)


def _noting(records: Iterator[SeedRecord], briefs: list[TicketBrief]) -> Iterator[SeedRecord]:
    for record in records:
        if record.resource == "tickets":
            briefs.append(TicketBrief.of(record.doc))
        yield record
