"""Bring one record of the knowledge index up to date, as a callback asks: re-read the record from the product
(never trust the payload's copy), then write, rewrite or remove that one document.

A ticket belongs in the index while it is closed; a reopened or deleted ticket leaves it. An article belongs
while it exists. Unchanged content (same hash) is not embedded again, so repeated or reordered deliveries for
the same record cost one read each and nothing more.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from kb_index.records import kb_article_document, resolved_ticket_document
from kb_index.store import Kind, KnowledgeStore, content_hash
from kb_index.types import Document
from psa.provider import KnowledgeSource

Refreshed = Literal["added", "updated", "removed", "unchanged", "absent"]
"""`absent`: not in the index before, and not to be in it now (an open ticket)."""


async def refresh_ticket(source: KnowledgeSource, store: KnowledgeStore, ticket_id: int) -> Refreshed:
    ticket = await source.get_resolved(ticket_id)
    if ticket is None:
        return await _remove(store, "resolved_tickets", ticket_id)
    return await _write(store, "resolved_tickets", resolved_ticket_document(ticket))


async def refresh_article(source: KnowledgeSource, store: KnowledgeStore, article_id: int) -> Refreshed:
    article = await source.get_article(article_id)
    if article is None:
        return await _remove(store, "kb_articles", article_id)
    return await _write(store, "kb_articles", kb_article_document(article))


async def _write(store: KnowledgeStore, kind: Kind, doc: Document) -> Refreshed:
    previous = store.hash_of(kind, doc.id)
    if previous == content_hash(doc):
        return "unchanged"
    # Embedding is CPU work: a worker thread, so the server keeps answering meanwhile.
    await asyncio.to_thread(store.upsert, kind, [doc])
    return "added" if previous is None else "updated"


async def _remove(store: KnowledgeStore, kind: Kind, record_id: int) -> Refreshed:
    if store.get(kind, str(record_id)) is None:
        return "absent"
    await asyncio.to_thread(store.delete, kind, [str(record_id)])
    return "removed"
