"""The conditions builder: rendering, validation, and (property-based) that no value escapes its quotes."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psa.connectwise.conditions import (
    C,
    Comparison,
    Raw,
    check_balanced,
    custom_field_condition,
    fields_param,
    order_by,
    quote_string,
    render,
    render_value,
)

try:  # the sandbox's parser is the reference grammar; fall back to a local tokenizer if it is absent
    from sandbox.conditions import Comparison as ParsedComparison
    from sandbox.conditions import parse
except ImportError:  # pragma: no cover - only while sandbox/ is being written
    parse = None
    ParsedComparison = None


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Independent reader for a double-quoted string starting at `start`: (decoded value, end index)."""
    assert text[start] == '"'
    out, i = [], start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            out.append(text[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise AssertionError("unterminated string")


# ---- rendering ---------------------------------------------------------------------------------------------


def test_examples_from_the_brief() -> None:
    a = C.field("board/name") == "Help Desk"
    b = C.field("summary").contains("printer")
    c = C.field("id").in_([1, 2])
    assert str(a) == 'board/name = "Help Desk"'
    assert str(b) == 'summary contains "printer"'
    assert str((a & b) | c) == '(board/name = "Help Desk" and summary contains "printer") or id in (1, 2)'
    assert str(a & b & c) == 'board/name = "Help Desk" and summary contains "printer" and id in (1, 2)'
    assert str(a | (b & c)) == 'board/name = "Help Desk" or (summary contains "printer" and id in (1, 2))'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("\\\"", r'"\\\""'),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (42, "42"),
        (-7, "-7"),
        (1.5, "1.5"),
        (1e-05, "0.00001"),
        (1e20, "100000000000000000000"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "[2026-01-02T03:04:05Z]"),
        (datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))), "[2026-01-02T03:04:05Z]"),
        (datetime(2026, 1, 2, 3, 4, 5, 999), "[2026-01-02T03:04:05Z]"),
        (date(2026, 1, 2), "[2026-01-02T00:00:00Z]"),
    ],
)
def test_render_value(value: object, expected: str) -> None:
    assert render_value(value) == expected  # type: ignore[arg-type]


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError):
        render_value(float("nan"))
    with pytest.raises(TypeError):
        render_value(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        C.field("id").in_([])
    with pytest.raises(TypeError):
        C.field("id").contains(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["", "summary ", "a b", 'summary="x" or id', "board/", "/board", "a//b", "1abc", "x=1", "sum)mary", "é"]
)
def test_field_names_cannot_inject(name: str) -> None:
    with pytest.raises(ValueError):
        C.field(name)
    with pytest.raises(ValueError):
        order_by(name)


def test_field_names_accepted() -> None:
    for name in ("id", "board/name", "_info/lastUpdated", "company/identifier", "customField1"):
        assert C.field(name).name == name


def test_negation_is_pushed_to_comparisons() -> None:
    a = C.field("summary").contains("x")
    b = C.field("id") > 5
    assert str(~a) == 'summary not contains "x"'
    assert str(~(C.field("id").in_([1]))) == "id not in (1)"
    assert str(~(a & b)) == 'summary not contains "x" or id <= 5'
    assert str(~(a | b)) == 'summary not contains "x" and id <= 5'
    assert str(~~a) == str(a)
    assert str(C.field("x").is_null()) == "x = null"
    assert str(~C.field("x").is_null()) == "x != null"


def test_all_and_any_skip_none() -> None:
    a = C.field("id") == 1
    assert C.all() is None
    assert C.all(None, a) is a
    assert str(C.any(a, None, C.field("id") == 2)) == "id = 1 or id = 2"


def test_raw_is_parenthesised_and_must_balance() -> None:
    cond = (C.field("id") > 1) & C.raw('summary = "a" or summary = "b"')
    assert str(cond) == 'id > 1 and (summary = "a" or summary = "b")'
    for bad in ['x = 1) or (1 = 1', 'summary = "unterminated', "x = [2026", "(x = 1", ""]:
        with pytest.raises(ValueError):
            Raw(bad)
    check_balanced('summary = "has ) paren" and (a = 1)')
    with pytest.raises(TypeError):
        (C.field("id") > 1) & "id = 2"  # type: ignore[operator]


def test_render_helper_and_params() -> None:
    assert render(None) is None
    assert render("id = 1") == "id = 1"
    assert order_by(("id", "desc"), "summary") == "id desc, summary asc"
    assert fields_param(["id", "board/name"]) == "id,board/name"
    assert str(custom_field_condition("TomNumber", "!=", None)) == 'caption = "TomNumber" and value != null'
    with pytest.raises(ValueError):
        order_by(("id", "sideways"))  # type: ignore[arg-type]


# ---- property-based: values never break out -------------------------------------------------------------

# Text biased towards the characters that matter, plus arbitrary unicode (no surrogates: not valid UTF-8).
_nasty = st.sampled_from(['"', "\\", "[", "]", "(", ")", " and ", " or ", " not ", "=", ",", "*", "'", "\t", "\n"])
texts = st.lists(st.one_of(_nasty, st.text(st.characters(exclude_categories=["Cs"]), max_size=5)), max_size=12).map(
    "".join
)


@settings(max_examples=250, deadline=None)
@given(texts)
def test_quoted_value_round_trips_with_local_reader(text: str) -> None:
    rendered = quote_string(text)
    value, end = _read_quoted(rendered, 0)
    assert value == text
    assert end == len(rendered)  # the string ends exactly where the quoting does: nothing leaks out


@pytest.mark.skipif(parse is None, reason="sandbox.conditions not available")
@settings(max_examples=250, deadline=None)
@given(text=texts, op=st.sampled_from(["=", "!=", "contains", "like", "not contains", "not like", "<", ">="]))
def test_any_text_parses_back_to_one_comparison(text: str, op: str) -> None:
    cond = Comparison("summary", op, text)
    tree = parse(str(cond))
    assert isinstance(tree, ParsedComparison)
    assert (tree.field, tree.op, tree.value) == ("summary", op, text)


@pytest.mark.skipif(parse is None, reason="sandbox.conditions not available")
@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            texts,
            st.integers(-(2**31), 2**31),
            st.booleans(),
            st.none(),
            st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_in_lists_of_mixed_values_round_trip(values: list[object]) -> None:
    tree = parse(str(C.field("board/name").in_(values)))  # type: ignore[arg-type]
    assert isinstance(tree, ParsedComparison)
    expected = [v.replace(microsecond=0, tzinfo=timezone.utc) if isinstance(v, datetime) else v for v in values]
    assert tree.value == expected


@pytest.mark.skipif(parse is None, reason="sandbox.conditions not available")
@settings(max_examples=200, deadline=None)
@given(a=texts, b=texts)
def test_compound_keeps_its_shape(a: str, b: str) -> None:
    from sandbox.conditions import And, Or

    cond = (C.field("summary").contains(a) | (C.field("board/name") == b)) & (C.field("closedFlag") == False)  # noqa: E712
    tree = parse(str(cond))
    assert isinstance(tree, And) and len(tree.operands) == 2
    left, right = tree.operands
    assert isinstance(left, Or)
    assert [(c.field, c.op, c.value) for c in left.operands] == [("summary", "contains", a), ("board/name", "=", b)]
    assert (right.field, right.op, right.value) == ("closedFlag", "=", False)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_local_tokenizer_sees_one_string_literal(text: str) -> None:
    rendered = str(C.field("summary") == text)
    prefix = "summary = "
    assert rendered.startswith(prefix)
    value, end = _read_quoted(rendered, len(prefix))
    assert value == text and end == len(rendered)
    assert re.fullmatch(r"summary = \".*\"", rendered, re.DOTALL)


def test_bad_raw_conditions_are_a_typed_connectwise_error() -> None:
    from psa.connectwise.errors import ConnectWiseConditionsError, ConnectWiseError

    with pytest.raises(ConnectWiseConditionsError) as info:
        Raw('summary contains "x" and (')
    assert isinstance(info.value, ConnectWiseError) and isinstance(info.value, ValueError)
    assert "unclosed parenthesis" in str(info.value) and "ConnectWise" in str(info.value)
