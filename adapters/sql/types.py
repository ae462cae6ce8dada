"""Column types and value codecs of the SQL adapter.

* ``AnyId``: a primary-key / id column that holds the portable id types, strings *and* integers, in one column
  (``5`` and ``"5"`` are two different ids, as in the memory adapter). Stored as a tagged string with a binary
  collation: integers as ``"i"`` + 20 digits of ``n + 2**63`` (so they sort numerically, before every string, as
  in the language's type order), strings as ``"s"`` + the text. Integers outside the signed 64-bit range are
  refused (422) on insert and find nothing on lookup.
* JSON values: a JSON column holds any literal of the language. Datetimes are stored as ``{"$date": UTC instant,
  "$tz": offset minutes or null}`` (``$`` keys cannot occur in stored data: the language refuses them) and come
  back as ``datetime`` (naive stays naive, an offset is kept); NaN and infinities as ``{"$num": "nan"}``; tuples
  become lists. SQL ``NULL`` in a JSON column means *missing*, JSON ``null`` means ``None``.
* ``sort_bytes``: a byte string whose ``memcmp`` order is the language's sort order (``query_values.sort_key``),
  used by the SQLite functions so that ``ORDER BY`` on a JSON column sorts exactly as the memory adapter.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["ANYID_LENGTH", "AnyId", "JSONText", "decode_json", "encode_id", "encode_json", "encode_value", "sort_bytes"]

_OFFSET = 2**63
ANYID_LENGTH = 255  # characters of an AnyId column: the tag and the id
_INT_TAG = "i"
_STR_TAG = "s"


def encode_id(value: Any) -> str | None:
    """The stored form of an id, or ``None`` for a value no stored id can equal (bools, fractions, huge ints)."""
    t = type(value)
    if t is float and value.is_integer():
        value, t = int(value), int
    if t is int:
        if not -_OFFSET <= value < _OFFSET:
            return None
        return f"{_INT_TAG}{value + _OFFSET:020d}"
    if t is str:
        return _STR_TAG + value
    return None


def decode_id(stored: str) -> int | str:
    """The id of a stored tagged string."""
    if stored[:1] == _INT_TAG:
        return int(stored[1:]) - _OFFSET
    return stored[1:]


class AnyId(TypeDecorator[Any]):
    """A column holding string or integer ids, each keeping its type (see the module docstring)."""

    impl = sa.String(ANYID_LENGTH)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.String(ANYID_LENGTH, collation="C"))
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(sa.String(ANYID_LENGTH, collation="utf8mb4_nopad_bin"))
        return dialect.type_descriptor(sa.String(ANYID_LENGTH))

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        encoded = encode_id(value)
        if encoded is None:
            raise ValueError(f"not a storable id: {value!r}")
        return encoded

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else decode_id(value)


# ------------------------------------------------------------------------------------------------- JSON values

_DATE = "$date"


def encode_value(value: Any) -> Any:
    """A JSON-serialisable copy of a literal: datetimes tagged, tuples as lists."""
    t = type(value)
    if t is float and (value != value or value in (_INF, -_INF)):
        return {_NUM: repr(value)}  # JSON has no NaN/Infinity (PostgreSQL refuses them)
    if t is str or t is int or t is float or t is bool or value is None:
        return value
    if t is datetime or isinstance(value, datetime):
        return encode_datetime(value)
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    return value


_TZ = "$tz"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def encode_datetime(value: datetime) -> dict[str, Any]:
    """``{"$date": UTC instant in a fixed-width format (so text order is time order), "$tz": offset minutes or
    None for a naive value}``."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    offset = value.utcoffset()
    tz = None if value.tzinfo is None or offset is None else int(offset.total_seconds() // 60)
    return {_DATE: aware.astimezone(UTC).strftime(_DATE_FORMAT), _TZ: tz}


def datetime_key(value: datetime) -> str:
    """The ``$date`` text of a datetime (what ranges and equality compare)."""
    return str(encode_datetime(value)[_DATE])


_NUM = "$num"
_INF = float("inf")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _NUM in obj and obj[_NUM] in ("nan", "inf", "-inf"):
        return float(obj[_NUM])
    if len(obj) == 2 and _DATE in obj and _TZ in obj and isinstance(obj[_DATE], str):
        instant = datetime.strptime(obj[_DATE], _DATE_FORMAT).replace(tzinfo=UTC)
        tz = obj[_TZ]
        if tz is None:
            return instant.replace(tzinfo=None)
        return instant.astimezone(timezone(timedelta(minutes=int(tz))))
    return obj


def encode_json(value: Any) -> str:
    """The JSON text of a literal (datetimes tagged); NaN and infinities are refused by the parser before."""
    return json.dumps(encode_value(value), ensure_ascii=False, separators=(",", ":"))


def decode_json(text: str | bytes | int | float) -> Any:
    """The literal of a stored JSON text (tagged datetimes back to ``datetime``). A number is taken as is: SQLite
    gives a column declared ``JSON`` numeric affinity, so a top-level JSON number is stored as a number (and an
    integral float such as ``3.0`` as the integer ``3``, unless the column is ``JSONText`` on SQLite)."""
    if isinstance(text, int | float):
        return text
    return json.loads(text, object_hook=_hook)


class JSONText(sa.JSON):
    """``JSON`` declared as ``TEXT`` on SQLite (text affinity: ``3.0`` stays a float). Use it as a variant:
    ``sa.JSON().with_variant(JSONText(), "sqlite")``."""


@compiles(JSONText, "sqlite")
def _json_text_ddl(type_: JSONText, compiler: Any, **kw: Any) -> str:
    return "TEXT"


# -------------------------------------------------------------------------------------------------- sort bytes


def _float_bytes(x: float) -> bytes:
    """8 bytes whose unsigned order is the numeric order of ``x`` (IEEE-754 with the sign bit flipped)."""
    (bits,) = struct.unpack(">Q", struct.pack(">d", float(x)))
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | (1 << 63)
    return bits.to_bytes(8, "big")


def _str_bytes(s: str) -> bytes:
    # UTF-8 byte order is code-point order; 0x00 is escaped so that the terminator sorts before everything
    return s.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\x01") + b"\x00\x00"


def sort_bytes(key: Any) -> bytes:
    """Bytes whose ``memcmp`` order is the Python order of ``query_values`` sort keys.

    A key is a tuple of ints (ranks), numbers, strings, bools, datetimes and nested tuples; at a given position,
    keys that are equal so far hold values of one type, so each type only needs an order-preserving encoding:
    numbers as flipped IEEE-754 (ints beyond 2**53 lose precision), strings as escaped UTF-8 (code point order),
    tuples as ``0x01``-prefixed elements ended by ``0x00`` (a prefix sorts first).
    """
    if isinstance(key, tuple):
        out = bytearray()
        for item in key:
            out += b"\x01" + sort_bytes(item)
        return bytes(out + b"\x00")
    if isinstance(key, bool):
        return b"\x01" if key else b"\x00"
    if isinstance(key, int | float):
        return _float_bytes(key)
    if isinstance(key, str):
        return _str_bytes(key)
    if isinstance(key, datetime):
        return _float_bytes(key.timestamp())
    return _str_bytes(repr(key))
