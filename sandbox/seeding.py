"""First-start seeding: stream `sandbox.seed.generate` into the store in large executemany batches."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sandbox.seed import generate
from sandbox.store import TABLES, Store

BATCH = 5_000

Progress = Callable[[int], None]  # called with the number of records loaded so far


def seed_if_empty(store: Store, *, seed: int, tickets: int, progress: Progress | None = None) -> bool:
    """Seed an empty database once; an existing one is reused as-is. Returns True if it seeded now."""
    if store.get_meta("seed") is not None or not store.is_empty():
        return False
    pending: dict[str, list[dict[str, Any]]] = {}
    loaded = 0
    for record in generate(seed=seed, tickets=tickets):
        if record.resource not in TABLES:
            raise ValueError(f"seed generator produced unknown resource {record.resource!r}")
        batch = pending.setdefault(record.resource, [])
        batch.append(record.doc)
        if len(batch) >= BATCH:
            store.bulk_insert(record.resource, batch)
            loaded += len(batch)
            pending[record.resource] = []
            if progress:
                progress(loaded)
    for resource, batch in pending.items():
        if batch:
            store.bulk_insert(resource, batch)
            loaded += len(batch)
    if progress:
        progress(loaded)
    store.analyze()
    store.set_meta("seed", json.dumps({"seed": seed, "tickets": tickets, "records": loaded}))
    return True
