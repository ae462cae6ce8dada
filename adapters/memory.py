"""``MemoryAdapter``: entities in a Python dict, hash indexes on declared fields, no dependencies.

    MemoryAdapter(indexes=("category", "author.id"))   # plus settings["indexes"] of the service

* Entities are keyed by id (``query_values.hash_key``: ``5`` and ``5.0`` are one id, ``True``/``"5"`` are
  others), so ``find_by_id`` is a dict lookup. Generated ids are ``uuid4().hex`` strings; given ids (str or
  int) are kept.
* Equality and ``$in`` on an indexed path (alone, or inside a top-level ``$and``) read the index bucket
  instead of scanning; ``count`` without a query is ``len()``, and of an indexed equality ``len(bucket)``.
* Without a sort, results come in insertion order (index buckets too), and a ``limit`` stops the scan early.
* Entities are copied on the way in and out with a fast JSON-like copy: callers never share state with the
  store.
* Every data method runs without an ``await`` inside, so each call is atomic with respect to other asyncio
  tasks (two concurrent ``$inc`` never lose an increment), and updates are validated on copies before anything
  changes.
* ``connect``/``disconnect`` keep the data: it lives as long as the adapter object (``clear()`` empties it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any
from uuid import uuid4

from broker.errors import ServiceSchemaError

from .base import BaseAdapter
from .errors import EntityAlreadyExistsError
from .memory_eval import apply_update, compile_filter, sort_docs
from .memory_index import FieldIndex, merge_buckets
from .query import And, Compare, FindParams, In, MatchAll, Node, Update, check_path, split_list
from .query_values import SKIP, copy_value, hash_key

__all__ = ["MemoryAdapter"]


class MemoryAdapter(BaseAdapter):
    """An in-process store with optional hash indexes; the reference engine for the conformance suite."""

    def __init__(self, indexes: Iterable[str] = ()):
        super().__init__()
        self._docs: dict[Any, dict[str, Any]] = {}
        self._seqs: dict[Any, int] = {}
        self._next_seq = 0
        self._indexes: dict[str, FieldIndex] = {}
        for path in _index_paths(indexes, ValueError):
            self.create_index(path)

    def init(self, service_name: str, settings: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        """Also index the fields listed in ``settings["indexes"]``."""
        super().init(service_name, settings, schema)
        for path in _index_paths(settings.get("indexes") or (), ServiceSchemaError):
            self.create_index(path)

    def create_index(self, path: str) -> None:
        """Index a dotted path (built from the current data; a no-op if it exists or is the id)."""
        check_path(path, "indexes", "index")
        if path == self.id_key or path in self._indexes:
            return
        index = FieldIndex(path)
        for key, doc in self._docs.items():
            index.add(key, self._seqs[key], doc)
        self._indexes[path] = index

    @property
    def indexes(self) -> tuple[str, ...]:
        """The indexed paths."""
        return tuple(self._indexes)

    # -------------------------------------------------------------------------------------------------- reads

    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        predicate = compile_filter(params.filter, self.id_key)
        docs = self._candidates(params.filter)
        matches = docs if predicate is None else filter(predicate, docs)
        offset = params.offset
        stop = None if params.limit is None else min(offset + params.limit, sys.maxsize)  # both may be 2**63 - 1
        if params.sort:
            found = sort_docs(list(matches), params.sort, stop)
            return [copy_value(doc) for doc in found[offset:stop]]
        return [copy_value(doc) for doc in islice(matches, offset, stop)]  # stops scanning at the limit

    async def _count(self, filter: Node) -> int:
        if isinstance(filter, MatchAll):
            return len(self._docs)
        if isinstance(filter, Compare) and filter.op == "eq":
            exact = self._exact_count(filter)
            if exact is not None:
                return exact
        predicate = compile_filter(filter, self.id_key)
        return sum(1 for doc in self._candidates(filter) if predicate(doc))  # type: ignore[misc]

    async def _find_by_id(self, id: Any) -> dict[str, Any] | None:
        doc = self._docs.get(hash_key(id))
        return None if doc is None else copy_value(doc)

    async def _find_by_ids(self, ids: list[Any]) -> list[dict[str, Any]]:
        docs = self._docs
        out = []
        for id in ids:
            doc = docs.get(hash_key(id))
            if doc is not None:
                out.append(copy_value(doc))
        return out

    # ------------------------------------------------------------------------------------------------- writes

    async def _insert(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        id_key = self.id_key
        prepared: dict[Any, dict[str, Any]] = {}
        for entity in entities:
            doc = copy_value(entity)
            id = doc.get(id_key)
            if id is None:
                id = self._new_id(prepared)
                doc = {id_key: id, **doc} if id_key not in doc else {**doc, id_key: id}
            key = hash_key(id)
            if key in self._docs or key in prepared:
                raise EntityAlreadyExistsError(id)
            prepared[key] = doc
        for key, doc in prepared.items():
            self._store(key, doc)
        return [copy_value(doc) for doc in prepared.values()]

    async def _update_many(self, filter: Node, update: Update) -> int:
        predicate = compile_filter(filter, self.id_key)
        id_key = self.id_key
        targets = [doc for doc in self._candidates(filter) if predicate is None or predicate(doc)]
        if not update:
            return len(targets)
        changed = [(hash_key(doc[id_key]), apply_update(doc, update)) for doc in targets]  # may raise: no change
        self._commit(changed, update)
        return len(changed)

    async def _update_by_id(self, id: Any, update: Update) -> dict[str, Any] | None:
        key = hash_key(id)
        doc = self._docs.get(key)
        if doc is None:
            return None
        if update:
            doc = apply_update(doc, update)
            self._commit([(key, doc)], update)
        return copy_value(doc)

    async def _remove_many(self, filter: Node) -> int:
        if isinstance(filter, MatchAll):
            return await self._clear()
        predicate = compile_filter(filter, self.id_key)
        keys = [hash_key(doc[self.id_key]) for doc in self._candidates(filter) if predicate(doc)]  # type: ignore[misc]
        for key in keys:
            self._unstore(key)
        return len(keys)

    async def _remove_by_id(self, id: Any) -> dict[str, Any] | None:
        key = hash_key(id)
        if key not in self._docs:
            return None
        return self._unstore(key)  # the removed document is no longer shared with anything: no copy needed

    async def _clear(self) -> int:
        count = len(self._docs)
        self._docs = {}
        self._seqs = {}
        for index in self._indexes.values():
            index.clear()
        return count

    # ---------------------------------------------------------------------------------------------- internals

    def _new_id(self, pending: Mapping[Any, Any]) -> str:
        while True:
            id = uuid4().hex
            if id not in self._docs and id not in pending:
                return id

    def _store(self, key: Any, doc: dict[str, Any]) -> None:
        seq = self._next_seq
        self._next_seq = seq + 1
        self._docs[key] = doc
        self._seqs[key] = seq
        for index in self._indexes.values():
            index.add(key, seq, doc)

    def _unstore(self, key: Any) -> dict[str, Any]:
        doc = self._docs.pop(key)
        del self._seqs[key]
        for index in self._indexes.values():
            index.remove(key)
        return doc

    def _commit(self, changed: list[tuple[Any, dict[str, Any]]], update: Update) -> None:
        """Swap updated documents in (same position, same sequence) and refile them in the touched indexes."""
        paths = update.paths
        touched = [index for index in self._indexes.values() if index.touched_by(paths)]
        docs, seqs = self._docs, self._seqs
        for key, doc in changed:
            docs[key] = doc
            for index in touched:
                index.replace(key, seqs[key], doc)

    def _candidates(self, node: Node) -> Iterator[dict[str, Any]]:
        """The documents that may match, in insertion order: an index's bucket(s) when the plan allows, else all."""
        plan = self._plan(node)
        if plan is None:
            return iter(self._docs.values())
        docs = self._docs
        return (docs[key] for key in plan[1])

    def _plan(self, node: Node) -> tuple[int, Iterable[Any]] | None:
        """``(estimated size, ids in sequence order)`` served by the id map or an index, or ``None`` to scan."""
        if isinstance(node, Compare) and node.op == "eq":
            return self._lookup(node.path, (node.value,))
        if isinstance(node, In) and not node.negate:
            return self._lookup(node.path, node.values)
        if isinstance(node, And):
            plans = [plan for plan in map(self._plan, node.children) if plan is not None]
            if plans:
                return min(plans, key=lambda plan: plan[0])
        return None

    def _lookup(self, path: str, values: tuple[Any, ...]) -> tuple[int, Iterable[Any]] | None:
        if path == self.id_key:
            keys = {hash_key(v) for v in values}
            if SKIP in keys:
                return None
            found = sorted((self._seqs[k], k) for k in keys if k in self._docs)
            return len(found), [k for _, k in found]
        index = self._indexes.get(path)
        if index is None:
            return None
        buckets = index.lookup(values)
        if buckets is None:
            return None
        if not buckets:
            return 0, ()
        return sum(len(b) for b in buckets), merge_buckets(buckets)

    def _exact_count(self, node: Compare) -> int | None:
        """``len(bucket)`` for an equality with a scalar on an indexed path (the bucket *is* the match set)."""
        if node.path == self.id_key:
            return int(hash_key(node.value) in self._docs) if hash_key(node.value) is not SKIP else None
        index = self._indexes.get(node.path)
        if index is None:
            return None
        buckets = index.lookup((node.value,))
        if buckets is None:
            return None
        return len(buckets[0]) if buckets else 0


def _index_paths(indexes: Any, error: type[Exception]) -> list[str]:
    """Index declarations: a list of dotted paths, or a string of them separated by commas or spaces."""
    if isinstance(indexes, str):
        indexes = split_list(indexes)
    if not isinstance(indexes, Iterable) or isinstance(indexes, Mapping):
        raise error(f"indexes must be a list of field names, not {indexes!r}")
    paths = []
    for path in indexes:
        if not isinstance(path, str) or not path or any(not s or s[0] == "$" for s in path.split(".")):
            raise error(f"invalid index field name {path!r}")
        paths.append(path)
    return paths
