"""``MongoCompiler``: the portable query tree rendered to a MongoDB filter document.

MongoDB's matcher already has most of the language's semantics (type brackets for ranges, ``None`` matching a
missing field, any-element matching on arrays, ``$ne``/``$nin`` matching missing fields). Where it differs, the
compiler renders an equivalent filter instead of passing the operator through:

* ``Not`` anywhere (MongoDB's ``$not`` only takes an operator expression on one field) → ``{"$nor": [child]}``,
  which is exactly the logical negation of any filter.
* Equality with an embedded document: MongoDB compares field by field *in key order*, the language ignores key
  order. The literal is expanded into every key order it can be stored in (``$in`` of the permutations, nested
  objects and objects inside arrays too); past ``MAX_VARIANTS`` orders the query is refused with
  ``UnsupportedQueryError`` rather than given a different meaning.
* A canonical ObjectId string (24 lowercase hex digits) in an equality, ``$ne``, ``$in`` or ``$nin`` matches the
  string and the ``ObjectId`` (``ids.query_values``), on any field: ids we converted, and references other
  applications wrote, are both found by their wire form. A range with a string literal also matches the
  ``ObjectId``s whose hex string is in range (``ids.object_id_range``): ``{"_id": {"$gt": last_id}}`` pages.
* ``search``: a case-insensitive, regex-escaped ``$regex`` over each of ``searchFields`` (excluded paths dropped);
  a search without fields is refused (MongoDB's ``$text`` is another thing: capability ``search_without_fields``).
* ``$regex`` is passed with its ``$options``; the portable syntax (``adapters/query_regex.py``) means the same in
  PCRE except for the few Unicode details listed in ``docs/mongo-adapter.md``.

* ``$regex``/``search`` on the id also match an ``ObjectId`` id by its hex string (the wire form), through one
  fixed ``$expr`` (``$regexMatch`` over ``$toString`` of ``_id``, only for ``ObjectId`` ids).

Only the operators above are ever emitted: ``$where``, ``$expr``, ``$function``... in a query are refused by the
parser before a tree exists; the one ``$expr`` the compiler writes has a fixed shape whose only inputs are a
validated pattern and its options.
"""

from __future__ import annotations

import re
from itertools import permutations, product
from typing import Any

from ..compiler import QueryCompiler
from ..query_tree import And, Compare, Exists, In, MatchAll, Node, Not, Or, Regex, Search
from .ids import object_id_range, query_values

__all__ = ["MAX_VARIANTS", "Filter", "MongoCompiler"]

Filter = dict[str, Any]

ID_KEY = "_id"
"""The storage key of ids (``BaseAdapter.id_key``)."""

MAX_VARIANTS = 120
"""The most key orders an equality literal may expand into (a 5-key object has 120)."""

_NOTHING: Filter = {"$nor": [{}]}


class _TooMany(Exception):
    pass


class MongoCompiler(QueryCompiler[Filter]):
    """Query tree → MongoDB filter document (see the module docstring for what is rewritten and why)."""

    def match_all(self, node: MatchAll) -> Filter:
        return {}

    def compare(self, node: Compare) -> Filter:
        op = node.op
        if op in ("eq", "ne"):
            values = self._variants(node, node.value)
            if len(values) == 1:
                value = values[0]
                if op == "eq" and type(value) is not dict and type(value) is not list:
                    return {node.path: value}  # implicit equality: the same match, and mongomock's fast form
                return {node.path: {f"${op}": value}}
            return {node.path: {"$in" if op == "eq" else "$nin": values}}
        cond = {node.path: {f"${op}": node.value}}
        extra = object_id_range(op, node.value) if type(node.value) is str else None
        return cond if extra is None else {"$or": [cond, {node.path: extra}]}

    def in_(self, node: In) -> Filter:
        values: list[Any] = []
        for value in node.values:
            values.extend(self._variants(node, value))
            if len(values) > MAX_VARIANTS + len(node.values):
                raise self.unsupported(node, "too many key orders of embedded documents to match")
        return {node.path: {"$nin" if node.negate else "$in": values}}

    def exists(self, node: Exists) -> Filter:
        return {node.path: {"$exists": node.flag}}

    def regex(self, node: Regex) -> Filter:
        if "\x00" in node.pattern:
            raise self.unsupported(node, "MongoDB refuses a NUL character in a pattern (write it as \\x00)")
        return _regex(node.path, node.pattern, node.flags)

    def search(self, node: Search) -> Filter:
        if not node.fields:
            raise self.unsupported(node, "search needs searchFields on MongoDB")
        fields = [f for f in node.fields if not any(f == e or f.startswith(e + ".") for e in node.exclude)]
        if not fields:
            return dict(_NOTHING)
        escaped = re.escape(node.text).replace("\x00", "\\x00")  # MongoDB refuses a NUL byte in a pattern
        clauses = [_regex(field, escaped, "i") for field in fields]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def and_(self, node: And) -> Filter:
        return {"$and": [self.compile(child) for child in node.children]}

    def or_(self, node: Or) -> Filter:
        return {"$or": [self.compile(child) for child in node.children]}

    def not_(self, node: Not) -> Filter:
        if isinstance(node.child, MatchAll):
            return dict(_NOTHING)
        return {"$nor": [self.compile(node.child)]}

    # ---------------------------------------------------------------------------------------------- internals

    def _variants(self, node: Node, value: Any) -> list[Any]:
        """Every stored form equal to ``value``: the ObjectId twin of a hex string, each key order of objects."""
        if type(value) is dict or type(value) is list:
            try:
                return _orders(value)
            except _TooMany:
                raise self.unsupported(node, "too many key orders of embedded documents to match") from None
        return query_values(value)


def _regex(path: str, pattern: str, flags: str) -> Filter:
    """``$regex`` on ``path``; on the id, also over the hex string of an ``ObjectId`` id (``$regex`` never matches an
    ``ObjectId``, while the wire form of the id is that string). The id is never an array, so ``$toString`` is
    safe there; ``pattern`` and ``flags`` are the parser's, validated."""
    cond: Filter = {"$regex": pattern}
    if flags:
        cond["$options"] = flags
    if path != ID_KEY:
        return {path: cond}
    match: Filter = {"input": {"$toString": "$" + ID_KEY}, "regex": pattern}
    if flags:
        match["options"] = flags
    on_object_id = {"$and": [{ID_KEY: {"$type": "objectId"}}, {"$expr": {"$regexMatch": match}}]}
    return {"$or": [{path: cond}, on_object_id]}


def _orders(value: Any) -> list[Any]:
    """``value`` in every key order of every object in it (``_TooMany`` past ``MAX_VARIANTS``)."""
    if type(value) is dict:
        keys = list(value)
        children = [_orders(value[k]) for k in keys]
        out: list[Any] = []
        for order in permutations(range(len(keys))):
            for combo in product(*(children[i] for i in order)):
                out.append({keys[i]: v for i, v in zip(order, combo)})
                if len(out) > MAX_VARIANTS:
                    raise _TooMany
        return out
    if type(value) is list:
        options = [_orders(v) for v in value]
        total = 1
        for o in options:
            total *= len(o)
            if total > MAX_VARIANTS:
                raise _TooMany
        return [list(combo) for combo in product(*options)]
    return [value]
