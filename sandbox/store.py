"""SQLite storage: one table per resource, each row the ConnectWise JSON document as the API returns it.

Hot fields get expression indexes on `json_extract(doc, '$.path')`; `sandbox.query` emits exactly the same
expression text so SQLite can use them. A few hot text fields that are searched with `contains` (a LIKE
'%x%' no index can seek) are also copied into real columns ahead of doc: an index on such a column covers
the search, so the count behind the Link header reads a small index instead of parsing every document.

One connection is shared by the thread pool Starlette runs sync handlers in, serialised by an RLock (SQLite
connections are not safe for concurrent use, and the sandbox is never write-heavy enough for a connection pool
to pay off).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.lookup_tables import LOOKUP_TABLES

Doc = dict[str, Any]


@dataclass(frozen=True)
class Index:
    path: str  # JSON path below the document, "/"-separated like a CW field: "board/name"
    text: bool  # string-valued fields are indexed (and compared) case-insensitively, like CW's SQL Server
    # Extra non-text columns appended to the index, so the common "board X and open" filter and its
    # count never have to parse the (large) documents.
    then: tuple[str, ...] = ()

    def name(self, table: str) -> str:
        return f"ix_{table}_" + "_".join(p.replace("/", "_").lstrip("_") for p in (self.path, *self.then))


@dataclass(frozen=True)
class Table:
    name: str
    parent: Callable[[Doc], int | None] | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    # Fields the store keeps in real columns (named by `column_name`) besides the document, maintained on
    # every write. Indexes and queries on these fields use the column instead of json_extract.
    columns: tuple[str, ...] = ()


def _nested_id(key: str) -> Callable[[Doc], int | None]:
    return lambda doc: (doc.get(key) or {}).get("id")


def _key(key: str) -> Callable[[Doc], int | None]:
    return lambda doc: doc.get(key)


_LAST_UPDATED = Index("_info/lastUpdated", text=False)

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("boards", indexes=(Index("name", True),)),
    Table("board_statuses", parent=_nested_id("board"), indexes=(Index("name", True),)),
    Table("board_types", parent=_nested_id("board"), indexes=(Index("name", True),)),
    Table("priorities"),
    Table("companies", indexes=(Index("identifier", True), Index("name", True), _LAST_UPDATED),
          columns=("name",)),
    Table("sites", parent=_nested_id("company"), indexes=(Index("name", True),)),
    Table("contacts", indexes=(Index("company/id", False), Index("lastName", True))),
    Table("configurations", indexes=(Index("company/id", False), Index("name", True))),
    Table("members", indexes=(Index("identifier", True),)),
    Table("tickets", indexes=(
        Index("closedFlag", False), Index("board/id", False), Index("board/name", True, then=("closedFlag",)),
        Index("status/id", False), Index("status/name", True), Index("company/id", False),
        Index("company/name", True), Index("company/identifier", True),
        Index("owner/identifier", True, then=("closedFlag",)),
        Index("priority/name", True), Index("_info/dateEntered", False), _LAST_UPDATED, Index("summary", True),
    ), columns=("summary",)),
    Table("ticket_notes", parent=_key("ticketId"), indexes=(_LAST_UPDATED,)),
    Table("ticket_configurations", parent=_key("ticketId"), indexes=(Index("configurationId", False),)),
    Table("kb_articles", indexes=(Index("title", True), _LAST_UPDATED), columns=("title",)),
    Table("time_entries", indexes=(
        Index("chargeToId", False), Index("member/identifier", True),
        Index("timeStart", False), _LAST_UPDATED,
    )),
    Table("callbacks"),
    # Callback signing keys (sandbox/callbacks.py), kept across restarts so earlier payloads still verify.
    Table("callback_keys"),
    Table("schedule_entries", indexes=(
        Index("member/identifier", True), Index("dateStart", False), Index("objectId", False),
    )),
)}

TABLES.update({
    name: Table(name, parent=None if parent is None else (_nested_id if parent[0] == "ref" else _key)(parent[1]))
    for name, (_, parent) in LOOKUP_TABLES.items()
})

# Only the first documents of a bulk load are walked for field names: seeded documents share one shape,
# and walking 100,000 tickets would cost seconds.
_FIELD_SAMPLE = 200


def json_path(field_path: str) -> str:
    """CW field "board/name" -> SQLite JSON path "$.board.name" (segments are validated identifiers)."""
    return "$." + field_path.replace("/", ".")


def column_name(field_path: str) -> str:
    """The real column holding a `Table.columns` field: "summary" -> "summary", "company/name" -> "company_name"."""
    return field_path.replace("/", "_")


def extract_sql(resource: str, field_path: str, column: str = "doc") -> str:
    """The SQL expression reading a field; identical text to the index definitions so indexes apply."""
    if column == "doc" and (field_path == "id" or field_path in TABLES[resource].columns):
        return column_name(field_path)
    return f"json_extract({column}, '{json_path(field_path)}')"


# Row writes take parameters (?1 id, ?2 parent_id, ?3 doc). Column copies are computed by SQLite's
# json_extract from the document being written, the expression the migration backfills with, so a column
# can never disagree with what json_extract(doc) would read.
def _copies(table: Table) -> list[tuple[str, str]]:
    return [(column_name(p), f"json_extract(?3, '{json_path(p)}')") for p in table.columns]


def _insert_sql(table: Table) -> str:
    names = ", ".join(["id", "parent_id", *(n for n, _ in _copies(table)), "doc"])
    values = ", ".join(["?1", "?2", *(v for _, v in _copies(table)), "?3"])
    return f"INSERT INTO {table.name} ({names}) VALUES ({values})"


def _update_sql(table: Table) -> str:
    sets = ", ".join(["doc = ?3", "parent_id = ?2", *(f"{n} = {v}" for n, v in _copies(table))])
    return f"UPDATE {table.name} SET {sets} WHERE id = ?1"


def _walk_fields(doc: Doc, prefix: str = "") -> Iterator[str]:
    for key, value in doc.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, dict):
            yield from _walk_fields(value, path + "/")


def check_sqlite_file(path: Path, *, label: str, seeded: str, owns: Callable[[set[str]], str | None]) -> None:
    """ValueError (one line, saying what to do) unless `path` is absent or a `label` database we can use: a file,
    readable as SQLite, whose tables `owns` accepts (it returns the refusal otherwise), and writable. `seeded`
    names what starting again makes ("a new sandbox"). Shared by both sandboxes' databases."""
    if not path.exists():
        return
    if not path.is_file():
        raise ValueError(f"{path} is not a file: move it aside and start again ({seeded} is seeded there)")
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return  # another process has it open: a database, and ours to share
        raise ValueError(f"{path} is not a {label} database ({exc}): move the corrupt file aside and start again "
                         f"({seeded} is seeded there)") from exc
    refusal = owns(tables) if tables else None
    if refusal is not None:
        raise ValueError(refusal)
    if not os.access(path, os.W_OK):
        raise ValueError(f"{path} is read-only: make it writable, or set COPILOT_DATA_DIR to another folder")


def check_database(path: Path) -> None:
    """ValueError (one line, saying what to do) unless `path` is absent or a database the sandbox can open."""

    def owns(tables: set[str]) -> str | None:
        if "tickets" in tables:
            return None
        return (f"{path} is not a sandbox database (it has no tickets table): move it aside and start again, or "
                "set COPILOT_DATA_DIR to another folder")

    check_sqlite_file(path, label="sandbox", seeded="a new sandbox", owns=owns)


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._fields: dict[str, dict[str, str]] = {name: {} for name in TABLES}
        self._depth = 0
        self._create_schema()
        self._load_field_names()

    # schema -----------------------------------------------------------------------------------------

    def _create_schema(self) -> None:
        with self.lock:
            self._conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS id_sequence (resource TEXT PRIMARY KEY, last INTEGER NOT NULL)"
            )
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS field_names (resource TEXT, lower TEXT, canonical TEXT,"
                " PRIMARY KEY (resource, lower))"
            )
            for table in TABLES.values():
                # Copies go before doc so reading them never steps over a (large, maybe overflowing) document;
                # a migrated database has them after doc (ALTER TABLE only appends), where their covering
                # indexes still spare the scan. No declared type: values stay exactly what json_extract returns.
                copies = "".join(f" {column_name(p)}," for p in table.columns)
                self._conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {table.name} (id INTEGER PRIMARY KEY, parent_id INTEGER,"
                    f"{copies} doc TEXT NOT NULL)"
                )
                migrated = self._add_missing_columns(table)
                if table.parent is not None:
                    self._conn.execute(
                        f"CREATE INDEX IF NOT EXISTS ix_{table.name}_parent ON {table.name}(parent_id, id)"
                    )
                for index in table.indexes:
                    collate = " COLLATE NOCASE" if index.text else ""
                    columns = [f"{extract_sql(table.name, index.path)}{collate}",
                               *(extract_sql(table.name, p) for p in index.then)]
                    self._conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {index.name(table.name)} ON {table.name}({', '.join(columns)})"
                    )
                if migrated:
                    # The rebuilt indexes have no planner statistics yet; a seeded database had them.
                    self._conn.execute(f"ANALYZE {table.name}")

    def _add_missing_columns(self, table: Table) -> bool:
        """Migrate a database created before a field became a column: add it, backfill it, re-index it.

        One transaction, so a crash cannot leave an added but unfilled column that a restart would skip.
        """
        present = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table.name})")}
        missing = [p for p in table.columns if column_name(p) not in present]
        if not missing:
            return False
        with self.transaction():
            for path in missing:
                name = column_name(path)
                self._conn.execute(f"ALTER TABLE {table.name} ADD COLUMN {name}")
                self._conn.execute(f"UPDATE {table.name} SET {name} = json_extract(doc, '{json_path(path)}')")
                # Indexes keep their names, so the old json_extract ones must go for _create_schema to
                # rebuild them on the column.
                for index in table.indexes:
                    if path in (index.path, *index.then):
                        self._conn.execute(f"DROP INDEX IF EXISTS {index.name(table.name)}")
        return True

    def _load_field_names(self) -> None:
        for resource, lower, canonical in self._conn.execute("SELECT resource, lower, canonical FROM field_names"):
            self._fields.setdefault(resource, {})[lower] = canonical

    def _learn_fields(self, resource: str, docs: Iterable[Doc]) -> None:
        known = self._fields[resource]
        new = [(resource, p.lower(), p) for doc in docs for p in _walk_fields(doc) if p.lower() not in known]
        for _, lower, canonical in new:
            known.setdefault(lower, canonical)
        if new:
            self._conn.executemany("INSERT OR IGNORE INTO field_names VALUES (?, ?, ?)", new)

    def canonical_field(self, resource: str, field_path: str) -> str | None:
        """The stored spelling of a field (CW field names are case-insensitive), or None if never seen."""
        return self._fields[resource].get(field_path.lower())

    def is_text_indexed(self, resource: str, field_path: str) -> bool | None:
        """True/False for an indexed field (text or not), None for a field without an index."""
        for index in TABLES[resource].indexes:
            if index.path == field_path:
                return index.text
        return None

    # meta -------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock across a read-check-write sequence and commit it atomically."""
        with self.lock:
            # Re-entrant: a resource rule may wrap store writes that open their own transaction.
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    # bulk load --------------------------------------------------------------------------------------

    def bulk_insert(self, resource: str, docs: list[Doc]) -> None:
        """Insert seeded documents in one executemany; ids come from the documents when they carry one."""
        table = TABLES[resource]
        rows = [
            (doc.get("id"), table.parent(doc) if table.parent else None, json.dumps(doc, separators=(",", ":")))
            for doc in docs
        ]
        with self.transaction():
            self._conn.executemany(_insert_sql(table), rows)
            if len(self._fields[resource]) < _FIELD_SAMPLE:
                self._learn_fields(resource, docs[:_FIELD_SAMPLE])

    def analyze(self) -> None:
        """Refresh planner statistics after a bulk load, so selective indexes win over broad ones."""
        with self.lock:
            self._conn.execute("ANALYZE")

    def is_empty(self) -> bool:
        with self.lock:
            return all(
                self._conn.execute(f"SELECT 1 FROM {name} LIMIT 1").fetchone() is None for name in TABLES
            )

    # reads ------------------------------------------------------------------------------------------

    def _scope(self, where: str, params: list[Any], parent_id: int | None) -> tuple[str, list[Any]]:
        clauses, all_params = [], []
        if parent_id is not None:
            clauses.append("parent_id = ?")
            all_params.append(parent_id)
        if where:
            clauses.append(f"({where})")
            all_params.extend(params)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", all_params

    def select(self, resource: str, *, where: str = "", params: list[Any] | None = None,
               parent_id: int | None = None, order_by: str = "id", limit: int | None = None,
               offset: int = 0) -> list[Doc]:
        where_sql, all_params = self._scope(where, params or [], parent_id)
        sql = f"SELECT doc FROM {resource}{where_sql} ORDER BY {order_by}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            all_params += [limit, offset]
        with self.lock:
            rows = self._conn.execute(sql, all_params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, resource: str, *, where: str = "", params: list[Any] | None = None,
              parent_id: int | None = None) -> int:
        where_sql, all_params = self._scope(where, params or [], parent_id)
        with self.lock:
            return self._conn.execute(f"SELECT COUNT(*) FROM {resource}{where_sql}", all_params).fetchone()[0]

    def get(self, resource: str, id_: int, parent_id: int | None = None) -> Doc | None:
        docs = self.select(resource, where="id = ?", params=[id_], parent_id=parent_id)
        return docs[0] if docs else None

    def find_one(self, resource: str, field_path: str, value: Any, parent_id: int | None = None) -> Doc | None:
        """First document whose field equals `value` (strings case-insensitively)."""
        collate = " COLLATE NOCASE" if isinstance(value, str) else ""
        docs = self.select(resource, where=f"{extract_sql(resource, field_path)} = ?{collate}", params=[value],
                           parent_id=parent_id, limit=1)
        return docs[0] if docs else None

    def explain(self, sql: str, params: list[Any]) -> list[str]:
        """EXPLAIN QUERY PLAN detail lines; tests use it to prove hot queries hit an index."""
        with self.lock:
            return [row[3] for row in self._conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]

    # writes -----------------------------------------------------------------------------------------

    def insert(self, resource: str, doc: Doc) -> Doc:
        """Insert a new document, assigning the next id; returns the stored document."""
        table = TABLES[resource]
        with self.transaction():
            # Ids never repeat, even after a delete: the next id is past both the largest id there and the
            # largest id ever handed out (kept in id_sequence, like SQLite's AUTOINCREMENT would).
            row = self._conn.execute("SELECT last FROM id_sequence WHERE resource = ?", (resource,)).fetchone()
            largest = self._conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {resource}").fetchone()[0]
            next_id = max(largest, row[0] if row else 0) + 1
            self._conn.execute("INSERT OR REPLACE INTO id_sequence VALUES (?, ?)", (resource, next_id))
            stored = {"id": next_id, **{k: v for k, v in doc.items() if k != "id"}}
            parent = table.parent(stored) if table.parent else None
            self._conn.execute(_insert_sql(table), (next_id, parent, json.dumps(stored)))
            self._learn_fields(resource, [stored])
        return stored

    def replace(self, resource: str, doc: Doc) -> Doc:
        table = TABLES[resource]
        parent = table.parent(doc) if table.parent else None
        with self.transaction():
            self._conn.execute(_update_sql(table), (doc["id"], parent, json.dumps(doc)))
            self._learn_fields(resource, [doc])
        return doc

    def delete(self, resource: str, id_: int) -> bool:
        with self.lock:
            return self._conn.execute(f"DELETE FROM {resource} WHERE id = ?", (id_,)).rowcount > 0

    def delete_children(self, resource: str, parent_id: int) -> None:
        with self.lock:
            self._conn.execute(f"DELETE FROM {resource} WHERE parent_id = ?", (parent_id,))

    def close(self) -> None:
        with self.lock:
            self._conn.close()
