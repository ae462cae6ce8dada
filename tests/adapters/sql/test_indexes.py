"""Declared indexes on the SQL adapter (``adapters/sql/unique.py``), on a typed table and every engine: unique ones
with the language's equality whatever the column collation, built from stored rows at connect, enforced for
concurrent writers; non-unique ones as native indexes; misdeclarations refused at connect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import EntityAlreadyExistsError, SQLAdapter
from adapters.query_values import hash_key
from adapters.sql.unique import _key_text
from broker.errors import ServiceSchemaError

from .models import products_table

TABLE = "dbm_products_indexed"  # not the other suites' table: its native indexes would change their locking
INDEXES: list[Any] = [{"fields": ["name"], "unique": True}, {"fields": ["price", "active"], "unique": True}, "stock"]


async def connected(make_adapter: Callable[..., SQLAdapter], indexes: Any, **options: Any) -> SQLAdapter:
    adapter = make_adapter(products_table(TABLE), **options)
    adapter.init("products", {"indexes": indexes}, {"name": "products"})
    await adapter.connect()
    return adapter


@pytest.fixture
async def declared(make_adapter: Callable[..., SQLAdapter]) -> AsyncIterator[SQLAdapter]:
    adapter = await connected(make_adapter, INDEXES)
    await adapter.clear()
    yield adapter
    await adapter.clear()
    await adapter.disconnect()


async def clash(call: Any) -> dict[str, Any]:
    with pytest.raises(EntityAlreadyExistsError) as info:
        await call
    return dict(info.value.data)


async def test_unique_text_follows_the_language_not_the_collation(declared: SQLAdapter) -> None:
    await declared.insert_many([{"name": "a"}, {"name": "A"}, {"name": "a "}])  # distinct: no case/PAD folding
    assert await clash(declared.insert({"name": "A"})) == {"fields": ["name"], "values": ["A"]}
    await declared.insert_many([{"name": None}, {"name": None}])  # NULLs never clash
    assert await declared.count() == 5


async def test_compound_unique_compares_numbers_by_value(declared: SQLAdapter) -> None:
    await declared.insert({"name": "x", "price": 1.0, "active": True})
    assert (await clash(declared.insert({"name": "y", "price": 1, "active": True})))["fields"] == ["price", "active"]
    await declared.insert({"name": "z", "price": 1, "active": False})  # another combination
    await declared.insert({"name": "w", "price": 1, "active": None})  # a NULL part never clashes


async def test_updates_and_removes_keep_the_keys(declared: SQLAdapter) -> None:
    first = await declared.insert({"name": "a", "stock": 1})
    await declared.insert({"name": "b", "stock": 2})
    assert (await clash(declared.update_many({"stock": 2}, {"$set": {"name": "a"}})))["values"] == ["a"]
    assert await declared.update_many({}, {"$inc": {"stock": 5}}) == 2  # unique fields untouched
    await declared.update_by_id(first["_id"], {"$set": {"name": "c"}})
    await declared.insert({"name": "a"})  # freed by the update
    await declared.remove_many({"name": "c"})
    await declared.insert({"name": "c"})  # freed by the remove
    assert sorted(p["name"] for p in await declared.find()) == ["a", "b", "c"]


async def test_concurrent_writers_of_one_value_have_one_winner(declared: SQLAdapter) -> None:
    results = await asyncio.gather(*(declared.insert({"name": "same"}) for _ in range(8)), return_exceptions=True)
    assert sum(isinstance(r, dict) for r in results) == 1
    assert all(isinstance(r, EntityAlreadyExistsError) for r in results if not isinstance(r, dict))
    assert await declared.count({"query": {"name": "same"}}) == 1


async def test_an_index_declared_later_is_built_from_the_stored_rows(
    make_adapter: Callable[..., SQLAdapter], engine_name: str
) -> None:
    if engine_name == "sqlite":
        pytest.skip("each in-memory SQLite engine is its own database (sqlite-file covers SQLite)")
    plain = await connected(make_adapter, [])
    await plain.clear()
    await plain.insert_many([{"name": "a", "stock": 1}, {"name": "b", "stock": 1}])
    unique_stock = [{"fields": ["stock"], "unique": True, "name": "later"}]
    refused = make_adapter(products_table(TABLE))
    refused.init("products", {"indexes": unique_stock}, {"name": "products"})
    with pytest.raises(EntityAlreadyExistsError):  # the stored rows clash already
        await refused.connect()
    await refused.disconnect()
    await plain.update_many({"name": "b"}, {"$set": {"stock": 2}})
    later = await connected(make_adapter, unique_stock)
    assert (await clash(later.insert({"name": "c", "stock": 2})))["fields"] == ["stock"]
    await later.clear()
    await later.disconnect()
    await plain.disconnect()


async def test_native_indexes_for_typed_columns(declared: SQLAdapter) -> None:
    async with declared.engine.connect() as conn:
        names = await conn.run_sync(lambda c: {i["name"] for i in sa.inspect(c).get_indexes(TABLE)})
    assert {f"ix_{TABLE}_name", f"ix_{TABLE}_price_active", f"ix_{TABLE}_stock"} <= names


async def test_misdeclared_indexes_are_refused_at_connect(make_adapter: Callable[..., SQLAdapter]) -> None:
    unknown = make_adapter(products_table(TABLE))
    unknown.init("products", {"indexes": ["colour"]}, {"name": "products"})
    with pytest.raises(ServiceSchemaError, match="colour"):
        await unknown.connect()
    await unknown.disconnect()
    adapter = make_adapter(products_table("dbm_products_unmanaged"), create_tables=False)
    adapter.init("products", {"indexes": [{"fields": ["name"], "unique": True}]}, {"name": "products"})
    async with adapter.engine.begin() as conn:
        await conn.run_sync(adapter.table.create, checkfirst=True)
    try:
        with pytest.raises(ServiceSchemaError, match="key table"):  # the application owns the schema
            await adapter.connect()
    finally:
        async with adapter.engine.begin() as conn:
            await conn.run_sync(adapter.table.drop)
        await adapter.disconnect()


_SCALARS = st.one_of(  # the values that claim keys (None claims none)
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 1.0, -0.0, 2**53, float(2**53), 2**53 + 1, True, False, "1", "", "a"]),
    st.text(max_size=5),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=2))])),
)


@settings(max_examples=500, deadline=None)
@given(_SCALARS, _SCALARS)
def test_key_texts_are_equal_exactly_for_equal_values(a: Any, b: Any) -> None:
    ka, kb = hash_key(a), hash_key(b)  # the memory adapter's unique index files values under these
    assert (_key_text(ka) == _key_text(kb)) is (ka == kb), (a, b)
    assert (_key_text((ka, kb)) == _key_text((kb, ka))) is (ka == kb)  # compound keys keep their order
