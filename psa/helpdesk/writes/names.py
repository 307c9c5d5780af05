"""The names a helpdesk write resolves in the desk's lookups (groups, clients, requesters, priorities,
categories, statuses, technicians), and the ticket fields create_ticket and update_ticket set by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from psa.helpdesk.models import Metadata, Person, TicketApiModel
from psa.writes import WriteNotPlanned, listed


class Choice(NamedTuple):
    """A metadata entry as a write names it: the id its form sends, the name a user gives, the name shown."""

    id: int | str
    key: str
    shown: str


def fold(value: str | None) -> str:
    return (value or "").strip().casefold()


def pick(options: Sequence[Choice], name: str, noun: str, plural: str) -> Choice:
    """The option called `name` (case-insensitive, after strip), or WriteNotPlanned listing the ones there are."""
    wanted = fold(name)
    found = next((c for c in options if fold(c.key) == wanted), None)
    if found is None:
        raise WriteNotPlanned(f"The helpdesk has no {noun} {name.strip()!r}. Its {plural}: "
                              f"{listed(c.shown for c in options)}.")
    return found


def by(attr: str) -> Callable[[Any], Choice]:
    """A reference or metadata entry whose name is its `attr` (`group`, `status`, `priority`, `name`)."""

    def choice(ref: Any) -> Choice:
        name = getattr(ref, attr) or f"#{ref.id}"
        return Choice(ref.id, name, name)

    return choice


def user(person: Person) -> Choice:
    """A technician or requester, named by login."""
    login = person.userName or person.id
    return Choice(person.id, login, f"{person.fullName} ({login})" if person.fullName else login)


def person_label(person: Person, email: str | None) -> str:
    name = person.fullName or person.userName or person.id
    return f"{name} <{email}>" if email else name


@dataclass(frozen=True)
class TicketField:
    """A ticket field create_ticket and update_ticket set by name: the label the preview shows (lowercased, the
    argument's name in TicketDraft and TicketChanges), the form field that carries its id (the same in RegisterTicket
    and TicketUpdate), and where the metadata and the wire ticket keep it."""

    label: str
    form: str
    noun: str
    plural: str
    entries: Callable[[Metadata], Sequence[Any] | None]
    on_ticket: Callable[[TicketApiModel], Any | None]
    choice: Callable[[Any], Choice]

    @property
    def argument(self) -> str:
        return self.label.lower()

    def resolve(self, meta: Metadata, name: str) -> Choice:
        return pick([self.choice(e) for e in self.entries(meta) or []], name, self.noun, self.plural)

    def current(self, t: TicketApiModel) -> Choice | None:
        ref = self.on_ticket(t)
        return None if ref is None else self.choice(ref)


FIELDS = (
    TicketField("Priority", "TicketPriorityId", "priority", "priorities", lambda m: m.priorities, lambda t: t.priority,
           by("priority")),
    TicketField("Owner", "AssignedUser", "technician with the user name", "technicians", lambda m: m.technicians,
           lambda t: t.assignee, user),
    TicketField("Board", "GroupId", "group", "groups (boards)", lambda m: m.groups, lambda t: t.group, by("group")),
    TicketField("Status", "TicketStatusId", "status", "statuses", lambda m: m.status, lambda t: t.status, by("status")),
    TicketField("Type", "TicketCategoryId", "category", "categories (ticket types)", lambda m: m.categories,
           lambda t: t.category, by("name")),
    TicketField("Subtype", "TicketSubCategoryId", "subcategory", "subcategories (subtypes)",
           lambda m: m.sub_categories, lambda t: t.subCategory, by("name")),
    TicketField("Item", "ItemId", "item", "items", lambda m: m.items, lambda t: t.item, by("name")),
)
"""In the order the preview shows them."""
FIELD_BY_LABEL = {f.label: f for f in FIELDS}
DRAFT_FIELDS = tuple(FIELD_BY_LABEL[label] for label in ("Priority", "Type", "Subtype", "Item"))
