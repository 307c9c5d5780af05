"""Two-step tokens: single use, expiring, bound to the payload and the ticket state as previewed."""

from __future__ import annotations

import pytest

from guardrails.plan import PreviewField, TicketState, WritePlan
from guardrails.tokens import TokenBook, TokenRefused, ttl_from_env
from writes_harness import Clock


def plan(text: str = "note", last_updated: str = "2026-01-02T03:04:05+00:00") -> WritePlan:
    ticket = TicketState(id=7, summary="VPN", board="Help Desk", last_updated=last_updated, digest=last_updated)
    return WritePlan(
        tool="add_ticket_note",
        action="Add a note",
        ticket=ticket,
        request="POST /service/tickets/7/notes",
        body={"text": text, "internalAnalysisFlag": True},
        fields=(PreviewField(label="Note text", value=text, block=True),),
    )


def refusal(book: TokenBook, token: str) -> str:
    with pytest.raises(TokenRefused) as info:
        book.redeem(token)
    return info.value.kind


def test_issue_then_redeem_once() -> None:
    book = TokenBook(clock=Clock())
    issued = book.issue(plan())
    assert book.redeem(issued.token) == plan()
    assert refusal(book, issued.token) == "replayed"


def test_expired_at_ttl_and_stays_expired() -> None:
    clock = Clock()
    book = TokenBook(ttl_seconds=60, clock=clock)
    issued = book.issue(plan())
    clock.advance(60)
    assert refusal(book, issued.token) == "expired"
    assert refusal(book, issued.token) == "expired"


def test_expired_tokens_are_pruned_but_still_named() -> None:
    clock = Clock()
    book = TokenBook(ttl_seconds=60, clock=clock)
    old = book.issue(plan())
    clock.advance(61)
    book.issue(plan("another"))  # prunes
    assert refusal(book, old.token) == "expired"


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_any_altered_part_is_refused_and_does_not_burn_the_genuine_token(index: int) -> None:
    book = TokenBook(clock=Clock())
    issued = book.issue(plan())
    other = book.issue(plan("something else"))
    parts = issued.token.split(".")
    parts[index] = other.token.split(".")[index] if index != 1 else str(int(parts[1]) + 1)
    kind = refusal(book, ".".join(parts))
    assert kind == "altered"
    assert book.redeem(issued.token).body["text"] == "note"


def test_signature_binds_the_ticket_state() -> None:
    book = TokenBook(clock=Clock())
    a = book.issue(plan(last_updated="2026-01-02T03:04:05+00:00"))
    b = book.issue(plan(last_updated="2026-01-02T03:04:06+00:00"))
    assert a.token.split(".")[2] == b.token.split(".")[2]  # same payload hash...
    assert a.token.split(".")[3] != b.token.split(".")[3]  # ...different state, different signature


def test_tokens_do_not_survive_a_new_secret() -> None:
    issued = TokenBook(clock=Clock()).issue(plan())
    assert refusal(TokenBook(clock=Clock()), issued.token) == "unknown"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c.d", "a.1.c"])
def test_malformed(token: str) -> None:
    assert refusal(TokenBook(), token) in {"malformed", "unknown"}


def test_ttl_setting() -> None:
    assert ttl_from_env(None) == 600 and ttl_from_env("120") == 120
    for bad in ("5", "abc", "999999"):
        with pytest.raises(ValueError, match="COPILOT_CONFIRM_TTL_SECONDS"):
            ttl_from_env(bad)
