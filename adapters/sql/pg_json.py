"""Queries into JSON columns on PostgreSQL (``jsonb``), with the memory adapter's semantics.

Each leaf is built from a per-value matcher ``m(e)`` over a ``jsonb`` value: the field matches when the value
reached matches, or, when it is an array, when one of its elements does (``EXISTS (SELECT FROM
jsonb_array_elements(...))``), so an entity matched by several elements is still one row. ``jsonb`` equality is
type-strict and compares numbers by value (``3 = 3.0``, ``true <> 1``, ``"3" <> 3``) and objects regardless of key
order: exactly the language's equality. Strings compare under ``COLLATE "C"`` (code point order), datetimes by
their stored UTC text (fixed width, so text order is time order).

What ``jsonb`` paths cannot reproduce is refused at run time, not answered differently: before a statement that
reads a dotted path (MongoDB walks into every object of an array met on the way) or sorts a JSON column holding
arrays or objects (MongoDB orders arrays by their smallest/largest element), the adapter runs a guard query; if
any row holds such a value there, the call is an ``UnsupportedQueryError``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from ..query import SortKey
from .domains import string_bound
from .json_leaves import Clause, JsonLeaves
from .types import datetime_key, encode_json

__all__ = ["PgJson"]

_DATE = "$date"
_RANK_SQL = {"null": 1, "number": 3, "string": 4, "object": 5, "array": 6, "boolean": 7}


def _lit(value: Any) -> ColumnElement[Any]:
    return sa.cast(sa.literal(encode_json(value), sa.Text()), JSONB)


def _text(e: ColumnElement[Any]) -> ColumnElement[Any]:
    """The text of a ``jsonb`` scalar (``e #>> '{}'``): a string without its quotes."""
    return e.op("#>>", return_type=sa.Text())(sa.literal_column("'{}'::text[]"))  # a constant, not input


def _date_text(e: ColumnElement[Any]) -> ColumnElement[Any]:
    return e.op("->>", return_type=sa.Text())(sa.literal(_DATE, sa.Text()))


def _has_nul(value: Any) -> bool:
    """Whether a literal holds a string (or object key) with the NUL character."""
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is str:
            if "\x00" in v:
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list | tuple):
            stack.extend(v)
    return False


class PgJson(JsonLeaves):
    """Builds ``jsonb`` clauses for one JSON column; collects guard conditions (see the module docstring)."""

    def __init__(self, column: sa.Column[Any], key: str) -> None:
        self.column = column
        self.key = key
        self.root = sa.cast(column, JSONB)

    def at(self, rest: str) -> ColumnElement[Any]:
        """The ``jsonb`` value at the sub-path (``NULL`` when missing)."""
        if not rest:
            return self.root
        if "\x00" in rest:  # no stored key holds NUL (jsonb cannot): the path reaches nothing
            return sa.cast(sa.null(), JSONB)
        return sa.func.jsonb_extract_path(self.root, *[sa.literal(s, sa.Text()) for s in rest.split(".")])

    def array_guard(self, rest: str) -> list[Clause]:
        """Conditions true for a row where the dotted path meets an array before its last segment."""
        parts = rest.split(".") if rest else []
        guards: list[Clause] = []
        for i in range(len(parts)):
            prefix = ".".join(parts[:i])
            guards.append(sa.func.jsonb_typeof(self.at(prefix)) == "array")
        return guards

    # ------------------------------------------------------------------------------------------ matchers

    @staticmethod
    def _typeof(e: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.jsonb_typeof(e)

    def _is_date(self, e: ColumnElement[Any]) -> Clause:
        return sa.and_(self._typeof(e) == "object", e.op("?")(sa.literal(_DATE, sa.Text())))

    def _eq_one(self, e: ColumnElement[Any], value: Any) -> Clause:
        if value is None:
            return self._typeof(e) == "null"
        if _has_nul(value):  # no stored string holds NUL (jsonb cannot)
            return sa.false()
        if isinstance(value, datetime):
            return sa.and_(self._is_date(e), _date_text(e) == datetime_key(value))
        return e == _lit(value)

    def _range_one(self, e: ColumnElement[Any], op: str, value: Any) -> Clause:
        if isinstance(value, str):
            op, value = string_bound(op, value, True)
            left: ColumnElement[Any] = _text(e).collate("C")
            right: Any = sa.literal(value, sa.Text())
            typed = self._typeof(e) == "string"
        elif isinstance(value, datetime):
            left = _date_text(e).collate("C")
            right = sa.literal(datetime_key(value), sa.Text())
            typed = self._is_date(e)
        else:
            left, right, typed = e, _lit(value), self._typeof(e) == "number"
        cmp = {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
        return sa.and_(typed, cmp)

    def _any(self, x: ColumnElement[Any], match: Any) -> Clause:
        """``match(x)`` or, for an array, ``match`` of an element."""
        elements = sa.func.jsonb_array_elements(x).table_valued("value").alias("e")
        inner = sa.exists(sa.select(sa.literal(1)).select_from(elements).where(match(elements.c.value)))
        return sa.or_(match(x), sa.and_(self._typeof(x) == "array", inner))

    # --------------------------------------------------------------------------------------------- leaves

    def _is_string(self, e: ColumnElement[Any]) -> Clause:
        return self._typeof(e) == "string"

    def _string_text(self, e: ColumnElement[Any]) -> ColumnElement[Any]:
        return _text(e)

    def _contains(self, text: ColumnElement[Any], needle: str) -> Clause:
        if "\x00" in needle:
            return sa.false()
        return sa.func.strpos(sa.func.lower(text), needle) > 0

    # ----------------------------------------------------------------------------------------------- sort

    def order(self, key: SortKey, rest: str) -> tuple[list[ColumnElement[Any]], Clause]:
        """ORDER BY terms in the language's type order, and the guard (arrays, non-date objects at the path)."""
        x = self.at(rest)
        t = self._typeof(x)
        is_date = self._is_date(x)
        rank = sa.case(
            (x.is_(None), 1),
            (is_date, 8),
            *((t == name, r) for name, r in _RANK_SQL.items()),
            else_=9,
        )
        number = sa.case((t == "number", sa.cast(_text(x), sa.Numeric())))
        text = sa.case((t == "string", _text(x))).collate("C")
        boolean = sa.case((t == "boolean", sa.cast(_text(x), sa.Boolean())))
        date = sa.case((is_date, _date_text(x))).collate("C")
        terms = [rank, number, text, boolean, date]
        ordered: list[ColumnElement[Any]] = [term.desc() if key.descending else term.asc() for term in terms]
        guard = sa.or_(t == "array", sa.and_(t == "object", sa.not_(is_date)))
        return ordered, guard
