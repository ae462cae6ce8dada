"""Transactions of ``SQLAdapter``: ``async with adapter.transaction()`` on one connection, nested blocks as
savepoints, the contract's hooks (``_begin_transaction``/``_commit_transaction``/``_rollback_transaction``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from broker.errors import MoleculerError

from ..base import BaseAdapter
from ..transactions import Transaction

__all__ = ["SqlTransaction", "SqlTransactions"]


class SqlTransaction(Transaction):
    """An open ``transaction()``: its connection, a lock serialising its statements, and the SQLite write lock."""

    __slots__ = ("conn", "engine_lock", "lock")

    def __init__(self, conn: AsyncConnection, engine_lock: asyncio.Lock | None) -> None:
        super().__init__()
        self.conn = conn
        self.lock = asyncio.Lock()
        self.engine_lock = engine_lock


class SqlTransactions(BaseAdapter):
    """The transaction half of ``SQLAdapter`` (a mixin: ``SQLAdapter`` provides the engine, lock and translation)."""

    _savepoints: bool = True

    @property
    def engine(self) -> AsyncEngine:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _lock(self) -> asyncio.Lock | None:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    def _translate(self, exc: BaseException, id: Any = None) -> MoleculerError:  # pragma: no cover - SQLAdapter's
        raise NotImplementedError

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Group adapter calls in one database transaction; an exception rolls them all back. A nested block is
        a savepoint: its failure, caught by the outer block, undoes only its own writes (the contract's default
        joins the outer transaction; SQL has savepoints). Other tasks never run in this transaction (a
        ``ContextVar``); on SQLite they wait for it to end."""
        tx = self._tx.current()
        if not isinstance(tx, SqlTransaction) or not self._savepoints:
            async with super().transaction() as outer:
                yield outer
            return
        try:
            async with tx.lock:
                savepoint = await tx.conn.begin_nested()
        except Exception as exc:
            raise self._translate(exc) from None
        try:
            yield tx
        except BaseException:
            async with tx.lock:
                if savepoint.is_active:
                    await savepoint.rollback()
            raise
        async with tx.lock:
            if savepoint.is_active:
                await savepoint.commit()

    async def _begin_transaction(self) -> Transaction:
        lock = self._lock()
        if lock is not None:
            await lock.acquire()
        try:
            conn = await self.engine.connect()
            try:
                await conn.begin()
            except BaseException:
                await conn.close()
                raise
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return SqlTransaction(conn, lock)

    async def _commit_transaction(self, tx: Transaction) -> None:
        assert isinstance(tx, SqlTransaction)
        try:
            await tx.conn.commit()
        finally:
            await self._end(tx)

    async def _rollback_transaction(self, tx: Transaction) -> None:
        assert isinstance(tx, SqlTransaction)
        try:
            await tx.conn.rollback()
        except Exception:
            pass  # a lost connection: the server has rolled back already
        finally:
            await self._end(tx)

    async def _end(self, tx: SqlTransaction) -> None:
        try:
            await tx.conn.close()
        except Exception:
            pass
        finally:
            if tx.engine_lock is not None:
                tx.engine_lock.release()
