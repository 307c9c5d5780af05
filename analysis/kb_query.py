"""What a ticket asks the knowledge index, and the KB articles it gets back.

suggest_kb_articles, find_similar_tickets and the internal-analysis draft all build a ticket's query here and
rank KB articles through `KnowledgeSearch.suggest_articles`, so the same ticket gets the same articles from each.
Ticket text is untrusted customer data: here it only becomes a retrieval query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.thread import Thread

if TYPE_CHECKING:
    from kb_index.search import KnowledgeSearch, Match

# The query keeps what says most about the problem: the summary, the customer's first words and the latest notes
# (where the diagnosis usually is). The dense model reads only its first 256 word pieces anyway. On the seeded
# sandbox this beat the summary plus description alone and the summary plus the extractive problem sentences
# (recall@1 0.87 against 0.81 and 0.82, 183 tickets whose technician linked an article, resolutions left out).
QUERY_SUMMARY_CHARS = 200
QUERY_DESCRIPTION_CHARS = 1000
QUERY_NOTE_CHARS = 400
QUERY_RECENT_NOTES = 3
# Notes a caller loads for the query (analysis.thread.load_thread keeps the first and the latest): enough for the
# description and the recent notes, and the same window the draft reads.
QUERY_THREAD_NOTES = 50


def ticket_query(thread: Thread) -> str:
    """Summary, the first description note and the latest few other notes, each truncated, one per line."""
    description = next((n for n in thread.notes if n.kind == "description"), None)
    recent = [n for n in thread.notes if n is not description][-QUERY_RECENT_NOTES:]
    parts = [
        _clip(thread.title, QUERY_SUMMARY_CHARS),
        _clip(description.text if description else None, QUERY_DESCRIPTION_CHARS),
        *(_clip(n.text, QUERY_NOTE_CHARS) for n in recent),
    ]
    return "\n".join(p for p in parts if p)


def ticket_articles(search: KnowledgeSearch, thread: Thread, k: int) -> list[Match]:
    """The top-k KB articles for the ticket, its own company's and general ones before other clients'.
    Blocking (embeds the query): call it from a worker thread in async code."""
    return search.suggest_articles(ticket_query(thread), company=thread.company or None, k=k)


def _clip(text: str | None, limit: int) -> str:
    """Plain truncation: a query needs no marker, only a bound."""
    return (text or "").strip()[:limit]
