"""update_ticket_status on ConnectWise: a PATCH of the status, by name on the ticket's own board."""

from __future__ import annotations

from psa.connectwise import models as cw
from psa.connectwise.mapping import ticket
from psa.connectwise.provider import ConnectWiseProvider
from psa.models import Ticket
from psa.writes import AlreadyDone, Body, StatusChange, WriteNotPlanned


class StatusWrites:
    """psa.writes.StatusWriter over `self.wire`."""

    wire: ConnectWiseProvider

    async def plan_status_change(self, ticket_id: int, status: str) -> StatusChange:
        """A status of the ticket's own board, by name (as ConnectWise compares names: case-insensitively)."""
        current = await self.wire.get_ticket(ticket_id)
        board = current.board
        if board is None or board.id is None:
            raise WriteNotPlanned(f"Ticket #{ticket_id} has no board, so status names cannot be resolved.")
        target = await self.wire.get_board_status_by_name(board.id, status.strip())
        if target is None or target.id is None or target.inactive:
            names = [s.name for s in await self.wire.list_board_statuses(board.id) if s.name and not s.inactive]
            raise WriteNotPlanned(
                f"Board {board.name!r} (ticket #{ticket_id}'s board) has no active status {status!r}. "
                f"Its statuses: {', '.join(names) or '(none)'}."
            )
        now = current.status.name if current.status else None
        if current.status is not None and current.status.id == target.id:
            raise AlreadyDone(f"Ticket #{ticket_id} already has status {now!r}; nothing to change.")
        effects = (f"{target.name!r} is a closed status: this closes the ticket",) if target.closedStatus else ()
        return StatusChange(request=f"PATCH /service/tickets/{ticket_id}",
                            body=[cw.PatchOperation.replace("status", {"id": target.id}).to_cw()],
                            current=now, target=target.name or str(target.id), effects=effects)

    async def change_status(self, ticket_id: int, request: str, body: Body) -> Ticket:
        return ticket(await self.wire.update_ticket_status(ticket_id, self.status_sent(body) or 0))

    def status_sent(self, body: Body) -> int | None:
        assert isinstance(body, list)  # the PATCH array plan_status_change made
        return int(body[0]["value"]["id"])

