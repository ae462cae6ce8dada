"""Reads of one row by id on SQLite, answered on the event loop without the worker thread's hop.

aiosqlite runs every statement in a worker thread: handing a statement over and back costs tens of µs, where the
B-tree lookup of one row by key costs a few. ``SqliteReader`` keeps a synchronous ``sqlite3`` connection of its
own on the same database and runs one statement on it, ``SELECT <the adapter's columns> WHERE <id> = ?``: one
index hit, never a scan, so it cannot hold the loop for long. Everything unbounded (finds, counts, writes) keeps
going through the engine's thread.

Why it gives the same answers as the normal path (``docs/sql-adapter.md``, "SQLite and the event loop"):

* It sees every committed write. A file database is switched to WAL mode when the adapter created its engine
  (readers and the writer then never wait for each other; an application's engine keeps its journal mode). The
  in-memory database of ``sqlite+aiosqlite://`` becomes a named ``memdb`` database (``read_plan``) that the engine's
  connections and the reader share. Each read is its own read transaction (autocommit, statement run to its end).
* It never waits: busy timeout 0. On a locked database (the in-memory one while a write transaction is open; a
  rollback journal while a writer commits) or any other driver error, ``SqliteReader.find`` does not answer and
  the adapter runs the normal path, which gives the canonical answer or error.
* Inside ``transaction()`` the adapter uses the transaction's connection (it must see its own uncommitted writes).
* Values are bound and decoded by the same SQLAlchemy type processors as the engine's, then by the adapter's own
  ``_entity``: JSON, datetimes, booleans, ``AnyId`` and ``Numeric`` come back identical.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.engine import URL, Dialect

from .compiler import SqlCompiler

__all__ = ["ReadTarget", "SqliteReader", "open_reader", "read_plan", "reader_target"]

ReadTarget = tuple[str, bool]  # (what sqlite3.connect opens, whether it is a URI)

# engine options that change how a connection is opened: a plain sqlite3.connect would not reach the same database
_OPENING_OPTIONS = ("creator", "module", "connect_args", "poolclass", "pool")
_MEMDB_SINCE = (3, 40, 0)  # memdb databases shared by name, with readers blocking a writer's commit (checked here)


def reader_target(url: URL) -> ReadTarget | None:
    """The database a plain ``sqlite3.connect`` opens for this engine URL: a plain file path, or the ``memdb``
    URI that ``read_plan`` made; ``None`` for anything else (URI options, shared cache, private memory)."""
    database = url.database or ""
    query = dict(url.query)
    if query == {"vfs": "memdb", "uri": "true"} and database.startswith("file:/"):
        return f"{database}?vfs=memdb", True
    if query or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return database, False


def read_plan(url: URL, engine_options: Mapping[str, Any]) -> tuple[URL, ReadTarget | None]:
    """The URL the adapter creates its engine with, and the reader's target (``None``: no fast reads). The private
    in-memory database (``sqlite+aiosqlite://``) becomes a ``memdb`` database of a unique name, which separate
    connections of this process share; a plain file stays as it is."""
    if any(option in engine_options for option in _OPENING_OPTIONS):
        return url, None
    if (url.database or "") in ("", ":memory:") and not url.query:
        if sqlite3.sqlite_version_info < _MEMDB_SINCE:
            return url, None
        url = url.set(database=f"file:/dbmixin-{uuid4().hex}", query={"vfs": "memdb", "uri": "true"})
    return url, reader_target(url)


def open_reader(
    target: ReadTarget, statement: sa.Select[Any], compiler: SqlCompiler, dialect: Dialect, wal: bool
) -> SqliteReader | None:
    """A reader running ``statement`` (``compiler.id_equals("id")``), or ``None`` when a lookup by id is not one
    index hit of a plain equality (``TableInfo.id_unique``)."""
    if not compiler.info.id_unique:
        return None
    return SqliteReader(target, statement, dialect, compiler.id_literal, wal)


class SqliteReader:
    """A synchronous connection answering ``statement`` (one bind parameter ``id``, bound to ``literal(id)[1]``)."""

    __slots__ = ("_bind", "_conn", "_literal", "_processors", "_sql")

    def __init__(
        self,
        target: ReadTarget,
        statement: sa.Select[Any],
        dialect: Dialect,
        literal: Callable[[Any], tuple[bool, Any]],
        wal: bool,
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        self._sql = str(compiled)
        self._literal = literal
        bind_type = compiled.binds["id"].type
        self._bind: Callable[[Any], Any] | None = bind_type.dialect_impl(dialect).bind_processor(dialect)
        self._processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in statement.selected_columns
        ]
        path, uri = target
        # timeout=0: never wait for a lock on the loop; check_same_thread off: the loop may move between threads
        self._conn = sqlite3.connect(path, uri=uri, timeout=0, isolation_level=None, check_same_thread=False)
        if wal:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL").fetchall()
            except sqlite3.Error:  # another connection holds the database: it stays in its journal mode
                pass

    def find(self, id: Any) -> tuple[bool, tuple[Any, ...] | None]:
        """``(True, decoded row or None)``, or ``(False, None)`` when the database is locked or the driver fails:
        the caller then runs the normal path, which gives the canonical answer or error."""
        ok, value = self._literal(id)
        if not ok:
            return True, None  # no row can have this id
        try:
            if self._bind is not None:
                value = self._bind(value)
            rows = self._conn.execute(self._sql, (value,)).fetchall()  # run to its end: the read transaction ends
            if not rows:
                return True, None
            return True, tuple(v if p is None else p(v) for p, v in zip(self._processors, rows[0]))
        except Exception:
            return False, None

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()
