"""Knowledge-base articles: the generic runbooks from topics.py plus client-specific articles.

Client-specific articles are filled with each client's own stack (firewall, VPN, backup product,
printer, line-of-business app), the way MSPs document per-client procedures.
"""

from __future__ import annotations

import random
from typing import Any

from . import catalog
from .clients import ClientInfo
from .topics import CLIENT_KB, TOPIC_BY_KEY, TOPICS, Topic
from .wire import ANCHOR_TS, DAY, HOUR, SeedRecord, info, iso

# KB categories and subcategories (CW keeps them in their own tables; articles carry the ids).
# One category per topic board-type, one subcategory per topic; client documentation has its own.
KB_CATEGORIES: dict[int, str] = {}
KB_SUBCATEGORIES: dict[int, tuple[int, str]] = {}   # id -> (category id, name)
_TOPIC_CATEGORY: dict[str, tuple[int, int]] = {}
for _topic in TOPICS:
    _cat = next((cid for cid, name in KB_CATEGORIES.items() if name == _topic.type), None)
    if _cat is None:
        _cat = len(KB_CATEGORIES) + 1
        KB_CATEGORIES[_cat] = _topic.type
    _sub = len(KB_SUBCATEGORIES) + 1
    KB_SUBCATEGORIES[_sub] = (_cat, _topic.subtypes[0])
    _TOPIC_CATEGORY[_topic.key] = (_cat, _sub)
CLIENT_DOCS_CATEGORY = len(KB_CATEGORIES) + 1
KB_CATEGORIES[CLIENT_DOCS_CATEGORY] = "Client Documentation"

# Articles are written by the engineers who own the runbooks, not by first-line techs.
_AUTHORS: tuple[str, ...] = ("twalsh", "sreyes", "pchen", "anguyen", "lkowalski", "dpatel")
CLIENT_ARTICLES_PER_CLIENT = 4


def _article(article_id: int, title: str, issue: str, resolution: str, category: int, subcategory: int | None,
             board: dict[str, Any] | None, rng: random.Random) -> SeedRecord:
    created = ANCHOR_TS - rng.randrange(30, 3 * 365) * DAY - rng.randrange(8, 18) * HOUR
    author = rng.choice(_AUTHORS)
    updated = min(ANCHOR_TS - DAY, created + rng.randrange(0, 400) * DAY)
    return SeedRecord("kb_articles", {
        "id": article_id, "title": title, "issue": issue, "resolution": resolution,
        "locationId": 1, "businessUnitId": 1, "board": board,
        "categoryId": category, "subCategoryId": subcategory,
        "dateCreated": iso(created), "createdBy": author,
        "_info": info(updated, rng.choice(_AUTHORS), created, author),
    })


def build_kb(rng: random.Random, clients: list[ClientInfo],
             board_refs: dict[int, dict[str, Any]]) -> list[SeedRecord]:
    """All KB articles: generic runbooks first, then a few per client."""
    records: list[SeedRecord] = []
    for topic in TOPICS:
        cat, sub = _TOPIC_CATEGORY[topic.key]
        for title, issue, resolution in topic.kb:
            records.append(_article(len(records) + 1, title, issue, resolution, cat, sub,
                                    board_refs[topic.board], rng))
    for client in clients:
        if client.id == catalog.MSP_COMPANY_ID:
            continue
        slots = client_slots(client)
        for key, title, issue, resolution in rng.sample(CLIENT_KB, CLIENT_ARTICLES_PER_CLIENT):
            topic: Topic = TOPIC_BY_KEY[key]
            records.append(_article(len(records) + 1, title.format_map(slots), issue.format_map(slots),
                                    resolution.format_map(slots), CLIENT_DOCS_CATEGORY,
                                    _TOPIC_CATEGORY[key][1], board_refs[topic.board], rng))
    return records


def generic_article_ids() -> dict[str, tuple[int, ...]]:
    """Ids of each topic's generic articles; build_kb numbers them first, in TOPICS order."""
    out: dict[str, tuple[int, ...]] = {}
    next_id = 1
    for topic in TOPICS:
        out[topic.key] = tuple(range(next_id, next_id + len(topic.kb)))
        next_id += len(topic.kb)
    return out


def client_slots(client: ClientInfo) -> dict[str, str]:
    """Template slots describing a client's environment (shared with the ticket generator)."""
    spec = client.spec
    return {
        "company": spec.name, "domain": spec.domain, "tenant": spec.domain.split(".")[0],
        "server": client.servers[0] if client.servers else f"{client.prefix}-DC01",
        "printer": spec.printer, "vpn": spec.vpn, "firewall": spec.firewall, "backup": spec.backup,
        "app": spec.lob_app,
    }
