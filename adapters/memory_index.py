"""Hash indexes for the memory adapter: field value → the ids holding it, in insertion order.

A ``FieldIndex`` files each entity under the hash keys (``query_values.hash_key``) of the values its path
reaches; an array value is filed under each scalar element (the any-element rule). ``None`` and a missing
field share the key ``None``. Unindexable values (objects, nested arrays, NaN, foreign types) are not filed: a
query for such a value is not served by the index and scans instead, and no scalar equality can match them
anyway. So a bucket is *exactly* the set of entities an equality on a scalar matches, which makes an indexed
``count`` a ``len()``.

Each bucket keeps ``id → insertion sequence``. Inserts append in order; an entity moved into a bucket by an update
waits in a small side map that reads merge in order (see ``Bucket``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from math import isqrt
from operator import itemgetter
from typing import Any

from .errors import EntityAlreadyExistsError
from .query_tree import split_path
from .query_values import MISSING, SKIP, copy_value, hash_key, resolve

__all__ = ["Bucket", "CompoundIndex", "FieldIndex", "clash_error", "index_for", "merge_buckets"]

_BY_SEQ = itemgetter(1)
_FIRST = itemgetter(0)


class Bucket:
    """The ids filed under one key, readable in insertion-sequence order.

    ``_main`` holds ``id → seq`` in increasing ``seq`` (inserts append there). An entity moved in by an update
    usually has an older ``seq``: it waits in the small ``_side`` map (kept sorted for reads until it changes),
    merged in order when the bucket is read, and folded into ``_main`` (one sort) once it outgrows about the square
    root of the bucket — so alternating moves and reads stay cheap instead of re-sorting a large bucket each read.
    """

    __slots__ = ("_high", "_main", "_side", "_side_sorted")

    def __init__(self) -> None:
        self._main: dict[Any, int] = {}
        self._side: dict[Any, int] = {}
        self._side_sorted: list[tuple[int, Any]] | None = None
        self._high = -1

    def __len__(self) -> int:
        return len(self._main) + len(self._side)

    def add(self, id_key: Any, seq: int) -> None:
        if seq > self._high:
            self._main[id_key] = seq
            self._high = seq
        else:
            self._side[id_key] = seq
            self._side_sorted = None

    def discard(self, id_key: Any) -> None:
        if self._main.pop(id_key, None) is None and self._side.pop(id_key, None) is not None:
            self._side_sorted = None

    def keys(self) -> Iterator[Any]:
        """The ids in sequence order."""
        if not self._side:
            return iter(self._main)
        if len(self._side) > max(32, isqrt(len(self._main))):
            self._fold()
            return iter(self._main)
        return (key for _, key in self.items())

    def items(self) -> Iterator[tuple[int, Any]]:
        """``(seq, id)`` pairs in sequence order."""
        main = ((seq, key) for key, seq in self._main.items())
        if not self._side:
            return main
        if self._side_sorted is None:
            self._side_sorted = sorted((seq, key) for key, seq in self._side.items())
        return heapq.merge(main, self._side_sorted, key=_FIRST)

    def _fold(self) -> None:
        merged = {**self._main, **self._side}
        self._main = dict(sorted(merged.items(), key=_BY_SEQ))
        self._side = {}
        self._side_sorted = None


def merge_buckets(buckets: list[Bucket]) -> Iterator[Any]:
    """The ids of several buckets in sequence order, each once (an array value may sit in several buckets)."""
    if len(buckets) == 1:
        yield from buckets[0].keys()
        return
    last = -1
    for seq, key in heapq.merge(*(b.items() for b in buckets), key=_FIRST):
        if seq != last:
            last = seq
            yield key


class FieldIndex:
    """A hash index over one dotted path."""

    __slots__ = ("_keys_of", "buckets", "parts", "path")

    def __init__(self, path: str):
        self.path = path
        self.parts = split_path(path)
        self.buckets: dict[Any, Bucket] = {}
        self._keys_of: dict[Any, tuple[Any, ...]] = {}

    def keys_for(self, doc: dict[str, Any]) -> tuple[Any, ...]:
        """The hash keys a document is filed under (deduplicated, possibly empty)."""
        parts = self.parts
        values = [doc.get(parts[0], MISSING)] if len(parts) == 1 else resolve(doc, parts)
        if len(values) == 1 and type(values[0]) is not list:
            key = hash_key(values[0])
            return () if key is SKIP else (key,)
        keys: dict[Any, None] = {}
        for value in values:
            for item in value if type(value) is list else (value,):
                key = hash_key(item)
                if key is not SKIP:
                    keys[key] = None
        return tuple(keys)

    def add(self, id_key: Any, seq: int, doc: dict[str, Any]) -> None:
        keys = self.keys_for(doc)
        self._keys_of[id_key] = keys
        buckets = self.buckets
        for key in keys:
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = Bucket()
            bucket.add(id_key, seq)

    def remove(self, id_key: Any) -> None:
        for key in self._keys_of.pop(id_key, ()):
            bucket = self.buckets[key]
            bucket.discard(id_key)
            if not len(bucket):
                del self.buckets[key]

    def replace(self, id_key: Any, seq: int, doc: dict[str, Any]) -> None:
        """Refile an updated document (a no-op when its keys did not change)."""
        old = self._keys_of.get(id_key, ())
        new = self.keys_for(doc)
        if old == new:
            return
        self._keys_of[id_key] = new
        for key in old:
            if key not in new:
                bucket = self.buckets[key]
                bucket.discard(id_key)
                if not len(bucket):
                    del self.buckets[key]
        for key in new:
            if key not in old:
                target = self.buckets.get(key)
                if target is None:
                    target = self.buckets[key] = Bucket()
                target.add(id_key, seq)

    def lookup(self, values: Iterable[Any]) -> list[Bucket] | None:
        """The non-empty buckets for literal values, or ``None`` if one of them cannot be served by the index."""
        found = []
        for value in values:
            key = hash_key(value)
            if key is SKIP:
                return None
            bucket = self.buckets.get(key)
            if bucket is not None:
                found.append(bucket)
        return found

    def touched_by(self, paths: Iterable[str]) -> bool:
        """Whether an update of these paths can change what this index files an entity under."""
        mine = self.parts
        for path in paths:
            other = split_path(path)
            n = min(len(mine), len(other))
            if mine[:n] == other[:n]:
                return True
        return False

    def clear(self) -> None:
        self.buckets.clear()
        self._keys_of.clear()


class CompoundIndex(FieldIndex):
    """A hash index over several dotted paths: an entity is filed under every combination of its per-path keys
    (an array on one path gives one key per element), so a bucket is exactly the set of entities matching one scalar
    equality per path. An entity with an unindexable value on one of the paths is not filed."""

    __slots__ = ("fields", "indexes")

    def __init__(self, paths: tuple[str, ...]):
        super().__init__(",".join(paths))
        self.fields = paths
        self.indexes = tuple(FieldIndex(path) for path in paths)

    def keys_for(self, doc: dict[str, Any]) -> tuple[Any, ...]:
        combos: list[tuple[Any, ...]] = [()]
        for index in self.indexes:
            keys = index.keys_for(doc)
            if not keys:
                return ()
            combos = [(*combo, key) for combo in combos for key in keys]
        return tuple(combos)

    def lookup(self, values: Iterable[Any]) -> list[Bucket] | None:
        """The bucket for one literal value per path (in ``fields`` order), or ``None`` if one is unindexable."""
        key = tuple(hash_key(value) for value in values)
        if SKIP in key:
            return None
        bucket = self.buckets.get(key)
        return [] if bucket is None else [bucket]

    def touched_by(self, paths: Iterable[str]) -> bool:
        paths = tuple(paths)
        return any(index.touched_by(paths) for index in self.indexes)


def index_for(fields: tuple[str, ...]) -> FieldIndex:
    """A (single-field or compound) index over ``fields``."""
    return FieldIndex(fields[0]) if len(fields) == 1 else CompoundIndex(fields)


def clash_error(fields: tuple[str, ...], doc: dict[str, Any]) -> EntityAlreadyExistsError:
    """The 409 for ``doc`` clashing in a unique index over ``fields``: the fields and ``doc``'s value at each."""
    return EntityAlreadyExistsError(fields=list(fields), values=[_value_at(doc, f) for f in fields])


def _value_at(doc: dict[str, Any], path: str) -> Any:
    values = [v for v in resolve(doc, split_path(path)) if v is not MISSING]
    if not values:
        return None
    return copy_value(values[0] if len(values) == 1 else values)
