"""How the SQL adapter sees a table: each column's entity key and kind, the id column and the order column.

Kinds decide how the portable language maps onto a column:

=============  ==========================================  ==============================================
kind           column types                                holds
=============  ==========================================  ==============================================
``anyid``      ``AnyId``                                   string and integer ids, each keeping its type
``json``       ``JSON`` (and ``JSONB``)                    any value: arrays, objects, mixed types, ``None``
``string``     ``String``, ``Text``, ``Enum``, ``Uuid``    strings (compared by code point)
``number``     ``Integer``, ``Float``, ``Numeric``         numbers (``Numeric`` reads back as ``float``)
``bool``       ``Boolean``                                 ``True``/``False`` (never equal to 1/0)
``datetime``   ``DateTime``                                ``datetime`` (naive values are UTC)
``other``      anything else                               equality only
=============  ==========================================  ==============================================

On a typed (non-JSON) column ``NULL`` is the value ``None``: the key is always present in entities read back, so
``$exists`` is true for every entity (a JSON column keeps *missing* and ``None`` apart).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..errors import query_error
from .types import AnyId, decode_json

__all__ = ["Field", "TableInfo", "column_kind", "decode_cell", "decode_fields", "json_text"]


def column_kind(column: sa.Column[Any]) -> str:
    """The kind of a column (see the module table)."""
    t = column.type
    if isinstance(t, AnyId):
        return "anyid"
    if isinstance(t, sa.JSON):
        return "json"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer | sa.Float | sa.Numeric):
        return "number"
    if isinstance(t, sa.DateTime):
        return "datetime"
    if isinstance(t, sa.String | sa.Enum | sa.Uuid):
        return "string"
    return "other"


@dataclass(frozen=True, slots=True)
class Field:
    """One column as the adapter uses it: ``key`` in entities (``"_id"`` for the id column)."""

    key: str
    column: sa.Column[Any]
    kind: str


class TableInfo:
    """The fields of a table: the id column (answered as ``_id``), an optional hidden insertion-order column, and
    the others by their attribute key."""

    def __init__(self, table: sa.Table, id_column: str | None, seq_column: str | None, id_key: str) -> None:
        self.table = table
        pk = list(table.primary_key.columns)
        if id_column is not None:
            if id_column not in table.c:
                raise ValueError(f"id_column {id_column!r} is not a column of table {table.name!r}")
            id_col = table.c[id_column]
        elif seq_column is not None and seq_column in table.c and len(pk) == 1 and pk[0].key == seq_column:
            uniques = [c for c in table.c if c.unique and c.key != seq_column]
            if len(uniques) != 1:
                raise ValueError(f"table {table.name!r}: give id_column= (the primary key is the order column)")
            id_col = uniques[0]
        elif len(pk) == 1:
            id_col = pk[0]
        else:
            raise ValueError(f"table {table.name!r} needs a single-column primary key (or id_column=)")
        self.id = Field(id_key, id_col, column_kind(id_col))
        self.id_generated = self.id.kind == "number" and id_col.autoincrement in (True, "auto") and id_col.primary_key
        self.seq: sa.Column[Any] | None = table.c[seq_column] if seq_column and seq_column in table.c else None
        if self.seq is None and self.id.kind == "number":
            self.seq = id_col  # an autoincrement integer key is the insertion order
        self.fields: dict[str, Field] = {id_key: self.id}
        for column in table.c:
            if column is id_col or (self.seq is not None and column is self.seq and column is not id_col):
                continue
            key = str(column.key)  # a plain str: SQLAlchemy's quoted_name is a str subclass, not a field name
            self.fields[key] = Field(key, column, column_kind(column))
        self.data_fields = [f for k, f in self.fields.items() if k != id_key]
        self.order: sa.Column[Any] = self.seq if self.seq is not None else id_col
        self.id_key = id_key
        keys = [list(table.primary_key.columns), *(list(i.columns) for i in table.indexes if i.unique)]
        keys += [list(c.columns) for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
        # a lookup by id is one index hit of at most one row, by plain equality (JSON ids compile otherwise)
        self.id_unique = (bool(id_col.unique) or [id_col] in keys) and self.id.kind in ("anyid", "number", "string")
        self._selected: dict[str, list[sa.ColumnElement[Any]]] = {}

    def selected(self, dialect: str) -> list[sa.ColumnElement[Any]]:
        """What reads select: the id column, then each data column (a JSON one as its text, labelled with its
        key); built once per dialect, so statements reuse the same elements. ``entity`` decodes the rows."""
        cols = self._selected.get(dialect)
        if cols is None:
            cols = [self.id.column]
            for f in self.data_fields:
                cols.append(json_text(f.column, dialect).label(f.key) if f.kind == "json" else f.column)
            self._selected[dialect] = cols
        return cols

    def entity(self, row: Sequence[Any]) -> dict[str, Any]:
        """The entity of a row of ``selected``: JSON text decoded (SQL ``NULL``: the key is missing), typed values
        by ``decode_cell``, the id under ``id_key``."""
        return decode_fields({self.id_key: decode_cell(self.id, row[0])}, self.data_fields, row[1:])

    def field(self, path: str, where: str, kind: str = "query") -> tuple[Field, str]:
        """The field a dotted path starts in, and the rest of the path (``""`` for the column itself); an unknown
        column is a 422 naming ``where``."""
        head, _, rest = path.partition(".")
        found = self.fields.get(head)
        if found is None:
            raise query_error(where, f"unknown field '{head}'", path, kind)
        return found, rest


def decode_fields(out: dict[str, Any], fields: Sequence[Field], values: Sequence[Any]) -> dict[str, Any]:
    """``out`` with the stored ``values`` of ``fields`` (JSON ones read as text, ``json_text``): JSON text
    decoded (SQL ``NULL``: the key is missing), typed values by ``decode_cell``."""
    for f, value in zip(fields, values):
        if f.kind == "json":
            if value is not None:
                out[f.key] = decode_json(value)
        else:
            out[f.key] = decode_cell(f, value)
    return out


def decode_cell(field: Field, value: Any) -> Any:
    """A typed column's stored value as entities hold it: ``Numeric`` as ``float``, a ``Uuid`` as its canonical
    text, the naive value of an aware column (SQLite and MariaDB have no zones: UTC stored) as aware UTC."""
    t = type(value)
    if t is Decimal:
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if t is datetime and value.tzinfo is None and getattr(field.column.type, "timezone", False):
        return value.replace(tzinfo=UTC)
    if t is str and len(value) == 32 and isinstance(field.column.type, sa.Uuid):  # as_uuid=False on CHAR(32)
        return str(uuid.UUID(value))
    return value


def json_text(column: sa.Column[Any], dialect: str) -> sa.ColumnElement[Any]:
    """A JSON column read as its text (``NULL`` stays ``NULL``: missing), decoded by ``types.decode_json``."""
    if dialect == "postgresql":
        return sa.cast(column, sa.Text())
    return sa.type_coerce(column, sa.Text())
