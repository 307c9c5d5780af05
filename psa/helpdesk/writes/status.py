"""update_ticket_status on the helpdesk: the close endpoint for the system's Closed status, else an update."""

from __future__ import annotations

from typing import Any

from psa.helpdesk.mapping import ticket as neutral_ticket
from psa.helpdesk.models import ClosureForm, StatusType, TicketUpdate
from psa.helpdesk.writes.forms import API, WriterBase, creator_id, expect, fields_of
from psa.models import Ticket
from psa.writes import AlreadyDone, Body, StatusChange, WriteNotPlanned


class StatusWrites(WriterBase):
    """psa.writes.StatusWriter."""

    async def plan_status_change(self, ticket_id: int, status: str) -> StatusChange:
        """A status of the desk, by name. The system's closed status goes through the close endpoint (the
        helpdesk's own closing, logged as a conversation, no email to the requester); any other status, a resolved
        one too, is set with an update: the resolve endpoint would email the requester a resolution text, which
        this tool has none of."""
        current = await self.client.get_ticket(ticket_id)
        statuses = (await self._lookups()).status or []
        wanted = status.strip().casefold()
        target = next((s for s in statuses if (s.status or "").casefold() == wanted), None)
        if target is None:
            names = ", ".join(s.status for s in statuses if s.status)
            raise WriteNotPlanned(f"The helpdesk has no status {status!r}. Its statuses: {names or '(none)'}.")
        now = current.status.status if current.status else None
        if current.status is not None and current.status.id == target.id:
            raise AlreadyDone(f"Ticket #{ticket_id} already has status {now!r}; nothing to change.")
        name = target.status or str(target.id)
        if target.statusType == StatusType.Closed.value:
            body: dict[str, Any] = {"TicketId": ticket_id, "CloseBy": self._user_id(), "Acknowledged": False}
            return StatusChange(request=f"{API}/close/{ticket_id}", body=body, current=now,
                                target=name, effects=("this closes the ticket; no email goes to the requester",))
        body = {"Id": ticket_id, "CreatorId": creator_id(current), "TicketStatusId": target.id}
        effects = (f"{name!r} is a resolved status: the ticket counts as resolved",) \
            if target.statusType == StatusType.Resolved.value else ()
        return StatusChange(request=f"{API}/update/{ticket_id}", body=body, current=now, target=name,
                            effects=effects)

    async def change_status(self, ticket_id: int, request: str, body: Body) -> Ticket:
        fields = fields_of(body)
        if request == f"{API}/close/{ticket_id}":
            await self.client.close(ticket_id, ClosureForm(**fields))
        else:
            expect(request, f"{API}/update/{ticket_id}")
            await self.client.update_ticket(ticket_id, TicketUpdate(**fields))
        return neutral_ticket(await self.client.get_ticket(ticket_id))

    def status_sent(self, body: Body) -> int | None:
        sent = fields_of(body).get("TicketStatusId")
        return int(sent) if sent is not None else None
