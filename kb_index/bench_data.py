"""A BEIR folder from the sandbox's seeded service desk: an IT retrieval set the fusion was not tuned on.

Corpus: every seeded KB article (title; issue + resolution as text). Queries: closed tickets whose
technician linked the KB article they followed (ConnectWise's `knowledgeBaseLinkId`), phrased as a
technician would search — the ticket summary plus the customer's initial description. Qrels: the
linked article. Tickets with the same wording and link collapse into one query, so template reuse in
the generator does not weight the score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SeedBenchStats:
    docs: int
    queries: int


def _initial_descriptions(notes: list[dict[str, Any]]) -> dict[int, str]:
    """Ticket id -> text of its first detail-description note (the customer's own words)."""
    first: dict[int, tuple[str, int, str]] = {}
    for note in notes:
        if not note.get("detailDescriptionFlag"):
            continue
        key = (str(note.get("dateCreated") or ""), int(note.get("id") or 0), str(note.get("text") or ""))
        ticket = int(note["ticketId"])
        if ticket not in first or key < first[ticket]:
            first[ticket] = key
    return {ticket: key[2] for ticket, key in first.items()}


def write_seed_bench(folder: str | Path, seed: int = 42, tickets: int = 3000) -> SeedBenchStats:
    """Generate the sandbox data for (seed, tickets) and write corpus.jsonl, queries.jsonl, qrels/test.tsv."""
    from sandbox.seed import generate

    articles: list[dict[str, Any]] = []
    linked: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for record in generate(seed, tickets):
        if record.resource == "kb_articles":
            articles.append(record.doc)
        elif record.resource == "tickets" and record.doc.get("knowledgeBaseLinkId"):
            linked.append(record.doc)
        elif record.resource == "ticket_notes":
            notes.append(record.doc)

    descriptions = _initial_descriptions(notes)
    article_ids = {int(a["id"]) for a in articles}
    queries: dict[tuple[str, int], str] = {}
    for ticket in linked:
        target = int(ticket["knowledgeBaseLinkId"])
        if target not in article_ids:
            continue
        text = "\n".join(p for p in (ticket.get("summary", ""), descriptions.get(int(ticket["id"]), "")) if p).strip()
        queries.setdefault((text, target), f"t{ticket['id']}")

    root = Path(folder)
    (root / "qrels").mkdir(parents=True, exist_ok=True)
    with (root / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for a in articles:
            text = f"{a.get('issue', '')}\n{a.get('resolution', '')}".strip()
            fh.write(json.dumps({"_id": f"kb{a['id']}", "title": a.get("title", ""), "text": text}) + "\n")
    with (root / "queries.jsonl").open("w", encoding="utf-8") as fh, \
            (root / "qrels" / "test.tsv").open("w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for (text, target), qid in queries.items():
            fh.write(json.dumps({"_id": qid, "text": text}) + "\n")
            qrels.write(f"{qid}\tkb{target}\t1\n")
    return SeedBenchStats(docs=len(articles), queries=len(queries))
