"""Ids and values between the wire and MongoDB: ``ObjectId`` in storage, 24-hex strings on the wire.

* ``decode_id(id)``: the storage form of an entity id. Only a *canonical* ObjectId string (24 lowercase hex
  digits, exactly what ``str(ObjectId())`` gives) becomes an ``ObjectId``; any other string, and integers, are
  stored as given. So every id a caller gives comes back identical (``"5F..."`` in upper case stays a string, since
  turning it into an ``ObjectId`` would give it back in lower case).
* ``encode_id(value)``: the wire form: an ``ObjectId`` becomes its 24-hex string, anything else is unchanged.
* ``to_wire(doc)``: a stored document with every ``ObjectId`` (in any field, at any depth: other applications write
  them into ordinary fields) turned into its 24-hex string. Only the id field is ever converted on the way *in*.
* ``query_values(value)``: what an equality with ``value`` must match in storage: a canonical hex string matches
  the string itself and the ``ObjectId`` with that hex (an id we converted, or a reference another application
  wrote), so queries and populates by the wire string find both.
* ``object_id_range(op, text)``: the condition on ``ObjectId``s that a range (``gt``...) with a string literal must
  also match, so that ``{"_id": {"$gt": last_id}}`` pages through generated ids as through their wire strings: an
  ``ObjectId``'s bytes order is its lowercase hex string's order, so "hex > text" is "ObjectId >= the smallest
  24-hex string above text".

Where we differ from moleculer-db's Mongo adapter: it converts any ``ObjectId.isValid`` string (also 12-byte
strings and upper-case hex), so ids do not always round-trip; here only canonical hex is converted.
"""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId

__all__ = ["decode_id", "encode_id", "is_object_id_hex", "object_id_range", "query_values", "to_wire"]

_HEX24 = re.compile(r"[0-9a-f]{24}")
_DIGITS = "0123456789abcdef"


def is_object_id_hex(value: Any) -> bool:
    """Whether ``value`` is a canonical ObjectId string (``str`` of 24 lowercase hex digits)."""
    return type(value) is str and len(value) == 24 and _HEX24.fullmatch(value) is not None


def decode_id(id: Any) -> Any:
    """The storage form of an entity id: ``ObjectId`` for a canonical 24-hex string, else ``id`` unchanged."""
    return ObjectId(id) if is_object_id_hex(id) else id


def encode_id(value: Any) -> Any:
    """The wire form of a stored id: the 24-hex string of an ``ObjectId``, else ``value`` unchanged."""
    return str(value) if type(value) is ObjectId else value


def to_wire(value: Any) -> Any:
    """``value`` (a stored document or any part of it) with every ``ObjectId`` replaced by its 24-hex string."""
    t = type(value)
    if t is dict:
        return {k: to_wire(v) for k, v in value.items()}
    if t is list:
        return [to_wire(v) for v in value]
    if t is ObjectId:
        return str(value)
    return value


def query_values(value: Any) -> list[Any]:
    """The stored values an equality with ``value`` must match: ``[hex, ObjectId(hex)]`` for a canonical hex
    string, ``[value]`` otherwise."""
    return [value, ObjectId(value)] if is_object_id_hex(value) else [value]


def object_id_range(op: str, text: str) -> dict[str, Any] | None:
    """The MongoDB condition matching exactly the ``ObjectId``s whose hex string is ``<op> text`` (``op`` one of
    ``gt``, ``gte``, ``lt``, ``lte``); ``None`` when no ``ObjectId`` can be."""
    if op in ("gt", "gte"):
        low = _smallest_hex_above(text, strict=op == "gt")
        return None if low is None else {"$gte": ObjectId(low)}
    high = _smallest_hex_above(text, strict=op == "lte")  # hex < text <=> hex < the smallest hex >= text
    return {"$type": "objectId"} if high is None else {"$lt": ObjectId(high)}


def _smallest_hex_above(text: str, strict: bool) -> str | None:
    """The smallest 24-digit lowercase hex string ``> text`` (``strict``) or ``>= text``; ``None`` if there is none."""
    i = 0
    while i < min(len(text), 24) and text[i] in _DIGITS:
        i += 1
    if i == 24:  # text[:24] is hex: a longer text is above it, so only a greater hex string is
        return text if len(text) == 24 and not strict else _successor(text[:24])
    if i == len(text):  # a shorter hex prefix: padding it with zeros gives a longer, greater string
        return text + "0" * (24 - i)
    above = [d for d in _DIGITS if d > text[i]]  # text[i] is no hex digit
    if above:
        return text[:i] + above[0] + "0" * (23 - i)
    prefix = _successor(text[:i])
    return None if prefix is None else prefix + "0" * (24 - i)


def _successor(digits: str) -> str | None:
    """The next hex string of the same length (``None`` after ``"ff..."`` or for ``""``)."""
    value = int(digits, 16) + 1 if digits else 1
    return format(value, f"0{len(digits)}x") if value < 16 ** len(digits) else None
