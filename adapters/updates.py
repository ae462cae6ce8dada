"""The portable update semantics: ``apply_update(doc, update)`` applies a parsed ``Update`` to a plain dict.

It is the executable definition of ``$set``/``$unset``/``$inc`` over dotted paths (``docs/query-language.md``):
the memory adapter stores its result, and ``dbmixin`` uses it to compute the entity an update will produce, so it
can validate the whole entity before writing.
"""

from __future__ import annotations

import math
from typing import Any

from broker.errors import ValidationError

from .errors import query_error
from .query_limits import INT64_MAX, INT64_MIN
from .query_params import Update
from .query_tree import split_path
from .query_values import MISSING, copy_value

__all__ = ["apply_update", "inc_sum", "not_a_number", "not_an_object"]

_NUMBERS = (int, float)


def apply_update(doc: dict[str, Any], update: Update) -> dict[str, Any]:
    """The updated document, copy-on-write (``doc`` itself is never changed, so a failing update changes
    nothing).

    Raises a 422 when a path runs through a non-object value, ``$inc`` meets a non-number, or its result leaves
    64-bit integers (or the finite floats).
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
            parent[last] = inc_sum(current, amount, path)  # type: ignore[index]
        else:
            raise not_a_number(path, current)
    return new


def not_a_number(path: str, stored: Any) -> ValidationError:
    """The 422 of an ``$inc`` at ``path`` meeting the ``stored`` non-number (named by its type only)."""
    return query_error(f"$inc.{path}", f"cannot $inc the non-numeric value at '{path}'", _kind(stored), "update")


def not_an_object(op: str, path: str, segment: str, stored: Any) -> ValidationError:
    """The 422 of a ``$set``/``$inc`` (``op``) at ``path`` whose ``segment`` holds the ``stored`` non-object (a
    list too: update paths never index into arrays)."""
    message = f"cannot create '{path}': '{segment}' holds a {type(stored).__name__}, not an object"
    return query_error(f"{op}.{path}", message, _kind(stored), "update")


def inc_sum(current: int | float, amount: int | float, path: str) -> int | float:
    """``current + amount`` for ``$inc``: an integer result beyond 64 bits is a 422 (MongoDB refuses the overflow
    too, SQL's BIGINT as well); a float result that overflows to an infinity is a 422 too (MongoDB would store
    ``Infinity``; no adapter here stores non-finite numbers, which JSON cannot carry)."""
    total = current + amount
    if type(total) is int and not INT64_MIN <= total <= INT64_MAX:
        raise query_error(f"$inc.{path}", f"$inc overflows a 64-bit integer at '{path}'", repr(amount), "update")
    if type(total) is float and not math.isfinite(total):
        raise query_error(f"$inc.{path}", f"$inc overflows to {total} at '{path}'", repr(amount), "update")
    return total


def _kind(stored: Any) -> str:
    """What an error says of a STORED value: its type only. The value itself may be a field hidden from the caller
    (``excludeFields``), so errors echo only what the caller gave (the path, the operand)."""
    return f"<a {type(stored).__name__}>"


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
            raise not_an_object(op, path, segment, child)
        current = child
    return current, parts[-1]
