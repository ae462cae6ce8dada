"""Bounds on what the query language accepts, so that malformed or abusive input is a 422 and never a
``RecursionError``, a ``ValueError`` from deep inside Python, or a stalled event loop.

| bound | value | why |
| --- | --- | --- |
| nesting of a query / update / literal | ``MAX_DEPTH`` = 100 levels | MongoDB refuses documents deeper than 100 |
| items in one query or update (all object entries and list elements) | ``MAX_ITEMS`` = 100,000 | memory, time |
| values in one ``$in``/``$nin`` | ``MAX_IN_VALUES`` = 100,000 | (within ``MAX_ITEMS``) |
| sort keys | ``MAX_SORT_KEYS`` = 32 | MongoDB sorts on at most 32 keys |
| a field path | ``MAX_PATH_LENGTH`` = 1,000 characters, ``MAX_DEPTH`` segments | |
| integers | 64-bit signed | BSON's int64; Python would take any size |
| ``limit``/``offset`` | 0 ... 2**63 - 1, at most 19 digits as a string | Python's int-digit limit, ``islice`` |
| ``search`` text | ``MAX_SEARCH_LENGTH`` = 1,000 characters | it becomes a regex on MongoDB |
| ``searchFields`` | ``MAX_SEARCH_FIELDS`` = 100 | |
| regex pattern | ``query_regex.MAX_PATTERN_LENGTH`` = 1,000 characters, repeats ``{m,n}`` <= 1000 | |

Strings (paths and values) must be valid Unicode: a lone surrogate cannot be stored in BSON or JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import query_error

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_DEPTH",
    "MAX_IN_VALUES",
    "MAX_ITEMS",
    "MAX_PATH_LENGTH",
    "MAX_SEARCH_FIELDS",
    "MAX_SEARCH_LENGTH",
    "MAX_SORT_KEYS",
    "check_shape",
    "is_valid_unicode",
]

MAX_DEPTH: Final = 100
MAX_ITEMS: Final = 100_000
MAX_IN_VALUES: Final = 100_000
MAX_SORT_KEYS: Final = 32
MAX_PATH_LENGTH: Final = 1000
MAX_SEARCH_LENGTH: Final = 1000
MAX_SEARCH_FIELDS: Final = 100
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1


def is_valid_unicode(text: str) -> bool:
    """No lone surrogate (so the string encodes to UTF-8, as BSON and JSON need)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key_text(key: Any) -> str:
    """A non-string key as text for an error entry (never raising: huge ints and odd objects included)."""
    try:
        text = str(key)
    except Exception:
        text = f"<{type(key).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def check_shape(value: Any, field: str, kind: str, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse (422 naming the field) a structure nested deeper than ``max_depth`` objects/lists, with more than
    ``MAX_ITEMS`` entries in all, or with a non-string object key.

    Iterative, so it never hits Python's recursion limit however deep the input; run it before any recursive
    walk of caller input. ``field`` is the path of ``value`` itself (``""`` at the top). Paths are only spelled
    out for an error (each container keeps a link to its parent), so a valid input costs one visit per container.
    """
    if type(value) is dict and max_depth >= 2 and _plain_two_levels(value):
        return
    items = 0
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while stack:
        current, depth, link = stack.pop()
        if depth >= max_depth:
            raise query_error(_where(field, link) or kind, f"nested deeper than {max_depth} levels", None, kind)
        items += len(current)
        if items > MAX_ITEMS:
            raise query_error(_where(field, link) or kind, f"more than {MAX_ITEMS} items in all", None, kind)
        if isinstance(current, Mapping):
            for key, child in current.items():
                if type(key) is not str and not isinstance(key, str):
                    name = _key_text(key)
                    where = _where(field, (link, name))
                    raise query_error(where, "object keys must be strings", name, kind)
                t = type(child)
                if t is dict or t is list or t is tuple or (t not in _SCALARS and _is_container(child)):
                    stack.append((child, depth + 1, (link, key)))
        elif isinstance(current, list | tuple):
            for index, child in enumerate(current):
                t = type(child)
                if t is dict or t is list or t is tuple or (t not in _SCALARS and _is_container(child)):
                    stack.append((child, depth + 1, (link, index)))


_SCALARS: Final = frozenset((str, int, float, bool, type(None)))


def _plain_two_levels(value: dict[str, Any]) -> bool:
    """The common shape, checked fast: string keys, scalar values or plain dicts of them, few items."""
    items = len(value)
    for key, child in value.items():
        if type(key) is not str:
            return False
        t = type(child)
        if t is dict:
            items += len(child)
            for inner_key, inner in child.items():
                if type(inner_key) is not str or type(inner) not in _SCALARS:
                    return False
        elif t not in _SCALARS:
            return False
    return items <= MAX_ITEMS


def _is_container(value: Any) -> bool:
    return isinstance(value, Mapping | list | tuple)


def _where(field: str, link: Any) -> str:
    """The dotted path of a container from its parent links."""
    parts: list[str] = []
    while link is not None:
        link, key = link
        parts.append(_key_text(key) if not isinstance(key, str) else key)
    parts.reverse()
    return ".".join([field, *parts] if field else parts)
