"""The preview a human confirms: exact, readable, and not restylable by ticket text."""

from __future__ import annotations

from guardrails.preview import render_preview, visible
from guardrails.plan import PreviewField, TicketState, WritePlan


def test_preview_shows_ticket_fields_text_and_exact_body() -> None:
    text = "Line one\nLine two"
    plan = WritePlan(
        tool="add_ticket_note",
        action="Add an internal analysis note (internal (members only)) to ticket #5",
        ticket=TicketState(id=5, summary="Printer\non fire", board="Help Desk", company="Acme", status="New",
                           last_updated="2026-01-01T00:00:00+00:00", digest="d"),
        request="POST /service/tickets/5/notes",
        body={"text": text, "internalAnalysisFlag": True, "internalFlag": True},
        fields=(PreviewField(label="Note type", value="internal_analysis"), PreviewField(label="Note text", value=text, block=True)),
    )
    preview = render_preview(plan)
    assert preview.startswith("psa-copilot asks to WRITE to ConnectWise. Nothing is written unless you confirm.")
    assert 'Ticket: #5 "Printer on fire" | board: Help Desk | company: Acme | status: New' in preview
    assert "Note text (exact, 17 characters, between the lines):" in preview and "Line one\nLine two" in preview
    assert '"text": "<shown above>"' in preview and '"internalFlag": true' in preview
    assert "Exact request: POST /service/tickets/5/notes" in preview


def test_control_and_bidi_characters_are_shown_not_obeyed() -> None:
    assert visible("ok\x1b[2Jgone\u202eevil\u200b") == "ok\\u001b[2Jgone\\u202eevil\\u200b"
    assert visible("tab\tand\nnewline") == "tab\tand\nnewline"
