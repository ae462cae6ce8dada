"""Row values and updates of ``SQLAdapter``: entities checked against the table's columns and types, and updates
as one ``UPDATE`` statement (whole columns, ``$inc`` as ``SET n = n + :k``) or, into JSON values and fields of
unique indexes, as a locked read-modify-write with the memory adapter's update rules (see ``adapter.py``); the
declared indexes and their unique keys (``unique.py``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..base import BaseAdapter
from ..errors import query_error
from ..memory_eval import apply_update
from ..query import In, Node, Update, check_value
from ..query_limits import check_shape
from .columns import Field, TableInfo, decode_cell, decode_fields, json_text
from .domains import check_json, check_stored, int_bounds, range_literal
from .errors import is_out_of_range
from .types import ANYID_LENGTH, encode_id, encode_value
from .unique import UniqueKeys

__all__ = ["MARIADB_JSON_DEPTH", "SqlWrites", "inc_error", "null_inc_error"]

MARIADB_JSON_DEPTH = 31  # JSON_VALID refuses 32 nested objects/arrays: deeper values are a 422 on MariaDB


class SqlWrites(BaseAdapter):
    """The write half of ``SQLAdapter`` (a mixin: ``SQLAdapter`` provides the table, dialect and compiler)."""

    _unique_keys: UniqueKeys | None = None

    @property
    def dialect(self) -> str:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _table_info(self) -> TableInfo:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _where(self, node: Node) -> sa.ColumnElement[bool]:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    async def _check_guards(self, conn: AsyncConnection) -> None:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _row_values(self, entity: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Column values of an entity (keys checked against the table, values against the column types)."""
        info = self._table_info()
        values: dict[str, Any] = {}
        for key, value in entity.items():
            if key == self.id_key:
                continue
            f = info.fields.get(key)
            if f is None or f is info.id:
                raise query_error(f"{where}.{key}", f"unknown field '{key}'", key, "entity")
            values[f.column.key] = self._column_value(f, value, f"{where}.{key}", "entity")
        return values

    def _column_value(self, f: Field, value: Any, where: str, kind: str) -> Any:
        if f.kind == "json":
            encoded = encode_value(value)
            try:
                json.dumps(encoded)
            except (TypeError, ValueError):
                raise query_error(
                    where, f"a value of type {type(value).__name__} cannot be stored", repr(value)[:80], kind
                ) from None
            if self.dialect in ("mysql", "mariadb") and isinstance(encoded, dict | list):  # MariaDB: 31 levels at most
                check_shape(encoded, where, kind, max_depth=MARIADB_JSON_DEPTH)
            check_json(value, where, kind, self.dialect)
            return encoded
        return check_stored(f, check_value(value, where, kind), self.dialect, where, kind)

    def _id_value(self, id: Any, where: str) -> tuple[Any, Any]:
        """``(id, value to bind)`` of an explicit id checked against the id column (type, range, length, NUL: a
        422 naming ``where``)."""
        field = self._table_info().id
        id = check_value(id, where, "entity")
        if field.kind == "anyid":
            if encode_id(id) is None:
                raise query_error(where, "an integer id must fit in 64 bits", str(id)[:80], "entity")
            if type(id) is str and (len(id) >= ANYID_LENGTH or (self.dialect == "postgresql" and "\x00" in id)):
                message = f"a string id holds at most {ANYID_LENGTH - 1} characters, no NUL"
                raise query_error(where, message, id[:80], "entity")
            return id, id
        if (field.kind == "number" and type(id) is not int) or (field.kind == "string" and type(id) is not str):
            raise query_error(where, f"the id column holds {field.kind} values", repr(id)[:80], "entity")
        return id, check_stored(field, id, self.dialect, where, "entity")

    @property
    def _keys(self) -> UniqueKeys:
        """The declared indexes (``unique.py``), set up by ``connect``."""
        keys = self._unique_keys
        if keys is None:
            keys = self._unique_keys = UniqueKeys(self._table_info(), self.index_specs, self.id_key)
        return keys

    async def _create_indexes(self, conn: AsyncConnection, create_tables: bool) -> None:
        """At ``connect``: the declared indexes (native ones, the key table), unique keys of the stored rows."""
        self._unique_keys = None
        keys = self._keys
        await keys.create(conn, create_tables)

        async def read_all() -> list[dict[str, Any]]:
            return [doc for _, doc in await self._read_entities(conn, sa.true(), keys.fields)]

        await keys.build(conn, read_all)

    async def _read_entities(
        self, conn: AsyncConnection, where: sa.ColumnElement[bool], keys: set[str], lock: bool = False
    ) -> list[tuple[Any, dict[str, Any]]]:
        """``(order value, entity with the id and the keys fields)`` of the matching rows, in insertion order (with
        ``lock``: ``FOR UPDATE`` on the servers)."""
        info = self._table_info()
        fields = [info.fields[k] for k in keys if k != self.id_key]
        cols = [json_text(f.column, self.dialect) if f.kind == "json" else f.column for f in fields]
        stmt = sa.select(info.order, info.id.column, *cols).where(where).order_by(info.order)
        if lock and self.dialect != "sqlite":
            stmt = stmt.with_for_update()
        rows = (await conn.execute(stmt)).all()
        return [(row[0], decode_fields({self.id_key: decode_cell(info.id, row[1])}, fields, row[2:])) for row in rows]

    async def _remove_where(self, conn: AsyncConnection, where: sa.ColumnElement[bool]) -> int:
        """Delete the matching rows and their unique keys."""
        if not self._keys:
            return int((await conn.execute(self._table_info().table.delete().where(where))).rowcount)
        ids = [doc[self.id_key] for _, doc in await self._read_entities(conn, where, set(), lock=True)]
        await self._keys.drop(conn, ids)
        info = self._table_info()
        result = await conn.execute(info.table.delete().where(self._where(In(self.id_key, tuple(ids)))))
        return int(result.rowcount)

    async def _advance_sequence(self, conn: AsyncConnection) -> None:
        """After explicit ids on PostgreSQL: move the key's sequence past them, so a generated id never collides."""
        info = self._table_info()
        column = info.id.column
        seq = sa.func.pg_get_serial_sequence(info.table.fullname, column.name)
        top = sa.select(sa.func.max(column)).scalar_subquery()
        await conn.execute(sa.select(sa.func.setval(seq, top)))

    def _is_simple(self, update: Update) -> bool:
        """Whether the update is plain column assignments (one ``UPDATE`` statement)."""
        info = self._table_info()
        for path in (*(p for p, _ in update.set), *update.unset):
            if "." in path and info.field(path, f"$set.{path}", "update")[0].kind == "json":
                return False
        for path, _ in update.inc:
            f, rest = info.field(path, f"$inc.{path}", "update")
            if f.kind != "number" or rest:
                return False
        return True

    def _check_update_fields(self, update: Update) -> None:
        info = self._table_info()
        for op, paths in (
            ("$set", [p for p, _ in update.set]),
            ("$unset", update.unset),
            ("$inc", [p for p, _ in update.inc]),
        ):
            for path in paths:
                f, rest = info.field(path, f"{op}.{path}", "update")
                if rest and f.kind != "json":
                    raise query_error(
                        f"{op}.{path}", f"'{f.key}' is not a JSON column: no dotted paths into it", path, "update"
                    )

    async def _update_in(
        self, conn: AsyncConnection, filter: Node | None, update: Update, where: sa.ColumnElement[bool] | None = None
    ) -> int:
        info = self._table_info()
        if where is None:
            assert filter is not None
            where = self._where(filter)
            await self._check_guards(conn)
        update, values = self._plain_update(update)
        if not update:  # nothing to change (or only $unset of absent columns): the matched count
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(info.table).where(where))).scalar_one()
            )
        if values is not None and not self._keys.touched_by(update.paths):
            for path, amount in update.inc:
                column = info.fields[path].column
                for clause, error in ((column.is_(None), null_inc_error), (self._overflows(path, amount), inc_error)):
                    if clause is None:
                        continue
                    stmt = sa.select(sa.literal(1)).select_from(info.table).where(where, clause).limit(1)
                    if (await conn.execute(stmt)).first() is not None:
                        raise error(path)
            async with self._inc_range(update):
                result = await conn.execute(info.table.update().where(where).values(values))
            return int(result.rowcount)
        return await self._update_rows(conn, where, update)

    def _overflows(self, path: str, amount: int | float) -> sa.ColumnElement[bool] | None:
        """The rows whose integer column ``path`` would leave its range with ``+ amount`` (``None``: no bound)."""
        field = self._table_info().fields[path]
        bounds = int_bounds(field, self.dialect)
        if bounds is None or amount == 0:
            return None
        limit = ("gt", bounds[1] - amount) if amount > 0 else ("lt", bounds[0] - amount)
        rewritten = range_literal(field, *limit, self.dialect)  # a bound the column can bind (or a constant)
        if isinstance(rewritten, bool):
            return field.column.is_not(None) if rewritten else None
        op, bound = rewritten
        return field.column >= bound if op == "gte" else field.column <= bound

    @asynccontextmanager
    async def _inc_range(self, update: Update) -> AsyncIterator[None]:
        """The database's out-of-range error of an ``$inc`` (a concurrent change after the check) as the 422."""
        try:
            yield
        except sa.exc.DBAPIError as exc:
            if not update.inc or not is_out_of_range(exc):
                raise
            raise inc_error(update.inc[0][0]) from None

    def _plain_update(self, update: Update) -> tuple[Update, dict[str, Any] | None]:
        """The update checked against the table (422), without ``$unset`` of absent columns (nothing to remove
        there), and the ``SET`` values of one ``UPDATE`` (``$inc`` as ``col + n``, whose ``NULL`` the caller must
        refuse with ``null_inc_error``) when it assigns whole columns; ``None`` when it reaches into JSON values."""
        info = self._table_info()
        if any(path.split(".", 1)[0] not in info.fields for path in update.unset):  # nothing to remove there
            update = replace(update, unset=tuple(p for p in update.unset if p.split(".", 1)[0] in info.fields))
        self._check_update_fields(update)
        if not update or not self._is_simple(update):
            return update, None
        values: dict[str, Any] = {}
        for path, value in update.set:
            f = info.fields[path]
            values[f.column.key] = self._column_value(f, value, f"$set.{path}", "update")
            if f.kind == "json" and value is None:
                values[f.column.key] = sa.JSON.NULL
        for path in update.unset:
            values[info.fields[path].column.key] = sa.null()
        for path, amount in update.inc:
            f = info.fields[path]
            if int_bounds(f, self.dialect) is None:
                values[f.column.key] = f.column + amount
            elif amount != int(amount):
                raise query_error(f"$inc.{path}", f"'{f.key}' holds integers", repr(amount), "update")
            else:  # bound as 64 bits: an overflow is the column's own error
                values[f.column.key] = f.column + sa.literal(int(amount), sa.BigInteger())
        return update, values

    async def _update_rows(self, conn: AsyncConnection, where: sa.ColumnElement[bool], update: Update) -> int:
        """Read-modify-write of the matched rows (JSON paths, unique fields), under row locks, all validated before
        writing; the unique keys of the changed rows are filed last (a clash is the 409, the call rolls back)."""
        info = self._table_info()
        touched = {path.split(".", 1)[0] for path in update.paths}
        docs = await self._read_entities(conn, where, touched | self._keys.fields, lock=True)
        changes: list[tuple[Any, dict[str, Any]]] = []
        news: list[dict[str, Any]] = []
        for order, doc in docs:
            new = apply_update(doc, update)
            values: dict[str, Any] = {}
            for key in touched:
                f = info.fields[key]
                if f.key not in new:
                    values[f.column.key] = sa.null()
                else:
                    v = self._column_value(f, new[f.key], f"$set.{f.key}", "update")
                    values[f.column.key] = sa.JSON.NULL if f.kind == "json" and v is None else v
            changes.append((order, values))
            news.append(new)
        for order, values in changes:
            await conn.execute(info.table.update().where(info.order == order).values(values))
        await self._keys.file(conn, news, update.paths)
        return len(changes)


def inc_error(path: str) -> Exception:
    """The 422 of an ``$inc`` whose result the column cannot hold (``$inc`` beyond 64 bits fails everywhere)."""
    return query_error(f"$inc.{path}", f"$inc leaves the range of the column at '{path}'", None, "update")


def null_inc_error(path: str) -> Exception:
    """The 422 of ``$inc`` on a ``NULL`` column (``$inc`` of ``None`` fails everywhere)."""
    return query_error(f"$inc.{path}", f"cannot $inc the non-numeric value at '{path}'", "None", "update")
