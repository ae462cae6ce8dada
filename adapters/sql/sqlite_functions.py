"""Python functions registered on every SQLite connection, so that SQLite gives the portable semantics exactly.

SQLite has no regular expressions, ASCII-only ``lower()`` and JSON functions that cannot tell a bool from an
integer. These functions run the memory adapter's own rules (``adapters/memory_eval.py``,
``adapters/query_values.py``) on one column value at a time, inside the SQL statement:

* ``dbm_match(json_text, leaf)``: a leaf of the query tree (``Compare``/``In``/``Exists``/``Regex`` on a JSON
  column, encoded by ``encode_leaf``) applied to the column's value; 1 or 0, never ``NULL``.
* ``dbm_search(json_text, path, needle)``: the ``search`` rule on a JSON value at ``path`` (``""``: the value).
* ``dbm_contains(text, needle)``: the ``search`` rule on a text column (Unicode simple case folding, as a
  case-insensitive regex of the escaped text: ``query_regex.literal_matcher``).
* ``dbm_regex(text, pattern, flags)``: the language's ``$regex`` (``query_regex.regex_matcher``, RE2).
* ``dbm_sortkey(json_text, path, descending)``: ``sort_bytes`` of the value at ``path``, so ``ORDER BY`` sorts
  JSON values in the language's type order.

They are deterministic and side-effect free; the leaf encoding is cached, so a query compiles its predicates once
per connection thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, event

from ..memory_eval import compile_filter
from ..query_regex import literal_matcher, regex_matcher
from ..query_tree import Compare, Exists, In, Node, Regex, split_path
from ..query_values import MISSING, path_sort_key, resolve, sort_key
from .types import decode_json, encode_value, sort_bytes

__all__ = ["encode_leaf", "register", "register_on_engine"]


def encode_leaf(column: str, node: Node) -> str:
    """The JSON text naming a leaf node relative to a one-column document ``{column: value}``."""
    if isinstance(node, Compare):
        body: list[Any] = ["c", node.path, node.op, encode_value(node.value)]
    elif isinstance(node, In):
        body = ["in", node.path, [encode_value(v) for v in node.values], node.negate]
    elif isinstance(node, Exists):
        body = ["ex", node.path, node.flag]
    elif isinstance(node, Regex):
        body = ["re", node.path, node.pattern, node.flags]
    else:  # pragma: no cover - the compiler only sends leaves
        raise TypeError(node)
    return json.dumps([column, body], ensure_ascii=False, separators=(",", ":"))


def _decode_literal(value: Any) -> Any:
    return decode_json(json.dumps(value))


@lru_cache(maxsize=2048)
def _leaf(key: str) -> tuple[str, Callable[[dict[str, Any]], bool]]:
    column, body = json.loads(key)
    kind = body[0]
    node: Node
    if kind == "c":
        node = Compare(body[1], body[2], _decode_literal(body[3]))
    elif kind == "in":
        node = In(body[1], tuple(_decode_literal(v) for v in body[2]), body[3])
    elif kind == "ex":
        node = Exists(body[1], body[2])
    else:
        node = Regex(body[1], body[2], body[3])
    predicate = compile_filter(node)
    assert predicate is not None
    return column, predicate


def _doc(column: str, text: str | None) -> dict[str, Any]:
    return {} if text is None else {column: decode_json(text)}


def dbm_match(text: str | None, key: str) -> int:
    column, predicate = _leaf(key)
    return 1 if predicate(_doc(column, text)) else 0


@lru_cache(maxsize=512)
def _literal(text: str) -> Callable[[str], bool]:
    return literal_matcher(text)


def _contains_ci(value: Any, text: str) -> bool:
    contains = _literal(text)
    if type(value) is str:
        return contains(value)
    return type(value) is list and any(type(e) is str and contains(e) for e in value)


def dbm_search(text: str | None, path: str, needle: str) -> int:
    if text is None:
        return 0
    value = decode_json(text)
    if not path:
        return int(_contains_ci(value, needle))
    return int(any(_contains_ci(v, needle) for v in resolve(value, split_path(path))))


def dbm_contains(text: str | None, needle: str) -> int:
    return 0 if text is None else int(_literal(needle)(str(text)))


@lru_cache(maxsize=512)
def _regex(pattern: str, flags: str) -> Callable[[str], bool]:
    return regex_matcher(pattern, flags)


def dbm_regex(text: str | None, pattern: str, flags: str) -> int:
    return 0 if text is None else int(_regex(pattern, flags)(str(text)))


def dbm_sortkey(text: str | None, path: str, descending: int) -> bytes:
    value: Any = MISSING if text is None else decode_json(text)
    if path:
        return sort_bytes(path_sort_key(value, split_path(path), bool(descending)))
    return sort_bytes(sort_key(value, bool(descending)))


def register(dbapi_connection: Any) -> None:
    """Register the functions on a DB-API connection (SQLAlchemy's ``connect`` event hands the adapted one)."""
    create = dbapi_connection.create_function
    create("dbm_match", 2, dbm_match, deterministic=True)
    create("dbm_search", 3, dbm_search, deterministic=True)
    create("dbm_contains", 2, dbm_contains, deterministic=True)
    create("dbm_regex", 3, dbm_regex, deterministic=True)
    create("dbm_sortkey", 3, dbm_sortkey, deterministic=True)


def register_on_engine(engine: Engine) -> None:
    """Register the functions on every connection the engine opens (once per engine)."""
    if getattr(engine, "_dbm_functions", False):
        return
    event.listen(engine, "connect", lambda dbapi_connection, _record: register(dbapi_connection))
    engine._dbm_functions = True  # type: ignore[attr-defined]
