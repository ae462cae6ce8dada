"""The memory adapter's evaluator: query trees compiled to Python predicates, sorting, and updates applied.

Compilation happens once per call and specialises each leaf on the operand's type (a string equality is one
``==``), so scanning stays cheap. The per-value rules come from ``query_values``; this module only wires them
to the tree.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .compiler import QueryCompiler
from .errors import query_error
from .query_params import SortKey, Update
from .query_regex import literal_matcher, regex_matcher
from .query_tree import (
    And,
    Compare,
    Exists,
    In,
    MatchAll,
    Node,
    Not,
    Or,
    Regex,
    Search,
    split_path,
)
from .query_values import (
    MISSING,
    SKIP,
    copy_value,
    hash_key,
    normalize_datetime,
    path_sort_key,
    resolve,
    sort_key,
    strict_eq,
)

__all__ = ["MemoryCompiler", "Predicate", "apply_update", "compile_filter", "sort_docs"]

Predicate = Callable[[dict[str, Any]], bool]
Matcher = Callable[[Any], bool]

_NUMBERS = (int, float)
_RANGE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def compile_filter(node: Node, id_key: str = "_id", compiler: MemoryCompiler | None = None) -> Predicate | None:
    """A predicate over stored documents, or ``None`` for ``MatchAll`` (no check needed).

    ``compiler`` defaults to the full ``MemoryCompiler`` for ``id_key``; an adapter passes its own (possibly a
    restricted subclass that refuses some nodes with ``UnsupportedQueryError``).
    """
    if isinstance(node, MatchAll):
        return None
    if compiler is None:
        compiler = _default_compiler(id_key)
    return compiler.compile(node)


class MemoryCompiler(QueryCompiler[Predicate]):
    """Query tree → Python predicate, each leaf specialised on its operand's type; supports every node."""

    def __init__(self, adapter_name: str = "MemoryAdapter", id_key: str = "_id") -> None:
        super().__init__(adapter_name)
        self.id_key = id_key

    def match_all(self, node: MatchAll) -> Predicate:
        return _always

    def compare(self, node: Compare) -> Predicate:
        op = node.op
        if op == "eq":
            return _on_path(node.path, _eq_matcher(node.value))
        if op == "ne":
            match = _on_path(node.path, _eq_matcher(node.value))
            return lambda doc: not match(doc)
        return _on_path(node.path, _range_matcher(op, node.value))

    def in_(self, node: In) -> Predicate:
        match = _on_path(node.path, _in_matcher(node.values))
        return (lambda doc: not match(doc)) if node.negate else match

    def exists(self, node: Exists) -> Predicate:
        return _exists(node.path, node.flag)

    def regex(self, node: Regex) -> Predicate:
        return _on_path(node.path, _regex_matcher(node.pattern, node.flags))

    def search(self, node: Search) -> Predicate:
        return _search(node.text, node.fields, self.id_key, node.exclude)

    def and_(self, node: And) -> Predicate:
        preds = tuple(map(self.compile, node.children))
        if len(preds) == 2:
            first, second = preds
            return lambda doc: first(doc) and second(doc)
        return lambda doc: all(pred(doc) for pred in preds)

    def or_(self, node: Or) -> Predicate:
        preds = tuple(map(self.compile, node.children))
        return lambda doc: any(pred(doc) for pred in preds)

    def not_(self, node: Not) -> Predicate:
        if isinstance(node.child, MatchAll):
            return _never
        inner = self.compile(node.child)
        return lambda doc: not inner(doc)


def _always(doc: dict[str, Any]) -> bool:
    return True


def _never(doc: dict[str, Any]) -> bool:
    return False


_COMPILERS: dict[str, MemoryCompiler] = {}


def _default_compiler(id_key: str) -> MemoryCompiler:
    compiler = _COMPILERS.get(id_key)
    if compiler is None:
        compiler = _COMPILERS[id_key] = MemoryCompiler("MemoryAdapter", id_key)
    return compiler


def _on_path(path: str, match: Matcher) -> Predicate:
    """Apply a value matcher to what the path reaches: true if any reached value matches."""
    parts = split_path(path)
    if len(parts) == 1:
        key = parts[0]
        return lambda doc: match(doc.get(key, MISSING))
    return lambda doc: any(match(value) for value in resolve(doc, parts))


def _eq_matcher(value: Any) -> Matcher:
    """Equality with array any-element semantics, specialised on the literal's type."""
    t = type(value)
    if value is None:
        return lambda v: v is None or v is MISSING or (type(v) is list and any(e is None for e in v))
    if t is str:
        return lambda v: v == value or (type(v) is list and value in v)
    if t is bool:
        return lambda v: v is value or (type(v) is list and any(e is value for e in v))
    if t is int or t is float:

        def number(v: Any) -> bool:
            tv = type(v)
            if tv is int or tv is float:
                return bool(v == value)
            return tv is list and any(type(e) in _NUMBERS and e == value for e in v)

        return number
    return lambda v: strict_eq(v, value) or (type(v) is list and any(strict_eq(e, value) for e in v))


def _range_matcher(op: str, value: Any) -> Matcher:
    cmp = _RANGE[op]
    if type(value) is str:

        def one(v: Any) -> bool:
            return type(v) is str and bool(cmp(v, value))

    elif type(value) is datetime:
        literal = normalize_datetime(value)

        def one(v: Any) -> bool:
            return type(v) is datetime and bool(cmp(normalize_datetime(v), literal))

    else:

        def one(v: Any) -> bool:
            return type(v) in _NUMBERS and bool(cmp(v, value))

    return lambda v: one(v) or (type(v) is list and any(one(e) for e in v))


def _in_matcher(values: tuple[Any, ...]) -> Matcher:
    """``$in``: scalars are looked up by hash key (exactly the equality rule); containers compared strictly."""
    keys = set()
    containers = []
    for value in values:
        key = hash_key(value)
        if key is SKIP:
            containers.append(value)
        else:
            keys.add(key)

    def one(v: Any) -> bool:
        key = hash_key(v)
        if key is not SKIP:
            return key in keys
        return any(strict_eq(v, c) for c in containers)

    return lambda v: one(v) or (type(v) is list and any(one(e) for e in v))


def _exists(path: str, flag: bool) -> Predicate:
    parts = split_path(path)
    if len(parts) == 1:
        key = parts[0]
        return (lambda doc: key in doc) if flag else (lambda doc: key not in doc)
    return lambda doc: any(v is not MISSING for v in resolve(doc, parts)) is flag


def _regex_matcher(pattern: str, flags: str) -> Matcher:
    """``$regex``: a string value (or a string element of an array value) contains a match; RE2, linear time."""
    search = regex_matcher(pattern, flags)

    def one(v: Any) -> bool:
        return type(v) is str and search(v)

    return lambda v: one(v) or (type(v) is list and any(one(e) for e in v))


def _excluded(path: str, exclude: tuple[str, ...]) -> bool:
    """``path`` is one of the excluded paths or lies under one (``"a.b"`` under ``"a"``)."""
    return any(path == e or path.startswith(e + ".") for e in exclude)


def _search(text: str, fields: tuple[str, ...], id_key: str, exclude: tuple[str, ...] = ()) -> Predicate:
    """Case-insensitive substring over string values (or strings inside an array value) of the fields, never
    over an excluded path or anything under it. Case-insensitive exactly as a regex-escaped ``$regex`` with option
    ``i`` (``query_regex.literal_matcher``: Unicode simple case folding), so the Mongo rendering agrees."""
    contains = literal_matcher(text)

    def one(v: Any) -> bool:
        if type(v) is str:
            return contains(v)
        return type(v) is list and any(type(e) is str and contains(e) for e in v)

    if not fields:
        if exclude:
            skip = frozenset(e for e in exclude if "." not in e) | {id_key}
            return lambda doc: any(one(v) for k, v in doc.items() if k not in skip)
        return lambda doc: any(one(v) for k, v in doc.items() if k != id_key)
    fields = tuple(f for f in fields if not _excluded(f, exclude))
    if not fields:
        return lambda doc: False
    matchers = tuple(_on_path(f, one) for f in fields)
    if len(matchers) == 1:
        return matchers[0]
    return lambda doc: any(m(doc) for m in matchers)


# ------------------------------------------------------------------------------------------------------- sort


def _key_function(key: SortKey, descending: bool) -> Callable[[dict[str, Any]], Any]:
    """The key function of one sort key: MongoDB's sort key of the path (``query_values.sort_key``)."""
    parts = split_path(key.path)
    if len(parts) == 1:
        name = parts[0]
        return lambda doc: sort_key(doc.get(name, MISSING), descending)
    return lambda doc: path_sort_key(doc, parts, descending)


def sort_docs(docs: list[dict[str, Any]], keys: tuple[SortKey, ...], top: int | None = None) -> list[dict[str, Any]]:
    """Sort stably by the keys (ties keep insertion order); with ``top``, only the first ``top`` are needed."""
    if not keys:
        return docs
    directions = {k.descending for k in keys}
    if len(directions) == 1:
        descending = keys[0].descending
        functions = [_key_function(k, descending) for k in keys]
        key = functions[0] if len(functions) == 1 else (lambda doc: tuple(f(doc) for f in functions))
        if top is not None and top < len(docs) // 4:
            pick = heapq.nlargest if descending else heapq.nsmallest
            return pick(top, docs, key=key)  # equivalent to sorted(...)[:top], stable
        docs.sort(key=key, reverse=descending)
        return docs
    for k in reversed(keys):  # mixed directions: one stable pass per key, least significant first
        docs.sort(key=_key_function(k, k.descending), reverse=k.descending)
    return docs


# ----------------------------------------------------------------------------------------------------- update


def apply_update(doc: dict[str, Any], update: Update) -> dict[str, Any]:
    """The updated document, copy-on-write (``doc`` itself is never changed, so a failing update changes
    nothing).

    Raises a 422 when a path runs through a non-object value or ``$inc`` meets a non-number.
    """
    new = dict(doc)
    owned = {id(new)}
    for path, value in update.set:
        parent, last = _parent(new, path, owned, "$set")
        parent[last] = copy_value(value)  # type: ignore[index]
    for path in update.unset:
        parent, last = _parent(new, path, owned, None)
        if parent is not None:
            parent.pop(last, None)
    for path, amount in update.inc:
        parent, last = _parent(new, path, owned, "$inc")
        current = parent.get(last, MISSING)  # type: ignore[union-attr]
        if current is MISSING:
            parent[last] = amount  # type: ignore[index]
        elif type(current) in _NUMBERS:
            parent[last] = current + amount  # type: ignore[index]
        else:
            raise query_error(f"$inc.{path}", f"cannot $inc the non-numeric value at '{path}'", repr(current), "update")
    return new


def _parent(doc: dict[str, Any], path: str, owned: set[int], op: str | None) -> tuple[dict[str, Any] | None, str]:
    """The (copied) dict holding the path's last segment; creates missing objects unless ``op`` is ``None``."""
    parts = split_path(path)
    current = doc
    for segment in parts[:-1]:
        child = current.get(segment, MISSING)
        if type(child) is dict:
            if id(child) not in owned:
                child = dict(child)
                current[segment] = child
                owned.add(id(child))
        elif child is MISSING and op is not None:
            child = {}
            current[segment] = child
            owned.add(id(child))
        elif op is None:
            return None, parts[-1]
        else:
            raise query_error(
                f"{op}.{path}",
                f"cannot create '{path}': '{segment}' holds a {type(child).__name__}, not an object",
                repr(child),
                "update",
            )
        current = child
    return current, parts[-1]
