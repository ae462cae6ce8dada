"""What ``MongoAdapter`` asks the server before an update writes, so that MongoDB gives the memory adapter's answer.

The portable update semantics (``adapters/updates.py``) refuse some updates that MongoDB would apply differently
or refuse only half-way through an ``update_many`` (after writing other matches). Each is checked first, as a
filter over the matched documents (``{"$and": [filter, bad]}``), in the order the memory adapter meets them:

* a ``$set``/``$inc`` path whose prefix holds a non-object, **an array included**: a 422 naming the path and the
  stored type (``not_an_object``). MongoDB would write into the array (``l.0``, ``l.5`` padding with nulls,
  ``l.x`` into every element... or fail on some documents only);
* an ``$inc`` of a stored non-number (an array of numbers included) or beyond the number range
  (``inc_bounds.py``): a 422 (``not_a_number``);
* an ``$unset`` of a path with a numeric segment (``l.0``) reaching an array: MongoDB sets that element to
  ``null``, the language leaves arrays alone (an ``$unset`` through a non-object does nothing), so it is a 400
  ``UnsupportedQueryError`` rather than another meaning. Without a numeric segment MongoDB does nothing too.

The checks and the write are two calls: outside a transaction another client may change a document in between.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnsupportedQueryError, query_error
from ..query import Update
from ..query_tree import split_path
from ..query_values import MISSING
from ..updates import inc_sum, not_a_number, not_an_object
from .ids import to_wire
from .inc_bounds import inc_overflow_filter

__all__ = ["check_update", "update_document"]

Filter = dict[str, Any]


def update_document(update: Update) -> Filter:
    """The MongoDB update document of a validated ``Update``."""
    doc: Filter = {}
    if update.set:
        doc["$set"] = dict(update.set)
    if update.unset:
        doc["$unset"] = dict.fromkeys(update.unset, "")
    if update.inc:
        doc["$inc"] = dict(update.inc)
    return doc


async def check_update(collection: Any, flt: Filter, update: Update, session: dict[str, Any], adapter: str) -> None:
    """Raise the 422 (or 400) the memory adapter would give ``update`` on some document matching ``flt``, before
    anything is written (see the module docstring). ``session`` holds the transaction's session, if any."""

    async def first(bad: Filter, path: str) -> Any:
        """The value at ``path`` of a matched document that ``bad`` selects (``MISSING``: no such document)."""
        doc = await collection.find_one({"$and": [flt, bad]}, {path: 1}, **session)
        if doc is None:
            return MISSING
        value: Any = doc
        for segment in split_path(path):  # every shorter prefix holds an object (checked first)
            value = value.get(segment) if type(value) is dict else None
        return to_wire(value)

    ops = [("$set", p, None) for p, _ in update.set] + [("$inc", p, a) for p, a in update.inc]
    for op, path, amount in ops:
        parts = split_path(path)
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            stored = await first({"$or": [{prefix: {"$type": "array"}}, _not_type(prefix, "object")]}, prefix)
            if stored is not MISSING:
                raise not_an_object(op, path, parts[i - 1], stored)
        if amount is None:
            continue
        stored = await first({"$or": [{path: {"$type": "array"}}, _not_type(path, "number")]}, path)
        if stored is not MISSING:
            raise not_a_number(path, stored)
        overflow = inc_overflow_filter(path, amount)
        stored = await first(overflow, path) if overflow else MISSING
        if stored is not MISSING:
            inc_sum(stored, amount, path)  # raises the memory adapter's 422 for this value
            raise query_error(f"$inc.{path}", f"$inc overflows the number range at '{path}'", repr(amount), "update")
    for path in update.unset:
        parts = split_path(path)
        for i in range(1, len(parts)):
            if not parts[i].isdigit():
                continue
            prefix = ".".join(parts[:i])
            if await collection.count_documents({"$and": [flt, {prefix: {"$type": "array"}}]}, limit=1, **session):
                reason = f"MongoDB's $unset of '{path}' would set an element of the array '{prefix}' to null"
                raise UnsupportedQueryError("$unset", adapter, path, reason)


def _not_type(path: str, kind: str) -> Filter:
    return {path: {"$exists": True, "$not": {"$type": kind}}}
