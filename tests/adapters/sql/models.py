"""Tables of the SQL adapter tests.

``documents_table()``: the schemaless table the conformance suite runs on: an insertion-order ``_seq`` key, an
``AnyId`` id (strings and integers, each keeping its type) and a JSON column per field the suite uses.
``products_table()``: a typed table (string/number/bool/datetime columns, an autoincrement integer id), as an
application declares one.
"""

from __future__ import annotations

import sqlalchemy as sa

from adapters.sql import AnyId, JSONText

CONFORMANCE_FIELDS = (
    "name", "price", "qty", "category", "tags", "address", "active", "ratings", "v", "at", "t", "n", "pair", "obj",
    "other", "kind", "visits", "touched", "meta", "stats", "group", "x", "y", "a", "b", "c", "k", "s", "body", "by",
    "note", "email", "password", "secret", "shop", "sku", "version",
)  # fmt: skip


def documents_table(
    name: str = "conformance_items", metadata: sa.MetaData | None = None, fields: tuple[str, ...] = CONFORMANCE_FIELDS
) -> sa.Table:
    """A schemaless table: a JSON column per name of ``fields`` (default: the conformance suite's)."""
    return sa.Table(
        name,
        metadata if metadata is not None else sa.MetaData(),
        sa.Column("_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("_id", AnyId(), nullable=False, unique=True),
        *(
            sa.Column(field, sa.JSON().with_variant(JSONText(), "sqlite"), nullable=True)
            for field in fields
        ),
    )


def products_table(name: str = "dbm_products", metadata: sa.MetaData | None = None) -> sa.Table:
    """A typed table: integer autoincrement id, text/number/bool/datetime columns and one JSON column."""
    return sa.Table(
        name,
        metadata if metadata is not None else sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sku", sa.String(64), unique=True),
        sa.Column("name", sa.String(200)),
        sa.Column("price", sa.Double()),
        sa.Column("stock", sa.Integer()),
        sa.Column("active", sa.Boolean()),
        sa.Column("created", sa.DateTime()),
        sa.Column("attrs", sa.JSON()),
    )
