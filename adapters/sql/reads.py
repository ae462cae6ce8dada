"""The read half of ``SQLAdapter``: entities selected and decoded (``columns.TableInfo``), ``find``/``count``
with the compiler's guard queries, and ``find_by_id`` — on SQLite answered by the event-loop reader
(``sqlite_reads.py``) outside transactions, elsewhere one prepared ``SELECT … WHERE id = :id``, run in autocommit
on PostgreSQL (``engines.py``)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ..base import BaseAdapter
from ..memory_eval import sort_docs
from ..query import FindParams, Node
from .columns import TableInfo
from .compiler import SqlCompiler
from .sqlite_reads import SqliteReader

__all__ = ["SqlReads"]


class SqlReads(BaseAdapter):
    """The read half of ``SQLAdapter`` (a mixin: ``SQLAdapter`` provides the table, dialect, compiler, connections
    and the SQLite reader)."""

    _compiler: SqlCompiler | None = None
    _reader: SqliteReader | None = None
    _by_id: sa.Select[Any] | None = None

    @property
    def dialect(self) -> str:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _table_info(self) -> TableInfo:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _connection(
        self, id: Any = None, read: bool = False
    ) -> AbstractAsyncContextManager[AsyncConnection]:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _columns(self) -> list[sa.ColumnElement[Any]]:
        return self._table_info().selected(self.dialect)

    def _entity(self, row: Any) -> dict[str, Any]:
        return self._table_info().entity(row)

    def _by_id_statement(self) -> sa.Select[Any]:
        """``SELECT <columns> WHERE <id> = :id`` (built once; bind ``compiler.id_literal(id)[1]``)."""
        if self._by_id is None:
            self._by_id = sa.select(*self._columns()).where(self._compiler_().id_equals("id"))
        return self._by_id

    def _compiler_(self) -> SqlCompiler:
        assert self._compiler is not None
        return self._compiler

    def _where(self, node: Node) -> sa.ColumnElement[bool]:
        """The clause of ``node``; its guards wait in the compiler for ``take_guards`` (a failed compilation drops
        them: they must not reach the next call)."""
        compiler = self._compiler_()
        try:
            return compiler.compile(node)
        except BaseException:
            compiler.take_guards()
            raise

    async def _check_guards(self, conn: AsyncConnection) -> None:
        """Run the compiler's guard queries (PostgreSQL JSON paths): refuse what would differ."""
        assert self._compiler is not None
        await self._run_guards(conn, self._compiler.take_guards())

    async def _run_guards(self, conn: AsyncConnection, guards: list[tuple[Any, str, str | None, str]]) -> None:
        for condition, operator, path, reason in guards:
            stmt = sa.select(sa.literal(1)).select_from(self._table_info().table).where(condition).limit(1)
            if (await conn.execute(stmt)).first() is not None:
                raise self.unsupported(operator, path, reason)

    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        assert self._compiler is not None
        where = self._where(params.filter)
        filter_guards = self._compiler.take_guards()
        try:
            order = self._compiler.order_by(params.sort)
        finally:
            sort_guards = self._compiler.take_guards()
        stmt = sa.select(*self._columns()).where(where)
        paged = stmt.order_by(*order)
        if params.limit is not None:
            paged = paged.limit(params.limit)
        if params.offset:
            paged = paged.offset(params.offset)
        async with self._connection(read=not filter_guards and not sort_guards) as conn:
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
        stmt = sa.select(sa.literal(1)).select_from(self._table_info().table).where(sa.or_(*conditions)).limit(1)
        return (await conn.execute(stmt)).first() is not None

    async def _count(self, filter: Node) -> int:
        stmt = sa.select(sa.func.count()).select_from(self._table_info().table).where(self._where(filter))
        guards = self._compiler_().take_guards()
        async with self._connection(read=not guards) as conn:
            await self._run_guards(conn, guards)
            return int((await conn.execute(stmt)).scalar_one())

    async def _find_by_id(self, id: Any) -> dict[str, Any] | None:
        reader = self._reader
        if reader is not None and self._tx.current() is None:  # a transaction reads on its own connection
            answered, row = reader.find(id)
            if answered:
                return None if row is None else self._entity(row)
        if self._table_info().id.kind == "json":  # compiled as a JSON leaf (guards on PostgreSQL)
            return await super()._find_by_id(id)
        ok, value = self._compiler_().id_literal(id)
        if not ok:
            return None
        async with self._connection(read=True) as conn:
            row = (await conn.execute(self._by_id_statement(), {"id": value})).first()
        return None if row is None else self._entity(row)
