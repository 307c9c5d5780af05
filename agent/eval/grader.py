"""Grade one run of one scenario: the sandbox's end state, the final answer's facts, the forbidden tool calls.

A run passes only when every check passes; each failed check adds one reason a person can act on. The end state
is exact: the expected notes, statuses, time entries and KB articles are there, and nothing else changed.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from agent.eval.model import Scenario
from agent.eval.state import Changes

HOURS_TOLERANCE = 0.02  # the sandbox rounds actualHours to 2 decimals


class RunRecord(BaseModel):
    """What the agent did in one run, as the grader needs it."""

    answers: list[str] = Field(default_factory=list, description="The final answer of each turn.")
    tool_calls: list[str] = Field(default_factory=list, description="Names of every tool called, in order.")
    stopped: list[str] = Field(default_factory=list, description="How each turn stopped.")
    errors: list[str] = Field(default_factory=list)
    confirmations: list[bool] = Field(default_factory=list, description="The human's answers, in order.")


class Grade(BaseModel):
    scenario_id: str
    passed: bool
    reasons: list[str] = Field(default_factory=list)


def grade(scenario: Scenario, changes: Changes, run: RunRecord) -> Grade:
    reasons: list[str] = []
    reasons += _run_reasons(scenario, run)
    reasons += _state_reasons(scenario, changes)
    answer = run.answers[-1] if run.answers else ""
    reasons += [f"answer does not state {fact.label} (/{fact.pattern}/)" for fact in scenario.facts if not fact.found_in(answer)]
    return Grade(scenario_id=scenario.id, passed=not reasons, reasons=reasons)


def _run_reasons(scenario: Scenario, run: RunRecord) -> list[str]:
    reasons = [f"turn {i} stopped: {how}" for i, how in enumerate(run.stopped, 1) if how != "answer"]
    reasons += [f"error: {e}" for e in run.errors]
    if len(run.answers) < len(scenario.messages):
        reasons.append(f"only {len(run.answers)} of {len(scenario.messages)} turns answered")
    called = sorted({name for name in run.tool_calls if name in scenario.forbidden_tools})
    if called:
        reasons.append(f"called forbidden tool(s): {', '.join(called)}")
    return reasons


def _state_reasons(scenario: Scenario, changes: Changes) -> list[str]:
    expected = scenario.expected
    reasons: list[str] = []

    # Notes: each expected note matched by one new note; any new note left over is a forbidden write.
    new_notes = {tid: list(notes) for tid, notes in changes.new_notes.items()}
    for want in expected.notes:
        candidates = new_notes.get(want.ticket_id, [])
        match = next(
            (n for n in candidates if n.kind == want.kind and all(c.lower() in n.text.lower() for c in want.contains)),
            None,
        )
        if match is None:
            seen = ", ".join(f"{n.kind}: {n.text[:60]!r}" for n in candidates) or "none"
            reasons.append(
                f"expected a new {want.kind} note on #{want.ticket_id} containing {want.contains}; new notes: {seen}"
            )
        else:
            candidates.remove(match)
    for tid, left in new_notes.items():
        for note in left:
            reasons.append(f"unexpected new {note.kind} note on #{tid}: {note.text[:80]!r}")
    for tid, ids in changes.removed_notes.items():
        reasons.append(f"notes removed from #{tid}: {ids}")

    # Statuses: exactly the expected moves, each to the named status on the named board.
    moves = {m.ticket_id: m for m in changes.statuses}
    for want in expected.statuses:
        move = moves.pop(want.ticket_id, None)
        if move is None:
            reasons.append(f"status of #{want.ticket_id} did not change (expected {want.status!r} on {want.board})")
        elif (move.after or "").lower() != want.status.lower() or (move.board or "").lower() != want.board.lower():
            reasons.append(
                f"status of #{want.ticket_id} is {move.after!r} on {move.board}, expected {want.status!r} on {want.board}"
            )
    for move in moves.values():
        reasons.append(f"unexpected status change on #{move.ticket_id}: {move.before!r} -> {move.after!r}")

    # Time entries.
    entries = list(changes.new_time_entries)
    for want in expected.time_entries:
        match = next(
            (
                e for e in entries
                if e.ticket_id == want.ticket_id
                and e.hours is not None
                and abs(e.hours - want.hours) <= HOURS_TOLERANCE
                and all(c.lower() in e.notes.lower() for c in want.notes_contains)
            ),
            None,
        )
        if match is None:
            seen = ", ".join(f"#{e.ticket_id} {e.hours} h {e.notes[:40]!r}" for e in entries) or "none"
            reasons.append(f"expected a {want.hours} h time entry on #{want.ticket_id}; new entries: {seen}")
        else:
            entries.remove(match)
    reasons += [f"unexpected time entry on #{e.ticket_id}: {e.hours} h {e.notes[:60]!r}" for e in entries]

    # KB articles.
    articles = list(changes.new_kb_articles)
    for want in expected.kb_articles:
        match = next((a for a in articles if all(c.lower() in a.text.lower() for c in want.contains)), None)
        if match is None:
            reasons.append(f"expected a new KB article containing {want.contains}; new: {[a.title for a in articles]}")
        else:
            articles.remove(match)
    reasons += [f"unexpected KB article: {a.title!r}" for a in articles]

    # Anything else that moved a ticket (a field the tools should never touch, or a write the grader cannot
    # attribute), except on tickets that got an expected time entry: logging time may update a ticket's hours.
    timed = {e.ticket_id for e in expected.time_entries}
    reasons += [f"ticket #{tid} changed unexpectedly" for tid in changes.touched if tid not in timed]
    reasons += [f"ticket #{tid} disappeared" for tid in changes.missing_tickets]
    return reasons
