"""Declared indexes (``settings.indexes``) on SQL: native indexes for lookups, a key table for uniqueness.

A unique index of the language is not an SQL unique index: an array value claims each of its elements (``email:
["a@x", "b@x"]`` clashes with ``"b@x"``), numbers compare by value across types (``1`` and ``1.0`` clash) but never
with booleans, and the values may sit in JSON columns or under dotted paths. So uniqueness is enforced with a *key
table* the database itself keeps unique, ``<table>__dbm_keys``::

    ix   the index (a digest of its fields)      k      a digest of one key: the memory adapter's hash keys
    owner  a digest of the entity's id                 (``memory_index.FieldIndex.keys_for``) of its values

with the primary key ``(ix, k)``. Every write that can change a key files the entity's keys in the same
transaction: a clash is the database's unique violation, raised as the memory adapter's 409
(``EntityAlreadyExistsError`` naming the fields and the writer's values), concurrent writers included. ``None`` and
a missing value file nothing (SQL's rule: NULLs never clash; capability ``unique_null_is_value`` is off), nor do
objects and nested arrays (not indexable in the memory adapter either). An empty ``k`` row marks an index as
built: at ``connect`` an index without it is filled from the table (a clash in the existing rows is the 409).

Rows written around the adapter (raw SQL, another program) do not update the key table; use the adapter, or
rebuild by deleting the index's rows (``DELETE FROM <table>__dbm_keys WHERE ix = ...``) before the next connect.

Non-unique declared indexes, and unique ones, on top-level typed (non-JSON) columns also get a native index
(``ix_<table>_<columns>``, created if missing) for the lookups; JSON columns get none (the compiled JSON predicates
cannot use one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from broker.errors import ServiceSchemaError, ValidationError

from ..indexes import IndexSpec
from ..memory_index import FieldIndex, clash_error, index_for
from ..query_values import hash_key
from .columns import TableInfo

__all__ = ["KEY_TABLE_SUFFIX", "UniqueKeys"]

KEY_TABLE_SUFFIX = "__dbm_keys"
_BUILT = ""  # the k of the row marking an index as built


def _key_text(key: Any) -> str:
    """A hash key (``query_values.hash_key``) as text: equal texts exactly for equal keys."""
    t = type(key)
    if t is str:
        return "s" + key
    if t is int:
        return f"n{key}"
    if t is float:
        return f"n{int(key)}" if key.is_integer() else f"n{key!r}"  # 1.0 and 1 are one number
    if t is datetime:
        return "d" + key.astimezone(UTC).isoformat()  # one instant, whatever its offset (naive ones are UTC)
    if t is tuple and len(key) == 2 and key[0] == "\x00bool":
        return "b" + str(int(key[1]))
    if t is tuple:  # a compound key
        return json.dumps([_key_text(part) for part in key])
    raise TypeError(f"not a hash key: {key!r}")  # pragma: no cover - hash_key gives only the types above


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class _Unique:
    """One declared unique index: its key-table id and the memory adapter's key extraction."""

    def __init__(self, spec: IndexSpec) -> None:
        self.fields = spec.fields
        self.ix = _digest("\x1f".join(spec.fields))[:32]
        self.index: FieldIndex = index_for(spec.fields)

    def keys(self, doc: dict[str, Any]) -> list[str]:
        """The digests ``doc`` claims (keys holding ``None`` claim nothing)."""
        out = []
        for key in self.index.keys_for(doc):
            if key is None or (type(key) is tuple and None in key):
                continue
            out.append(_digest(_key_text(key)))
        return out

    def touched_by(self, paths: Iterable[str]) -> bool:
        return self.index.touched_by(paths)


class UniqueKeys:
    """The declared indexes of one table: its key table and the native indexes (see the module docstring)."""

    def __init__(self, info: TableInfo, specs: Iterable[IndexSpec], id_key: str) -> None:
        self.info = info
        self.id_key = id_key
        specs = [s for s in specs if s.fields != (id_key,)]
        for spec in specs:
            for path in spec.fields:
                try:
                    info.field(path, "indexes", "index")
                except ValidationError:
                    raise ServiceSchemaError(
                        f"index {spec.name!r} names '{path}', which is not a column of table {info.table.name!r}"
                    ) from None
        self.unique = [_Unique(s) for s in specs if s.unique]
        self.native = [_native_index(info, s) for s in specs if _is_typed(info, s)]
        table = info.table
        self.table = sa.Table(
            f"{table.name}{KEY_TABLE_SUFFIX}",
            sa.MetaData(schema=table.schema),
            sa.Column("ix", sa.String(32), primary_key=True),
            sa.Column("k", sa.String(64), primary_key=True),
            sa.Column("owner", sa.String(64), nullable=False, index=True),
        )

    def __bool__(self) -> bool:
        return bool(self.unique)

    @property
    def fields(self) -> set[str]:
        """The top-level fields the unique indexes read."""
        return {path.split(".", 1)[0] for u in self.unique for path in u.fields}

    def touched_by(self, paths: Iterable[str]) -> bool:
        """Whether an update of these paths can change a unique key."""
        paths = tuple(paths)
        return any(u.touched_by(paths) for u in self.unique)

    # ------------------------------------------------------------------------------------------------ schema

    async def create(self, conn: AsyncConnection, create_tables: bool) -> None:
        """Create the native indexes and the key table when missing (``create_tables``; otherwise the key table
        must exist: ``ServiceSchemaError``), drop keys of indexes no longer declared."""
        if create_tables:
            for index in self.native:
                await conn.run_sync(index.create, checkfirst=True)
        if not self.unique:
            return
        if create_tables:
            await conn.run_sync(self.table.create, checkfirst=True)
        elif not await conn.run_sync(lambda c: sa.inspect(c).has_table(self.table.name, schema=self.table.schema)):
            raise ServiceSchemaError(
                f"the unique indexes of table {self.info.table.name!r} need the key table {self.table.name!r}: "
                "create it (adapters/sql/unique.py) or pass create_tables=True"
            )
        ixs = [u.ix for u in self.unique]
        await conn.execute(self.table.delete().where(self.table.c.ix.not_in(ixs)))

    async def build(self, conn: AsyncConnection, read_all: Callable[[], Awaitable[list[dict[str, Any]]]]) -> None:
        """File the entities (``read_all()``: every row) in the unique indexes not built yet, and mark them built;
        a clash in the stored rows is the 409."""
        if not self.unique:
            return
        built = set((await conn.execute(sa.select(self.table.c.ix).where(self.table.c.k == _BUILT))).scalars())
        missing = [u for u in self.unique if u.ix not in built]
        if not missing:
            return
        entities = await read_all()
        await self._file(conn, missing, entities)
        for u in missing:
            await conn.execute(self.table.insert().values(ix=u.ix, k=_BUILT, owner=""))

    # ------------------------------------------------------------------------------------------------ writes

    def owner(self, id: Any) -> str:
        key = hash_key(id)
        return _digest(_key_text(key))

    async def file(self, conn: AsyncConnection, entities: list[dict[str, Any]], paths: Iterable[str] | None) -> None:
        """Replace the keys of ``entities`` (as stored, with their ids) in the indexes an update of ``paths`` can
        touch (every index for ``None``); a clash raises the 409 of the first entity that claims a taken key."""
        indexes = self.unique if paths is None else [u for u in self.unique if u.touched_by(tuple(paths))]
        if not indexes or not entities:
            return
        owners = [self.owner(e[self.id_key]) for e in entities]
        await conn.execute(
            self.table.delete().where(self.table.c.ix.in_([u.ix for u in indexes]), self.table.c.owner.in_(owners))
        )
        await self._file(conn, indexes, entities)

    async def _file(self, conn: AsyncConnection, indexes: list[_Unique], entities: list[dict[str, Any]]) -> None:
        insert = self.table.insert()
        for u in indexes:
            for entity in entities:
                owner = self.owner(entity[self.id_key])
                for k in u.keys(entity):
                    try:
                        await conn.execute(insert.values(ix=u.ix, k=k, owner=owner))
                    except sa.exc.IntegrityError:  # the call's transaction rolls back: nothing written
                        raise clash_error(u.fields, entity) from None

    async def drop(self, conn: AsyncConnection, ids: list[Any] | None) -> None:
        """Remove the keys of the entities with these ids (every key for ``None``)."""
        if not self.unique:
            return
        if ids is None:
            await conn.execute(self.table.delete().where(self.table.c.k != _BUILT))
        elif ids:
            owners = [self.owner(id) for id in ids]
            await conn.execute(self.table.delete().where(self.table.c.owner.in_(owners)))


def _is_typed(info: TableInfo, spec: IndexSpec) -> bool:
    """Whether every field of ``spec`` is a whole typed (non-JSON) column other than the id."""
    for path in spec.fields:
        field = info.fields.get(path)
        if field is None or field.kind == "json" or field is info.id:
            return False
    return True


def _native_index(info: TableInfo, spec: IndexSpec) -> sa.Index:
    columns = [info.fields[path].column for path in spec.fields]
    name = f"ix_{info.table.name}_{'_'.join(c.name for c in columns)}"
    if len(name) > 60:
        name = f"ix_{info.table.name[:20]}_{_digest(name)[:16]}"
    lengths = {c.name: 255 for c in columns if isinstance(c.type, sa.String) and c.type.length is None}
    return sa.Index(name, *columns, mysql_length=lengths or None)
