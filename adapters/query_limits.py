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
    walk of caller input. ``field`` is the path of ``value`` itself (``""`` at the top).
    """
    items = 0
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        current, where, depth = stack.pop()
        if isinstance(current, Mapping):
            children: Any = current.items()
        elif isinstance(current, list | tuple):
            children = enumerate(current)
        else:
            continue
        if depth >= max_depth:
            raise query_error(where or kind, f"nested deeper than {max_depth} levels", None, kind)
        items += len(current)
        if items > MAX_ITEMS:
            raise query_error(where or kind, f"more than {MAX_ITEMS} items in all", None, kind)
        for key, child in children:
            if isinstance(current, Mapping) and not isinstance(key, str):
                name = _key_text(key)
                raise query_error(f"{where}.{name}" if where else name, "object keys must be strings", name, kind)
            if isinstance(child, Mapping | list | tuple):
                stack.append((child, f"{where}.{key}" if where else str(key), depth + 1))
