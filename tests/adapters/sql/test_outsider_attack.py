"""Hostile and odd input on typed tables, on every engine: each answer is the memory adapter's or a typed error
(a 422 naming the field, a 400), never a 500, a driver error or a silently different value.

Found by attacking the adapter as an outsider (issue 8): values a column cannot hold exactly (integers past the
column's bits, fractions in integer columns, strings past ``String(n)``, unknown ``Enum`` labels, non-canonical
UUIDs, digits past ``Numeric(p, s)``, datetimes with an offset on engines without zones), ids past 64 bits, NUL
characters on PostgreSQL, JSON values that would read back as something else, and compiler guards leaking from
one call into another.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from adapters import MemoryAdapter, SQLAdapter, UnsupportedQueryError
from broker.errors import ValidationError

I32 = 2**31


def typed_table(name: str = "dbm_typed") -> sa.Table:
    """A UUID key and the column kinds whose domains differ between engines."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("amount", sa.Numeric(10, 2)),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("color", sa.Enum("red", "blue", "Green", name="dbm_color")),
        sa.Column("small", sa.SmallInteger()),
        sa.Column("ratio", sa.Double()),
        sa.Column("code", sa.String(8)),
        sa.Column("doc", sa.JSON()),
    )


async def _connected(adapter: SQLAdapter) -> SQLAdapter:
    adapter.init("attack", {}, {"name": "attack"})
    await adapter.connect()
    await adapter.clear()
    return adapter


@pytest.fixture
async def typed(make_adapter: Callable[..., SQLAdapter]) -> AsyncIterator[SQLAdapter]:
    adapter = await _connected(make_adapter(typed_table()))
    yield adapter
    await adapter.disconnect()


async def _memory(entities: list[dict[str, Any]]) -> MemoryAdapter:
    memory = MemoryAdapter()
    memory.init("attack", {}, {})
    await memory.connect()
    await memory.insert_many(entities)
    return memory


def _field(err: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(err.value.data[0]["field"])


async def _ids(adapter: Any, query: dict[str, Any]) -> list[Any]:
    return [e["_id"] for e in await adapter.find({"query": query})]


# ------------------------------------------------------------------------------------------------------- ids


async def test_ids_beyond_64_bits_find_nothing_and_cannot_be_stored(products: SQLAdapter) -> None:
    stored = await products.insert({"sku": "a", "stock": 1})
    assert await products.remove_by_id(2**70) is None
    assert await products.update_by_id(-(2**70), {"$set": {"stock": 2}}) is None
    assert await products.find_by_ids([2**70, stored["_id"], -(2**64)]) == [stored]
    with pytest.raises(ValidationError) as err:
        await products.insert({"_id": 2**64, "sku": "b"})
    assert _field(err) == "entity._id"
    assert await products.count() == 1


async def test_integer_key_beyond_its_column_is_no_key(make_adapter: Callable[..., SQLAdapter]) -> None:
    adapter = await _connected(make_adapter())
    try:
        stored = await adapter.insert({"sku": "a"})
        for id in (2**40, -(2**40), 2**63 - 1):  # 32-bit INTEGER on the servers: no row, not a driver error
            assert await adapter.find_by_id(id) is None or adapter.dialect == "sqlite"
            assert await adapter.remove_by_id(id) is None
            assert await adapter.find_by_ids([id, stored["_id"]]) == [stored]
    finally:
        await adapter.disconnect()


# ------------------------------------------------------------------------------------------- number columns


async def test_integer_columns_compare_as_the_memory_adapter_whatever_the_bound(products: SQLAdapter) -> None:
    seeds = [{"_id": i + 1, "sku": f"s{i}", "stock": v} for i, v in enumerate([-(I32), -3, 2, 3, I32 - 1, None])]
    await products.insert_many(seeds)
    memory = await _memory(seeds)
    bounds = [2.5, 3.0, -2.5, 2**40, -(2**40), 2**63 - 1, -(2**63), I32 - 0.5, 1e30, -1e30, I32, -(I32) - 1]
    for bound in bounds:
        for op in ("$gt", "$gte", "$lt", "$lte", "$eq", "$ne"):
            query = {"stock": {op: bound}}
            assert await _ids(products, query) == await _ids(memory, query), query
        query = {"stock": {"$in": [bound, 3]}}
        assert await _ids(products, query) == await _ids(memory, query), query


async def test_values_an_integer_column_cannot_hold_are_a_422(products: SQLAdapter) -> None:
    stored = await products.insert({"sku": "a", "stock": 3})
    with pytest.raises(ValidationError) as err:
        await products.insert({"sku": "b", "stock": 2.5})  # MariaDB and PostgreSQL would round it
    assert _field(err) == "entity.stock"
    with pytest.raises(ValidationError) as err:
        await products.update_by_id(stored["_id"], {"$inc": {"stock": 0.5}})
    assert _field(err) == "$inc.stock"
    if products.dialect != "sqlite":  # a 32-bit INTEGER there
        with pytest.raises(ValidationError) as err:
            await products.update_many({}, {"$set": {"stock": 2**40}})
        assert _field(err) == "$set.stock"
    assert (await products.insert({"sku": "c", "stock": 4.0}))["stock"] == 4  # an integral float is the integer
    assert await products.find_by_id(stored["_id"]) == stored


@pytest.mark.parametrize("call", ["update_many", "update_by_id", "find_one_and_update"])
async def test_inc_past_the_column_range_is_a_422_and_writes_nothing(products: SQLAdapter, call: str) -> None:
    top = 2**63 - 1 if products.dialect == "sqlite" else I32 - 1
    low = await products.insert({"sku": "low", "stock": 0})
    high = await products.insert({"sku": "high", "stock": top - 1})
    for amount in (2, 2**40, 2**62):
        with pytest.raises(ValidationError) as err:
            if call == "update_many":
                await products.update_many({}, {"$inc": {"stock": amount}})
            elif call == "update_by_id":
                await products.update_by_id(high["_id"], {"$inc": {"stock": amount}})
            else:
                await products.find_one_and_update({"sku": "high"}, {"$inc": {"stock": amount}})
        assert _field(err) == "$inc.stock"
    assert [await products.find_by_id(e["_id"]) for e in (low, high)] == [low, high]
    assert (await products.update_by_id(high["_id"], {"$inc": {"stock": 1}}))["stock"] == top


async def test_an_inc_matching_nothing_is_no_error(products: SQLAdapter) -> None:
    await products.insert({"sku": "a", "stock": 1})
    assert await products.update_many({"sku": "none"}, {"$inc": {"stock": -(2**40)}}) == 0


async def test_floats_and_numerics_hold_what_they_keep(typed: SQLAdapter) -> None:
    with pytest.raises(ValidationError) as err:
        await typed.insert({"amount": 1.005})  # DECIMAL(10, 2) would round it
    assert _field(err) == "entity.amount"
    with pytest.raises(ValidationError) as err:
        await typed.insert({"amount": 1e9})  # 8 integer digits
    assert _field(err) == "entity.amount"
    with pytest.raises(ValidationError) as err:
        await typed.insert({"ratio": 2**60 + 1})  # a double would round it
    assert _field(err) == "entity.ratio"
    with pytest.raises(ValidationError) as err:
        await typed.insert({"small": 70000 if typed.dialect != "sqlite" else 2.5})
    assert _field(err) == "entity.small"
    stored = await typed.insert({"amount": 12345678.99, "ratio": 2**60})
    assert stored["amount"] == 12345678.99 and stored["ratio"] == 2**60
    memory = await _memory([stored])
    for bound in (2**60, 2**60 + 1, 2**60 - 1):  # beyond 2**53: compared exactly, not as the nearest double
        for op in ("$gt", "$gte", "$lt", "$lte", "$eq"):
            query = {"ratio": {op: bound}}
            assert await _ids(typed, query) == await _ids(memory, query), query


# ------------------------------------------------------------------------------------------- string columns


async def test_strings_longer_than_the_column_are_a_422(products: SQLAdapter) -> None:
    stored = await products.insert({"sku": "a"})
    with pytest.raises(ValidationError) as err:
        await products.insert({"sku": "s" * 65})
    assert _field(err) == "entity.sku"
    with pytest.raises(ValidationError) as err:
        await products.update_by_id(stored["_id"], {"$set": {"name": "n" * 201}})
    assert _field(err) == "$set.name"
    assert await _ids(products, {"sku": "s" * 65}) == []
    assert await products.find_by_id(stored["_id"]) == stored


async def test_enum_and_uuid_columns_hold_labels_and_canonical_uuids(typed: SQLAdapter) -> None:
    at = datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=5)))
    seeds = [
        {"color": "red", "at": at, "code": "b", "amount": 1.25},
        {"color": "blue", "at": datetime(2020, 1, 1, 6), "code": "a"},
        {"color": "Green", "code": "B"},
        {},
    ]
    stored = [await typed.insert(e) for e in seeds]
    for e in stored:
        assert str(uuid.UUID(e["_id"])) == e["_id"]  # a generated key: a canonical UUID
        assert await typed.find_by_id(e["_id"]) == e
    assert stored[0]["at"] == at and stored[0]["at"].utcoffset() is not None  # the instant, aware
    assert stored[1]["at"] == datetime(2020, 1, 1, 6, tzinfo=UTC)  # naive values are UTC
    memory = await _memory(stored)
    queries: list[dict[str, Any]] = [
        {"color": {"$gt": "Z"}},  # code points: "blue" and "red" but not "Green" (servers order enums by label index)
        {"color": {"$lt": "c"}},
        {"color": "purple"},
        {"color": {"$in": ["red", "nope"]}},
        {"_id": {"$gt": stored[1]["_id"]}},
        {"_id": stored[2]["_id"].upper()},  # not the canonical text: no stored UUID
        {"_id": {"$regex": "^" + stored[3]["_id"][:9]}},
        {"at": {"$gte": datetime(2020, 1, 1, 7, tzinfo=UTC)}},
        {"at": datetime(2020, 1, 1, 2, tzinfo=timezone(timedelta(hours=-4)))},
    ]
    for query in queries:
        assert sorted(await _ids(typed, query)) == sorted(await _ids(memory, query)), query
    for sort in (
        ["color"],
        ["-color"],
        ["_id"],
        ["-at", "code"],
    ):  # no ties: without an order column they come in key order
        assert await typed.find({"sort": sort}) == await memory.find({"sort": sort}), sort
    search = {"search": stored[0]["_id"][9:13], "searchFields": ["_id"]}
    assert await typed.find(search) == await memory.find(search)
    for bad, field in (({"color": "purple"}, "entity.color"), ({"_id": "not-a-uuid"}, "entity._id")):
        with pytest.raises(ValidationError) as err:
            await typed.insert(bad)
        assert _field(err) == field
    with pytest.raises(ValidationError):
        await typed.insert({"_id": str(uuid.uuid4()).upper()})  # it would read back lower-case
    assert await typed.count() == 4


# ------------------------------------------------------------------------------------------- NUL characters


async def test_nul_characters_on_postgresql_are_a_422_or_match_as_the_memory_adapter(products: SQLAdapter) -> None:
    seeds = [{"sku": "a", "name": "a"}, {"sku": "b", "name": "ab"}, {"sku": "c", "name": "a b"}, {"sku": "d"}]
    stored = await products.insert_many(seeds)
    memory = await _memory(stored)
    for op in ("$gt", "$gte", "$lt", "$lte", "$eq", "$ne"):
        query = {"name": {op: "a\x00"}}
        assert await _ids(products, query) == await _ids(memory, query), query
    assert await _ids(products, {"attrs.k": "a\x00"}) == []
    for adapter in (products, memory):  # a path with NUL names no field on any adapter (MongoDB refuses it too)
        with pytest.raises(ValidationError):
            await adapter.find({"query": {"attrs.a\x00b": {"$exists": False}}})
    if products.dialect == "postgresql":
        for entity, field in (({"attrs": {"k": "\x00"}}, "entity.attrs"), ({"attrs": {"\x00": 1}}, "entity.attrs")):
            with pytest.raises(ValidationError) as err:
                await products.insert(entity)
            assert _field(err).startswith(field)  # the key with NUL is named on every adapter
    await products.insert({"sku": "e", "attrs": {"k": ["x", 1]}})
    assert len(await products.find({"query": {"attrs.k": {"$gt": "a\x00"}}})) == 1


# ----------------------------------------------------------------------------------------------- JSON values


@pytest.mark.parametrize(
    "value",
    [
        {"$date": "2020-01-01T00:00:00.000000Z", "$tz": None},  # would read back as a datetime
        {"$num": "nan"},  # would read back as a float
        ["\ud800"],  # no UTF-8 (MariaDB refuses it; other engines would store an escape)
        {"n": 2**64},
    ],
)
async def test_json_values_that_would_read_back_otherwise_are_a_422(products: SQLAdapter, value: Any) -> None:
    stored = await products.insert({"sku": "a", "attrs": {"ok": 1}})
    with pytest.raises(ValidationError) as err:
        await products.insert({"sku": "b", "attrs": value})
    assert _field(err).startswith("entity.attrs")  # the path inside the value, where the adapter names it
    with pytest.raises(ValidationError):
        await products.update_by_id(stored["_id"], {"$set": {"attrs.x": value}})
    assert await products.find() == [stored]


# ------------------------------------------------------------------------------------------ compiler guards


async def test_a_failed_compilation_leaves_no_guard_for_the_next_call(products: SQLAdapter) -> None:
    await products.insert({"sku": "a", "name": "x", "attrs": {"a": [{"b": 1}]}})
    with pytest.raises(ValidationError):  # the guard of attrs.a.b was collected before the unknown field
        await products.find({"query": {"attrs.a.b": 1, "nope": 1}})
    assert await _ids(products, {"name": "x"}) != []  # not refused by the previous call's guard


async def test_concurrent_calls_keep_their_own_guards(products: SQLAdapter) -> None:
    if products.dialect == "sqlite":
        pytest.skip("SQLite compiles JSON paths without guards")
    await products.insert({"sku": "a", "name": "x", "attrs": {"a": [{"b": 1}]}})
    through_array = {"attrs.a.b": 1}

    async def find() -> int:
        return len(await products.find({"query": {"name": "x"}}))

    results = await asyncio.gather(
        products.remove_many(through_array), *(find() for _ in range(5)), return_exceptions=True
    )
    assert isinstance(results[0], UnsupportedQueryError)  # refused, not run without its guard
    assert results[1:] == [1] * 5
    assert await products.count() == 1
