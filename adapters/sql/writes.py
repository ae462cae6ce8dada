"""Row values and updates of ``SQLAdapter``: entities checked against the table's columns and types, and updates
as one ``UPDATE`` statement (whole columns, ``$inc`` as ``SET n = n + :k``) or, into JSON values and fields of
unique indexes, as a locked read-modify-write with the memory adapter's update rules (see ``adapter.py``); the
declared indexes and their unique keys (``unique.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..base import BaseAdapter
from ..errors import query_error
from ..memory_eval import apply_update
from ..query import In, Node, Update, check_value
from ..query_limits import check_shape
from .columns import Field, TableInfo
from .compiler import to_column_datetime
from .types import decode_json, encode_id, encode_value
from .unique import UniqueKeys

__all__ = ["MARIADB_JSON_DEPTH", "SqlWrites", "null_inc_error"]

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

    def _json_text(self, column: sa.Column[Any]) -> sa.ColumnElement[Any]:  # pragma: no cover - SQLAdapter's
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
            return encoded
        value = check_value(value, where, kind)
        if value is None:
            return None
        t = type(value)
        ok = {
            "number": t is int or t is float,
            "string": t is str,
            "bool": t is bool,
            "datetime": t is datetime,
            "other": t not in (list, dict),
        }.get(f.kind, False)
        if not ok:
            raise query_error(where, f"'{f.key}' holds {f.kind} values, not {t.__name__}", repr(value)[:80], kind)
        if t is str and "\x00" in value and self.dialect == "postgresql":
            raise query_error(where, "PostgreSQL text cannot hold the NUL character", repr(value)[:80], kind)
        if t is datetime:
            return to_column_datetime(value, f.column)
        return value

    def _id_value(self, id: Any, where: str) -> Any:
        kind = self._table_info().id.kind
        if kind == "anyid" and encode_id(id) is None:
            raise query_error(where, "an integer id must fit in 64 bits", id, "entity")
        if (kind == "number" and type(id) is not int) or (kind == "string" and type(id) is not str):
            raise query_error(where, f"the id column holds {kind} values", repr(id)[:80], "entity")
        return id

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
        cols = [self._json_text(f.column) if f.kind == "json" else f.column for f in fields]
        stmt = sa.select(info.order, info.id.column, *cols).where(where).order_by(info.order)
        if lock and self.dialect != "sqlite":
            stmt = stmt.with_for_update()
        out = []
        for row in (await conn.execute(stmt)).all():
            doc: dict[str, Any] = {self.id_key: row[1]}
            for f, value in zip(fields, row[2:]):
                if f.kind != "json":
                    doc[f.key] = float(value) if isinstance(value, Decimal) else value
                elif value is not None:
                    doc[f.key] = decode_json(value)
            out.append((row[0], doc))
        return out

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
        if not update:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(info.table).where(where))).scalar_one()
            )
        update, values = self._plain_update(update)
        if not update:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(info.table).where(where))).scalar_one()
            )
        if values is not None and not self._keys.touched_by(update.paths):
            for path, _ in update.inc:
                column = info.fields[path].column
                null = await conn.execute(
                    sa.select(sa.literal(1)).select_from(info.table).where(where, column.is_(None)).limit(1)
                )
                if null.first() is not None:
                    raise null_inc_error(path)
            result = await conn.execute(info.table.update().where(where).values(values))
            return int(result.rowcount)
        return await self._update_rows(conn, where, update)

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
            column = info.fields[path].column
            values[column.key] = column + amount
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


def null_inc_error(path: str) -> Exception:
    """The 422 of ``$inc`` on a ``NULL`` column (``$inc`` of ``None`` fails everywhere)."""
    return query_error(f"$inc.{path}", f"cannot $inc the non-numeric value at '{path}'", "None", "update")
