"""Write plans for the four write tools: validate the request against the ticket and the policy, and fix the
exact ConnectWise body the user will be asked to confirm. Nothing here writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from guardrails.plan import PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from psa.connectwise.errors import ConnectWiseNotFoundError
from psa.connectwise.models import (
    BoardStatus,
    KnowledgeBaseArticleCreate,
    Member,
    PatchOperation,
    ReferenceInput,
    ServiceNoteCreate,
    Ticket,
    TicketNote,
    TimeEntryCreate,
)

NoteType = Literal["internal_analysis", "resolution", "discussion"]

# ConnectWise's spec gives no maximum for these fields; these caps keep a preview readable by a human.
NOTE_MAX = 10_000
KB_TITLE_MAX = 200
KB_TEXT_MAX = 20_000
TIME_NOTES_MAX = 4_000
MAX_HOURS = 24.0
_KB_NOTES_SCAN = 500


class PlanRefused(Exception):
    """The write cannot be planned; `outcome` is how the audit log records it."""

    def __init__(self, message: str, outcome: Literal["denied", "failed", "not_written"] = "failed") -> None:
        self.outcome = outcome
        super().__init__(message)


class PlanReader(Protocol):
    async def get_ticket(self, ticket_id: int) -> Ticket: ...

    async def get_board_status_by_name(self, board_id: int, name: str) -> BoardStatus | None: ...

    async def list_board_statuses(self, board_id: int) -> list[BoardStatus]: ...

    async def get_member_by_identifier(self, identifier: str) -> Member | None: ...

    def iterate_ticket_notes(self, ticket_id: int, *, max_items: int | None = None) -> Any: ...


async def _ticket(provider: PlanReader, policy: Policy, tool: str, ticket_id: int) -> Ticket:
    try:
        ticket = await provider.get_ticket(ticket_id)
    except ConnectWiseNotFoundError as exc:
        raise PlanRefused(f"Ticket #{ticket_id} was not found. Nothing was written.") from exc
    denial = policy.board_denial(tool, ticket.board.name if ticket.board else None)
    if denial is not None:
        raise PlanRefused(denial.message(), "denied")
    return ticket


def _invalid(exc: ValidationError) -> PlanRefused:
    problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
    return PlanRefused(f"Invalid write: {problems}. Nothing was written.")


# ---- add_ticket_note ---------------------------------------------------------------------------------------------

_NOTE_LABEL = {"internal_analysis": "an internal analysis", "resolution": "a resolution", "discussion": "a discussion"}


async def plan_note(
    provider: PlanReader, policy: Policy, ticket_id: int, text: str, note_type: NoteType, internal: bool
) -> WritePlan:
    if not text.strip():
        raise PlanRefused("The note text is empty. Nothing was written.")
    if note_type == "internal_analysis" and not internal:
        raise PlanRefused(
            "An internal analysis note is always internal. For a note the customer can see, use "
            "note_type='discussion' or 'resolution' with internal=false. Nothing was written."
        )
    ticket = await _ticket(provider, policy, "add_ticket_note", ticket_id)
    try:
        note = ServiceNoteCreate(
            text=text,
            detailDescriptionFlag=note_type == "discussion",
            internalAnalysisFlag=note_type == "internal_analysis",
            resolutionFlag=note_type == "resolution",
            internalFlag=internal,
        )
    except ValidationError as exc:
        raise _invalid(exc) from exc
    visibility = "internal (members only)" if internal else "EXTERNAL: visible to the customer"
    return WritePlan(
        tool="add_ticket_note",
        action=f"Add {_NOTE_LABEL[note_type]} note ({visibility}) to ticket #{ticket_id}",
        ticket=TicketState.of(ticket),
        request=f"POST /service/tickets/{ticket_id}/notes",
        body=note.to_cw(),
        fields=(
            PreviewField(label="Note type", value=note_type),
            PreviewField(label="Visibility", value=visibility),
            PreviewField(label="Note text", value=text, block=True),
        ),
    )


# ---- update_ticket_status ----------------------------------------------------------------------------------------


async def plan_status(provider: PlanReader, policy: Policy, ticket_id: int, status: str) -> WritePlan:
    ticket = await _ticket(provider, policy, "update_ticket_status", ticket_id)
    board = ticket.board
    if board is None or board.id is None:
        raise PlanRefused(f"Ticket #{ticket_id} has no board, so status names cannot be resolved. Nothing was written.")
    target = await provider.get_board_status_by_name(board.id, status.strip())
    if target is None or target.id is None or target.inactive:
        names = [s.name for s in await provider.list_board_statuses(board.id) if s.name and not s.inactive]
        raise PlanRefused(
            f"Board {board.name!r} (ticket #{ticket_id}'s board) has no active status {status!r}. "
            f"Its statuses: {', '.join(names) or '(none)'}. Nothing was written."
        )
    current = ticket.status.name if ticket.status else None
    if ticket.status is not None and ticket.status.id == target.id:
        raise PlanRefused(f"Ticket #{ticket_id} already has status {current!r}; nothing to change.", "not_written")
    body = [PatchOperation.replace("status", {"id": target.id}).to_cw()]
    fields = [PreviewField(label="Status change", value=f"{current or '(none)'} -> {target.name}")]
    if target.closedStatus:
        fields.append(PreviewField(label="Effect", value=f"{target.name!r} is a closed status: this closes the ticket"))
    return WritePlan(
        tool="update_ticket_status",
        action=f"Change the status of ticket #{ticket_id} from {current!r} to {target.name!r}",
        ticket=TicketState.of(ticket),
        request=f"PATCH /service/tickets/{ticket_id}",
        body=body,
        fields=tuple(fields),
    )


# ---- create_kb_article -------------------------------------------------------------------------------------------


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def _from_ticket(provider: PlanReader, ticket: Ticket) -> tuple[str | None, str | None, str | None]:
    """Title, issue and resolution as the ticket tells them. Internal analysis notes are never used: they can
    hold credentials and internal detail that do not belong in an article."""
    notes: list[TicketNote] = [n async for n in provider.iterate_ticket_notes(ticket.id or 0, max_items=_KB_NOTES_SCAN)]
    resolutions = [n.text.strip() for n in notes if n.resolutionFlag and n.text and n.text.strip()]
    if not (ticket.closedFlag or resolutions or ticket.dateResolved):
        raise PlanRefused(
            f"Ticket #{ticket.id} is not resolved (open, with no resolution notes). Create the article once it is "
            "resolved, or pass title, issue and resolution yourself. Nothing was written."
        )
    description = next(
        (n.text for n in notes if n.detailDescriptionFlag and not n.internalAnalysisFlag and n.text and n.text.strip()),
        None,
    )
    issue = ticket.initialDescription if ticket.initialDescription and ticket.initialDescription.strip() else description
    resolution = "\n\n".join(resolutions) if resolutions else ticket.initialResolution
    return ticket.summary, issue or ticket.summary, resolution


async def plan_kb_article(
    provider: PlanReader,
    policy: Policy,
    ticket_id: int | None,
    title: str | None,
    issue: str | None,
    resolution: str | None,
) -> WritePlan:
    ticket: Ticket | None = None
    if ticket_id is not None:
        ticket = await _ticket(provider, policy, "create_kb_article", ticket_id)
        derived = await _from_ticket(provider, ticket)
        title, issue, resolution = (given or found for given, found in zip((title, issue, resolution), derived, strict=True))
    values = {
        "title": _clip(title, KB_TITLE_MAX),
        "issue": _clip(issue, KB_TEXT_MAX),
        "resolution": _clip(resolution, KB_TEXT_MAX),
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        source = f"ticket #{ticket_id} has no {' or '.join(missing)}" if ticket else f"missing {', '.join(missing)}"
        raise PlanRefused(
            f"Cannot build the article: {source}. Pass ticket_id of a resolved ticket, or title, issue and "
            "resolution. Nothing was written."
        )
    board = ReferenceInput(id=ticket.board.id) if ticket and ticket.board and ticket.board.id else None
    try:
        article = KnowledgeBaseArticleCreate(board=board, **values)  # type: ignore[arg-type]  # checked non-empty
    except ValidationError as exc:
        raise _invalid(exc) from exc
    source = f"from ticket #{ticket_id}" if ticket else "from the text given"
    return WritePlan(
        tool="create_kb_article",
        action=f"Create a knowledge base article {source}",
        ticket=TicketState.of(ticket) if ticket else None,
        request="POST /service/knowledgeBaseArticles",
        body=article.to_cw(),
        fields=(
            PreviewField(label="Title", value=values["title"] or ""),
            PreviewField(label="Issue", value=values["issue"] or "", block=True),
            PreviewField(label="Resolution", value=values["resolution"] or "", block=True),
        ),
    )


# ---- log_time_entry ----------------------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timed_body(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The body to send. A plan made from `hours` alone ends when the user confirms: the times are filled in
    then (a preview carrying "now" would change on every look, and the user confirms "1.5 h ending now")."""
    if "timeStart" in body:
        return body
    end = _utc(now).replace(microsecond=0)
    start = end - timedelta(hours=float(body["actualHours"]))
    return {**body, "timeStart": start.isoformat(), "timeEnd": end.isoformat()}


async def plan_time_entry(
    provider: PlanReader,
    policy: Policy,
    ticket_id: int,
    notes: str,
    hours: float | None,
    start: datetime | None,
    end: datetime | None,
    member: str | None,
    billable: bool | None,
) -> WritePlan:
    if not notes.strip():
        raise PlanRefused("The time entry notes are empty. Nothing was written.")
    if start is not None and end is not None and hours is None:
        start, end = _utc(start), _utc(end)
        when = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({(end - start).total_seconds() / 3600:.2f} h)"
    elif start is not None and end is None and hours is not None:
        start = _utc(start)
        end = start + timedelta(hours=hours)
        when = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({hours:.2f} h)"
    elif start is None and end is None and hours is not None:
        when = f"{hours:.2f} h, ending when you confirm"
    else:
        raise PlanRefused("Give hours, or start and end, or start and hours. Nothing was written.")
    if end is not None and start is not None and not timedelta(0) < end - start <= timedelta(hours=MAX_HOURS):
        raise PlanRefused(f"A time entry must end after it starts and last at most {MAX_HOURS:g} h. Nothing was written.")
    ticket = await _ticket(provider, policy, "log_time_entry", ticket_id)
    body: dict[str, Any] = {"chargeToId": ticket_id, "chargeToType": "ServiceTicket", "notes": notes}
    if start is not None and end is not None:
        body |= {"timeStart": start.isoformat(), "timeEnd": end.isoformat()}
    else:
        body["actualHours"] = hours
    fields = [PreviewField(label="Time", value=when)]
    if member is not None:
        found = await provider.get_member_by_identifier(member.strip())
        if found is None or found.id is None:
            raise PlanRefused(f"No member has the identifier {member!r}. Nothing was written.")
        body["member"] = {"id": found.id}
        fields.append(PreviewField(label="Member", value=f"{found.identifier} ({found.firstName or ''} {found.lastName or ''})".strip()))
    else:
        fields.append(PreviewField(label="Member", value="the API member (ConnectWise default)"))
    if billable is not None:
        body["billableOption"] = "Billable" if billable else "DoNotBill"
    fields.append(PreviewField(label="Billing", value=body.get("billableOption", "ConnectWise default for the work type")))
    fields.append(PreviewField(label="Notes", value=notes, block=True))
    try:
        TimeEntryCreate.model_validate(timed_body(body, datetime.now(UTC)))
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return WritePlan(
        tool="log_time_entry",
        action=f"Log time against ticket #{ticket_id}",
        ticket=TicketState.of(ticket),
        request="POST /time/entries",
        body=body,
        fields=tuple(fields),
    )
