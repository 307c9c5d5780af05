"""Bring one record of the knowledge index up to date, as a ConnectWise callback asks: re-read the record (never
trust the payload's copy), then write, rewrite or remove that one document.

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
from psa.connectwise.errors import ConnectWiseNotFoundError
from psa.connectwise.provider import ConnectWiseProvider

Refreshed = Literal["added", "updated", "removed", "unchanged", "absent"]
"""`absent`: not in the index before, and not to be in it now (an open ticket)."""


async def refresh_ticket(provider: ConnectWiseProvider, store: KnowledgeStore, ticket_id: int) -> Refreshed:
    try:
        ticket = await provider.get_ticket(ticket_id)
    except ConnectWiseNotFoundError:
        return await _remove(store, "resolved_tickets", ticket_id)
    if not ticket.closedFlag:
        return await _remove(store, "resolved_tickets", ticket_id)
    notes = [note async for note in provider.iterate_ticket_notes(ticket_id)]
    return await _write(store, "resolved_tickets", resolved_ticket_document(ticket, notes))


async def refresh_article(provider: ConnectWiseProvider, store: KnowledgeStore, article_id: int) -> Refreshed:
    try:
        article = await provider.get_kb_article(article_id)
    except ConnectWiseNotFoundError:
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
