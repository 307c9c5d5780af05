"""create_ticket and update_ticket on ConnectWise: every name resolved on its board (writes/names.py), the POST
or PATCH fixed, and the checks after a failure in flight.

The description goes as `initialDescription`, which ConnectWise turns into the ticket's description note.
Configurations are linked after the ticket exists (POST /service/tickets/{id}/configurations: the Ticket schema
has no configurations field). A board move needs a status of the new board: ConnectWise would otherwise reset it
to the board's default, a change nobody previewed.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from psa.connectwise import models as cw
from psa.connectwise.errors import ConnectWiseNotFoundError
from psa.connectwise.mapping import ticket as neutral_ticket
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.writes import invalid
from psa.connectwise.writes.names import (
    active_names,
    label,
    member_label,
    pick,
    resolve_board,
    resolve_company,
    resolve_member,
    resolve_on_board,
    resolve_priority,
    resolve_status,
)
from psa.models import Ticket
from psa.writes import (
    AlreadyDone,
    Body,
    PlannedWrite,
    Shown,
    TicketChanges,
    TicketDraft,
    UpdateSent,
    WriteNotPlanned,
    listed,
)

# The PATCH paths, in the order they are sent, with their preview labels.
LABELS = {
    "summary": "Summary",
    "priority": "Priority",
    "owner": "Owner",
    "board": "Board",
    "status": "Status",
    "type": "Type",
    "subType": "Subtype",
    "item": "Item",
}
_ON_BOARD = (("type", "type", "type"), ("subtype", "subType", "subtype"), ("item", "item", "item"))
"""(TicketChanges/TicketDraft field, ConnectWise field, the board list it is resolved in)."""


def attach_request(configuration_id: int) -> str:
    return f"POST /service/tickets/{{new id}}/configurations {json.dumps({'id': configuration_id})}"


class TicketWrites:
    """create_ticket and update_ticket (psa.writes.TicketCreator, TicketUpdater) over `self.wire`."""

    wire: ConnectWiseProvider

    # ---- create -------------------------------------------------------------------------------------------

    async def plan_ticket(self, draft: TicketDraft) -> PlannedWrite:
        board = await resolve_board(self.wire, draft.board)
        company = await resolve_company(self.wire, draft.company)
        assert board.id is not None and company.id is not None
        body: dict[str, Any] = {"summary": draft.summary, "board": {"id": board.id}, "company": {"id": company.id}}
        shown = [Shown(label="Board", value=str(board.name)),
                 Shown(label="Company", value=f"{company.name} ({company.identifier})")]
        if draft.contact is not None and draft.contact.strip():
            contacts = await self.wire.list_company_contacts(company.id)
            contact = pick(contacts, draft.contact, attr="full_name")
            if contact is None or contact.id is None:
                raise WriteNotPlanned(
                    f"{company.name!r} has no active contact {draft.contact!r}. Its contacts: "
                    f"{listed(c.full_name for c in contacts if not c.inactiveFlag)}."
                )
            body["contact"] = {"id": contact.id}
            shown.append(Shown(label="Contact", value=contact.full_name))
        if draft.priority is not None and draft.priority.strip():
            priority = await resolve_priority(self.wire, draft.priority)
            body["priority"] = {"id": priority.id}
            shown.append(Shown(label="Priority", value=str(priority.name)))
        for field, key, kind in _ON_BOARD:
            given = getattr(draft, field)
            if given is not None and given.strip():
                found = await resolve_on_board(self.wire, board, kind, given)
                body[key] = {"id": found.id}
                shown.append(Shown(label=kind.capitalize(), value=str(found.name)))
        for configuration_id in draft.configuration_ids:
            await self._check_configuration(configuration_id, company)
        body["initialDescription"] = draft.description
        try:
            body = cw.TicketCreate.model_validate(body).to_cw()
        except ValidationError as exc:
            raise invalid(exc) from exc
        then = tuple(attach_request(i) for i in draft.configuration_ids)
        shown.append(Shown(label="Summary", value=draft.summary))
        if then:
            shown.append(Shown(label="Configurations", value=", ".join(f"#{i}" for i in draft.configuration_ids)))
            shown.append(Shown(label="Then", value="; ".join(then)))
        shown.append(Shown(label="Description (the ticket's description note)", value=draft.description, block=True))
        return PlannedWrite(action=f"Create a ticket on board {board.name!r} for {company.name!r}",
                            request="POST /service/tickets", body=body, shown=tuple(shown),
                            boards=(str(board.name),), then=then)

    async def _check_configuration(self, configuration_id: int, company: cw.Company) -> None:
        if isinstance(configuration_id, bool) or configuration_id < 1:
            raise WriteNotPlanned(f"Configuration id {configuration_id!r} is not a record id.")
        try:
            config = await self.wire.get_configuration(configuration_id)
        except ConnectWiseNotFoundError as exc:
            raise WriteNotPlanned(f"Configuration #{configuration_id} was not found.") from exc
        owner = config.company.id if config.company else None
        if owner != company.id:
            raise WriteNotPlanned(
                f"Configuration #{configuration_id} ({config.name}) belongs to "
                f"{config.company.name if config.company else 'no company'!r}, not {company.name!r}."
            )

    async def newest_ticket_id(self) -> int:
        return await self.wire.newest_ticket_id()

    async def create_ticket(self, request: str, body: Body) -> Ticket:
        return neutral_ticket(await self.wire.create_ticket(cw.TicketCreate.model_validate(body)))

    async def find_created_ticket(self, body: Body, *, after_id: int) -> Ticket | None:
        assert isinstance(body, dict)
        found = await self.wire.find_created_tickets(body["summary"], body["company"]["id"], body["board"]["id"],
                                                     after_id=after_id)
        return neutral_ticket(found[0]) if found else None

    async def attach_configuration(self, ticket_id: int, configuration_id: int) -> None:
        await self.wire.attach_ticket_configuration(ticket_id, configuration_id)

    # ---- update -------------------------------------------------------------------------------------------

    async def plan_update(self, ticket_id: int, changes: TicketChanges) -> PlannedWrite:
        ticket = await self.wire.get_ticket(ticket_id)
        # path -> (value sent, old shown, new shown)
        planned: dict[str, tuple[Any, str, str]] = {}
        if changes.summary is not None and changes.summary != ticket.summary:
            planned["summary"] = (changes.summary, ticket.summary or "(none)", changes.summary)
        if changes.priority is not None:
            priority = await resolve_priority(self.wire, changes.priority)
            if not (ticket.priority and ticket.priority.id == priority.id):
                planned["priority"] = ({"id": priority.id}, label(ticket.priority), str(priority.name))
        if changes.owner is not None:
            member = await resolve_member(self.wire, changes.owner)
            if not (ticket.owner and ticket.owner.id == member.id):
                planned["owner"] = ({"id": member.id}, label(ticket.owner), member_label(member))
        target = ticket.board
        if changes.board is not None:
            board = await resolve_board(self.wire, changes.board)
            if not (ticket.board and ticket.board.id == board.id):
                if changes.status is None:
                    assert board.id is not None
                    statuses = await self.wire.list_board_statuses(board.id)
                    raise WriteNotPlanned(
                        f"Moving ticket #{ticket_id} to board {board.name!r} needs a status of that board "
                        f"(status=...). Its statuses: {listed(active_names(statuses))}."
                    )
                planned["board"] = ({"id": board.id}, label(ticket.board), str(board.name))
            target = board
        on_board = [f for f, _, _ in _ON_BOARD if getattr(changes, f) is not None]
        if changes.status is not None:
            on_board.insert(0, "status")
        if on_board and (target is None or target.id is None):
            raise WriteNotPlanned(f"Ticket #{ticket_id} has no board, so {', '.join(on_board)} cannot be resolved.")
        moving = "board" in planned
        if changes.status is not None:
            assert target is not None
            status = await resolve_status(self.wire, target, changes.status)
            if moving or not (ticket.status and ticket.status.id == status.id):
                closes = status.closedStatus and not ticket.closedFlag
                planned["status"] = ({"id": status.id}, label(ticket.status),
                                     f"{status.name} (closes the ticket)" if closes else str(status.name))
        for field, key, kind in _ON_BOARD:
            given = getattr(changes, field)
            if given is not None:
                assert target is not None
                found = await resolve_on_board(self.wire, target, kind, given)
                current = getattr(ticket, key)
                if moving or not (current and current.id == found.id):
                    planned[key] = ({"id": found.id}, label(current), str(found.name))
        if not planned:
            raise AlreadyDone(f"Ticket #{ticket_id} already has these values: nothing to change.")
        ordered = [path for path in LABELS if path in planned]
        shown = [Shown(label=LABELS[p], value=f"{planned[p][1]} -> {planned[p][2]}") for p in ordered]
        if moving and ticket.type and "type" not in planned:
            shown.append(Shown(label="Note", value="type, subtype and item stay as they are (from the old board)"))
        return PlannedWrite(
            action=f"Update ticket #{ticket_id}: {', '.join(LABELS[p].lower() for p in ordered)}",
            request=f"PATCH /service/tickets/{ticket_id}",
            body=[cw.PatchOperation.replace(path, planned[path][0]).to_cw() for path in ordered],
            shown=tuple(shown),
            boards=(str(planned["board"][2]),) if moving else (),
        )

    async def apply_update(self, ticket_id: int, request: str, body: Body) -> UpdateSent:
        assert isinstance(body, list)
        ticket = await self.wire.update_ticket(ticket_id, [cw.PatchOperation.model_validate(op) for op in body])
        return _compare(ticket, body)

    async def update_landed(self, ticket_id: int, body: Body) -> UpdateSent:
        assert isinstance(body, list)
        return _compare(await self.wire.get_ticket(ticket_id), body)


def _compare(ticket: cw.Ticket, body: list[Any]) -> UpdateSent:
    changed = tuple(LABELS.get(op["path"], op["path"]) for op in body)
    differs = tuple(LABELS.get(op["path"], op["path"]) for op in body if not _has(ticket, op))
    return UpdateSent(changed=changed, differs=differs)


def _has(ticket: cw.Ticket, op: dict[str, Any]) -> bool:
    """Whether the ticket carries the value `op` sets."""
    path, value = op["path"], op["value"]
    if path == "summary":
        return ticket.summary == value
    current = getattr(ticket, path, None)
    return current is not None and current.id == value.get("id")
