"""chromadb `where` semantics evaluated in Python, so the lexical side honours the same metadata filter
the dense side passes to chromadb.

Supported: bare equality `{"k": v}`, `$eq $ne $gt $gte $lt $lte $in $nin`, and `$and`/`$or` lists —
the operators chromadb documents for metadata filters. A missing key fails every comparison except
`$ne`/`$nin`, as in chromadb.
"""

from __future__ import annotations

from typing import Any

from kb_index.types import Metadata, Where

_COMPARISONS = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
}
_MISSING = object()


def matches(where: Where | None, metadata: Metadata) -> bool:
    """True when `metadata` satisfies the chromadb-style filter `where` (None matches everything)."""
    if not where:
        return True
    return all(_clause(key, cond, metadata) for key, cond in where.items())


def _clause(key: str, cond: Any, metadata: Metadata) -> bool:
    if key == "$and":
        return all(matches(sub, metadata) for sub in cond)
    if key == "$or":
        return any(matches(sub, metadata) for sub in cond)
    if key.startswith("$"):
        raise ValueError(f"unsupported filter operator {key!r}")
    ops = cond if isinstance(cond, dict) else {"$eq": cond}
    value = metadata.get(key, _MISSING)
    for op, operand in ops.items():
        compare = _COMPARISONS.get(op)
        if compare is None:
            raise ValueError(f"unsupported filter operator {op!r}")
        if value is _MISSING:
            if op not in ("$ne", "$nin"):
                return False
            continue
        try:
            if not compare(value, operand):
                return False
        except TypeError:  # e.g. "$gt" between a string and a number: chromadb matches nothing
            return False
    return True
