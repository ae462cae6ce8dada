"""What values mean to the query language: equality, type brackets, sort order, hash keys and copies.

These functions are the executable definition of ``docs/query-language.md`` §Values, shared by the memory
adapter's evaluator, its indexes and the tests' reference evaluator, so "equal", "ordered before" and "indexed
under" can never disagree with each other.

* Equality is type-strict except for numbers: ``1 == 1.0`` but ``True != 1`` and ``"1" != 1``; containers
  compare element by element with the same rule (object key order is ignored); naive datetimes are taken as
  UTC.
* Ranges (``$gt``...) only compare inside one bracket: numbers, strings (code-point order) or datetimes.
* Sort order (MongoDB's BSON comparison): missing = ``None`` < numbers < strings < objects < arrays < booleans
  < datetimes; objects compare field by field (type, then name, then value); through arrays a sort uses the
  smallest reached value ascending and the largest descending (an empty array sorts as ``undefined``, before
  ``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "MISSING",
    "SKIP",
    "UNDEFINED",
    "copy_value",
    "hash_key",
    "is_number",
    "normalize_datetime",
    "path_sort_key",
    "range_match",
    "resolve",
    "sort_key",
    "sort_values",
    "strict_eq",
    "value_key",
]


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Sentinel("MISSING")
"""A path that leads nowhere (absent key, or a scalar where an object was expected)."""
SKIP: Final = _Sentinel("SKIP")
"""``hash_key`` of a value that cannot be indexed (containers, NaN, foreign types): such values fall back to
scans."""

_SCALARS: Final = frozenset((str, int, float, bool, type(None), datetime))
_NUMBERS: Final = frozenset((int, float))
_TRUE_KEY: Final = ("\x00bool", True)
_FALSE_KEY: Final = ("\x00bool", False)


def copy_value(value: Any) -> Any:
    """A deep copy of JSON-like data, much faster than ``copy.deepcopy``.

    Dicts and lists (and tuples, which become lists) are rebuilt; everything else (str, numbers, datetimes,
    other objects) is treated as immutable and shared.
    """
    t = type(value)
    if t is dict:
        return {k: (v if type(v) in _SCALARS else copy_value(v)) for k, v in value.items()}
    if t is list or t is tuple:
        return [v if type(v) in _SCALARS else copy_value(v) for v in value]
    if t in _SCALARS:
        return value
    if isinstance(value, Mapping):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [copy_value(v) for v in value]
    return value


def is_number(value: Any) -> bool:
    """``int`` or ``float`` but never ``bool``."""
    return type(value) in _NUMBERS


def normalize_datetime(value: datetime) -> datetime:
    """Naive datetimes are UTC, so naive and aware values compare (and hash) without ``TypeError``."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def strict_eq(stored: Any, literal: Any) -> bool:
    """The language's equality: type-strict, numbers by value, containers element-wise, dict key order ignored."""
    ts, tl = type(stored), type(literal)
    if ts is tl:
        if ts is dict:
            return len(stored) == len(literal) and all(
                k in stored and strict_eq(stored[k], v) for k, v in literal.items()
            )
        if ts is list:
            return len(stored) == len(literal) and all(strict_eq(a, b) for a, b in zip(stored, literal))
        if ts is datetime:
            return normalize_datetime(stored) == normalize_datetime(literal)
        return bool(stored == literal)
    return ts in _NUMBERS and tl in _NUMBERS and stored == literal


def range_match(stored: Any, op: str, literal: Any) -> bool:
    """``stored <op> literal`` inside one type bracket (number, string, datetime); across brackets never true."""
    tl = type(literal)
    ts = type(stored)
    if tl is str:
        if ts is not str:
            return False
    elif tl is datetime:
        if ts is not datetime:
            return False
        stored, literal = normalize_datetime(stored), normalize_datetime(literal)
    elif ts not in _NUMBERS:
        return False
    if op == "gt":
        return bool(stored > literal)
    if op == "gte":
        return bool(stored >= literal)
    if op == "lt":
        return bool(stored < literal)
    return bool(stored <= literal)


def hash_key(value: Any) -> Any:
    """The index key of a scalar: equal under ``strict_eq`` ⇔ equal keys (``True`` and ``1`` get different
    keys).

    ``None`` and ``MISSING`` share the key ``None`` (equality with ``None`` matches both); unindexable values
    give ``SKIP``.
    """
    t = type(value)
    if t is str or t is int:
        return value
    if t is float:
        return value if value == value else SKIP
    if value is None or value is MISSING:
        return None
    if t is bool:
        return _TRUE_KEY if value else _FALSE_KEY
    if t is datetime:
        return normalize_datetime(value)
    return SKIP


def resolve(doc: Any, parts: tuple[str, ...]) -> list[Any]:
    """The values a dotted path reaches, Mongo-style: through objects, and through arrays into each object
    element (a numeric segment also indexes the array). An unreachable path yields ``[MISSING]``."""
    if len(parts) == 1:
        return [doc.get(parts[0], MISSING) if type(doc) is dict else _get(doc, parts[0])]
    out: list[Any] = []
    _walk(doc, parts, 0, out)
    return out


def _get(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key, MISSING)
    return MISSING


def _walk(value: Any, parts: tuple[str, ...], i: int, out: list[Any]) -> None:
    if i == len(parts):
        out.append(value)
        return
    segment = parts[i]
    if isinstance(value, Mapping):
        if segment in value:
            _walk(value[segment], parts, i + 1, out)
        else:
            out.append(MISSING)
        return
    if type(value) is list:
        found = False
        if segment.isdigit() and int(segment) < len(value):
            _walk(value[int(segment)], parts, i + 1, out)
            found = True
        for element in value:
            if isinstance(element, Mapping):
                _walk(element, parts, i, out)
                found = True
        if not found:
            out.append(MISSING)
        return
    out.append(MISSING)


# ------------------------------------------------------------------------------------------------------- sort
#
# MongoDB's comparison/sort order (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/):
# canonical BSON type first -- MinKey < null < numbers < symbol/string < object < array < binData < ObjectId < bool
# < date < timestamp < regex < MaxKey -- then the value. The types this language stores map onto it as below;
# ``_R_UNDEF`` is the key MongoDB's sort-key generator gives an empty array (BSON ``undefined``, below null), NaN
# is a number smaller than every other number, anything foreign sorts last.
_R_UNDEF, _R_NULL, _R_NAN, _R_NUM, _R_STR, _R_OBJ, _R_ARR, _R_BOOL, _R_DATE, _R_OTHER = range(10)
_UNDEF_KEY: Final = (_R_UNDEF,)
_NULL_KEY: Final = (_R_NULL,)
_NAN_KEY: Final = (_R_NAN,)


class _Undefined:
    """What a path reaches when it ends on an empty array: MongoDB sorts that as ``undefined`` (below null)."""

    __slots__ = ()


UNDEFINED: Final = _Undefined()


def value_key(value: Any) -> tuple[Any, ...]:
    """A key whose Python order is MongoDB's comparison of two BSON values (arrays compared as values).

    Numbers compare by value (ints and floats together; NaN below every number), strings by code point (= UTF-8
    byte order, MongoDB's binary comparison), booleans ``False < True``, datetimes by instant (naive = UTC).
    Embedded documents compare field by field in stored order: each pair by canonical BSON type, then field
    name, then value; a document that runs out of fields first is smaller. Arrays compare element by element the
    same way (the names are the indexes, so equal), shorter first. Never raises ``TypeError``.
    """
    t = type(value)
    if t is str:
        return (_R_STR, value)
    if t is int or t is float:
        return (_R_NUM, value) if value == value else _NAN_KEY
    if value is None or value is MISSING:
        return _NULL_KEY
    if t is bool:
        return (_R_BOOL, value)
    if t is datetime:
        return (_R_DATE, normalize_datetime(value))
    if isinstance(value, Mapping):
        fields = []
        for name, item in value.items():
            key = value_key(item)
            fields.append((_R_NUM if key is _NAN_KEY else key[0], str(name), key))
        return (_R_OBJ, tuple(fields))
    if isinstance(value, list | tuple):
        items = []
        for item in value:
            key = value_key(item)
            items.append((_R_NUM if key is _NAN_KEY else key[0], key))
        return (_R_ARR, tuple(items))
    if value is UNDEFINED:
        return _UNDEF_KEY
    return (_R_OTHER, type(value).__name__, repr(value))


def sort_key(value: Any, descending: bool = False) -> tuple[Any, ...]:
    """The sort key of a top-level field value: ``value_key``, except that an array sorts by its smallest
    element ascending and its largest descending (its elements are not expanded further), and an empty array by
    ``undefined`` (before ``None`` ascending, after it descending), as MongoDB's sort-key generator does."""
    t = type(value)
    if t is str:
        return (_R_STR, value)
    if t is int or t is float:
        return (_R_NUM, value) if value == value else _NAN_KEY
    if t is list:
        if not value:
            return _UNDEF_KEY
        keys = [value_key(v) for v in value]
        return max(keys) if descending else min(keys)
    return value_key(value)


def path_sort_key(doc: Any, parts: tuple[str, ...], descending: bool = False) -> tuple[Any, ...]:
    """The sort key of a dotted path: the smallest (ascending) or largest (descending) ``value_key`` over every
    value MongoDB's sort-key generator reaches (``sort_values``)."""
    value = doc
    for segment in parts:  # the common case first: plain objects all the way
        if type(value) is not dict:
            break
        value = value.get(segment, MISSING)
    else:
        return sort_key(value, descending)
    keys = [value_key(v) for v in sort_values(doc, parts)]
    if len(keys) == 1:
        return keys[0]
    return max(keys) if descending else min(keys)


def sort_values(doc: Any, parts: tuple[str, ...]) -> list[Any]:
    """The values a sort on a dotted path looks at, following MongoDB's sort-key (index-key) generation.

    * Objects are entered; a missing field, or a scalar where an object was expected, gives ``None``.
    * An array met before the last segment is expanded: each object element is entered, every other element
      (scalars, nested arrays) gives ``None``, and an empty array gives ``None``. A numeric segment within the
      array's bounds indexes it instead (``items.0.price``).
    * The value at the last segment, if an array, is expanded one level (nested arrays stay arrays); an empty
      one gives ``UNDEFINED``.
    """
    out: list[Any] = []
    _sort_walk(doc, parts, 0, out, False)
    return out


def _sort_walk(value: Any, parts: tuple[str, ...], i: int, out: list[Any], positional: bool) -> None:
    if i == len(parts):
        if type(value) is list:
            if not value:
                out.append(UNDEFINED)
            elif positional:
                out.append(value)  # reached by index: MongoDB keeps it whole
            else:
                out.extend(value)
        else:
            out.append(None if value is MISSING else value)
        return
    segment = parts[i]
    if isinstance(value, Mapping):
        _sort_walk(value.get(segment, MISSING), parts, i + 1, out, False)
    elif type(value) is list:
        if segment.isdigit() and int(segment) < len(value):
            _sort_walk(value[int(segment)], parts, i + 1, out, True)
        elif not value:
            out.append(None)
        else:
            for element in value:
                if isinstance(element, Mapping):
                    _sort_walk(element, parts, i, out, False)
                else:
                    out.append(None)
    else:
        out.append(None)
