"""Fake adapters for the contract tests: a deliberately limited memory adapter, and a failing engine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters import BaseAdapter, FindParams, MemoryAdapter, Node, Regex, Search, Update
from adapters.capabilities import AdapterCapabilities
from adapters.memory_eval import MemoryCompiler, Predicate
from adapters.transactions import Transaction


class LimitedCompiler(MemoryCompiler):
    """Refuses ``$regex`` and a ``search`` without ``searchFields`` (as an SQL engine on SQLite would)."""

    def regex(self, node: Regex) -> Predicate:
        raise self.unsupported(node)

    def search(self, node: Search) -> Predicate:
        if not node.fields:
            raise self.unsupported(node, "search needs searchFields on this engine")
        return super().search(node)


class LimitedMemoryAdapter(MemoryAdapter):
    """A memory adapter that declares (and really lacks) regex, search without fields and transactions."""

    capabilities = replace(MemoryAdapter.capabilities, regex=False, search_without_fields=False, transactions=False)
    compiler_class = LimitedCompiler

    async def _begin_transaction(self) -> Transaction:
        return await BaseAdapter._begin_transaction(self)


class FailingEngine(BaseAdapter):
    """Every primitive raises ``self.failure`` (set by the test); ``translate_error`` knows one duplicate-key type."""

    capabilities: AdapterCapabilities = replace(MemoryAdapter.capabilities, transactions=False)

    def __init__(self) -> None:
        super().__init__()
        self.failure: BaseException = RuntimeError("boom")

    def translate_error(self, exc: Exception) -> Any:
        if isinstance(exc, DuplicateKey):
            from adapters import EntityAlreadyExistsError

            return EntityAlreadyExistsError(fields=list(exc.fields), values=list(exc.values))
        return super().translate_error(exc)

    async def _fail(self, *args: Any) -> Any:
        raise self.failure

    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        return await self._fail(params)

    async def _count(self, filter: Node) -> int:
        return await self._fail(filter)

    async def _insert(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await self._fail(entities)

    async def _update_many(self, filter: Node, update: Update) -> int:
        return await self._fail(filter, update)

    async def _find_one_and_update(self, filter: Node, update: Update) -> dict[str, Any] | None:
        return await self._fail(filter, update)

    async def _find_one_and_delete(self, filter: Node) -> dict[str, Any] | None:
        return await self._fail(filter)

    async def _remove_many(self, filter: Node) -> int:
        return await self._fail(filter)

    async def _clear(self) -> int:
        return await self._fail()


class DuplicateKey(Exception):
    """An engine's own duplicate-key exception (like ``sqlalchemy.exc.IntegrityError``)."""

    def __init__(self, fields: tuple[str, ...], values: tuple[Any, ...]) -> None:
        super().__init__(f"E11000 duplicate key error collection: shop.users index: {fields} dup key: {values}")
        self.fields = fields
        self.values = values
