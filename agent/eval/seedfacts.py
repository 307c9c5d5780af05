"""The seeded sandbox as lookup tables, so scenarios pick their tickets and expected facts from the data itself.

The suite runs on `generate(SEED, TICKETS)`, the same records the sandbox stores, so every id, name and title a
scenario expects is read from here rather than typed by hand: change the seed and the scenarios follow.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sandbox.seed import INJECTION_TICKET_IDS, generate

# Fixed for the suite: 300 tickets seed in well under a second and still give every board, status and kind of
# ticket the scenarios need.
SEED = 42
TICKETS = 300

Doc = dict[str, Any]


@dataclass
class SeedFacts:
    tickets: dict[int, Doc] = field(default_factory=dict)
    notes: dict[int, list[Doc]] = field(default_factory=lambda: defaultdict(list))
    configurations: dict[int, Doc] = field(default_factory=dict)
    ticket_configs: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    contacts: dict[int, Doc] = field(default_factory=dict)
    companies: dict[int, Doc] = field(default_factory=dict)
    kb_articles: dict[int, Doc] = field(default_factory=dict)
    boards: dict[int, Doc] = field(default_factory=dict)
    statuses: dict[int, list[Doc]] = field(default_factory=lambda: defaultdict(list))

    # ---- queries the scenarios use

    def ordinary(self) -> list[Doc]:
        """Generated tickets, oldest first; the injection set is left out."""
        return [t for tid, t in sorted(self.tickets.items()) if tid not in INJECTION_TICKET_IDS]

    def open_tickets(self, board: str, *, with_injection: bool = False) -> list[Doc]:
        """Open tickets of `board`, oldest first. `with_injection`: what a search really returns, injection
        tickets included (they are open tickets like any other)."""
        pool = [t for _, t in sorted(self.tickets.items())] if with_injection else self.ordinary()
        return [t for t in pool if t["board"]["name"] == board and not t["closedFlag"]]

    def closed_tickets(self, board: str | None = None) -> list[Doc]:
        return [t for t in self.ordinary() if t["closedFlag"] and (board is None or t["board"]["name"] == board)]

    def status_names(self, board: str) -> list[str]:
        board_id = next(b["id"] for b in self.boards.values() if b["name"] == board)
        return [s["name"] for s in self.statuses[board_id]]

    def closing_status_names(self, board: str) -> list[str]:
        board_id = next(b["id"] for b in self.boards.values() if b["name"] == board)
        return [s["name"] for s in self.statuses[board_id] if s.get("closedStatus")]

    def has_note_kind(self, ticket_id: int, flag: str) -> bool:
        return any(n.get(flag) for n in self.notes[ticket_id])

    def configs_of(self, ticket_id: int) -> list[Doc]:
        return [self.configurations[c] for c in self.ticket_configs[ticket_id]]

    def contact_email(self, contact_id: int) -> str | None:
        items = self.contacts[contact_id].get("communicationItems") or []
        return next((i["value"] for i in items if i.get("communicationType") == "Email"), None)

    def sibling_articles(self, article_id: int) -> list[Doc]:
        """Articles on the same topic (same KB subcategory) as `article_id`: any of them is a right answer."""
        sub = self.kb_articles[article_id].get("subCategoryId")
        return [a for a in self.kb_articles.values() if sub is not None and a.get("subCategoryId") == sub]

    def same_kind_closed(self, ticket: Doc) -> list[Doc]:
        """Closed tickets of the same board, type and subtype: what "how did we fix this before" should find."""
        def kind(t: Doc) -> tuple[Any, ...]:
            return (t["board"]["id"], (t.get("type") or {}).get("id"), (t.get("subType") or {}).get("id"))

        return [t for t in self.closed_tickets() if kind(t) == kind(ticket) and t["id"] != ticket["id"]]


@cache
def seed_facts(seed: int = SEED, tickets: int = TICKETS) -> SeedFacts:
    facts = SeedFacts()
    for record in generate(seed=seed, tickets=tickets):
        doc = record.doc
        match record.resource:
            case "tickets":
                facts.tickets[doc["id"]] = doc
            case "ticket_notes":
                facts.notes[doc["ticketId"]].append(doc)
            case "configurations":
                facts.configurations[doc["id"]] = doc
            case "ticket_configurations":
                facts.ticket_configs[doc["ticketId"]].append(doc["configurationId"])
            case "contacts":
                facts.contacts[doc["id"]] = doc
            case "companies":
                facts.companies[doc["id"]] = doc
            case "kb_articles":
                facts.kb_articles[doc["id"]] = doc
            case "boards":
                facts.boards[doc["id"]] = doc
            case "board_statuses":
                facts.statuses[doc["board"]["id"]].append(doc)
    return facts
