"""A typed builder for ConnectWise `conditions` strings that escapes every value.

User text must never be pasted into a conditions string: `summary contains "` + text + `"` lets a quote in
the text end the string and append `or 1=1`-style clauses. Here every value is rendered by `render_value`
(strings quoted with `\\` and `"` escaped, datetimes bracketed, numbers/booleans bare) and every field name is
checked against a strict identifier pattern, so neither can change the structure of the expression.

    C.field("board/name") == "Help Desk"
    C.field("summary").contains(text)
    (a & b) | c,  ~a,  C.field("id").in_([1, 2])
    str(condition)  -> the wire text
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Literal, TypeAlias, Union

from psa.connectwise.errors import ConnectWiseConditionsError

# Field names: identifiers separated by `/` for references (`board/name`, `_info/lastUpdated`).
FIELD_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")

Scalar: TypeAlias = Union[str, int, float, bool, None, datetime, date]
Operator = Literal["=", "!=", "<", "<=", ">", ">=", "contains", "like", "in", "not contains", "not like", "not in"]

# How `~` negates a comparison: ConnectWise has no general `not (...)`, only `not` before contains/like/in,
# so negation is pushed down to the comparisons (De Morgan for and/or).
_NEGATED: dict[str, str] = {
    "=": "!=",
    "!=": "=",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "contains": "not contains",
    "not contains": "contains",
    "like": "not like",
    "not like": "like",
    "in": "not in",
    "not in": "in",
}


def validate_field(name: str) -> str:
    if not isinstance(name, str) or not FIELD_PATTERN.fullmatch(name):
        raise ValueError(f"invalid ConnectWise field name {name!r}: use letters, digits, _ and / only")
    return name


def quote_string(text: str) -> str:
    """`he said "hi"\\` -> `"he said \\"hi\\"\\\\"`: backslash first, so the escapes themselves survive."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_datetime(value: datetime | date) -> str:
    """`[2026-01-02T03:04:05Z]`. Aware datetimes are converted to UTC; naive ones are taken as UTC already."""
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc) if value.tzinfo else value
    else:
        moment = datetime(value.year, value.month, value.day)
    return "[" + moment.strftime("%Y-%m-%dT%H:%M:%SZ") + "]"


def render_value(value: Scalar) -> str:
    # bool before int: bool is an int subclass and must render as true/false, not 1/0.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("conditions cannot compare against NaN or infinity")
        # Positional notation: ConnectWise's grammar has no exponents (repr(1e-05) would be '1e-05').
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (datetime, date)):
        return format_datetime(value)
    if isinstance(value, str):
        return quote_string(value)
    raise TypeError(f"unsupported conditions value type {type(value).__name__}")


class Condition:
    """A node of a conditions expression. Combine with `&`, `|`, `~`; render with `str()`."""

    def render(self) -> str:
        raise NotImplementedError

    def negate(self) -> Condition:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()

    def __and__(self, other: Condition) -> Condition:
        return And((self, _check(other)))

    def __or__(self, other: Condition) -> Condition:
        return Or((self, _check(other)))

    def __invert__(self) -> Condition:
        return self.negate()

    def _as_operand(self) -> str:
        return self.render()


def _check(other: object) -> Condition:
    if not isinstance(other, Condition):
        raise TypeError(f"cannot combine a Condition with {type(other).__name__}")
    return other


@dataclass(frozen=True, eq=False)
class Comparison(Condition):
    field: str
    op: str
    value: Scalar | tuple[Scalar, ...]

    def __post_init__(self) -> None:
        validate_field(self.field)
        if self.op not in _NEGATED:
            raise ValueError(f"unsupported operator {self.op!r}")
        if self.op.endswith("in"):
            if not isinstance(self.value, tuple) or not self.value:
                raise ValueError("`in` needs a non-empty list of values")
        elif isinstance(self.value, tuple):
            raise ValueError(f"operator {self.op!r} takes one value")
        if self.op.endswith(("contains", "like")) and not isinstance(self.value, str):
            raise TypeError(f"{self.op!r} compares text; got {type(self.value).__name__}")

    def render(self) -> str:
        if isinstance(self.value, tuple):
            rendered = "(" + ", ".join(render_value(v) for v in self.value) + ")"
        else:
            rendered = render_value(self.value)
        return f"{self.field} {self.op} {rendered}"

    def negate(self) -> Condition:
        return Comparison(self.field, _NEGATED[self.op], self.value)


@dataclass(frozen=True, eq=False)
class And(Condition):
    parts: tuple[Condition, ...]

    def render(self) -> str:
        return " and ".join(p._as_operand() for p in _flatten(self.parts, And))

    def _as_operand(self) -> str:
        return "(" + self.render() + ")"

    def negate(self) -> Condition:
        return Or(tuple(p.negate() for p in self.parts))


@dataclass(frozen=True, eq=False)
class Or(Condition):
    parts: tuple[Condition, ...]

    def render(self) -> str:
        return " or ".join(p._as_operand() for p in _flatten(self.parts, Or))

    def _as_operand(self) -> str:
        return "(" + self.render() + ")"

    def negate(self) -> Condition:
        return And(tuple(p.negate() for p in self.parts))


def _flatten(parts: Iterable[Condition], kind: type[Condition]) -> list[Condition]:
    # `a & b & c` nests as And(And(a, b), c); render it flat as `a and b and c`.
    out: list[Condition] = []
    for part in parts:
        if isinstance(part, kind):
            out.extend(_flatten(part.parts, kind))  # type: ignore[attr-defined]
        else:
            out.append(part)
    return out


@dataclass(frozen=True, eq=False)
class Raw(Condition):
    """An expert-supplied conditions string, used as one parenthesised operand.

    It cannot be escaped (it *is* syntax), but it is checked so that it cannot close the parentheses it is
    wrapped in and so leak out of its group: quotes, brackets and parentheses must balance.
    """

    text: str

    def __post_init__(self) -> None:
        check_balanced(self.text)

    def render(self) -> str:
        return self.text.strip()

    def _as_operand(self) -> str:
        return "(" + self.render() + ")"

    def negate(self) -> Condition:
        raise ValueError("a raw conditions string cannot be negated; write the negation into it")


def check_balanced(text: str) -> None:
    """Raise ConnectWiseConditionsError (a ValueError) unless strings are closed and () / [] nest properly."""
    if not text.strip():
        raise ConnectWiseConditionsError("empty conditions string")
    depth = 0
    in_string = False
    in_bracket = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif in_bracket:
            if ch == "]":
                in_bracket = False
        elif ch == '"':
            in_string = True
        elif ch == "[":
            in_bracket = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ConnectWiseConditionsError("conditions string closes a parenthesis it never opened")
        i += 1
    if in_string:
        raise ConnectWiseConditionsError("conditions string has an unterminated quoted string")
    if in_bracket:
        raise ConnectWiseConditionsError("conditions string has an unterminated [datetime]")
    if depth:
        raise ConnectWiseConditionsError("conditions string has an unclosed parenthesis")


class Field:
    """A field reference; comparison operators build `Comparison` nodes."""

    __hash__ = None  # type: ignore[assignment]  # == builds a condition, so fields are not hashable

    def __init__(self, name: str) -> None:
        self.name = validate_field(name)

    def __eq__(self, value: Scalar) -> Comparison:  # type: ignore[override]
        return Comparison(self.name, "=", value)

    def __ne__(self, value: Scalar) -> Comparison:  # type: ignore[override]
        return Comparison(self.name, "!=", value)

    def __lt__(self, value: Scalar) -> Comparison:
        return Comparison(self.name, "<", value)

    def __le__(self, value: Scalar) -> Comparison:
        return Comparison(self.name, "<=", value)

    def __gt__(self, value: Scalar) -> Comparison:
        return Comparison(self.name, ">", value)

    def __ge__(self, value: Scalar) -> Comparison:
        return Comparison(self.name, ">=", value)

    def contains(self, text: str) -> Comparison:
        return Comparison(self.name, "contains", text)

    def like(self, pattern: str) -> Comparison:
        """`*` is ConnectWise's wildcard; it is passed through, everything else is escaped."""
        return Comparison(self.name, "like", pattern)

    def in_(self, values: Iterable[Scalar]) -> Comparison:
        return Comparison(self.name, "in", tuple(values))

    def not_in(self, values: Iterable[Scalar]) -> Comparison:
        return Comparison(self.name, "not in", tuple(values))

    def is_null(self) -> Comparison:
        return Comparison(self.name, "=", None)

    def is_not_null(self) -> Comparison:
        return Comparison(self.name, "!=", None)


class C:
    """Entry points: `C.field(name)`, `C.all(*conds)`, `C.any(*conds)`, `C.raw(text)`."""

    @staticmethod
    def field(name: str) -> Field:
        return Field(name)

    @staticmethod
    def all(*conditions: Condition | None) -> Condition | None:
        """AND of the non-None conditions; None when there are none (no filter)."""
        present = [_check(c) for c in conditions if c is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else And(tuple(present))

    @staticmethod
    def any(*conditions: Condition | None) -> Condition | None:
        present = [_check(c) for c in conditions if c is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else Or(tuple(present))

    @staticmethod
    def raw(text: str) -> Raw:
        return Raw(text)


def custom_field_condition(caption: str, op: Operator, value: Scalar) -> Condition:
    """A `customFieldConditions` clause: `caption = "X" and value <op> v` (the custom field's caption is
    matched exactly, its value with `op`)."""
    return And((Comparison("caption", "=", caption), Comparison("value", op, value)))


Direction = Literal["asc", "desc"]


def order_by(*keys: str | tuple[str, Direction]) -> str:
    """`order_by(("id", "desc"), "summary")` -> `id desc, summary asc`."""
    if not keys:
        raise ValueError("order_by needs at least one field")
    parts = []
    for key in keys:
        name, direction = (key, "asc") if isinstance(key, str) else key
        if direction not in ("asc", "desc"):
            raise ValueError(f"order direction must be asc or desc, not {direction!r}")
        parts.append(f"{validate_field(name)} {direction}")
    return ", ".join(parts)


def fields_param(names: Sequence[str]) -> str:
    """The `fields` partial-response parameter: `id,summary,board/name`."""
    if not names:
        raise ValueError("fields needs at least one name")
    return ",".join(validate_field(n) for n in names)


def render(condition: Condition | str | None) -> str | None:
    """Conditions text for the wire; a plain string is treated as an expert raw string and checked."""
    if condition is None:
        return None
    if isinstance(condition, str):
        return Raw(condition).render()
    return condition.render()
