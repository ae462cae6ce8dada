"""``MemoryAdapter``: entities in a Python dict, hash indexes (single, compound, unique), no dependencies.

    MemoryAdapter(indexes=("category", {"fields": ["email"], "unique": True}))   # plus settings["indexes"]
    MemoryAdapter(persistent=True)                                                # keep data across connect

* **A fresh store per connect** (like moleculer-db's MemoryAdapter, which opens a new NeDB datastore in
  ``connect``): a ``connect()`` while no one is connected starts empty, so brokers built one after the other from
  one schema (one adapter object) do not see each other's data. While one is connected, another ``connect()`` (a
  second broker running at the same time from the same schema) joins the same store, as a second client of one
  database would; moleculer-db would empty the first broker's data under it. ``persistent=True`` keeps the data
  across ``disconnect``/``connect`` instead.
* Entities are keyed by id (``query_values.hash_key``: ``5`` and ``5.0`` are one id, ``True``/``"5"`` are
  others), so ``find_by_id`` is a dict lookup. Generated ids are ``uuid4().hex`` strings; given ids are kept.
* Indexes are declared as in ``adapters/indexes.py``. Equality and ``$in`` on an indexed path (alone, or inside a
  top-level ``$and``), and equality on every field of a compound index, read a bucket instead of scanning;
  ``count`` without a query is ``len()``, of an indexed equality ``len(bucket)``.
* Unique indexes follow MongoDB: ``None`` and a missing field are one value (only one entity may lack the field);
  an array value claims each of its elements; objects and nested arrays are not indexed and so not checked. A
  clash in ``insert``, ``insert_many``, ``update_many``, ``update_by_id`` or ``find_one_and_update`` is a 409
  naming the fields and values, and nothing is written.
* Without a sort, results come in insertion order (index buckets too), and a ``limit`` stops the scan early.
* Entities are copied on the way in and out: callers never share state with the store.
* Every data method runs without an ``await`` inside, so each call is atomic with respect to other asyncio
  tasks, and updates are validated on copies before anything changes.
* ``transaction()``: an undo log (the previous version of each entity touched) replayed on rollback. Isolation is
  by serialisation: a transaction holds an ``asyncio.Lock`` from begin to end, other tasks' calls and
  transactions wait for it, calls of the owning context (and of tasks it creates) run inside it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any
from uuid import uuid4

from .base import BaseAdapter
from .errors import EntityAlreadyExistsError
from .indexes import IndexSpec, parse_indexes
from .memory_eval import MemoryCompiler, Predicate, apply_update, sort_docs
from .memory_index import CompoundIndex, FieldIndex, clash_error, index_for
from .memory_plan import IndexPlanner
from .query import Compare, FindParams, MatchAll, Node, Update, check_path
from .query_values import copy_value, hash_key
from .transactions import Transaction

__all__ = ["MemoryAdapter"]


class MemoryAdapter(IndexPlanner, BaseAdapter):
    """An in-process store with optional hash indexes; the reference engine for the conformance suite."""

    compiler_class: type[MemoryCompiler] = MemoryCompiler

    def __init__(self, indexes: Any = (), *, persistent: bool = False):
        super().__init__()
        self.persistent = persistent
        self._connections = 0
        self._docs: dict[Any, dict[str, Any]] = {}
        self._seqs: dict[Any, int] = {}
        self._next_seq = 0
        self._indexes: dict[str, FieldIndex] = {}  # single-field indexes by path
        self._all: dict[tuple[str, ...], FieldIndex] = {}  # every index by its fields
        self._unique: list[FieldIndex] = []
        self._names: dict[tuple[str, ...], str] = {}
        self._compiler = self.compiler_class(self.adapter_name, self.id_key)
        self._undo: dict[Any, tuple[int, dict[str, Any]] | None] | None = None
        self._tx_lock: asyncio.Lock | None = None
        self.index_specs = tuple(parse_indexes(indexes, ValueError))
        for spec in self.index_specs:
            self.create_index(spec)

    def init(self, service_name: str, settings: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        """Also create the indexes declared in ``settings["indexes"]``."""
        super().init(service_name, settings, schema)
        for spec in self.index_specs:
            self.create_index(spec)

    async def connect(self) -> None:
        """Start with an empty store when no one else is connected (unless ``persistent``); indexes stay declared."""
        if not self.persistent and self._connections == 0:
            self._reset()
        self._connections += 1

    async def disconnect(self) -> None:
        """One connection fewer (the store is kept until the next ``connect`` while none is left)."""
        self._connections = max(0, self._connections - 1)

    def create_index(self, index: str | Iterable[str] | IndexSpec, unique: bool = False) -> None:
        """Index a dotted path, or several (compound), built from the current data. Re-declaring an index is a
        no-op, except that ``unique`` upgrades it (a 409 if the stored data already clashes). The id needs none."""
        spec = index if isinstance(index, IndexSpec) else IndexSpec(_fields(index), unique)
        fields = spec.fields
        if fields == (self.id_key,):
            return
        existing = self._all.get(fields)
        if existing is None:
            existing = index_for(fields)
            for key, doc in self._docs.items():
                existing.add(key, self._seqs[key], doc)
            self._all[fields] = existing
            self._names[fields] = spec.name
            if len(fields) == 1:
                self._indexes[fields[0]] = existing
        if spec.unique and existing not in self._unique:
            for bucket in existing.buckets.values():
                if len(bucket) > 1:
                    raise _clash(existing, self._docs[next(bucket.keys())])
            self._unique.append(existing)

    @property
    def indexes(self) -> tuple[str, ...]:
        """The names of the indexes (a single-field index is named by its path)."""
        return tuple(self._names.values())

    @property
    def unique_indexes(self) -> tuple[str, ...]:
        """The names of the unique indexes."""
        return tuple(self._names[_fields_of(index)] for index in self._unique)

    # -------------------------------------------------------------------------------------------------- reads

    def _predicate(self, node: Node) -> Predicate | None:
        return None if isinstance(node, MatchAll) else self._compiler.compile(node)

    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        predicate = self._predicate(params.filter)
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
        predicate = self._compiler.compile(filter)
        return sum(1 for doc in self._candidates(filter) if predicate(doc))

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
        for doc in entities:  # fresh copies (``BaseAdapter._checked_entity``): the store may keep them
            id = doc.get(id_key)
            if id is None:
                id = self._new_id(prepared)
                doc = {id_key: id, **doc} if id_key not in doc else {**doc, id_key: id}
            key = hash_key(id)
            if key in self._docs or key in prepared:
                raise EntityAlreadyExistsError(id)
            prepared[key] = doc
        if self._unique:
            self._check_unique(list(prepared.items()), None)
        for key, doc in prepared.items():
            self._store(key, doc)
        return [copy_value(doc) for doc in prepared.values()]

    async def _update_many(self, filter: Node, update: Update) -> int:
        predicate = self._predicate(filter)
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

    async def _find_one_and_update(self, filter: Node, update: Update) -> dict[str, Any] | None:
        doc = self._first(filter)
        if doc is None:
            return None
        if update:
            doc = apply_update(doc, update)
            self._commit([(hash_key(doc[self.id_key]), doc)], update)
        return copy_value(doc)

    async def _find_one_and_delete(self, filter: Node) -> dict[str, Any] | None:
        doc = self._first(filter)
        return None if doc is None else self._unstore(hash_key(doc[self.id_key]))

    async def _remove_many(self, filter: Node) -> int:
        if isinstance(filter, MatchAll):
            return await self._clear()
        predicate = self._compiler.compile(filter)
        keys = [hash_key(doc[self.id_key]) for doc in self._candidates(filter) if predicate(doc)]
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
        if self._undo is not None:
            for key in self._docs:
                self._remember(key)
        self._docs = {}
        self._seqs = {}
        for index in self._all.values():
            index.clear()
        return count

    # ------------------------------------------------------------------------------------------- transactions

    def _lock(self) -> asyncio.Lock:
        if self._tx_lock is None:
            self._tx_lock = asyncio.Lock()
        return self._tx_lock

    async def _begin_transaction(self) -> Transaction:
        lock = self._lock()
        await lock.acquire()
        tx = Transaction()
        self._exclusive = (tx, lock)  # other contexts' calls now wait for the lock (see ``engine_call``)
        self._undo = {}
        return tx

    async def _commit_transaction(self, tx: Transaction) -> None:
        self._end_transaction(tx)

    async def _rollback_transaction(self, tx: Transaction) -> None:
        undo = self._undo
        try:
            if undo is not None and self._exclusive is not None and self._exclusive[0] is tx:
                self._undo = None
                self._replay(undo)
        finally:
            self._end_transaction(tx)

    def _end_transaction(self, tx: Transaction) -> None:
        if self._exclusive is not None and self._exclusive[0] is tx:
            lock = self._exclusive[1]
            self._exclusive = None
            self._undo = None
            lock.release()

    def _remember(self, key: Any) -> None:
        """Record the version of ``key`` before the transaction first changes it (``None``: it did not exist)."""
        undo = self._undo
        if undo is not None and key not in undo:
            undo[key] = (self._seqs[key], self._docs[key]) if key in self._docs else None

    def _replay(self, undo: dict[Any, tuple[int, dict[str, Any]] | None]) -> None:
        """Put every touched entity back as it was (same sequence, so the same place in insertion order)."""
        docs, seqs, indexes = self._docs, self._seqs, self._all.values()
        reorder = False
        for key, before in undo.items():
            if before is not None and key in docs and seqs[key] == before[0]:
                docs[key] = before[1]
                for index in indexes:
                    index.replace(key, before[0], before[1])
                continue
            if key in docs:
                self._unstore(key)
            if before is not None:
                seq, doc = before
                docs[key], seqs[key] = doc, seq
                for index in indexes:
                    index.add(key, seq, doc)
                reorder = True
        if reorder:
            self._docs = dict(sorted(docs.items(), key=lambda item: seqs[item[0]]))

    # ---------------------------------------------------------------------------------------------- internals

    def _reset(self) -> None:
        self._docs = {}
        self._seqs = {}
        self._next_seq = 0
        for index in self._all.values():
            index.clear()
        if self._exclusive is None:
            self._tx_lock = None  # a new connection may run on another event loop

    def _new_id(self, pending: Mapping[Any, Any]) -> str:
        while True:
            id = uuid4().hex
            if id not in self._docs and id not in pending:
                return id

    def _first(self, filter: Node) -> dict[str, Any] | None:
        predicate = self._predicate(filter)
        for doc in self._candidates(filter):
            if predicate is None or predicate(doc):
                return doc
        return None

    def _store(self, key: Any, doc: dict[str, Any]) -> None:
        self._remember(key)
        seq = self._next_seq
        self._next_seq = seq + 1
        self._docs[key] = doc
        self._seqs[key] = seq
        for index in self._all.values():
            index.add(key, seq, doc)

    def _unstore(self, key: Any) -> dict[str, Any]:
        self._remember(key)
        doc = self._docs.pop(key)
        del self._seqs[key]
        for index in self._all.values():
            index.remove(key)
        return doc

    def _commit(self, changed: list[tuple[Any, dict[str, Any]]], update: Update) -> None:
        """Swap updated documents in (same position, same sequence) and refile them in the touched indexes; a
        unique-index clash raises before anything changes."""
        paths = update.paths
        if self._unique:
            self._check_unique(changed, paths)
        touched = [index for index in self._all.values() if index.touched_by(paths)]
        docs, seqs = self._docs, self._seqs
        for key, doc in changed:
            self._remember(key)
            docs[key] = doc
            for index in touched:
                index.replace(key, seqs[key], doc)

    def _check_unique(self, changes: list[tuple[Any, dict[str, Any]]], paths: tuple[str, ...] | None) -> None:
        """Raise a 409 if storing ``changes`` (id key → new version) would file two entities under one key of a
        unique index (``paths``: only indexes an update of these paths can affect)."""
        changing = {key for key, _ in changes}
        for index in self._unique:
            if paths is not None and not index.touched_by(paths):
                continue
            claimed: dict[Any, Any] = {}
            for key, doc in changes:
                for value_key in index.keys_for(doc):
                    if claimed.setdefault(value_key, key) != key:
                        raise _clash(index, doc)
                    bucket = index.buckets.get(value_key)
                    if bucket is not None and any(h != key and h not in changing for h in bucket.keys()):  # noqa: SIM118
                        raise _clash(index, doc)


def _fields(index: str | Iterable[str]) -> tuple[str, ...]:
    paths = (index,) if isinstance(index, str) else tuple(index)
    if not paths:
        raise ValueError("an index needs at least one field")
    return tuple(check_path(path, "indexes", "index") for path in paths)


def _fields_of(index: FieldIndex) -> tuple[str, ...]:
    return index.fields if isinstance(index, CompoundIndex) else (index.path,)


def _clash(index: FieldIndex, doc: dict[str, Any]) -> EntityAlreadyExistsError:
    """The 409 for ``doc`` clashing in ``index``: its fields and ``doc``'s value at each."""
    return clash_error(_fields_of(index), doc)
