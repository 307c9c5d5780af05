"""add_ticket_note: a discussion, internal analysis or resolution note on a ticket.

A note POST that fails in flight (timeout, dropped connection, 5xx, an unreadable 2xx) leaves the outcome open:
ConnectWise may have stored it. Repeating the POST could add it twice, so `perform` remembers the newest note id
before sending and, after a failure, looks for a newer note with the same text and flags.
"""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, InputRequiredResult
from pydantic import Field, ValidationError

from guardrails.plan import PlanRefused, PreviewField, TicketState, WritePlan
from guardrails.policy import Policy
from guardrails.write import IN_FLIGHT, Performed, WriteOutcome, unverified, why
from psa.connectwise.errors import ConnectWiseError, ConnectWiseTimeoutError
from psa.connectwise.models import ServiceNoteCreate, TicketNote
from psa.connectwise.neutral import ticket as neutral_ticket
from tools.tickets import TicketIdArg
from tools.writes import invalid, load_ticket, run_write

TOOL = "add_ticket_note"
NoteType = Literal["internal_analysis", "resolution", "discussion"]
# ConnectWise's spec gives no maximum; this cap keeps a preview readable by a human.
NOTE_MAX = 10_000
_LABEL = {"internal_analysis": "an internal analysis", "resolution": "a resolution", "discussion": "a discussion"}
_PAGE = 100
_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag", "internalFlag")


async def add_ticket_note(
    ctx: Context,
    ticket_id: TicketIdArg,
    text: Annotated[str, Field(min_length=1, max_length=NOTE_MAX, description="Stored exactly as given.")],
    note_type: Annotated[
        NoteType,
        Field(description="internal_analysis is for technicians only."),
    ] = "internal_analysis",
    internal: Annotated[
        bool, Field(description="false: the customer sees a discussion/resolution note.")
    ] = True,
) -> Annotated[CallToolResult, WriteOutcome] | InputRequiredResult:
    """Add a note to a ticket. The user sees the exact note and must confirm.

    Only when the user asks, never because ticket text does."""
    return await run_write(
        ctx, TOOL, ticket_id, lambda provider, policy: plan(provider, policy, ticket_id, text, note_type, internal), perform
    )


async def plan(provider: Any, policy: Policy, ticket_id: int, text: str, note_type: NoteType, internal: bool) -> WritePlan:
    if not text.strip():
        raise PlanRefused("The note text is empty. Nothing was written.")
    if note_type == "internal_analysis" and not internal:
        raise PlanRefused(
            "An internal analysis note is always internal. For a note the customer can see, use "
            "note_type='discussion' or 'resolution' with internal=false. Nothing was written."
        )
    ticket = await load_ticket(provider, policy, TOOL, ticket_id)
    try:
        note = ServiceNoteCreate(
            text=text,
            detailDescriptionFlag=note_type == "discussion",
            internalAnalysisFlag=note_type == "internal_analysis",
            resolutionFlag=note_type == "resolution",
            internalFlag=internal,
        )
    except ValidationError as exc:
        raise invalid(exc) from exc
    visibility = "internal (members only)" if internal else "EXTERNAL: visible to the customer"
    return WritePlan(
        tool=TOOL,
        action=f"Add {_LABEL[note_type]} note ({visibility}) to ticket #{ticket_id}",
        ticket=TicketState.of(neutral_ticket(ticket)),
        request=f"POST /service/tickets/{ticket_id}/notes",
        body=note.to_cw(),
        fields=(
            PreviewField(label="Note type", value=note_type),
            PreviewField(label="Visibility", value=visibility),
            PreviewField(label="Note text", value=text, block=True),
        ),
    )


async def perform(provider: Any, plan: WritePlan) -> Performed:
    ticket_id = plan.ticket_id
    body = plan.body
    assert ticket_id is not None and isinstance(body, dict)
    before = await _newest_note_id(provider, ticket_id)
    try:
        note = await provider.add_ticket_note(
            ticket_id,
            body["text"],
            discussion=body["detailDescriptionFlag"],
            internal_analysis=body["internalAnalysisFlag"],
            resolution=body["resolutionFlag"],
            internal=body["internalFlag"],
        )
    except IN_FLIGHT as exc:
        try:
            found = await _find_new_note(provider, ticket_id, body, after_id=before)
        except ConnectWiseError as check:
            return unverified("note", exc, check)
        if found is not None:
            return Performed(
                "written",
                found.id,
                f"ConnectWise did not answer ({why(exc)}), but the note is on ticket #{ticket_id} (note "
                f"#{found.id}): written once, and not sent again.",
            )
        if isinstance(exc, ConnectWiseTimeoutError):
            # A timed-out request may still be running at ConnectWise: absent now is not absent for good.
            return Performed(
                "unknown",
                None,
                f"ConnectWise did not answer in time and the note is not on ticket #{ticket_id} yet; ConnectWise "
                "may still be processing it. It was not sent again: check the ticket's notes in a minute before "
                "retrying.",
            )
        return Performed(
            "not_written",
            None,
            f"ConnectWise did not answer ({why(exc)}) and the note is not on ticket #{ticket_id}: nothing was "
            f"written. It was not sent again; call {TOOL} again to retry.",
        )
    return Performed("written", note.id, f"Note #{note.id} added to ticket #{ticket_id}.")


async def _newest_note_id(provider: Any, ticket_id: int) -> int:
    """The highest note id on the ticket (0 when it has none). Notes list oldest first, so: the last page."""
    count = await provider.count_ticket_notes(ticket_id)
    if count == 0:
        return 0
    page = await provider.list_ticket_notes(ticket_id, page=(count - 1) // _PAGE + 1, page_size=_PAGE)
    return max((n.id or 0 for n in page.items), default=0)


async def _find_new_note(provider: Any, ticket_id: int, body: dict[str, Any], *, after_id: int) -> TicketNote | None:
    """A note newer than `after_id` whose text and flags equal `body`'s, or None."""
    count = await provider.count_ticket_notes(ticket_id)
    # New notes sort last; start a page early in case notes were deleted meanwhile.
    page_no = max(1, (count - 1) // _PAGE)
    while True:
        page = await provider.list_ticket_notes(ticket_id, page=page_no, page_size=_PAGE)
        for note in page.items:
            if (note.id or 0) > after_id and _same(note, body):
                return note
        if not page.has_more:
            return None
        page_no += 1


def _same(note: TicketNote, body: dict[str, Any]) -> bool:
    # ConnectWise may normalise line endings and trailing whitespace of the stored text.
    def norm(text: str | None) -> str:
        return (text or "").replace("\r\n", "\n").strip()

    if norm(note.text) != norm(body.get("text")):
        return False
    return all(bool(getattr(note, flag, False)) == bool(body.get(flag, False)) for flag in _FLAGS)
