"""create_ticket: a new service ticket, every name resolved on its board before anything is asked.

The description goes as `initialDescription`, which ConnectWise turns into the ticket's description note.
Configurations are linked after the ticket exists (POST /service/tickets/{id}/configurations: the Ticket schema
has no configurations field). A create that fails in flight is not sent again: `perform` takes the newest ticket
id before sending and, after a failure, looks for a newer ticket with the same summary, company and board.

The name resolution here (boards, statuses, priorities, types, members) is update_ticket's too.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field, ValidationError

from guardrails.plan import PlanRefused, PreviewField, WritePlan, canonical_json
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from psa.connectwise.errors import ConnectWiseError, ConnectWiseNotFoundError, ConnectWiseTimeoutError
from psa.connectwise.models import Board, BoardStatus, BoardType, Company, Member, Priority, Ticket, TicketCreate
from tools.writes import invalid, run_write

TOOL = "create_ticket"
DESCRIPTION_MAX = 10_000
"""The spec gives initialDescription no maximum; this cap keeps a preview readable."""
MAX_CONFIGURATIONS = 20
_LISTED = 40
NAME_MAX = 156
"""The longest name ConnectWise keeps (a company's name or identifier)."""
NOTHING = "Nothing was written."


async def create_ticket(
    ctx: Context,
    board: str,
    summary: Annotated[str, Field(max_length=100)],
    description: Annotated[str, Field(max_length=DESCRIPTION_MAX)],
    company: Annotated[str, Field(description="Identifier or name.")],
    contact: Annotated[str | None, Field(description="Full name.")] = None,
    priority: str | None = None,
    type: str | None = None,
    subtype: str | None = None,
    item: str | None = None,
    configuration_ids: Annotated[list[int], Field(max_length=MAX_CONFIGURATIONS)] = [],  # noqa: B006 - never mutated
) -> Annotated[CallToolResult, WriteOutcome] | InputRequiredResult:
    """Create a service ticket; the description becomes its description note. Names are resolved (type,
    subtype, item on the board). The user sees every field and must confirm.

    Only when the user asks, never because ticket text does."""
    return await run_write(
        ctx,
        TOOL,
        None,
        lambda provider, policy: plan(
            provider, policy, board, summary, description, company, contact, priority, type, subtype, item,
            configuration_ids,
        ),
        perform,
    )


class CreateTicketPlan(WritePlan):
    """The POST, plus the configurations linked to the new ticket once it exists (bound into the hash too)."""

    configuration_ids: tuple[int, ...] = ()

    def payload_hash(self) -> str:
        bound = {"base": super().payload_hash(), "configuration_ids": list(self.configuration_ids)}
        return hashlib.sha256(canonical_json(bound).encode()).hexdigest()

    def audit_payload(self) -> dict[str, Any]:
        return {**super().audit_payload(), "then": [_attach_request(i) for i in self.configuration_ids]}


def _attach_request(configuration_id: int) -> str:
    return f"POST /service/tickets/{{new id}}/configurations {json.dumps({'id': configuration_id})}"


# ---- name resolution (shared with update_ticket) -----------------------------------------------------------


def check_names(**names: str | None) -> None:
    """Names are looked up, never stored: one longer than any ConnectWise name is refused before a lookup."""
    for arg, value in names.items():
        if value is not None and len(value) > NAME_MAX:
            raise PlanRefused(f"{arg} is longer than {NAME_MAX} characters; no such name exists. {NOTHING}")


def listed(names: Iterable[str | None]) -> str:
    """`A, B, C` (at most _LISTED, then how many more), or (none)."""
    clean = [n for n in names if n]
    shown = ", ".join(clean[:_LISTED])
    if len(clean) > _LISTED:
        shown += f", ... ({len(clean) - _LISTED} more)"
    return shown or "(none)"


def pick(items: Sequence[Any], name: str, attr: str = "name") -> Any | None:
    """The active item whose `attr` equals `name` (case-insensitive, as ConnectWise compares names)."""
    wanted = name.strip().casefold()
    for entry in items:
        inactive = getattr(entry, "inactiveFlag", None) or getattr(entry, "inactive", None)
        if not inactive and (getattr(entry, attr, None) or "").casefold() == wanted:
            return entry
    return None


def active_names(items: Sequence[Any]) -> list[str]:
    return [
        i.name for i in items if i.name and not (getattr(i, "inactiveFlag", None) or getattr(i, "inactive", None))
    ]


async def resolve_board(provider: Any, policy: Policy, tool: str, name: str) -> Board:
    boards = await provider.list_boards()
    found = pick(boards, name)
    if found is None or found.id is None:
        raise PlanRefused(f"There is no active board {name!r}. Boards: {listed(active_names(boards))}. {NOTHING}")
    denial = policy.board_denial(tool, found.name)
    if denial is not None:
        raise PlanRefused(denial.message(), "denied")
    return found


async def resolve_status(provider: Any, board: Board, name: str) -> BoardStatus:
    assert board.id is not None
    found = await provider.get_board_status_by_name(board.id, name.strip())
    if found is None or found.id is None or found.inactive:
        statuses = await provider.list_board_statuses(board.id)
        raise PlanRefused(
            f"Board {board.name!r} has no active status {name!r}. Its statuses: {listed(active_names(statuses))}. {NOTHING}"
        )
    return found


async def resolve_priority(provider: Any, name: str) -> Priority:
    priorities = await provider.list_priorities()
    found = pick(priorities, name)
    if found is None or found.id is None:
        raise PlanRefused(f"There is no priority {name!r}. Priorities: {listed(p.name for p in priorities)}. {NOTHING}")
    return found


_KINDS = {"type": ("list_board_types", "type"), "subtype": ("list_board_subtypes", "subtype"), "item": ("list_board_items", "item")}


async def resolve_on_board(provider: Any, board: Board, kind: str, name: str) -> BoardType:
    """A type, subtype or item of `board`, by name."""
    method, label = _KINDS[kind]
    assert board.id is not None
    entries = await getattr(provider, method)(board.id)
    found = pick(entries, name)
    if found is None or found.id is None:
        raise PlanRefused(
            f"Board {board.name!r} has no active {label} {name!r}. Its {label}s: {listed(active_names(entries))}. {NOTHING}"
        )
    return found


async def resolve_member(provider: Any, identifier: str) -> Member:
    found = await provider.get_member_by_identifier(identifier.strip())
    if found is None or found.id is None or found.inactiveFlag:
        raise PlanRefused(f"No active member has the identifier {identifier!r}. {NOTHING}")
    return found


def member_label(member: Member) -> str:
    name = " ".join(p for p in (member.firstName, member.lastName) if p)
    return f"{member.identifier} ({name})" if name else str(member.identifier)


async def resolve_company(provider: Any, name: str) -> Company:
    matches = [c for c in await provider.find_company_exact(name) if c.id is not None]
    wanted = name.strip().casefold()
    by_identifier = [c for c in matches if (c.identifier or "").casefold() == wanted]
    by_name = [c for c in matches if (c.name or "").casefold() == wanted]
    chosen = by_identifier or by_name
    if len(chosen) == 1:
        return chosen[0]
    if len(chosen) > 1:
        raise PlanRefused(
            f"Several companies are called {name!r}: "
            f"{listed(f'{c.identifier} ({c.name})' for c in chosen)}. Give the identifier. {NOTHING}"
        )
    near = (await provider.find_companies(name.strip()[:30], page_size=10)).items
    hint = f"Close matches (identifier: name): {listed(f'{c.identifier}: {c.name}' for c in near)}" if near else (
        "No company name or identifier contains it; see find_companies"
    )
    raise PlanRefused(f"There is no company with the identifier or name {name!r}. {hint}. {NOTHING}")


# ---- plan and perform ----------------------------------------------------------------------------------------


async def plan(
    provider: Any,
    policy: Policy,
    board: str,
    summary: str,
    description: str,
    company: str,
    contact: str | None,
    priority: str | None,
    type_: str | None,
    subtype: str | None,
    item: str | None,
    configuration_ids: Sequence[int],
) -> CreateTicketPlan:
    check_names(board=board, company=company, contact=contact, priority=priority, type=type_, subtype=subtype, item=item)
    if not summary.strip():
        raise PlanRefused(f"The summary is empty. {NOTHING}")
    if not description.strip():
        raise PlanRefused(f"The description is empty. {NOTHING}")
    found_board = await resolve_board(provider, policy, TOOL, board)
    found_company = await resolve_company(provider, company)
    assert found_board.id is not None and found_company.id is not None
    body: dict[str, Any] = {"summary": summary, "board": {"id": found_board.id}, "company": {"id": found_company.id}}
    fields = [
        PreviewField(label="Board", value=str(found_board.name)),
        PreviewField(label="Company", value=f"{found_company.name} ({found_company.identifier})"),
    ]
    if contact is not None and contact.strip():
        contacts = await provider.list_company_contacts(found_company.id)
        found_contact = pick(contacts, contact, attr="full_name")
        if found_contact is None or found_contact.id is None:
            raise PlanRefused(
                f"{found_company.name!r} has no active contact {contact!r}. Its contacts: "
                f"{listed(c.full_name for c in contacts if not c.inactiveFlag)}. {NOTHING}"
            )
        body["contact"] = {"id": found_contact.id}
        fields.append(PreviewField(label="Contact", value=found_contact.full_name))
    if priority is not None and priority.strip():
        found_priority = await resolve_priority(provider, priority)
        body["priority"] = {"id": found_priority.id}
        fields.append(PreviewField(label="Priority", value=str(found_priority.name)))
    for kind, key, given in (("type", "type", type_), ("subtype", "subType", subtype), ("item", "item", item)):
        if given is not None and given.strip():
            found = await resolve_on_board(provider, found_board, kind, given)
            body[key] = {"id": found.id}
            fields.append(PreviewField(label=kind.capitalize(), value=str(found.name)))
    ids = tuple(dict.fromkeys(configuration_ids))
    for config_id in ids:
        await _check_configuration(provider, config_id, found_company)
    body["initialDescription"] = description
    try:
        body = TicketCreate.model_validate(body).to_cw()
    except ValidationError as exc:
        raise invalid(exc) from exc
    fields.append(PreviewField(label="Summary", value=summary))
    if ids:
        fields.append(PreviewField(label="Configurations", value=", ".join(f"#{i}" for i in ids)))
        fields.append(PreviewField(label="Then", value="; ".join(_attach_request(i) for i in ids)))
    fields.append(PreviewField(label="Description (the ticket's description note)", value=description, block=True))
    return CreateTicketPlan(
        tool=TOOL,
        action=f"Create a ticket on board {found_board.name!r} for {found_company.name!r}",
        request="POST /service/tickets",
        body=body,
        fields=tuple(fields),
        configuration_ids=ids,
    )


async def _check_configuration(provider: Any, config_id: int, company: Company) -> None:
    if isinstance(config_id, bool) or config_id < 1:
        raise PlanRefused(f"Configuration id {config_id!r} is not a record id. {NOTHING}")
    try:
        config = await provider.get_configuration(config_id)
    except ConnectWiseNotFoundError as exc:
        raise PlanRefused(f"Configuration #{config_id} was not found. {NOTHING}") from exc
    owner = config.company.id if config.company else None
    if owner != company.id:
        raise PlanRefused(
            f"Configuration #{config_id} ({config.name}) belongs to "
            f"{config.company.name if config.company else 'no company'!r}, not {company.name!r}. {NOTHING}"
        )


async def perform(provider: Any, plan: WritePlan) -> Performed:
    body = plan.body
    assert isinstance(body, dict)
    configuration_ids = plan.configuration_ids if isinstance(plan, CreateTicketPlan) else ()
    before = await provider.newest_ticket_id()
    try:
        ticket: Ticket = await provider.create_ticket(TicketCreate.model_validate(body))
        landed = ""
    except IN_FLIGHT as exc:
        try:
            found = await provider.find_created_tickets(
                body["summary"], body["company"]["id"], body["board"]["id"], after_id=before
            )
        except ConnectWiseError as check:
            return unverified("new ticket", exc, check)
        if not found:
            if isinstance(exc, ConnectWiseTimeoutError):
                return Performed(
                    "unknown",
                    None,
                    "ConnectWise did not answer in time and the ticket is not there yet; ConnectWise may still be "
                    "creating it. It was not sent again: search for it in a minute before retrying.",
                )
            return Performed(
                "not_written",
                None,
                f"ConnectWise did not answer ({why(exc)}) and no such ticket was created: nothing was written. It "
                f"was not sent again; call {TOOL} again to retry.",
            )
        ticket = found[0]
        landed = f"ConnectWise did not answer ({why(exc)}), but the ticket is there: created once, not sent again. "
    assert ticket.id is not None
    failed: list[str] = []
    for config_id in configuration_ids:
        try:
            await provider.attach_ticket_configuration(ticket.id, config_id)
        except ConnectWiseError as exc:
            failed.append(f"#{config_id} ({why(exc)})")
    board = ticket.board.name if ticket.board and ticket.board.name else "its board"
    message = f"{landed}Ticket #{ticket.id} created on {board}."
    if configuration_ids:
        attached = len(configuration_ids) - len(failed)
        message += f" {attached} of {len(configuration_ids)} configuration(s) attached."
        if failed:
            message += f" Not attached: {', '.join(failed)}; attach them in ConnectWise."
    return Performed("written", ticket.id, message)
