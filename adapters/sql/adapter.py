"""``SQLAdapter``: the adapter interface over SQLAlchemy 2 async (SQLite embedded; PostgreSQL and MariaDB servers).

    from adapters import SQLAdapter
    adapter = SQLAdapter("sqlite+aiosqlite://", Product)                 # a declarative class or a Table
    adapter = SQLAdapter("postgresql+asyncpg://postgres@127.0.0.1:5432/shop", products_table)
    adapter = SQLAdapter(my_async_engine, Product, create_tables=False)  # the application owns (and disposes) it

    async with adapter.transaction():          # nested blocks are savepoints
        await adapter.update_by_id(1, {"$inc": {"stock": -1}})

``adapter.engine`` and ``adapter.table`` are the native objects, for what the portable layer does not cover.

Table mapping (``columns.py``): the primary key is the id, answered under ``_id`` whatever its column name
(``id_column=`` picks another unique column); an optional ``_seq`` integer column (``seq_column=``) keeps insertion
order, else an autoincrement integer key does, else rows come in primary-key order. Entities may only hold the
table's columns (another key is a 422 naming it). Queries compile to SQL (``compiler.py``); what a dialect cannot
do exactly is a 400 ``UnsupportedQueryError``, never a different answer.

Writes: ``$set``/``$unset`` of whole columns and ``$inc`` of numeric columns are one ``UPDATE`` (``SET n = n + :k``:
atomic; ``update_many`` returns the matched count, so a conditional decrement tells the caller whether it won).
Updates into JSON values (dotted paths, ``$inc`` inside JSON) read the matched rows with ``FOR UPDATE`` (SQLite:
under the adapter's write lock), apply the memory adapter's update rules and write them back, in one transaction.
``update_by_id``/``remove_by_id`` read the row back in the same transaction.

SQLite: one ``asyncio.Lock`` per engine serialises the adapter's statements (SQLite has one writer; the in-memory
database is one shared connection), and Python functions give it regex, Unicode case folding and the memory
adapter's JSON rules (``sqlite_functions.py``). Isolation: SQLite is serializable; PostgreSQL runs at READ
COMMITTED and MariaDB at REPEATABLE READ (their defaults); atomicity of single calls rests on single statements or
row locks, not on the isolation level.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from broker.errors import MoleculerError, ServiceSchemaError

from ..capabilities import FULL, AdapterCapabilities
from ..errors import EntityAlreadyExistsError
from ..memory_eval import sort_docs
from ..query import Compare, FindParams, In, Node, Update
from ..query_values import hash_key
from .columns import TableInfo
from .compiler import SqlCompiler
from .errors import translate_sql_error
from .regex_sql import watch_regex_warnings
from .session import SqlTransaction, SqlTransactions
from .sqlite_functions import register
from .types import decode_json
from .writes import SqlWrites

__all__ = ["SQLAdapter"]

_SQLITE_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


class SQLAdapter(SqlTransactions, SqlWrites):
    """Entities in one SQL table through SQLAlchemy Core (see the module docstring)."""

    def __init__(
        self,
        url_or_engine: str | AsyncEngine | None = None,
        model: Any = None,
        *,
        create_tables: bool = True,
        id_column: str | None = None,
        seq_column: str | None = "_seq",
        savepoints: bool = True,
        **engine_options: Any,
    ) -> None:
        super().__init__()
        if isinstance(url_or_engine, AsyncEngine):
            self._engine: AsyncEngine | None = url_or_engine
            self._owns_engine = False
        elif isinstance(url_or_engine, str):
            options = {"pool_pre_ping": True, **engine_options}
            self._engine = create_async_engine(url_or_engine, **options)
            self._owns_engine = True
        else:
            raise TypeError("SQLAdapter needs a SQLAlchemy URL or an AsyncEngine")
        if self._engine.dialect.name == "sqlite":
            _register_sqlite_functions(self._engine)
        elif self._engine.dialect.name in ("mysql", "mariadb"):
            watch_regex_warnings(self._engine)
        self._model = model
        self._create_tables = create_tables
        self._id_column = id_column
        self._seq_column = seq_column
        self._savepoints = savepoints
        self._info: TableInfo | None = None
        self._compiler: SqlCompiler | None = None
        self.capabilities = _capabilities(self.dialect)  # type: ignore[misc]
        if model is not None:
            self._bind_model(model)

    # -------------------------------------------------------------------------------------------- lifecycle

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy ``AsyncEngine`` (the application's own when it passed one)."""
        assert self._engine is not None
        return self._engine

    @property
    def table(self) -> sa.Table:
        """The SQLAlchemy ``Table`` the adapter reads and writes."""
        return self._table_info().table

    @property
    def dialect(self) -> str:
        """``"sqlite"``, ``"postgresql"``, ``"mysql"`` or ``"mariadb"``."""
        return self.engine.dialect.name

    @property
    def adapter_name(self) -> str:
        """``"SQLAdapter (sqlite)"``: the name used in error messages."""
        return f"SQLAdapter ({self.dialect})"

    def init(self, service_name: str, settings: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        """Takes the model from the schema's ``model`` key when none was given (as the Sequelize adapter does)."""
        super().init(service_name, settings, schema)
        if self._info is None:
            model = schema.get("model")
            if model is None:
                raise ServiceSchemaError(f"SQLAdapter of '{service_name}' needs a model (a declarative class or Table)")
            self._bind_model(model)

    def _bind_model(self, model: Any) -> None:
        table = model if isinstance(model, sa.Table) else getattr(model, "__table__", None)
        if not isinstance(table, sa.Table):
            raise ServiceSchemaError(f"SQLAdapter model must be a declarative class or a Table, not {model!r}")
        try:
            self._info = TableInfo(table, self._id_column, self._seq_column, self.id_key)
        except ValueError as err:
            raise ServiceSchemaError(str(err)) from None
        self._compiler = SqlCompiler(self._info, self.dialect, self.adapter_name)

    def _table_info(self) -> TableInfo:
        if self._info is None:
            raise ServiceSchemaError("SQLAdapter has no model yet (pass one, or init() with a schema 'model')")
        return self._info

    async def connect(self) -> None:
        """Creates the table when missing (unless ``create_tables=False``; use Alembic for real migrations), and the
        declared indexes (``unique.py``)."""
        info = self._table_info()
        async with self._connection() as conn:
            if self._create_tables:
                await conn.run_sync(info.table.create, checkfirst=True)
            await self._create_indexes(conn, self._create_tables)

    async def disconnect(self) -> None:
        """Disposes the engine's pool when the adapter created the engine (never an application's engine)."""
        if self._owns_engine and self._engine is not None:
            await self._engine.dispose()

    # ------------------------------------------------------------------------------------------ connections

    def _lock(self) -> asyncio.Lock | None:
        if self.dialect != "sqlite":
            return None
        sync = self.engine.sync_engine
        lock = _SQLITE_LOCKS.get(sync)
        if lock is None:
            lock = _SQLITE_LOCKS[sync] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def _connection(self, id: Any = None) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction: the current ``transaction()``'s, or a new one committed at the end.
        Engine exceptions leave as typed errors (``errors.translate_sql_error``)."""
        tx = self._tx.current()
        try:
            if isinstance(tx, SqlTransaction):
                async with tx.lock:
                    yield tx.conn
                return
            lock = self._lock()
            if lock is None:
                async with self.engine.begin() as conn:
                    yield conn
            else:
                async with lock, self.engine.begin() as conn:
                    yield conn
        except MoleculerError:
            raise
        except Exception as exc:
            raise self._translate(exc, id) from None

    def translate_error(self, exc: Exception) -> MoleculerError:
        """Duplicate keys → 409, lost/refused connections → retryable 503, the rest → 500 (``errors.py``)."""
        return self._translate(exc)

    def _translate(self, exc: BaseException, id: Any = None) -> MoleculerError:
        info = self._info
        if info is None:
            return translate_sql_error(exc, self.adapter_name, id)
        columns = {f.column.name: f.key for f in info.fields.values()}
        return translate_sql_error(exc, self.adapter_name, id, columns, info.id.column.name)

    # ------------------------------------------------------------------------------------------------ reads

    def _json_text(self, column: sa.Column[Any]) -> sa.ColumnElement[Any]:
        """A JSON column read as its text (``NULL`` stays ``NULL``: missing), decoded by ``types.decode_json``."""
        if self.dialect == "postgresql":
            return sa.cast(column, sa.Text())
        return sa.type_coerce(column, sa.Text())

    def _columns(self) -> list[sa.ColumnElement[Any]]:
        info = self._table_info()
        cols: list[sa.ColumnElement[Any]] = [info.id.column]
        for f in info.data_fields:
            cols.append(self._json_text(f.column).label(f.key) if f.kind == "json" else f.column)
        return cols

    def _entity(self, row: Any) -> dict[str, Any]:
        info = self._table_info()
        out: dict[str, Any] = {self.id_key: row[0]}
        for f, value in zip(info.data_fields, row[1:]):
            if f.kind == "json":
                if value is not None:
                    out[f.key] = decode_json(value)
            elif isinstance(value, Decimal):
                out[f.key] = float(value)
            elif isinstance(value, datetime) and value.tzinfo is None and getattr(f.column.type, "timezone", False):
                out[f.key] = value.replace(tzinfo=UTC)  # SQLite, MySQL/MariaDB: UTC's wall time, kept without offset
            else:
                out[f.key] = value
        return out

    def _where(self, node: Node) -> sa.ColumnElement[bool]:
        assert self._compiler is not None
        return self._compiler.compile(node)

    async def _check_guards(self, conn: AsyncConnection) -> None:
        """Run the compiler's guard queries (PostgreSQL JSON paths): refuse what would differ."""
        assert self._compiler is not None
        await self._run_guards(conn, self._compiler.take_guards())

    async def _run_guards(self, conn: AsyncConnection, guards: list[tuple[Any, str, str | None, str]]) -> None:
        for condition, operator, path, reason in guards:
            stmt = sa.select(sa.literal(1)).select_from(self.table).where(condition).limit(1)
            if (await conn.execute(stmt)).first() is not None:
                raise self.unsupported(operator, path, reason)

    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        assert self._compiler is not None
        where = self._where(params.filter)
        filter_guards = self._compiler.take_guards()
        order = self._compiler.order_by(params.sort)
        sort_guards = self._compiler.take_guards()
        stmt = sa.select(*self._columns()).where(where)
        paged = stmt.order_by(*order)
        if params.limit is not None:
            paged = paged.limit(params.limit)
        if params.offset:
            paged = paged.offset(params.offset)
        async with self._connection() as conn:
            await self._run_guards(conn, filter_guards)
            if sort_guards and await self._any_row(conn, [g[0] for g in sort_guards]):
                # arrays or objects where SQL cannot order them as MongoDB does: sort the matches in Python
                rows = (await conn.execute(stmt.order_by(self._table_info().order))).all()
                docs = sort_docs([self._entity(row) for row in rows], params.sort)
                stop = None if params.limit is None else params.offset + params.limit
                return docs[params.offset : stop]
            rows = (await conn.execute(paged)).all()
        return [self._entity(row) for row in rows]

    async def _any_row(self, conn: AsyncConnection, conditions: list[sa.ColumnElement[bool]]) -> bool:
        stmt = sa.select(sa.literal(1)).select_from(self.table).where(sa.or_(*conditions)).limit(1)
        return (await conn.execute(stmt)).first() is not None

    async def _count(self, filter: Node) -> int:
        stmt = sa.select(sa.func.count()).select_from(self.table).where(self._where(filter))
        async with self._connection() as conn:
            await self._check_guards(conn)
            return int((await conn.execute(stmt)).scalar_one())

    async def _find_by_id(self, id: Any) -> dict[str, Any] | None:
        where = self._where(Compare(self.id_key, "eq", id))
        async with self._connection() as conn:
            await self._check_guards(conn)
            row = (await conn.execute(sa.select(*self._columns()).where(where))).first()
        return None if row is None else self._entity(row)

    # ----------------------------------------------------------------------------------------------- writes

    async def _insert(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        info = self._table_info()
        prepared: list[tuple[Any, dict[str, Any]]] = []
        seen: set[Any] = set()
        for i, entity in enumerate(entities):
            where = "entity" if len(entities) == 1 else f"entities.{i}"
            id = entity.get(self.id_key)
            if id is None and not info.id_generated:
                id = uuid4().hex if info.id.kind in ("anyid", "string") else None
            if id is not None:
                id = self._id_value(id, f"{where}.{self.id_key}")
                key = hash_key(id)
                if key in seen:
                    raise EntityAlreadyExistsError(id)
                seen.add(key)
            prepared.append((id, self._row_values(entity, where)))
        given = [id for id, _ in prepared if id is not None]
        async with self._connection() as conn:
            if given:
                existing = await conn.execute(
                    sa.select(info.id.column).where(self._where(In(self.id_key, tuple(given))))
                )
                found = {hash_key(v) for v in existing.scalars()}
                for id in given:
                    if hash_key(id) in found:
                        raise EntityAlreadyExistsError(id)
            ids: list[Any] = []
            for id, values in prepared:
                row = dict(values)
                if id is not None:
                    row[info.id.column.key] = id
                try:
                    result = await conn.execute(info.table.insert().values(row))
                except sa.exc.IntegrityError as exc:
                    raise self._translate(exc, id) from None
                if id is None:
                    id = result.inserted_primary_key[0] if result.inserted_primary_key else None
                ids.append(id)
            if self.dialect == "postgresql" and info.id_generated and given:
                await self._advance_sequence(conn)
            stmt = sa.select(*self._columns()).where(self._where(In(self.id_key, tuple(ids))))
            rows = {hash_key(r[0]): self._entity(r) for r in (await conn.execute(stmt)).all()}
            inserted = [rows[hash_key(id)] for id in ids]
            await self._keys.file(conn, inserted, None)
        return inserted

    async def _update_many(self, filter: Node, update: Update) -> int:
        async with self._connection() as conn:
            return await self._update_in(conn, filter, update)

    async def _first(self, conn: AsyncConnection, filter: Node) -> Any:
        """The order-column value of the first match (insertion order), locked until the transaction ends."""
        info = self._table_info()
        stmt = sa.select(info.order).where(self._where(filter)).order_by(info.order).limit(1)
        await self._check_guards(conn)
        if self.dialect != "sqlite":
            stmt = stmt.with_for_update()
        return (await conn.execute(stmt)).scalar_one_or_none()

    async def _find_one_and_update(self, filter: Node, update: Update) -> dict[str, Any] | None:
        info = self._table_info()
        async with self._connection() as conn:
            order = await self._first(conn, filter)
            if order is None:
                return None
            if update:
                await self._update_in(conn, None, update, info.order == order)
            row = (await conn.execute(sa.select(*self._columns()).where(info.order == order))).first()
        return None if row is None else self._entity(row)

    async def _remove_many(self, filter: Node) -> int:
        where = self._where(filter)
        async with self._connection() as conn:
            await self._check_guards(conn)
            return await self._remove_where(conn, where)

    async def _find_one_and_delete(self, filter: Node) -> dict[str, Any] | None:
        info = self._table_info()
        async with self._connection() as conn:
            order = await self._first(conn, filter)
            if order is None:
                return None
            where = info.order == order
            row = (await conn.execute(sa.select(*self._columns()).where(where))).first()
            await conn.execute(self.table.delete().where(where))
            await self._keys.drop(conn, [] if row is None else [row[0]])
        return None if row is None else self._entity(row)

    async def _clear(self) -> int:
        async with self._connection() as conn:
            await self._keys.drop(conn, None)
            result = await conn.execute(self.table.delete())
        return int(result.rowcount)


def _capabilities(dialect: str) -> AdapterCapabilities:
    """What each dialect gives exactly. Declared unique indexes are enforced through a key table (``unique.py``)
    with SQL's NULL rule (``None``/missing never clash). SQLite runs the memory adapter's rules on JSON columns
    (registered functions): everything else. PostgreSQL and MariaDB compile
    JSON columns natively (``pg_json.py``, ``my_json.py``): mixed types, arrays and objects, regex rewritten in
    their dialect (``regex_sql.py``); a filter path through an array is refused (guard query); a sort on
    arrays/objects falls back to sorting the matches in Python."""
    if dialect == "sqlite":
        return replace(FULL, unique_null_is_value=False)
    return replace(FULL, paths_through_arrays=False, unique_null_is_value=False)


def _register_sqlite_functions(engine: AsyncEngine) -> None:
    sync = engine.sync_engine
    if getattr(sync, "_dbm_functions", False):
        return
    event.listen(sync, "connect", lambda dbapi_connection, _record: register(dbapi_connection))
    sync._dbm_functions = True  # type: ignore[attr-defined]
