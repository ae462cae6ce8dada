"""The query tree compiled to SQLAlchemy Core: bound parameters only, never SQL text built from input.

Every leaf compiles to a *two-valued* expression (never SQL ``NULL``), so ``Not`` is a plain ``NOT`` and ``$ne``,
``$nin`` and ``$not`` keep the rows where the field is ``NULL`` or missing, as MongoDB does.

* Typed columns (see ``columns.py``): type-strict equality (``True`` never equals ``1``, ``"4"`` never equals
  ``4``: a literal of another type bracket compiles to ``false``), ranges inside the operand's bracket, strings
  under a binary collation (code-point order on every database), ``search`` as ``position(needle in lower(col))``
  (no ``LIKE``, so ``%``, ``_`` and ``\\`` in the text are literal).
* JSON columns: on SQLite each leaf calls ``dbm_match`` (``sqlite_functions.py``), which runs the memory adapter's
  own rules on the column's value; PostgreSQL and MariaDB compile them natively (``pg_json.py``, ``my_json.py``)
  and collect *guards* (``take_guards``): conditions the adapter checks first, refusing with
  ``UnsupportedQueryError`` what the native form would answer differently (a dotted path through an array).
* ``$regex``: SQLite through ``dbm_regex`` (the language's RE2 matcher: exactly the memory adapter); PostgreSQL
  and MariaDB match the pattern rewritten in their dialect with RE2's meaning (``regex_sql.py``); what a dialect
  cannot say exactly is an ``UnsupportedQueryError`` for that pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ..compiler import QueryCompiler, operator_name
from ..errors import UnsupportedQueryError
from ..query import And, Compare, Exists, In, MatchAll, Not, Or, Regex, Search, SortKey
from .columns import Field, TableInfo
from .domains import eq_literal, is_enum, is_uuid, range_literal, string_bound
from .my_json import MyJson
from .pg_json import PgJson
from .regex_sql import RegexUnsupported, regex_match, sql_pattern
from .sqlite_functions import encode_leaf
from .types import encode_id

__all__ = ["SqlCompiler"]

Clause = ColumnElement[bool]
_CANONICAL_INT = re.compile(r"-?(0|[1-9][0-9]{0,18})")
_BINARY = {"postgresql": "C", "mysql": "utf8mb4_nopad_bin", "mariadb": "utf8mb4_nopad_bin", "sqlite": "BINARY"}


class SqlCompiler(QueryCompiler[Clause]):
    """Compiles ``Node`` trees and sort keys for one table on one dialect (``"sqlite"``, ``"postgresql"``,
    ``"mysql"``/``"mariadb"``). Unknown columns are a 422 naming the path; what the dialect cannot do exactly is
    an ``UnsupportedQueryError`` (400)."""

    def __init__(self, info: TableInfo, dialect: str, adapter_name: str) -> None:
        super().__init__(adapter_name)
        self.info = info
        self.dialect = dialect
        self.sqlite = dialect == "sqlite"
        self.postgres = dialect == "postgresql"
        self.mysql = dialect in ("mysql", "mariadb")
        self._json_class: type[PgJson] | type[MyJson] | None = (
            PgJson if self.postgres else MyJson if self.mysql else None
        )
        self._guards: list[tuple[Clause, str, str | None, str]] = []

    def take_guards(self) -> list[tuple[Clause, str, str | None, str]]:
        """The guards collected since the last call: ``(condition, operator, path, reason)``; if any row satisfies
        a condition, the statement would not have the portable meaning and the adapter raises
        ``UnsupportedQueryError`` instead of running it."""
        guards, self._guards = self._guards, []
        return guards

    # ------------------------------------------------------------------------------------------ node kinds

    def match_all(self, node: MatchAll) -> Clause:
        return sa.true()

    def and_(self, node: And) -> Clause:
        return sa.and_(*(self.compile(c) for c in node.children))

    def or_(self, node: Or) -> Clause:
        return sa.or_(*(self.compile(c) for c in node.children))

    def not_(self, node: Not) -> Clause:
        return sa.not_(self.compile(node.child))

    def compare(self, node: Compare) -> Clause:
        return self._on_field(node, lambda field: self._compare(node, field))

    def in_(self, node: In) -> Clause:
        def typed(field: Field) -> Clause:
            clause = sa.or_(sa.false(), *(self._eq(field, v) for v in node.values))
            return sa.not_(clause) if node.negate else clause

        return self._on_field(node, typed)

    def exists(self, node: Exists) -> Clause:
        return self._on_field(node, lambda field: sa.true() if node.flag else sa.false())

    def regex(self, node: Regex) -> Clause:
        return self._on_field(node, lambda field: self._regex(node, field))

    def _on_field(self, node: Compare | In | Exists | Regex, typed: Callable[[Field], Clause]) -> Clause:
        """A leaf: on a JSON column the JSON rules, a dotted path into a typed column reaches nothing, else
        ``typed(field)``."""
        field, rest = self.info.field(node.path, node.path)
        if field.kind == "json":
            return self._json_leaf(node, field)
        if rest:
            return self._unreachable(node)
        return typed(field)

    # ----------------------------------------------------------------------------------------------- leaves

    def _unreachable(self, node: Compare | In | Exists | Regex) -> Clause:
        """A dotted path into a typed (scalar) column reaches nothing: the field is missing."""
        if isinstance(node, Compare):
            missing_matches = (node.op == "eq" and node.value is None) or (node.op == "ne" and node.value is not None)
        elif isinstance(node, In):
            missing_matches = (None in node.values) != node.negate
        elif isinstance(node, Exists):
            missing_matches = not node.flag
        else:
            missing_matches = False
        return sa.true() if missing_matches else sa.false()

    def _json_leaf(self, node: Compare | In | Exists | Regex, field: Field) -> Clause:
        if self._json_class is not None:
            rest = node.path.partition(".")[2]
            json = self._json_class(field.column, field.key)
            self._guard_path(json, rest, operator_name(node), node.path)
            if isinstance(node, Regex):
                return json.strings(rest, self._regex_match(node))
            return json.leaf(node, rest)
        if not self.sqlite:
            raise self.unsupported(node, "JSON columns are queried on SQLite, PostgreSQL and MariaDB only")
        text = sa.type_coerce(field.column, sa.Text())
        return sa.func.dbm_match(text, encode_leaf(field.key, node)) == 1

    def _guard_path(self, json: PgJson | MyJson, rest: str, operator: str, path: str) -> None:
        for condition in json.array_guard(rest):
            self._guards.append((condition, operator, path, "the path runs through an array"))

    def text_of(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """A string column under the dialect's binary (code point) collation."""
        return column.collate(_BINARY.get(self.dialect, "BINARY"))

    def _literal(self, field: Field, value: Any) -> tuple[bool, Any]:
        """``(True, bound value)`` when some stored value of the column can equal ``value`` (its type bracket, and
        its domain: ``domains.eq_literal``), else ``(False, None)``."""
        kind, t = field.kind, type(value)
        if kind == "anyid":
            encoded = encode_id(value)
            return (encoded is not None, encoded)
        if kind == "number" and field is self.info.id and t is str and _CANONICAL_INT.fullmatch(value):
            value = int(value)  # an integer key looked up by its text (REST paths carry text): "12" → 12
        if kind == "number" and field is self.info.id and t is float and not value.is_integer():
            return (False, None)
        return eq_literal(field, value, self.dialect)

    def _target(self, field: Field) -> ColumnElement[Any]:
        """What ranges and sorts compare: strings by code point (an ``Enum`` as its label, not its declaration
        order; a ``Uuid`` as its canonical text)."""
        if field.kind == "anyid":
            return sa.type_coerce(field.column, sa.String())
        if field.kind == "string":
            return self.text_of(self._text(field))
        return field.column

    def _text(self, field: Field) -> ColumnElement[Any]:
        """The text of a string column as entities hold it: an ``Enum``'s label (servers compare enums by
        declaration order), a ``Uuid``'s canonical form (SQLite and MariaDB store 32 hex digits)."""
        column: ColumnElement[Any] = field.column
        if is_uuid(field):  # native on PostgreSQL and MariaDB 10.7+ (canonical text), else 32 hex digits
            if self.postgres:
                return sa.cast(column, sa.Text())
            text = sa.func.lower(sa.cast(column, sa.String(36)))
            parts = [sa.func.substr(text, start, n) for start, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
            joined: ColumnElement[Any] = parts[0]
            for part in parts[1:]:
                joined = joined.concat("-").concat(part)
            return sa.case((sa.func.length(text) == 32, joined), else_=text)
        if is_enum(field) and not self.sqlite:
            return sa.cast(column, sa.Text() if self.postgres else sa.String(255))
        return column

    def _eq(self, field: Field, value: Any) -> Clause:
        column = field.column
        if value is None:
            return sa.false() if field is self.info.id else column.is_(None)
        ok, bound = self._literal(field, value)
        if not ok:
            return sa.false()
        return self._equals(field, sa.literal(bound, self._bind_type(field)))

    def _equals(self, field: Field, bound: ColumnElement[Any]) -> Clause:
        """``field = bound`` under the binary collation. On a server a string column is also compared under its own
        collation, which any byte-equal value satisfies too: that term lets the column's index find the rows (an
        index does not serve a comparison under another collation)."""
        if is_uuid(field) or is_enum(field):  # equal labels / UUIDs: equal values, whatever the stored form
            return sa.and_(field.column.is_not(None), field.column == bound)
        clause = sa.and_(field.column.is_not(None), self._target(field) == bound)
        return sa.and_(field.column == bound, clause) if field.kind == "string" and not self.sqlite else clause

    def _bind_type(self, field: Field) -> Any:
        if is_uuid(field) or is_enum(field):
            return field.column.type
        return sa.String() if field.kind in ("anyid", "string") else field.column.type

    def id_equals(self, name: str) -> Clause:
        """The clause of ``Compare(id, "eq", v)`` with ``v`` bound at execution to the parameter ``name``, whose
        value is ``id_literal(v)[1]`` (the SQLite reader runs it without compiling a tree per call)."""
        field = self.info.id
        return self._equals(field, sa.bindparam(name, type_=self._bind_type(field)))

    def id_literal(self, value: Any) -> tuple[bool, Any]:
        """``(True, bound value)`` for an id value some row can have, else ``(False, None)``: nothing matches (an
        integer key holds what its column type holds: a larger number is no key, not a driver error)."""
        return (False, None) if value is None else self._literal(self.info.id, value)

    def _compare(self, node: Compare, field: Field) -> Clause:
        """``eq``/``ne``/ranges on a typed column."""
        if node.op == "eq":
            return self._eq(field, node.value)
        if node.op == "ne":
            return sa.not_(self._eq(field, node.value))
        value = node.value
        if field.kind == "anyid":
            return self._id_range(node, field)
        op: str = node.op
        t = type(value)
        if field.kind == "number" and (t is int or t is float):
            rewritten = range_literal(field, op, value, self.dialect)
            if isinstance(rewritten, bool):
                return field.column.is_not(None) if rewritten else sa.false()
            op, bound = rewritten
        elif field.kind == "string" and t is str:
            op, bound = string_bound(op, value, self.postgres)
        elif field.kind in ("bool", "datetime") or (field.kind == "other" and t not in (list, dict)):
            ok, bound = self._literal(field, value)
            if not ok:
                return sa.false()
        else:
            return sa.false()
        target = self._target(field)
        literal = sa.literal(bound, sa.String() if field.kind == "string" else field.column.type)
        ops = {"gt": target > literal, "gte": target >= literal, "lt": target < literal, "lte": target <= literal}
        return sa.and_(field.column.is_not(None), ops[op])

    def _id_range(self, node: Compare, field: Field) -> Clause:
        """Ranges on an ``AnyId`` column: the tagged strings order numbers numerically, then strings."""
        value = node.value
        col = sa.type_coerce(field.column, sa.String())
        if type(value) is str:
            low, high, bound = "s", "t", "s" + value
        elif type(value) in (int, float):
            if type(value) is float and not value.is_integer():
                raise self.unsupported(node, "a fractional bound on a mixed id column")
            encoded = encode_id(int(value))
            if encoded is None:
                raise self.unsupported(node, "an id bound outside 64 bits")
            low, high, bound = "i", "j", encoded
        else:
            return sa.false()
        ops = {"gt": col > bound, "gte": col >= bound, "lt": col < bound, "lte": col <= bound}
        return sa.and_(col >= low, col < high, ops[node.op])

    def _regex(self, node: Regex, field: Field) -> Clause:
        """``$regex`` on a typed column: strings (and the string ids of an ``AnyId`` column); numbers never match."""
        if field.kind in ("number", "bool", "datetime"):
            return sa.false()
        column: ColumnElement[Any] = field.column
        text: ColumnElement[Any]
        if field.kind == "anyid":  # string ids by their text (the tag never reaches the pattern); integers never
            is_string, text = _string_id_text(column)
        elif field.kind == "string":
            text, is_string = self._text(field), column.is_not(None)
        elif self.sqlite:
            text, is_string = column, column.is_not(None)
        else:
            raise self.unsupported(node, "a regular expression on a column that is neither text nor JSON")
        return sa.and_(is_string, sa.func.coalesce(self._regex_match(node)(text), sa.false()))

    def _regex_match(self, node: Regex) -> Callable[[ColumnElement[Any]], Clause]:
        """The test of one text expression against the node's pattern, on this dialect (``NULL`` for ``NULL``)."""
        if self.sqlite:
            return lambda text: sa.func.dbm_regex(text, node.pattern, node.flags) == 1
        try:
            sql_pattern(node.pattern, node.flags, self.dialect)
        except RegexUnsupported as err:
            raise self.unsupported(node, str(err)) from None
        return lambda text: regex_match(text, node.pattern, node.flags, self.dialect)

    def search(self, node: Search) -> Clause:
        """Case-insensitive substring over the fields (every string/JSON column but the id when none given)."""
        needle = node.text.lower() if not self.sqlite else node.text  # SQLite folds with the language's own rule
        if node.fields:
            targets = [(self.info.field(path, "searchFields", "params"), path) for path in node.fields]
        else:
            targets = [((f, ""), f.key) for f in self.info.data_fields if f.kind in ("string", "json")]
        excluded = tuple(getattr(node, "exclude", ()) or ())
        clauses: list[Clause] = []
        for (field, rest), path in targets:
            if any(path == e or path.startswith(e + ".") for e in excluded):
                continue
            if field.kind == "json":
                if self._json_class is not None:
                    json = self._json_class(field.column, field.key)
                    self._guard_path(json, rest, "search", path)
                    clauses.append(json.search(rest, needle))
                    continue
                if not self.sqlite:
                    raise self.unsupported(node, "search in JSON columns is not compiled on this database yet")
                clauses.append(sa.func.dbm_search(sa.type_coerce(field.column, sa.Text()), rest, needle) == 1)
            elif field.kind == "string" and not rest:
                clauses.append(self._contains(self._text(field), needle))
            elif field.kind == "anyid" and not rest:  # string ids: their text; integer ids never match
                is_string, text = _string_id_text(field.column)
                clauses.append(sa.and_(is_string, self._contains(text, needle)))
        return sa.or_(sa.false(), *clauses)

    def _contains(self, column: ColumnElement[Any], needle: str) -> Clause:
        if "\x00" in needle and self.dialect == "postgresql":
            return sa.false()
        if self.sqlite:
            return sa.func.coalesce(sa.func.dbm_contains(column, needle), 0) == 1
        lowered = sa.func.lower(column)  # the database's ctype lower-cases non-ASCII letters (C.UTF-8, utf8mb4)
        return (
            sa.and_(column.is_not(None), sa.func.strpos(lowered, needle) > 0)
            if self.dialect == "postgresql"
            else sa.and_(column.is_not(None), sa.func.locate(sa.literal(needle), lowered) > 0)
        )

    # ------------------------------------------------------------------------------------------------- sort

    def order_by(self, keys: tuple[SortKey, ...]) -> list[ColumnElement[Any]]:
        """ORDER BY terms for the sort keys, then the insertion order for ties (in both directions)."""
        terms: list[ColumnElement[Any]] = []
        for key in keys:
            field, rest = self.info.field(key.path, "sort", "sort")
            if field.kind == "json" and self._json_class is not None:
                json = self._json_class(field.column, field.key)
                self._guard_path(json, rest, "sort", key.path)
                ordered, guard = json.order(key, rest)
                self._guards.append((guard, "sort", key.path, "the field holds arrays or objects"))
                terms += ordered
                continue
            if field.kind == "json":
                if not self.sqlite:
                    raise UnsupportedQueryError("sort", self.adapter_name, key.path, "sorting on JSON columns")
                expr = sa.func.dbm_sortkey(sa.type_coerce(field.column, sa.Text()), rest, int(key.descending))
                terms.append(expr.desc() if key.descending else expr.asc())
                continue
            if rest:
                continue  # a path into a scalar column is missing everywhere: no order
            target = self._target(field)
            is_null = sa.case((field.column.is_(None), 0), else_=1)
            terms += [is_null.desc(), target.desc()] if key.descending else [is_null.asc(), target.asc()]
        terms.append(self.info.order.asc())
        return terms


def _string_id_text(column: ColumnElement[Any]) -> tuple[Clause, ColumnElement[Any]]:
    """For an ``AnyId`` column: (the row holds a string id, that id's text without its ``"s"`` tag)."""
    raw = sa.type_coerce(column, sa.String())
    return raw.like("s%"), sa.func.substr(raw, 2)
