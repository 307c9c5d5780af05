"""List-request semantics: conditions -> parameterised SQL, orderBy, fields projection and both paging modes.

Values from a conditions string only ever reach SQLite as `?` parameters. Field names do appear in the SQL
text (so expression indexes apply), but only after the parser has restricted them to identifier characters.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel

from sandbox import conditions as cond
from sandbox.errors import ApiError, bad_request
from sandbox.fields import FIELDS
from sandbox.store import Doc, Store, extract_sql

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000

# CW lets list conditions name these _info fields without the prefix.
_INFO_ALIASES = {"lastupdated": "_info/lastUpdated", "dateentered": "_info/dateEntered",
                 "updatedby": "_info/updatedBy", "enteredby": "_info/enteredBy"}
_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")


class ListParams(BaseModel):
    conditions: str | None = None
    child_conditions: str | None = None
    custom_field_conditions: str | None = None
    order_by: str | None = None
    fields: str | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    page_id: int | None = None
    forward_only: bool = False


def _int_param(raw: str | int | None, name: str, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None


def _lookup(values: dict[str, Any], name: str) -> Any:
    """Query parameter names are case-insensitive on CW (`pagesize` and `pageSize` both work)."""
    lowered = name.lower()
    for key, value in values.items():
        if key.lower() == lowered:
            return value
    return None


def list_params(values: dict[str, Any], forward_only: bool) -> ListParams:
    page_size = _int_param(_lookup(values, "pageSize"), "pageSize", DEFAULT_PAGE_SIZE)
    page = _int_param(_lookup(values, "page"), "page", 1)
    page_id = _int_param(_lookup(values, "pageId"), "pageId", None)
    assert page_size is not None and page is not None
    if page_size < 1 or page_size > MAX_PAGE_SIZE:
        raise bad_request(f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
    if page < 1:
        raise bad_request("page must be 1 or greater")
    order_by = _lookup(values, "orderBy")
    if forward_only and order_by:
        raise bad_request("orderBy is not supported with forward-only pagination")
    return ListParams(
        conditions=_lookup(values, "conditions") or None,
        child_conditions=_lookup(values, "childConditions") or None,
        custom_field_conditions=_lookup(values, "customFieldConditions") or None,
        order_by=order_by or None,
        fields=_lookup(values, "fields") or None,
        page=page,
        page_size=page_size,
        page_id=page_id,
        forward_only=forward_only,
    )


def parse_conditions(text: str, param: str) -> cond.Expr:
    try:
        return cond.parse(text)
    except cond.ConditionsSyntaxError as exc:
        raise ApiError(400, "InvalidCondition", f"{param}: {exc}") from None


class FieldResolver:
    """Maps a CW field name (case-insensitive, `/`-separated) to the SQL expression that reads it."""

    def __init__(self, store: Store, resource: str, column: str = "doc") -> None:
        self.store = store
        self.resource = resource
        self.column = column

    def canonical(self, field: str) -> str:
        if not _FIELD_RE.match(field):
            raise bad_request(f"invalid field name {field!r}")
        if field.lower() == "id":
            return "id"
        known = self.store.canonical_field(self.resource, field)
        if known is not None:
            return known
        alias = _INFO_ALIASES.get(field.lower())
        if alias:
            return alias
        head = field.split("/", 1)[0]
        spec_fields = FIELDS.get(self.resource)
        if spec_fields is not None:
            match = next((name for name in spec_fields if name.lower() == head.lower()), None)
            if match is None:
                # CW rejects fields its model does not have; silently matching nothing would hide typos.
                raise bad_request(f"Unknown field {field!r} for {self.resource}")
            return match + field[len(head):]
        # No spec field list: only the fields its documents have are fields (CW never answers [] for a typo).
        raise bad_request(f"Unknown field {field!r} for {self.resource}")

    def sql(self, field: str) -> tuple[str, bool | None]:
        """(SQL expression, index text-ness or None when the field has no index)."""
        path = self.canonical(field)
        return extract_sql(self.resource, path, self.column), self.store.is_text_indexed(self.resource, path)


class _ElementResolver(FieldResolver):
    """Resolves fields inside one element of a JSON array being searched with json_each."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def sql(self, field: str) -> tuple[str, bool | None]:
        rest = field.split("/", 1)[1] if field.lower().startswith(self.prefix.lower() + "/") else field
        if not _FIELD_RE.match(rest):
            raise bad_request(f"invalid field name {field!r}")
        return f"json_extract(elem.value, '$.{rest.replace('/', '.')}')", None


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _like_pattern(value: str, wildcards: bool) -> str:
    """Escape LIKE metacharacters in user text; with `wildcards`, CW's `*` and `%` become SQL `%`."""
    escaped = value.replace("\\", "\\\\").replace("_", "\\_")
    if wildcards:
        return escaped.replace("*", "%")
    return escaped.replace("%", "\\%")


def _compile_comparison(node: cond.Comparison, resolver: FieldResolver) -> tuple[str, list[Any]]:
    expr, text_index = resolver.sql(node.field)
    op, value = node.op, node.value
    if op in ("in", "not in"):
        assert isinstance(value, list)
        if any(isinstance(v, str) for v in value):
            expr += " COLLATE NOCASE"
        marks = ", ".join("?" for _ in value)
        sql = f"{expr} {'NOT IN' if op == 'not in' else 'IN'} ({marks})"
        return sql, [_sql_value(v) for v in value]
    if op in ("contains", "not contains", "like", "not like"):
        if not isinstance(value, str):
            raise bad_request(f"operator {op!r} needs a string value for {node.field}")
        pattern = _like_pattern(value, wildcards=op.endswith("like"))
        if op.endswith("contains"):
            pattern = f"%{pattern}%"
        negate = "NOT " if op.startswith("not") else ""
        return f"{expr} {negate}LIKE ? ESCAPE '\\'", [pattern]
    if value is None:
        if op == "=":
            return f"{expr} IS NULL", []
        if op == "!=":
            return f"{expr} IS NOT NULL", []
        raise bad_request(f"operator {op!r} cannot compare with null")
    collate = " COLLATE NOCASE" if isinstance(value, str) and text_index is not False else ""
    return f"{expr} {op} ?{collate}", [_sql_value(value)]


def compile_expr(node: cond.Expr, resolver: FieldResolver) -> tuple[str, list[Any]]:
    if isinstance(node, cond.Comparison):
        return _compile_comparison(node, resolver)
    if isinstance(node, cond.Not):
        inner, params = compile_expr(node.operand, resolver)
        return f"NOT ({inner})", params
    joiner = " AND " if isinstance(node, cond.And) else " OR "
    parts, params = [], []
    for item in node.operands:
        sql, item_params = compile_expr(item, resolver)
        parts.append(f"({sql})")
        params.extend(item_params)
    return joiner.join(parts), params


def _array_exists(array_path: str, inner: cond.Expr, column: str) -> tuple[str, list[Any]]:
    sql, params = compile_expr(inner, _ElementResolver(array_path))
    path = "$." + array_path.replace("/", ".")
    return f"EXISTS (SELECT 1 FROM json_each({column}, '{path}') AS elem WHERE {sql})", params


def compile_child_conditions(text: str, resolver: FieldResolver) -> tuple[str, list[Any]]:
    """childConditions search arrays: all comparisons on one array must hold for the same element."""
    expr = parse_conditions(text, "childConditions")
    arrays = {resolver.canonical(f.split("/", 1)[0]) for f in cond.fields_of(expr) if "/" in f}
    if len(arrays) == 1 and all("/" in f for f in cond.fields_of(expr)):
        return _array_exists(arrays.pop(), expr, resolver.column)
    return _compile_per_array(expr, resolver)


def _compile_per_array(node: cond.Expr, resolver: FieldResolver) -> tuple[str, list[Any]]:
    if isinstance(node, cond.Comparison):
        if "/" not in node.field:
            return _compile_comparison(node, resolver)
        array = resolver.canonical(node.field.split("/", 1)[0])
        return _array_exists(array, node, resolver.column)
    if isinstance(node, cond.Not):
        inner, params = _compile_per_array(node.operand, resolver)
        return f"NOT ({inner})", params
    joiner = " AND " if isinstance(node, cond.And) else " OR "
    parts, params = [], []
    for item in node.operands:
        sql, item_params = _compile_per_array(item, resolver)
        parts.append(f"({sql})")
        params.extend(item_params)
    return joiner.join(parts), params


def compile_custom_field_conditions(text: str, column: str = "doc") -> tuple[str, list[Any]]:
    """customFieldConditions (`caption="X" and value="Y"`) match one element of doc.customFields."""
    expr = parse_conditions(text, "customFieldConditions")
    return _array_exists("customFields", expr, column)


def compile_where(params: ListParams, resolver: FieldResolver) -> tuple[str, list[Any]]:
    parts: list[str] = []
    values: list[Any] = []
    if params.conditions:
        sql, p = compile_expr(parse_conditions(params.conditions, "conditions"), resolver)
        parts.append(f"({sql})")
        values += p
    if params.child_conditions:
        sql, p = compile_child_conditions(params.child_conditions, resolver)
        parts.append(f"({sql})")
        values += p
    if params.custom_field_conditions:
        sql, p = compile_custom_field_conditions(params.custom_field_conditions, resolver.column)
        parts.append(f"({sql})")
        values += p
    return " AND ".join(parts), values


def compile_order_by(order_by: str | None, resolver: FieldResolver, id_column: str = "id") -> str:
    """`"board/name asc, id desc"` -> SQL ORDER BY terms; the id tie-breaker keeps pages stable."""
    if not order_by:
        return f"{id_column} ASC"
    terms: list[str] = []
    for raw in order_by.split(","):
        words = raw.split()
        if not words or len(words) > 2:
            raise bad_request(f"invalid orderBy term {raw.strip()!r}")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise bad_request(f"invalid orderBy direction {words[1]!r}")
        expr, text_index = resolver.sql(words[0])
        collate = "" if text_index is False or expr == "id" else " COLLATE NOCASE"
        terms.append(f"{expr}{collate} {direction.upper()}")
    terms.append(f"{id_column} ASC")
    return ", ".join(terms)


def project(doc: Doc, fields: str | None, resolver: FieldResolver) -> Doc:
    """Apply `fields=id,summary,board/name`: keep only the listed (possibly nested) fields."""
    if not fields:
        return doc
    out: Doc = {}
    for raw in fields.split(","):
        name = raw.strip()
        if not name:
            continue
        path = resolver.canonical(name).split("/")
        source: Any = doc
        for key in path:
            source = source.get(key) if isinstance(source, dict) else None
        if source is None and not _has_path(doc, path):
            continue
        target = out
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = source
    return out


def _has_path(doc: Doc, path: list[str]) -> bool:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _link(base_url: str, query: dict[str, str], updates: dict[str, Any], rel: str) -> str:
    merged = {k: v for k, v in query.items() if k.lower() not in {u.lower() for u in updates}}
    merged.update({k: str(v) for k, v in updates.items()})
    return f'<{base_url}?{urlencode(merged)}>; rel="{rel}"'


def navigable_links(base_url: str, query: dict[str, str], page: int, page_size: int, total: int) -> str | None:
    """RFC 5988 links as CW sends them: next, prev, first, last (each only when it leads somewhere)."""
    last = max(1, math.ceil(total / page_size))
    links = []
    if page < last:
        links.append(_link(base_url, query, {"pageSize": page_size, "page": page + 1}, "next"))
    if page > 1:
        links.append(_link(base_url, query, {"pageSize": page_size, "page": min(page - 1, last)}, "prev"))
        links.append(_link(base_url, query, {"pageSize": page_size, "page": 1}, "first"))
    if page < last:
        links.append(_link(base_url, query, {"pageSize": page_size, "page": last}, "last"))
    return ", ".join(links) or None


def forward_link(base_url: str, query: dict[str, str], page_size: int, last_id: int) -> str:
    return _link(base_url, {k: v for k, v in query.items() if k.lower() != "page"},
                 {"pageSize": page_size, "pageId": last_id}, "next")
