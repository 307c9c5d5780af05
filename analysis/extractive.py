"""The deterministic summariser: extractive, structured, always available.

Each section is filled from the notes whose role in a service thread gives that section, and within a note the
sentence scoring best on position and cue words is quoted (extractive: no words are invented):
- problem:       the first description notes (the requester states the problem up front);
- tried:         internal-analysis notes and technicians' replies with action verbs ("rebooted", "re-applied");
- current state: the latest resolution note, else the latest note, with the ticket status;
- next step:     the latest sentence about the future ("will", "follow up", "schedule"), else what the waiting
                 side has to do;
- waiting:       the ticket status ("Waiting on Client") first, then who wrote last and whether it asks something.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from analysis.summary import Point, SummaryPoints
from analysis.thread import Thread, ThreadNote
from analysis.untrusted import addresses_assistant, visible

MAX_TRIED = 4
PROBLEM_SENTENCES = 2

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z']+")

PROBLEM_CUES = frozenset(
    "error errors fail fails failed failing failure can't cannot unable won't doesn't isn't not down offline "
    "broken stopped slow issue issues problem problems denied missing lost crash crashes crashed stuck locked "
    "expired wrong keeps again".split()
)
ACTION_CUES = frozenset(
    "tried re-applied reapplied rebooted restarted reset replaced reinstalled installed updated upgraded cleared "
    "ran checked verified tested confirmed removed re-added added configured enabled disabled escalated moved "
    "rolled patched repaired fixed restored recreated rebuilt migrated reassigned renewed unlocked assigned "
    "applied changed set swapped sent looked investigated found traced recommend suggest try check".split()
)
FUTURE_CUES = frozenset(
    "will next follow follow-up schedule scheduled plan planned pending once tomorrow monday later remote "
    "callback reminder awaiting".split()
)
TEAM_BUSY_CUES = ("looking into", "investigating", "will update", "working on", "checking")
GREETING = re.compile(r"^(hi|hello|hey|dear|thanks|thank you|good (morning|afternoon))\b[^.!?]{0,30}[,.!]?$", re.I)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(visible(text)) if s and s.strip()]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _cue_score(sentence: str, cues: frozenset[str]) -> float:
    return float(sum(1 for w in _words(sentence) if w in cues))


def best_sentences(text: str, cues: frozenset[str], k: int = 1) -> list[str]:
    """The `k` best sentences of `text` in their original order: cue words count, earlier sentences are favoured
    (writers lead with the point); greetings and fragments are skipped, and so is everything from the first
    sentence aimed at an AI assistant on (a summary must not repeat an injected instruction as ticket content)."""
    candidates: list[str] = []
    for s in sentences(text):
        if addresses_assistant(s):
            break  # an injected instruction runs on past its first marked sentence: nothing after it is the ticket's
        if not GREETING.match(s) and len(_words(s)) >= 3:
            candidates.append(s)
    if not candidates:
        candidates = [s for s in sentences(text)[:1] if not addresses_assistant(s)]
    if not candidates:
        return ["(the note only holds text addressed to an AI assistant; not quoted)"]
    scored = [
        (_cue_score(s, cues) + 1.0 / (1 + i) + min(len(_words(s)), 25) / 50, i)
        for i, s in enumerate(candidates)
    ]
    top = sorted(sorted(scored, reverse=True)[:k], key=lambda t: t[1])
    return [candidates[i] for _, i in top]


def _point(note: ThreadNote, cues: frozenset[str], k: int = 1) -> Point:
    return Point(text=" ".join(best_sentences(note.text, cues, k)), note_ids=[note.id])


def problem(thread: Thread) -> list[Point]:
    described = [n for n in thread.notes if n.kind == "description" and n.role != "member"] or [
        n for n in thread.notes if n.kind == "description"
    ]
    source = (described or thread.notes)[:1]
    points = [_point(n, PROBLEM_CUES, PROBLEM_SENTENCES) for n in source if n.text]
    if not points and thread.title:
        points = [Point(text=thread.title)]
    return points


def tried(thread: Thread) -> list[Point]:
    first = thread.notes[0].id if thread.notes else None
    candidates: list[tuple[float, int, ThreadNote]] = []
    for pos, note in enumerate(thread.notes):
        if note.id == first or note.role == "contact" or note.kind == "resolution" or not note.text:
            continue
        best = best_sentences(note.text, ACTION_CUES)[0]
        score = _cue_score(best, ACTION_CUES) + (1.0 if note.kind == "internal_analysis" else 0.0)
        if score > 0:
            candidates.append((score, pos, note))
    chosen = sorted(sorted(candidates, key=lambda c: (-c[0], c[1]))[:MAX_TRIED], key=lambda c: c[1])
    # Internal analysis usually reads cause-then-action ("User was removed from the group. Re-added..."): keep both.
    return [_point(note, ACTION_CUES, 2 if note.kind == "internal_analysis" else 1) for _, _, note in chosen]


def _latest(notes: Iterable[ThreadNote]) -> ThreadNote | None:
    last = None
    for note in notes:
        last = note
    return last


def current_state(thread: Thread) -> list[Point]:
    resolution = _latest(n for n in thread.notes if n.kind == "resolution")
    status = f"Status: {thread.status}" if thread.status else ""
    if resolution is not None:
        points = [Point(text="Resolved: " + " ".join(sentences(resolution.text)[:2]), note_ids=[resolution.id])]
    elif len(thread.notes) == 1:
        points = [Point(text="No reply yet: the request is the only note.", note_ids=[thread.notes[0].id])]
    elif thread.notes:
        last = thread.notes[-1]
        points = [Point(text=f"Latest ({last.author}): " + " ".join(best_sentences(last.text, ACTION_CUES | PROBLEM_CUES)), note_ids=[last.id])]
    else:
        points = []
    if status:
        points.append(Point(text=status + (" (closed)." if thread.closed and "closed" not in status.lower() else ".")))
    return points


Actor = Literal["team", "contact", "third_party", "nobody"]


def waiting(thread: Thread) -> tuple[Point, Actor]:
    """Who is waiting on whom, and who has to act next."""
    status = thread.status.lower()
    team = thread.owner or "the technician"
    contact = thread.contact or "the contact"
    last = thread.notes[-1] if thread.notes else None
    cite = [last.id] if last else []
    if thread.closed or any(w in status for w in ("closed", "resolved", "completed", "cancelled")):
        return Point(text=f"Nobody: the ticket is {thread.status or 'closed'}.", note_ids=cite), "nobody"
    if "waiting" in status and any(w in status for w in ("client", "customer", "user", "contact")):
        return Point(text=f"{team} is waiting on {contact} (status '{thread.status}').", note_ids=cite), "contact"
    if "waiting" in status and any(w in status for w in ("vendor", "third", "parts", "supplier")):
        return Point(text=f"{team} is waiting on a third party (status '{thread.status}').", note_ids=cite), "third_party"
    if last is None:
        return Point(text=f"{contact} is waiting on {team}: no notes yet."), "team"
    if last.role == "contact":
        return Point(text=f"{contact} is waiting on {team}: the contact wrote last.", note_ids=cite), "team"
    if last.kind == "internal_analysis" or any(cue in last.text.lower() for cue in TEAM_BUSY_CUES):
        return Point(text=f"{contact} is waiting on {team}: work is in progress.", note_ids=cite), "team"
    # A technician's reply to the customer (a question, a voicemail, a fix to try) hands the turn to the contact.
    return Point(text=f"{team} is waiting on {contact}: the last reply went to the contact.", note_ids=cite), "contact"


def next_step(thread: Thread, wait: Point, actor: Actor) -> list[Point]:
    if actor == "nobody":
        return [Point(text="None: the ticket is closed.", note_ids=wait.note_ids)]
    for note in reversed(thread.notes[-3:]):
        if note.role == "contact":
            continue
        future = [s for s in sentences(note.text) if _cue_score(s, FUTURE_CUES) > 0 and len(_words(s)) >= 3]
        if future:
            return [Point(text=future[-1], note_ids=[note.id])]
    team = thread.owner or "The technician"
    if actor == "contact":
        return [Point(text=f"Follow up with {thread.contact or 'the contact'} if there is no reply.", note_ids=wait.note_ids)]
    if actor == "third_party":
        return [Point(text="Chase the third party for an update.", note_ids=wait.note_ids)]
    return [Point(text=f"{team} to answer the latest note and move the ticket forward.", note_ids=wait.note_ids)]


def summarise(thread: Thread) -> SummaryPoints:
    wait, actor = waiting(thread)
    return SummaryPoints(
        problem=problem(thread),
        tried=tried(thread),
        current_state=current_state(thread),
        next_step=next_step(thread, wait, actor),
        waiting=wait,
    )


def prose(points: SummaryPoints, max_tried: int = 2) -> str:
    """A plain-prose rendering (problem, then actions, then the state) without labels or citations: the form a
    reference summary takes, used by the benchmark."""
    parts = [p.text for p in points.problem] + [p.text for p in points.tried[:max_tried]]
    state = [p.text.split(": ", 1)[-1] for p in points.current_state if not p.text.startswith("Status:")]
    parts += [s for s in state if s not in parts]
    return " ".join(parts)
