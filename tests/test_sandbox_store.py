"""Store-level guarantees: hot text fields kept in real columns, on every write path and after migration."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sandbox.query import FieldResolver, compile_expr, parse_conditions
from sandbox.store import Store


def _matching(store: Store, resource: str, conditions: str) -> list[int]:
    where, params = compile_expr(parse_conditions(conditions, "conditions"), FieldResolver(store, resource))
    ids = [doc["id"] for doc in store.select(resource, where=where, params=params)]
    assert store.count(resource, where=where, params=params) == len(ids)
    return ids


def test_column_copies_follow_every_write_path(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.bulk_insert("tickets", [{"id": 1, "summary": "VPN drops"}, {"id": 2, "summary": "Printer jam"}])
    store.insert("tickets", {"summary": "vpn slow"})
    store.replace("tickets", {"id": 2, "summary": "Printer VPN module"})
    store.replace("tickets", {"id": 1, "summary": None})
    assert _matching(store, "tickets", 'summary contains "VPN"') == [2, 3]
    assert _matching(store, "tickets", "summary = null") == [1]
    assert _matching(store, "tickets", 'summary = "VPN SLOW"') == [3]
    store.close()


def test_contains_count_reads_the_column_index_not_the_documents(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    where, params = compile_expr(parse_conditions('summary contains "50%_off"', "conditions"),
                                 FieldResolver(store, "tickets"))
    assert params == ["%50\\%\\_off%"]
    plan = " ".join(store.explain(f"SELECT COUNT(*) FROM tickets WHERE {where}", params))
    assert "COVERING INDEX ix_tickets_summary" in plan, plan
    store.close()


def test_existing_database_gets_its_columns_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    # The layout before hot fields had columns: documents only, and json_extract indexes.
    old.execute("CREATE TABLE companies (id INTEGER PRIMARY KEY, parent_id INTEGER, doc TEXT NOT NULL)")
    old.execute("CREATE INDEX ix_companies_name ON companies(json_extract(doc, '$.name') COLLATE NOCASE)")
    old.executemany("INSERT INTO companies VALUES (?, NULL, ?)",
                    [(1, json.dumps({"id": 1, "name": "Acme VPN Ltd"})), (2, json.dumps({"id": 2, "name": "Globex"}))])
    old.commit()
    old.close()

    for _ in range(2):  # the second open must find nothing left to migrate
        store = Store(path)
        assert _matching(store, "companies", 'name contains "vpn"') == [1]
        assert _matching(store, "companies", 'name = "GLOBEX"') == [2]
        store.close()
    # The json_extract index was rebuilt on the column under its old name.
    index_sql = sqlite3.connect(path).execute("SELECT sql FROM sqlite_master WHERE name = 'ix_companies_name'")
    assert index_sql.fetchone()[0] == "CREATE INDEX ix_companies_name ON companies(name COLLATE NOCASE)"
