"""What a typed column holds exactly, per dialect: the values a write may store, the comparisons a filter may bind.

A database stores a value of the wrong shape in one of three ways: it refuses it (a driver error, a 500), it
changes it (MariaDB rounds ``2.5`` into an ``INT`` and ``1.005`` into ``DECIMAL(10,2)``; SQLite drops a datetime's
offset), or it keeps it (SQLite puts ``2.5`` into an ``INTEGER`` column). Only the last is the memory adapter's
answer, and only on one engine, so every write is checked here first and what a column cannot hold exactly, on
every engine, is a 422 naming the field (``check_stored``):

==========================  =====================================================================================
column                      holds exactly
==========================  =====================================================================================
``SmallInteger``            integers of 16 bits (SQLite: 64); an integral float is stored as the integer
``Integer``                 integers of 32 bits (SQLite: 64)
``BigInteger``              integers of 64 bits
``Float``/``Double``        floats, and integers up to 2**53 (beyond, a double rounds them)
``Numeric(p, s)``           numbers with at most ``s`` decimals and ``p - s`` integer digits (defaults per dialect:
                            PostgreSQL unlimited, MariaDB ``(10, 0)``, SQLite 10 decimals), up to 2**53
``String(n)``/``Text``      strings of at most ``n`` characters (PostgreSQL: no NUL character)
``Enum``                    its labels
``Uuid``                    UUIDs in canonical text (``"1b4e28ba-2fa1-11d2-883f-0016d3cca427"``), read back so
``DateTime(timezone=True)`` instants; SQLite and MariaDB have no zone: stored as UTC, read back aware in UTC
``DateTime``                naive UTC (aware values converted)
==========================  =====================================================================================

Filters compare within the same domains (``eq_literal``, ``range_literal``): a literal no stored value can equal
(``2.5`` or ``2**40`` against an ``Integer``, an unknown ``Enum`` label) matches nothing instead of reaching the
driver, and a range is rewritten to the same set of stored values with a bound the column can hold (``stock > 2.5``
is ``stock >= 3``; ``stock < 2**40`` is every non-null row of an ``Integer``).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..errors import query_error
from ..query_limits import INT64_MAX, INT64_MIN, is_valid_unicode
from .columns import Field

__all__ = [
    "check_json",
    "check_stored",
    "eq_literal",
    "float_exact",
    "int_bounds",
    "is_enum",
    "is_uuid",
    "range_literal",
    "string_bound",
]

_FLOAT_EXACT = 2**53  # integers a double holds exactly
_INT_BITS = ((sa.SmallInteger, 16), (sa.BigInteger, 64), (sa.Integer, 32))
_NUMERIC_DEFAULTS = {"mysql": (10, 0), "mariadb": (10, 0)}  # DECIMAL without (p, s) is DECIMAL(10, 0) there
_SQLITE_NUMERIC_SCALE = 10  # SQLAlchemy's default decimal return scale for an SQLite NUMERIC without a scale
_NO_ZONE = ("sqlite", "mysql", "mariadb")  # DATETIME without an offset: an aware column stores UTC


def is_uuid(field: Field) -> bool:
    """A ``Uuid`` column (canonical text in entities)."""
    return isinstance(field.column.type, sa.Uuid)


def is_enum(field: Field) -> bool:
    """An ``Enum`` column (labels as strings; servers order them by declaration unless compared as text)."""
    return isinstance(field.column.type, sa.Enum)


def int_bounds(field: Field, dialect: str) -> tuple[int, int] | None:
    """``(lowest, highest)`` of an integer column on this dialect (SQLite: 64 bits), else ``None``."""
    t = field.column.type
    if field.kind != "number" or isinstance(t, sa.Numeric | sa.Float) or not isinstance(t, sa.Integer):
        return None
    bits = 64 if dialect == "sqlite" else next(b for cls, b in _INT_BITS if isinstance(t, cls))
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def float_exact(field: Field) -> bool:
    """Whether a number column stores floats (``Float``, ``Double``, ``Numeric``): integers beyond 2**53 round."""
    return isinstance(field.column.type, sa.Float | sa.Numeric)


def _numeric_digits(field: Field, dialect: str) -> tuple[int | None, int | None]:
    """``(precision, scale)`` an exact ``Numeric`` keeps on this dialect (``None``: unlimited)."""
    t = field.column.type
    if not isinstance(t, sa.Numeric) or isinstance(t, sa.Float):
        return None, None
    precision, scale = t.precision, t.scale
    default = _NUMERIC_DEFAULTS.get(dialect)
    if default is not None and precision is None:
        precision, scale = default
    if dialect == "sqlite" and scale is None:
        scale = _SQLITE_NUMERIC_SCALE
    return precision, scale


def _number(field: Field, value: int | float, dialect: str) -> tuple[bool, Any, str]:
    """``(ok, stored value, reason)`` of a number for a number column."""
    bounds = int_bounds(field, dialect)
    if bounds is not None:
        if type(value) is float:
            if not value.is_integer():
                return False, None, f"'{field.key}' holds integers"
            value = int(value)
        if not bounds[0] <= value <= bounds[1]:
            return False, None, f"'{field.key}' holds integers from {bounds[0]} to {bounds[1]}"
        return True, value, ""
    if type(value) is int and abs(value) > _FLOAT_EXACT and int(float(value)) != value:
        return False, None, f"'{field.key}' stores floats: an integer beyond 2**53 would be rounded"
    precision, scale = _numeric_digits(field, dialect)
    if precision is not None or scale is not None:
        exact = Decimal(repr(value)) if type(value) is float else Decimal(value)
        decimals = max(0, -int(exact.as_tuple().exponent))
        whole = len(str(abs(int(exact)))) if int(exact) else 0
        if scale is not None and decimals > scale:
            return False, None, f"'{field.key}' keeps {scale} decimals"
        if precision is not None and whole > precision - (scale or 0):
            return False, None, f"'{field.key}' keeps {precision - (scale or 0)} integer digits"
    return True, value, ""


def _string(field: Field, value: str, dialect: str) -> tuple[bool, Any, str]:
    """``(ok, stored value, reason)`` of a string for a string column."""
    t = field.column.type
    if dialect == "postgresql" and "\x00" in value:
        return False, None, "PostgreSQL text cannot hold the NUL character"
    if is_uuid(field):
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            return False, None, f"'{field.key}' holds UUIDs"
        if str(parsed) != value:
            return False, None, f"'{field.key}' holds UUIDs in canonical form ('{parsed}')"
        return True, parsed if getattr(t, "as_uuid", True) else value, ""
    if isinstance(t, sa.Enum):
        if value not in t.enums:
            return False, None, f"'{field.key}' holds one of {', '.join(t.enums)}"
        return True, value, ""
    length = getattr(t, "length", None)
    if length is not None and len(value) > length:
        return False, None, f"'{field.key}' holds at most {length} characters"
    return True, value, ""


def stored_datetime(value: datetime, column: sa.Column[Any], dialect: str) -> datetime:
    """Naive values are UTC: a naive column (and any column of a dialect without zones) stores naive UTC, an
    aware column on PostgreSQL aware values."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if getattr(column.type, "timezone", False) and dialect not in _NO_ZONE:
        return aware
    return aware.astimezone(UTC).replace(tzinfo=None)


def storable(field: Field, value: Any, dialect: str) -> tuple[bool, Any, str]:
    """``(ok, the value to bind, why not)`` for a checked literal (``query.check_value``) and a typed column."""
    t, kind = type(value), field.kind
    if kind == "number" and (t is int or t is float):
        return _number(field, value, dialect)
    if kind == "string" and t is str:
        return _string(field, value, dialect)
    if kind == "bool" and t is bool:
        return True, value, ""
    if kind == "datetime" and t is datetime:
        return True, stored_datetime(value, field.column, dialect), ""
    if kind == "other" and t not in (list, dict):
        return True, value, ""
    return False, None, f"'{field.key}' holds {kind} values, not {t.__name__}"


def check_stored(field: Field, value: Any, dialect: str, where: str, kind: str) -> Any:
    """The value to bind for a typed column (``None`` stays ``None``), or the 422 naming ``where``."""
    if value is None:
        return None
    ok, bound, reason = storable(field, value, dialect)
    if not ok:
        raise query_error(where, reason, repr(value)[:80], kind)
    return bound


def eq_literal(field: Field, value: Any, dialect: str) -> tuple[bool, Any]:
    """``(True, bound value)`` when some stored value of the column can equal ``value``, else ``(False, None)``."""
    ok, bound, _ = storable(field, value, dialect)
    return ok, bound


def range_literal(field: Field, op: str, value: Any, dialect: str) -> tuple[str, Any] | bool:
    """A comparison ``column <op> value`` of a number column rewritten with a bound the column holds: ``(op,
    bound)``, or ``True``/``False`` when every / no non-null stored value satisfies it."""
    bounds = int_bounds(field, dialect)
    if bounds is not None:
        if op in ("gt", "gte"):
            low = math.floor(value) + 1 if op == "gt" or value != math.floor(value) else int(value)
            return True if low <= bounds[0] else False if low > bounds[1] else ("gte", low)
        high = math.ceil(value) - 1 if op == "lt" or value != math.ceil(value) else int(value)
        return True if high >= bounds[1] else False if high < bounds[0] else ("lte", high)
    if type(value) is int and abs(value) > _FLOAT_EXACT and float_exact(field):
        near = float(value)
        if int(near) == value:
            return op, near
        below = near if near < value else math.nextafter(near, -math.inf)
        above = near if near > value else math.nextafter(near, math.inf)
        return ("gte", above) if op in ("gt", "gte") else ("lte", below)
    return op, value


def check_json(value: Any, where: str, kind: str, dialect: str) -> None:
    """Refuse (422 naming ``where``) what a JSON column cannot give back as written: strings with a lone surrogate
    (no UTF-8; MariaDB refuses them) or, on PostgreSQL, a NUL character (``jsonb`` has none: every query of the
    column would fail), integers beyond 64 bits, and object keys starting with ``$`` (the adapter's own tags,
    ``{"$date": ...}``, ``{"$num": "nan"}``: such a value would read back as a datetime or a number). Iterative;
    run ``query_limits.check_shape`` first."""
    stack: list[Any] = [value]
    while stack:
        current = stack.pop()
        t = type(current)
        if t is dict:
            for key, child in current.items():
                if type(key) is str and key.startswith("$"):
                    raise query_error(where, "object keys in a JSON column cannot start with '$'", key[:80], kind)
                stack.append(key)
                stack.append(child)
        elif t is list or t is tuple:
            stack.extend(current)
        elif t is str:
            if not is_valid_unicode(current) or (dialect == "postgresql" and "\x00" in current):
                reason = "a lone surrogate" if not is_valid_unicode(current) else "the NUL character (PostgreSQL)"
                raise query_error(where, f"a JSON column cannot hold {reason}", repr(current)[:80], kind)
        elif t is int and not INT64_MIN <= current <= INT64_MAX:
            raise query_error(where, "an integer must fit in 64 bits", str(current)[:80], kind)


def string_bound(op: str, value: str, postgres: bool) -> tuple[str, str]:
    """A string range bound the dialect can bind. PostgreSQL text holds no NUL, so a stored string ``s`` compares
    to ``v = p + "\\x00" + ...`` (``p`` without NUL) as to ``p`` with ``gt``/``gte`` as ``> p`` and ``lt``/``lte``
    as ``<= p``: ``s`` is ``p`` (then ``s < v``), or exceeds ``v`` when it extends ``p``."""
    if not postgres or "\x00" not in value:
        return op, value
    prefix = value[: value.index("\x00")]
    return ("gt" if op in ("gt", "gte") else "lte"), prefix
