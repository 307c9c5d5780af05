"""Parser for ConnectWise's `conditions` query language.

Grammar (keywords and booleans are case-insensitive, as on the real API):

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := FIELD op value
    op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | ["not"] ("contains" | "like" | "in")
    value      := STRING | NUMBER | "true" | "false" | "null" | "[" DATETIME "]" | "(" value ("," value)* ")"
    FIELD      := name ("/" name)*

Strings are double-quoted with backslash escapes (`\\"` and `\\\\`); the single-quoted form that appears
in ConnectWise's own /search example is accepted too. The parser produces an AST only; turning it into
SQL is `sandbox.query`'s job, with every value bound as a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Union

Value = Union[str, int, float, bool, datetime, None, list]

COMPARISON_OPS = ("=", "!=", "<", "<=", ">", ">=")
WORD_OPS = ("contains", "like", "in")
# Negated word operators are kept as one op so `summary not contains "x"` round-trips to the same text.
ALL_OPS = COMPARISON_OPS + WORD_OPS + tuple(f"not {op}" for op in WORD_OPS)


class ConditionsSyntaxError(ValueError):
    """The conditions text is not valid; `position` is the 0-based offset where parsing failed."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.reason = message
        self.position = position


@dataclass(frozen=True)
class Comparison:
    field: str
    op: str
    value: Value


@dataclass(frozen=True)
class And:
    operands: tuple["Expr", ...]


@dataclass(frozen=True)
class Or:
    operands: tuple["Expr", ...]


@dataclass(frozen=True)
class Not:
    operand: "Expr"


Expr = Union[Comparison, And, Or, Not]

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<datetime>\[[^\]]*\])
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<dquote>")
  | (?P<squote>')
    """,
    re.VERBOSE,
)

_KEYWORDS = {"and", "or", "not", "contains", "like", "in", "true", "false", "null"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    value: object
    pos: int


def _read_string(text: str, start: int, quote: str) -> tuple[str, int]:
    """Read a quoted string whose opening quote is at `start`; returns (value, index after closing quote)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            # Only the documented escapes are decoded; any other backslash stays literal, as CW treats it.
            if nxt in ('"', "\\", "'"):
                out.append(nxt)
            elif nxt == "t":
                out.append("\t")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ConditionsSyntaxError("unterminated string", start)


def _parse_datetime(raw: str, pos: int) -> datetime:
    inner = raw[1:-1].strip()
    try:
        value = datetime.fromisoformat(inner)
    except ValueError:
        raise ConditionsSyntaxError(f"invalid datetime {raw!r}", pos) from None
    # CW treats bracketed datetimes without an offset as UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN_RE.match(text, i)
        if not m:
            raise ConditionsSyntaxError(f"unexpected character {text[i]!r}", i)
        kind = m.lastgroup or ""
        raw = m.group()
        if kind == "ws":
            i = m.end()
            continue
        if kind in ("dquote", "squote"):
            value, end = _read_string(text, i, raw)
            tokens.append(_Token("string", text[i:end], value, i))
            i = end
            continue
        if kind == "number":
            tokens.append(_Token("number", raw, float(raw) if "." in raw else int(raw), i))
        elif kind == "datetime":
            tokens.append(_Token("datetime", raw, _parse_datetime(raw, i), i))
        elif kind == "op":
            tokens.append(_Token("op", "!=" if raw == "<>" else raw, None, i))
        elif kind == "word" and raw.lower() in _KEYWORDS:
            tokens.append(_Token("kw", raw.lower(), None, i))
        else:
            tokens.append(_Token(kind, raw, None, i))
        i = m.end()
    tokens.append(_Token("eof", "", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_kw(self, word: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok.kind == "kw" and tok.text == word

    def parse(self) -> Expr:
        if self.peek().kind == "eof":
            raise ConditionsSyntaxError("empty conditions", 0)
        expr = self.parse_or()
        tok = self.peek()
        if tok.kind != "eof":
            raise ConditionsSyntaxError(f"unexpected {tok.text!r}", tok.pos)
        return expr

    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while self.is_kw("or"):
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Expr:
        items = [self.parse_unary()]
        while self.is_kw("and"):
            self.take()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Expr:
        tok = self.peek()
        if self.is_kw("not"):
            self.take()
            return Not(self.parse_unary())
        if tok.kind == "lparen":
            self.take()
            inner = self.parse_or()
            close = self.take()
            if close.kind != "rparen":
                raise ConditionsSyntaxError("expected ')'", close.pos)
            return inner
        return self.parse_comparison()

    def parse_comparison(self) -> Comparison:
        field_tok = self.take()
        if field_tok.kind != "word":
            raise ConditionsSyntaxError(f"expected a field name, got {field_tok.text or 'end of input'!r}", field_tok.pos)
        op = self.parse_operator()
        value: Value = self.parse_list() if op.endswith("in") else self.parse_value()
        return Comparison(field=field_tok.text, op=op, value=value)

    def parse_operator(self) -> str:
        tok = self.take()
        if tok.kind == "op":
            return tok.text
        negated = False
        if tok.kind == "kw" and tok.text == "not":
            negated = True
            tok = self.take()
        if tok.kind == "kw" and tok.text in WORD_OPS:
            return f"not {tok.text}" if negated else tok.text
        raise ConditionsSyntaxError(f"expected an operator, got {tok.text or 'end of input'!r}", tok.pos)

    def parse_value(self) -> Value:
        tok = self.take()
        if tok.kind in ("string", "number", "datetime"):
            return tok.value  # type: ignore[return-value]
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return tok.text == "true"
        if tok.kind == "kw" and tok.text == "null":
            return None
        raise ConditionsSyntaxError(f"expected a value, got {tok.text or 'end of input'!r}", tok.pos)

    def parse_list(self) -> list:
        open_tok = self.take()
        if open_tok.kind != "lparen":
            raise ConditionsSyntaxError("expected '(' after 'in'", open_tok.pos)
        values = [self.parse_value()]
        while self.peek().kind == "comma":
            self.take()
            values.append(self.parse_value())
        close = self.take()
        if close.kind != "rparen":
            raise ConditionsSyntaxError("expected ',' or ')' in list", close.pos)
        return values


def parse(text: str) -> Expr:
    """Parse a conditions string into an AST; raises ConditionsSyntaxError on invalid input."""
    return _Parser(text).parse()


def fields_of(expr: Expr) -> list[str]:
    """Every field referenced by the expression, in order of appearance."""
    if isinstance(expr, Comparison):
        return [expr.field]
    if isinstance(expr, Not):
        return fields_of(expr.operand)
    return [f for item in expr.operands for f in fields_of(item)]
