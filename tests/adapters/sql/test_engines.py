"""SQLAdapter on every engine (SQLite memory/file, PostgreSQL, MariaDB) over a typed table: CRUD and ids, the
portable traps (collations, NULL order, bools, negations and NULL, LIKE wildcards, non-ASCII search), hostile
input, unique clashes and the conditional-decrement race."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from adapters import EntityAlreadyExistsError, SQLAdapter
from broker.errors import ValidationError

from .models import products_table

ROWS: list[dict[str, Any]] = [
    {"sku": "a1", "name": "b", "price": 2.5, "stock": 3, "active": True, "created": datetime(2024, 1, 2, 3, 4, 5)},
    {"sku": "a2", "name": "B", "price": None, "stock": 0, "active": False},
    {"sku": "a3", "name": "b ", "price": 1, "stock": None, "active": None},
    {"sku": "a4", "name": "é", "price": 10, "stock": 7, "active": True},
    {"sku": "a5", "name": "Z", "price": 0, "stock": 1, "active": False},
    {"sku": "a6", "name": None, "price": 3, "stock": 2, "active": True},
]


async def seed(adapter: SQLAdapter) -> list[dict[str, Any]]:
    return await adapter.insert_many(ROWS)


def names(rows: list[dict[str, Any]]) -> list[Any]:
    return [r["sku"] for r in rows]


async def test_generated_integer_ids_and_round_trip(products: SQLAdapter) -> None:
    stored = await seed(products)
    assert [r["_id"] for r in stored] == [1, 2, 3, 4, 5, 6]
    assert stored[0] == {"_id": 1, **ROWS[0]}  # a NULL JSON column is a missing field
    assert stored[1]["created"] is None  # a typed NULL reads back as None (the key is always present)
    assert await products.find_by_id(4) == stored[3]
    assert await products.find_by_id(4.0) == stored[3]
    assert await products.find_by_id("4") == stored[3]  # an integer key's text (REST paths carry text)
    assert await products.find_by_id("abc") is None  # a malformed id for an integer key: not found, no driver error
    assert await products.find_by_id("04") is None and await products.find_by_id("4.0") is None
    assert await products.find_by_id("99999999999999999999999") is None
    assert await products.find_by_id("9999999999999999999") is None and await products.find_by_id(2**63) is None
    assert await products.find_by_id(-(2**63) - 1) is None and await products.find_by_id(1e19) is None
    assert await products.find_by_ids([6, 1, 99]) == [stored[5], stored[0]]


async def test_an_explicit_id_never_makes_a_generated_one_collide(products: SQLAdapter) -> None:
    await products.insert({"_id": 3, "sku": "x3"})
    generated = [(await products.insert({"sku": f"g{i}"}))["_id"] for i in range(4)]
    assert 3 not in generated and len(set(generated)) == 4
    assert await products.count() == 5


async def test_json_column_round_trip(products: SQLAdapter) -> None:
    attrs = {"tags": ["x", "y"], "size": {"w": 1.5, "h": 2}, "at": datetime(2024, 5, 1, 12)}
    stored = await products.insert({"sku": "j", "attrs": attrs})
    assert stored["attrs"] == attrs and isinstance(stored["attrs"]["at"], datetime)


async def test_strings_compare_and_sort_by_code_point(products: SQLAdapter) -> None:
    await seed(products)
    # PostgreSQL's locale collation, MariaDB's case-insensitive PAD SPACE default would all answer differently
    assert names(await products.find({"query": {"name": "b"}})) == ["a1"]
    assert names(await products.find({"query": {"name": {"$in": ["B"]}}})) == ["a2"]
    assert names(await products.find({"query": {"name": {"$gt": "b"}}})) == ["a3", "a4"]
    assert names(await products.find({"query": {"name": {"$lt": "b"}}})) == ["a2", "a5"]
    assert names(await products.find({"sort": "name"})) == ["a6", "a2", "a5", "a1", "a3", "a4"]


async def test_null_sorts_first_ascending_and_last_descending(products: SQLAdapter) -> None:
    await seed(products)
    assert names(await products.find({"sort": "price"})) == ["a2", "a5", "a3", "a1", "a6", "a4"]
    assert names(await products.find({"sort": "-price"})) == ["a4", "a6", "a1", "a3", "a5", "a2"]
    assert names(await products.find({"sort": "-active sku"})) == ["a1", "a4", "a6", "a2", "a5", "a3"]


async def test_booleans_are_not_numbers(products: SQLAdapter) -> None:
    await seed(products)
    assert names(await products.find({"query": {"active": True}})) == ["a1", "a4", "a6"]
    assert await products.find({"query": {"active": 1}}) == []
    assert await products.find({"query": {"active": {"$in": [0, 1]}}}) == []
    assert await products.find({"query": {"stock": True}}) == []
    assert await products.find({"query": {"active": {"$gt": 0}}}) == []
    assert names(await products.find({"query": {"price": {"$gt": 2}}})) == ["a1", "a4", "a6"]
    assert await products.find({"query": {"price": "10"}}) == []  # a string never equals a number


async def test_negations_match_null_as_mongodb_does(products: SQLAdapter) -> None:
    await seed(products)
    assert names(await products.find({"query": {"price": {"$ne": 3}}})) == ["a1", "a2", "a3", "a4", "a5"]
    assert names(await products.find({"query": {"stock": {"$nin": [0, 1]}}})) == ["a1", "a3", "a4", "a6"]
    assert names(await products.find({"query": {"price": {"$not": {"$gt": 2}}}})) == ["a2", "a3", "a5"]
    assert names(await products.find({"query": {"$not": {"active": True}}})) == ["a2", "a3", "a5"]
    assert names(await products.find({"query": {"price": None}})) == ["a2"]
    assert names(await products.find({"query": {"price": {"$ne": None}}})) == ["a1", "a3", "a4", "a5", "a6"]
    assert await products.count({"query": {"stock": {"$nin": [0, 1]}}}) == 4


async def test_search_wildcards_are_literal(products: SQLAdapter) -> None:
    await products.insert_many(
        [{"sku": s, "name": n} for s, n in [("p", "100%"), ("u", "a_b"), ("s", "a\\b"), ("x", "axb"), ("q", "it's")]]
    )
    assert names(await products.find({"search": "%", "searchFields": "name"})) == ["p"]
    assert names(await products.find({"search": "a_b", "searchFields": "name"})) == ["u"]
    assert names(await products.find({"search": "\\", "searchFields": "name"})) == ["s"]
    assert names(await products.find({"search": "'", "searchFields": "name"})) == ["q"]
    assert await products.count({"search": "_", "searchFields": ["name", "sku"]}) == 1


async def test_search_is_case_insensitive_on_non_ascii_text(products: SQLAdapter) -> None:
    await products.insert_many([{"sku": "e1", "name": "Émile"}, {"sku": "e2", "name": "CRÈME brûlée"}])
    assert names(await products.find({"search": "émile", "searchFields": "name"})) == ["e1"]
    assert names(await products.find({"search": "BRÛL", "searchFields": "name"})) == ["e2"]
    assert names(await products.find({"search": "crème"})) == ["e2"]  # every text and JSON column without fields


async def test_datetimes_compare_with_datetimes(products: SQLAdapter) -> None:
    await seed(products)
    assert names(await products.find({"query": {"created": {"$gte": datetime(2024, 1, 1)}}})) == ["a1"]
    assert names(await products.find({"query": {"created": datetime(2024, 1, 2, 3, 4, 5)}})) == ["a1"]
    assert await products.find({"query": {"created": "2024-01-02 03:04:05"}}) == []


async def test_updates_are_single_statements_and_typed(products: SQLAdapter) -> None:
    await seed(products)
    assert await products.update_many({"active": True}, {"$inc": {"stock": 5}, "$set": {"name": "n"}}) == 3
    assert [r["stock"] for r in await products.find({"query": {"active": True}})] == [8, 12, 7]
    updated = await products.update_by_id(2, {"$unset": {"price": ""}, "$set": {"attrs": {"k": [1]}}})
    assert updated is not None and updated["price"] is None and updated["attrs"] == {"k": [1]}
    with pytest.raises(ValidationError) as info:
        await products.update_by_id(1, {"$set": {"stock": "many"}})
    assert info.value.data[0]["field"] == "$set.stock"
    with pytest.raises(ValidationError) as info:
        await products.update_by_id(3, {"$inc": {"stock": 1}, "$set": {"name": "changed"}})  # stock is NULL
    assert info.value.data[0]["field"] == "$inc.stock"
    assert (await products.find_by_id(3))["stock"] is None
    assert (await products.find_by_id(3))["name"] == "b "  # the whole update was refused (rolled back)
    assert await products.update_by_id(99, {"$inc": {"stock": 1}}) is None
    assert await products.update_by_id(2**63, {"$inc": {"stock": 1}}) is None  # no 64-bit key: nothing to update


async def test_a_unique_clash_is_a_409_naming_the_field(products: SQLAdapter) -> None:
    await seed(products)
    with pytest.raises(EntityAlreadyExistsError) as info:
        await products.insert({"sku": "a1"})
    assert info.value.code == 409 and info.value.data["fields"] == ["sku"]
    with pytest.raises(EntityAlreadyExistsError):
        await products.update_by_id(2, {"$set": {"sku": "a1"}})
    with pytest.raises(EntityAlreadyExistsError) as info:
        await products.insert({"_id": 1, "sku": "new"})
    assert info.value.data == {"id": 1}
    assert await products.count() == len(ROWS)


async def test_conditional_decrements_have_exactly_as_many_winners_as_stock(products: SQLAdapter) -> None:
    item = await products.insert({"sku": "hot", "stock": 50})
    query = {"_id": item["_id"], "stock": {"$gte": 1}}

    async def buy() -> int:
        return await products.update_many(query, {"$inc": {"stock": -1}})

    results = await asyncio.gather(*(buy() for _ in range(200)))
    assert sum(results) == 50 and set(results) == {0, 1}
    assert (await products.find_by_id(item["_id"]))["stock"] == 0


async def test_conditional_decrements_on_an_indexed_column_retry_deadlocks(make_adapter: Any) -> None:
    """With a native index on ``stock`` (declared in ``settings.indexes``), MariaDB's row and gap locks make
    concurrent decrements deadlock (1213): each victim is retried by the adapter (outside a transaction the call is
    its own transaction, rolled back whole), so the race still has exactly as many winners as stock."""
    table = products_table(f"dbm_race_{uuid.uuid4().hex[:8]}")
    adapter = make_adapter(table)
    adapter.init("race", {"indexes": ["stock"]}, {"name": "race"})
    await adapter.connect()
    try:
        item = await adapter.insert({"sku": "hot", "stock": 50})
        query = {"_id": item["_id"], "stock": {"$gte": 1}}
        results = await asyncio.gather(*(adapter.update_many(query, {"$inc": {"stock": -1}}) for _ in range(200)))
        assert sum(results) == 50 and set(results) == {0, 1}
        assert (await adapter.find_by_id(item["_id"]))["stock"] == 0
    finally:
        async with adapter.engine.begin() as conn:
            await conn.run_sync(table.drop)
        await adapter.disconnect()


HOSTILE_QUERIES: list[tuple[Any, str]] = [
    ({"name; DROP TABLE dbm_products; --": 1}, "name; DROP TABLE dbm_products; --"),
    ({'name" OR 1=1 --': "x"}, 'name" OR 1=1 --'),
    ({"$or": [{"sku": "a1"}, {"1=1) OR (1": 1}]}, "1=1) OR (1"),
]


@pytest.mark.parametrize(("query", "field"), HOSTILE_QUERIES)
async def test_hostile_field_names_are_a_422_and_change_nothing(products: SQLAdapter, query: Any, field: str) -> None:
    await seed(products)
    for call in (products.find({"query": query}), products.remove_many(query), products.update_many(query, {"x": 1})):
        with pytest.raises(ValidationError) as info:
            await call
        assert info.value.data[0]["field"] == field
    assert await products.count() == len(ROWS)


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "name; DROP TABLE dbm_products"},
        {"sort": ["price DESC"]},
        {"search": "x", "searchFields": "name) OR (1=1"},
        {"search": "x", "searchFields": ["sku", "nope"]},
    ],
)
async def test_hostile_sort_and_search_fields_are_a_422(products: SQLAdapter, params: dict[str, Any]) -> None:
    await seed(products)
    with pytest.raises(ValidationError):
        await products.find(params)
    assert await products.count() == len(ROWS)


@pytest.mark.parametrize(
    "value", ["' OR '1'='1", "a1'; DELETE FROM dbm_products; --", "%", "_", "\\", "a1\x00", "💥' --"]
)
async def test_hostile_values_match_literally(products: SQLAdapter, value: str) -> None:
    await seed(products)
    assert await products.find({"query": {"sku": value}}) == []
    assert await products.find({"search": value, "searchFields": "sku"}) == []
    if "\x00" in value and products.dialect == "postgresql":  # its text type cannot store NUL: a 422, no write
        with pytest.raises(ValidationError):
            await products.update_many({"sku": value}, {"$set": {"name": value}})
    else:
        assert await products.update_many({"sku": value}, {"$set": {"name": value}}) == 0
    assert await products.remove_many({"name": value}) == 0
    assert await products.count() == len(ROWS)


async def test_entities_may_only_hold_the_table_columns(products: SQLAdapter) -> None:
    with pytest.raises(ValidationError) as info:
        await products.insert({"sku": "x", "colour": "red"})
    assert info.value.data[0]["field"] == "entity.colour"
    with pytest.raises(ValidationError) as info:
        await products.insert({"sku": "x", "stock": "12"})
    assert info.value.data[0]["field"] == "entity.stock"
    with pytest.raises(ValidationError):
        await products.update_many({}, {"$set": {"colour": "red"}})
    assert await products.count() == 0


async def test_the_native_objects_are_exposed(products: SQLAdapter) -> None:
    await seed(products)
    async with products.engine.connect() as conn:
        total = (await conn.execute(sa.select(sa.func.count()).select_from(products.table))).scalar_one()
    assert total == len(ROWS)
