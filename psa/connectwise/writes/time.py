"""log_time_entry on ConnectWise: one POST of /time/entries against a service ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from psa.connectwise.mapping import time_entry
from psa.connectwise.models import TimeEntryCreate
from psa.connectwise.provider import ConnectWiseProvider
from psa.connectwise.writes import invalid
from psa.models import TimeEntry
from psa.writes import Body, PlannedWrite, Shown, TimeDraft, WriteNotPlanned


class TimeWrites:
    """psa.writes.TimeWriter over `self.wire`."""

    wire: ConnectWiseProvider

    async def plan_time(self, draft: TimeDraft) -> PlannedWrite:
        body: dict[str, Any] = {"chargeToId": draft.ticket_id, "chargeToType": "ServiceTicket", "notes": draft.notes}
        if draft.start is not None and draft.end is not None:
            body |= {"timeStart": draft.start.isoformat(), "timeEnd": draft.end.isoformat()}
        else:
            body["actualHours"] = draft.hours
        shown: list[Shown] = []
        if draft.member is not None:
            found = await self.wire.get_member_by_identifier(draft.member.strip())
            if found is None or found.id is None:
                raise WriteNotPlanned(f"No member has the identifier {draft.member!r}.")
            body["member"] = {"id": found.id}
            name = f"{found.firstName or ''} {found.lastName or ''}".strip()
            shown.append(Shown(label="Member", value=f"{found.identifier} ({name})"))
        else:
            shown.append(Shown(label="Member", value="the API member (ConnectWise default)"))
        if draft.billable is not None:
            body["billableOption"] = "Billable" if draft.billable else "DoNotBill"
        shown.append(Shown(label="Billing", value=body.get("billableOption", "ConnectWise default for the work type")))
        try:
            TimeEntryCreate.model_validate(timed_body(body, datetime.now(UTC)))
        except ValidationError as exc:
            raise invalid(exc) from exc
        return PlannedWrite(action=f"Log time against ticket #{draft.ticket_id}", request="POST /time/entries",
                            body=body, shown=tuple(shown))

    async def log_time(self, request: str, body: Body, now: datetime) -> TimeEntry:
        assert isinstance(body, dict)
        entry = TimeEntryCreate.model_validate(timed_body(body, now))
        created = await self.wire.create_time_entry(entry)
        logged = time_entry(created)
        return logged if logged.hours is not None else logged.model_copy(update={"hours": entry.actualHours})


def timed_body(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The body to send. A plan made from `hours` alone ends when the user confirms: the times are filled in
    then (a preview carrying "now" would change on every look, and the user confirms "1.5 h ending now")."""
    if "timeStart" in body:
        return body
    end = now.astimezone(UTC).replace(microsecond=0)
    start = end - timedelta(hours=float(body["actualHours"]))
    return {**body, "timeStart": start.isoformat(), "timeEnd": end.isoformat()}
