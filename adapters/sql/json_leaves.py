"""What the JSON-column compilers of PostgreSQL (``pg_json.py``) and MariaDB (``my_json.py``) share: the two-valued
clause of a leaf (``$eq``/``$ne``/ranges/``$in``/``$nin``/``$exists``), of a search and of a test on string values
(``$regex``), built from each dialect's element primitives."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..query import Compare, Exists, In

Clause = ColumnElement[bool]

__all__ = ["Clause", "JsonLeaves"]


class JsonLeaves(ABC):
    """A JSON column's leaves; a dialect supplies ``at`` (the value at a sub-path), ``_any`` (the value or any element
    of an array value matches), ``_eq_one`` and ``_range_one`` (one element against a literal), ``_is_string``,
    ``_string_text`` and ``_contains`` (string elements)."""

    @abstractmethod
    def at(self, rest: str) -> ColumnElement[Any]: ...

    @abstractmethod
    def _any(self, x: ColumnElement[Any], match: Callable[[ColumnElement[Any]], Clause]) -> Clause: ...

    @abstractmethod
    def _eq_one(self, e: ColumnElement[Any], value: Any) -> Clause: ...

    @abstractmethod
    def _range_one(self, e: ColumnElement[Any], op: str, value: Any) -> Clause: ...

    @abstractmethod
    def _is_string(self, e: ColumnElement[Any]) -> Clause:
        """``e`` is a JSON string."""

    @abstractmethod
    def _string_text(self, e: ColumnElement[Any]) -> ColumnElement[Any]:
        """The text of the JSON string ``e`` (unquoted, escapes decoded)."""

    @abstractmethod
    def _contains(self, text: ColumnElement[Any], needle: str) -> Clause:
        """The lower-cased ``text`` contains ``needle`` (already lower-cased)."""

    def leaf(self, node: Compare | In | Exists, rest: str) -> Clause:
        """The two-valued clause of a leaf on this column at the sub-path ``rest``."""
        x = self.at(rest)
        if isinstance(node, Exists):
            return x.is_not(None) if node.flag else x.is_(None)
        if isinstance(node, Compare):
            if node.op in ("eq", "ne"):
                clause = self._eq(x, node.value)
                return sa.not_(clause) if node.op == "ne" else clause
            op, value = node.op, node.value
            return sa.func.coalesce(self._any(x, lambda e: self._range_one(e, op, value)), sa.false())
        clause = sa.or_(sa.false(), *(self._eq(x, v) for v in node.values))
        return sa.not_(clause) if node.negate else clause

    def _eq(self, x: ColumnElement[Any], value: Any) -> Clause:
        matched = sa.func.coalesce(self._any(x, lambda e: self._eq_one(e, value)), sa.false())
        return sa.or_(x.is_(None), matched) if value is None else matched

    def strings(self, rest: str, test: Callable[[ColumnElement[Any]], Clause]) -> Clause:
        """``test`` holds for the text of a string value at ``rest``, or of a string element of an array there."""
        matched = self._any(self.at(rest), lambda e: sa.and_(self._is_string(e), test(self._string_text(e))))
        return sa.func.coalesce(matched, sa.false())

    def search(self, rest: str, needle: str) -> Clause:
        """Case-insensitive substring over a string value, or the string elements of an array."""
        return self.strings(rest, lambda text: self._contains(text, needle))
