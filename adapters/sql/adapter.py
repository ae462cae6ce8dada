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
``update_by_id``/``remove_by_id`` read the row back in the same transaction (``update_by_id`` of whole columns by
a unique id: one ``UPDATE … RETURNING`` where the engine has it).

SQLite: one ``asyncio.Lock`` per engine serialises the adapter's statements (SQLite has one writer), and Python
functions give it regex, Unicode case folding and the memory adapter's JSON rules (``sqlite_functions.py``); reads
by id outside transactions run on the event loop on a connection of their own (``sqlite_reads.py``). Isolation:
SQLite is serializable; PostgreSQL runs at READ COMMITTED and MariaDB at REPEATABLE READ (their defaults);
atomicity of single calls rests on single statements or row locks, not on the isolation level.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from broker.errors import MoleculerError, ServiceSchemaError

from ..capabilities import FULL, AdapterCapabilities
from ..errors import EntityAlreadyExistsError
from ..query import In, Node, Update
from ..query_values import hash_key
from .columns import TableInfo
from .compiler import SqlCompiler
from .domains import int_bounds, is_uuid
from .engines import EngineSetup, sqlite_lock
from .errors import translate_sql_error
from .reads import SqlReads
from .session import SqlTransaction, SqlTransactions
from .sqlite_reads import SqliteReader, open_reader
from .writes import SqlWrites, inc_error, null_inc_error

__all__ = ["SQLAdapter"]


class SQLAdapter(SqlTransactions, SqlReads, SqlWrites):
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
        fast_reads: bool = True,
        **engine_options: Any,
    ) -> None:
        super().__init__()
        setup = EngineSetup.of(url_or_engine, engine_options, fast_reads)
        self._engine: AsyncEngine | None = setup.engine
        self._owns_engine = setup.owned
        self._read_target = setup.read_target
        self._reads = setup.reads
        self._reader: SqliteReader | None = None
        self._by_id: sa.Select[Any] | None = None
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
        """Creates the table when missing (unless ``create_tables=False``; use Alembic for real migrations) and the
        declared indexes (``unique.py``). On SQLite, opens the reader of rows by id (``sqlite_reads.py``) when the
        database allows it."""
        info = self._table_info()
        if self._read_target is not None and self._reader is None:
            dialect, wal = self.engine.sync_engine.dialect, self._owns_engine
            self._reader = open_reader(self._read_target, self._by_id_statement(), self._compiler_(), dialect, wal)
        async with self._connection() as conn:
            if self._create_tables:
                await conn.run_sync(info.table.create, checkfirst=True)
            await self._create_indexes(conn, self._create_tables)

    async def disconnect(self) -> None:
        """Closes the SQLite reader; disposes the engine's pool when the adapter created the engine (never an
        application's engine)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._owns_engine and self._engine is not None:
            await self._engine.dispose()

    # ------------------------------------------------------------------------------------------ connections

    def _lock(self) -> asyncio.Lock | None:
        return sqlite_lock(self.engine) if self.dialect == "sqlite" else None

    @asynccontextmanager
    async def _connection(self, id: Any = None, read: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction: the current ``transaction()``'s, or a new one committed at the end.
        ``read``: the caller runs one read statement, which needs no transaction of its own (PostgreSQL then runs
        it in autocommit: no ``BEGIN``/``COMMIT`` round trips). Engine exceptions leave as typed errors
        (``errors.translate_sql_error``)."""
        tx = self._tx.current()
        try:
            if isinstance(tx, SqlTransaction):
                async with tx.lock:
                    yield tx.conn
                return
            lock = self._lock()
            if read and self._reads is not None:
                async with self._reads.connect() as conn:
                    yield conn
            elif lock is None:
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

    # ----------------------------------------------------------------------------------------------- writes

    async def _insert(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        info = self._table_info()
        prepared: list[tuple[Any, dict[str, Any]]] = []
        seen: set[Any] = set()
        for i, entity in enumerate(entities):
            where = "entity" if len(entities) == 1 else f"entities.{i}"
            id = entity.get(self.id_key)
            if id is None and not info.id_generated and info.id.kind in ("anyid", "string"):
                id = str(uuid4()) if is_uuid(info.id) else uuid4().hex
            values = self._row_values(entity, where)
            if id is not None:
                id, values[info.id.column.key] = self._id_value(id, f"{where}.{self.id_key}")
                key = hash_key(id)
                if key in seen:
                    raise EntityAlreadyExistsError(id)
                seen.add(key)
            prepared.append((id, values))
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
            returning = self.engine.dialect.insert_returning  # the stored row comes back with the INSERT
            ids: list[Any] = []
            stored: list[dict[str, Any]] = []
            for id, values in prepared:
                insert = info.table.insert().values(values)
                try:
                    result = await conn.execute(insert.returning(*self._columns()) if returning else insert)
                except sa.exc.IntegrityError as exc:
                    raise self._translate(exc, id) from None
                if returning:
                    stored.append(self._entity(result.one()))
                elif id is None:
                    id = result.inserted_primary_key[0] if result.inserted_primary_key else None
                ids.append(id)
            if self.dialect == "postgresql" and info.id_generated and given:
                await self._advance_sequence(conn)
            if returning:
                inserted = stored
            else:
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

    async def _update_by_id(self, id: Any, update: Update) -> dict[str, Any] | None:
        """Outside ``transaction()``, with a unique id and an update of whole columns: one ``UPDATE … RETURNING``
        (a ``NULL`` left by ``$inc`` is refused and rolled back); else ``find_one_and_update`` by id."""
        if not update or self._tx.current() is not None or not self._table_info().id_unique:
            return await super()._update_by_id(id, update)
        if not self.engine.dialect.update_returning:
            return await super()._update_by_id(id, update)
        parsed, values = self._plain_update(update)
        if values is None or self._keys.touched_by(parsed.paths):  # JSON paths, declared unique fields: row locks
            return await super()._update_by_id(id, update)
        ok, value = self._compiler_().id_literal(id)
        if not ok:
            return None
        stmt = self.table.update().where(self._compiler_().id_equals("dbm_key")).values(values)
        async with self._connection(id) as conn:
            async with self._inc_range(parsed):
                row = (await conn.execute(stmt.returning(*self._columns()), {"dbm_key": value})).first()
            if row is None:
                return None
            entity = self._entity(row)
            for path, _ in parsed.inc:  # raised inside the block: the update rolls back
                if entity[path] is None:
                    raise null_inc_error(path)
                bounds = int_bounds(self._table_info().fields[path], self.dialect)
                if bounds is not None and not (type(entity[path]) is int and bounds[0] <= entity[path] <= bounds[1]):
                    raise inc_error(path)  # SQLite turns an integer overflow into a float
        return entity

    async def _remove_many(self, filter: Node) -> int:
        where = self._where(filter)
        guards = self._compiler_().take_guards()  # now: another task compiles while this one waits for a connection
        async with self._connection() as conn:
            await self._run_guards(conn, guards)
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
