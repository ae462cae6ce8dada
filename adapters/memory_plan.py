"""Query planning for the memory adapter: which entities a filter may match, served by the id map or an index.

``_candidates(node)`` yields the documents to test, in insertion order: the bucket(s) of an index when the filter (or
one conjunct of a top-level ``$and``) is an equality or ``$in`` on an indexed path, or equalities on every field of a
compound index, else every document. Buckets are exact for scalar literals, so ``_exact_count`` can answer an indexed
equality with ``len(bucket)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from .memory_index import FieldIndex, merge_buckets
from .query import And, Compare, In, Node
from .query_values import SKIP, hash_key

__all__ = ["IndexPlanner"]


class IndexPlanner:
    """Mixed into ``MemoryAdapter``; reads its store (``_docs``, ``_seqs``) and indexes (``_indexes``, ``_all``)."""

    id_key: ClassVar[str]
    _docs: dict[Any, dict[str, Any]]
    _seqs: dict[Any, int]
    _indexes: dict[str, FieldIndex]
    _all: dict[tuple[str, ...], FieldIndex]

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
            compound = self._compound_plan(node) if len(self._all) > len(self._indexes) else None
            if compound is not None:
                plans.append(compound)
            if plans:
                return min(plans, key=lambda plan: plan[0])
        return None

    def _compound_plan(self, node: And) -> tuple[int, Iterable[Any]] | None:
        """A compound index whose every field has an equality among the children of ``node``."""
        equal: dict[str, Any] = {}
        for child in node.children:
            if isinstance(child, Compare) and child.op == "eq":
                equal.setdefault(child.path, child.value)
        best = None
        for fields, index in self._all.items():
            if len(fields) > 1 and all(f in equal for f in fields):
                buckets = index.lookup(tuple(equal[f] for f in fields))
                if buckets is None:
                    continue
                plan = (sum(len(b) for b in buckets), merge_buckets(buckets) if buckets else ())
                if best is None or plan[0] < best[0]:
                    best = plan
        return best

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
