"""The conditions parser: grammar coverage, escapes, precedence and syntax errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.conditions import And, Comparison, ConditionsSyntaxError, Not, Or, parse


def test_simple_string_comparison() -> None:
    assert parse('board/name="Help Desk"') == Comparison("board/name", "=", "Help Desk")


@pytest.mark.parametrize(("text", "value"), [
    ("id = 123", 123),
    ("budgetHours >= 1.5", 1.5),
    ("id > -4", -4),
    ("closedFlag = true", True),
    ("ClosedFlag = False", False),
    ("contact = null", None),
    ("contact = NULL", None),
    ("lastUpdated > [2016-08-20T18:04:26Z]", datetime(2016, 8, 20, 18, 4, 26, tzinfo=timezone.utc)),
    ("lastUpdated > [2016-08-20]", datetime(2016, 8, 20, tzinfo=timezone.utc)),
])
def test_value_types(text: str, value: object) -> None:
    node = parse(text)
    assert isinstance(node, Comparison)
    assert node.value == value
    assert type(node.value) is type(value)


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_symbol_operators(op: str) -> None:
    assert parse(f"id {op} 5") == Comparison("id", op, 5)


def test_word_operators_and_negation() -> None:
    assert parse('summary contains "vpn"') == Comparison("summary", "contains", "vpn")
    assert parse('summary LIKE "vpn*"') == Comparison("summary", "like", "vpn*")
    assert parse('Summary Not Contains "Low Priority"') == Comparison("Summary", "not contains", "Low Priority")
    assert parse('summary not like "%x%"') == Comparison("summary", "not like", "%x%")
    assert parse("board/id in (3, 2, 4)") == Comparison("board/id", "in", [3, 2, 4])
    assert parse('status/name not in ("New", "Closed")') == Comparison("status/name", "not in", ["New", "Closed"])
    assert parse('not summary contains "x"') == Not(Comparison("summary", "contains", "x"))


def test_escapes() -> None:
    assert parse(r'summary = "say \"hi\" \\ bye"').value == 'say "hi" \\ bye'  # type: ignore[union-attr]
    assert parse(r'summary = "tab\there"').value == "tab\there"  # type: ignore[union-attr]
    assert parse("summary like 'test'") == Comparison("summary", "like", "test")


def test_precedence_and_parentheses() -> None:
    a, b, c = (Comparison(f, "=", 1) for f in ("a", "b", "c"))
    assert parse("a = 1 or b = 1 and c = 1") == Or((a, And((b, c))))
    assert parse("(a = 1 or b = 1) and c = 1") == And((Or((a, b)), c))
    assert parse("a = 1 AND b = 1 AND c = 1") == And((a, b, c))
    assert parse("not (a = 1 or b = 1)") == Not(Or((a, b)))


@pytest.mark.parametrize("text", [
    "", "   ", "summary", 'summary = ', '= "x"', 'summary = "unterminated', "summary ~ 1",
    'a = 1 and', "(a = 1", "a = 1)", "id in 3", "id in ()", "x = [not a date]", 'a = 1 b = 2',
    'summary = "x"; DROP TABLE tickets', "a = 1 or or b = 2",
])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ConditionsSyntaxError):
        parse(text)


def test_error_position() -> None:
    with pytest.raises(ConditionsSyntaxError) as info:
        parse('summary = "x" and ~')
    assert info.value.position == 18


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(st.text())
def test_any_escaped_string_round_trips(value: str) -> None:
    node = parse(f"summary = {_quote(value)}")
    assert node == Comparison("summary", "=", value)
