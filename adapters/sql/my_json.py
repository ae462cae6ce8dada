"""Queries into JSON columns on MariaDB, with the memory adapter's semantics (the counterpart of ``pg_json.py``).

MariaDB stores JSON as text; ``JSON_EQUALS`` compares two documents type-strictly, numbers by value and objects
regardless of key order (the language's equality), ``JSON_TYPE`` tells the types apart (``true`` is ``BOOLEAN``, not
``INTEGER``), and ``JSON_TABLE`` iterates an array's elements inside ``EXISTS`` (so an entity matched by several
elements counts once). Strings compare under ``utf8mb4_nopad_bin`` (code point order, no PAD SPACE). The same guard
queries as on PostgreSQL refuse dotted paths through arrays, and the adapter sorts in Python when a sorted JSON
field holds arrays or objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement

from ..query import SortKey
from .json_leaves import Clause, JsonLeaves
from .types import datetime_key, encode_value

__all__ = ["MyJson"]

_BIN = "utf8mb4_nopad_bin"
_DATE_PATH = '$."$date"'
_NUMBER = ("INTEGER", "DOUBLE", "DECIMAL")


class _AnyElement(ColumnElement[bool]):
    """``EXISTS (SELECT 1 FROM JSON_TABLE(array, '$[*]' COLUMNS (v JSON PATH '$')) AS e WHERE condition)``, where
    the condition reads the element as ``e.v``."""

    inherit_cache = False
    type = sa.Boolean()

    def __init__(self, array: ColumnElement[Any], condition: ColumnElement[Any]) -> None:
        self.array = array
        self.condition = condition


@compiles(_AnyElement)
def _any_element(element: _AnyElement, compiler: Any, **kw: Any) -> str:
    array = compiler.process(element.array, **kw)
    condition = compiler.process(element.condition, **kw)
    return f"EXISTS (SELECT 1 FROM JSON_TABLE({array}, '$[*]' COLUMNS (v JSON PATH '$')) AS e WHERE {condition})"


def _json_path(rest: str) -> str:
    return "$" + "".join('."' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in rest.split("."))


def _lit(value: Any) -> ColumnElement[Any]:
    """A JSON literal written as SQLAlchemy's default serializer writes stored values (ASCII with ``\\u`` escapes):
    ``JSON_EQUALS`` compares strings inside documents by their text."""
    return sa.literal(json.dumps(encode_value(value)), sa.Text())


class MyJson(JsonLeaves):
    """Builds MariaDB clauses for one JSON column; collects guard conditions like ``PgJson``."""

    def __init__(self, column: sa.Column[Any], key: str) -> None:
        self.column = column
        self.key = key
        self.root = sa.type_coerce(column, sa.Text())

    def at(self, rest: str) -> ColumnElement[Any]:
        """The JSON text at the sub-path (``NULL`` when missing)."""
        if not rest:
            return self.root
        return sa.func.JSON_EXTRACT(self.root, sa.literal(_json_path(rest), sa.Text()), type_=sa.Text())

    def array_guard(self, rest: str) -> list[Clause]:
        parts = rest.split(".") if rest else []
        return [sa.func.JSON_TYPE(self.at(".".join(parts[:i]))) == "ARRAY" for i in range(len(parts))]

    @staticmethod
    def _typeof(e: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.JSON_TYPE(e)

    def _is_date(self, e: ColumnElement[Any]) -> Clause:
        return sa.and_(
            self._typeof(e) == "OBJECT", sa.func.JSON_CONTAINS_PATH(e, "one", sa.literal(_DATE_PATH, sa.Text())) == 1
        )

    @staticmethod
    def _unquote(e: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.JSON_UNQUOTE(e, type_=sa.Text()).collate(_BIN)

    def _date_text(self, e: ColumnElement[Any]) -> ColumnElement[Any]:
        return self._unquote(sa.func.JSON_EXTRACT(e, sa.literal(_DATE_PATH, sa.Text()), type_=sa.Text()))

    def _eq_one(self, e: ColumnElement[Any], value: Any) -> Clause:
        if value is None:
            return self._typeof(e) == "NULL"
        if isinstance(value, datetime):
            return sa.and_(self._is_date(e), self._date_text(e) == datetime_key(value))
        if isinstance(value, str):  # JSON_UNQUOTE decodes escapes: equal whatever the stored text's escaping
            return sa.and_(self._typeof(e) == "STRING", self._unquote(e) == sa.literal(value, sa.Text()).collate(_BIN))
        return sa.func.JSON_EQUALS(e, _lit(value)) == 1

    def _range_one(self, e: ColumnElement[Any], op: str, value: Any) -> Clause:
        if isinstance(value, str):
            left: ColumnElement[Any] = self._unquote(e)
            right: Any = sa.literal(value, sa.Text()).collate(_BIN)
            typed = self._typeof(e) == "STRING"
        elif isinstance(value, datetime):
            left, right, typed = self._date_text(e), sa.literal(datetime_key(value), sa.Text()), self._is_date(e)
        else:
            left = sa.cast(e, sa.Double())
            right, typed = sa.literal(float(value), sa.Double()), self._typeof(e).in_(_NUMBER)
        cmp = {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
        return sa.and_(typed, cmp)

    def _any(self, x: ColumnElement[Any], match: Callable[[ColumnElement[Any]], Clause]) -> Clause:
        element = sa.literal_column("e.v", sa.Text())
        return sa.or_(match(x), sa.and_(self._typeof(x) == "ARRAY", _AnyElement(x, match(element))))

    def _is_string(self, e: ColumnElement[Any]) -> Clause:
        return self._typeof(e) == "STRING"

    def _string_text(self, e: ColumnElement[Any]) -> ColumnElement[Any]:
        return sa.func.JSON_UNQUOTE(e, type_=sa.Text())

    def _contains(self, text: ColumnElement[Any], needle: str) -> Clause:
        return sa.func.LOCATE(sa.literal(needle, sa.Text()), sa.func.LOWER(text)) > 0

    def order(self, key: SortKey, rest: str) -> tuple[list[ColumnElement[Any]], Clause]:
        """ORDER BY terms in the language's type order, and the guard (arrays, non-date objects at the path)."""
        x = self.at(rest)
        t = self._typeof(x)
        is_date = self._is_date(x)
        rank = sa.case(
            (x.is_(None), 1),
            (t == "NULL", 1),
            (t.in_(_NUMBER), 3),
            (t == "STRING", 4),
            (is_date, 8),
            (t == "OBJECT", 5),
            (t == "ARRAY", 6),
            (t == "BOOLEAN", 7),
            else_=9,
        )
        number = sa.case((t.in_(_NUMBER), sa.cast(x, sa.Double())))
        text = sa.case((t == "STRING", self._unquote(x)))
        boolean = sa.case((t == "BOOLEAN", sa.cast(x == "true", sa.Integer())))
        date = sa.case((is_date, self._date_text(x)))
        ordered: list[ColumnElement[Any]] = [
            term.desc() if key.descending else term.asc() for term in (rank, number, text, boolean, date)
        ]
        guard = sa.or_(t == "ARRAY", sa.and_(t == "OBJECT", sa.not_(is_date)))
        return ordered, guard
