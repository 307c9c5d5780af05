"""Wire-format helpers: timestamps, ``_info`` blocks and reference objects shaped like ConnectWise's.

Everything here is cheap on purpose: the generator calls these functions hundreds of thousands
of times when asked for 100,000 tickets.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, NamedTuple

# A fixed "now" so the same seed always yields the same dataset, whatever day it runs on.
ANCHOR = datetime(2026, 11, 1, tzinfo=timezone.utc)
ANCHOR_TS = int(ANCHOR.timestamp())

# Reference hrefs are relative to the API root; the sandbox serves them under its own host.
API_ROOT = "/v4_6_release/apis/3.0"

DAY = 86_400
HOUR = 3_600


class SeedRecord(NamedTuple):
    """One document to load: the sandbox table it belongs to and the ConnectWise JSON body."""

    resource: str
    doc: dict[str, Any]


def iso(ts: int) -> str:
    """Epoch seconds -> ConnectWise's UTC timestamp format (``2026-03-01T12:00:00Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def info(last_updated: int, updated_by: str, entered: int | None = None,
         entered_by: str | None = None) -> dict[str, str]:
    """The ``_info`` block CW puts on top-level documents."""
    block = {"lastUpdated": iso(last_updated), "updatedBy": updated_by}
    if entered is not None:
        block["dateEntered"] = iso(entered)
        block["enteredBy"] = entered_by or updated_by
    return block


def ref(id_: int, name: str, href_path: str, href_key: str, **extra: Any) -> dict[str, Any]:
    """A reference object ``{"id", "name", ..., "_info": {"<x>_href": ...}}`` as CW embeds it."""
    out: dict[str, Any] = {"id": id_, "name": name}
    out.update(extra)
    out["_info"] = {href_key: f"{API_ROOT}{href_path}/{id_}"}
    return out
