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

Where we differ from moleculer-db's Mongo adapter: it converts any ``ObjectId.isValid`` string (also 12-byte
strings and upper-case hex), so ids do not always round-trip; here only canonical hex is converted.
"""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId

__all__ = ["decode_id", "encode_id", "is_object_id_hex", "query_values", "to_wire"]

_HEX24 = re.compile(r"[0-9a-f]{24}")


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
