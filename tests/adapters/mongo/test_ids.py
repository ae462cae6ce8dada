"""Ids: ObjectId in storage, 24-hex strings on the wire; every id a caller gives round-trips and finds its entity;
only the id field is converted; ObjectIds written by other applications read and query as strings."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.mongo import MongoAdapter, decode_id, encode_id

from .conftest import make

HEX = "65a1f0c2b3d4e5f607182930"


async def test_a_generated_id_is_an_object_id_stored_and_hex_on_the_wire(mongo: MongoAdapter) -> None:
    created = await mongo.insert({"name": "a"})
    assert isinstance(created["_id"], str) and len(created["_id"]) == 24
    assert list(created) == ["_id", "name"]
    raw = await mongo.collection.find_one({})
    assert raw["_id"] == ObjectId(created["_id"])
    assert await mongo.find_by_id(created["_id"]) == created
    assert (await mongo.find())[0] == created


@pytest.mark.parametrize("id", [7, "plain", HEX, HEX.upper(), "0" * 23, "g" * 24, ""])
async def test_given_ids_round_trip_through_every_id_call(mongo: MongoAdapter, id: Any) -> None:
    created = await mongo.insert({"_id": id, "n": 1})
    assert created["_id"] == id and type(created["_id"]) is type(id)
    assert (await mongo.find_by_id(id))["_id"] == id
    assert [e["_id"] for e in await mongo.find_by_ids([id, "missing", id])] == [id]
    assert [e["_id"] for e in await mongo.find({"query": {"_id": {"$in": [id]}}})] == [id]
    assert (await mongo.update_by_id(id, {"$inc": {"n": 1}})) == {"_id": id, "n": 2}
    assert (await mongo.remove_by_id(id)) == {"_id": id, "n": 2}
    assert await mongo.count() == 0


async def test_only_canonical_hex_is_stored_as_an_object_id(mongo: MongoAdapter) -> None:
    await mongo.insert_many([{"_id": HEX}, {"_id": HEX.upper()}, {"_id": 5}])
    stored = [d["_id"] async for d in mongo.collection.find({})]
    assert stored == [ObjectId(HEX), HEX.upper(), 5]


@pytest.mark.parametrize("bad", ["zz", "not-an-id", HEX[:-1], HEX + "0", "ObjectId('x')", "{}"])
async def test_a_malformed_id_is_not_found_never_an_error(mongo: MongoAdapter, bad: str) -> None:
    await mongo.insert({"name": "a"})
    assert await mongo.find_by_id(bad) is None
    assert await mongo.update_by_id(bad, {"$set": {"x": 1}}) is None
    assert await mongo.remove_by_id(bad) is None
    assert await mongo.find_by_ids([bad]) == []
    assert await mongo.count() == 1


async def test_an_ordinary_field_that_looks_like_hex_stays_a_string(mongo: MongoAdapter) -> None:
    created = await mongo.insert({"ref": HEX, "refs": [HEX], "n": {"ref": HEX}})
    raw = await mongo.collection.find_one({})
    assert raw["ref"] == HEX and raw["refs"] == [HEX] and raw["n"] == {"ref": HEX}
    await mongo.update_by_id(created["_id"], {"$set": {"other": HEX}})
    assert (await mongo.collection.find_one({}))["other"] == HEX
    assert [e["_id"] for e in await mongo.find({"query": {"ref": HEX}})] == [created["_id"]]


async def test_object_ids_written_by_another_application_read_and_query_as_strings(mongo: MongoAdapter) -> None:
    author = ObjectId(HEX)
    await mongo.collection.insert_many(
        [{"_id": 1, "author": author, "co": [author], "meta": {"by": author}}, {"_id": 2, "author": "x"}]
    )
    doc = await mongo.find_by_id(1)
    assert doc == {"_id": 1, "author": HEX, "co": [HEX], "meta": {"by": HEX}}
    for query in ({"author": HEX}, {"co": HEX}, {"meta.by": HEX}, {"author": {"$in": [HEX, "y"]}}):
        assert [e["_id"] for e in await mongo.find({"query": query})] == [1], query
    assert [e["_id"] for e in await mongo.find({"query": {"author": {"$ne": HEX}}})] == [2]
    assert [e["_id"] for e in await mongo.find({"query": {"author": {"$nin": [HEX]}}})] == [2]


async def test_an_id_stored_as_a_hex_string_by_another_application_is_found_too(mongo: MongoAdapter) -> None:
    await mongo.collection.insert_one({"_id": HEX, "n": 1})
    assert (await mongo.find_by_id(HEX)) == {"_id": HEX, "n": 1}
    assert (await mongo.remove_by_id(HEX)) == {"_id": HEX, "n": 1}


def test_encode_and_decode_id() -> None:
    assert decode_id(HEX) == ObjectId(HEX)
    assert decode_id(HEX.upper()) == HEX.upper()
    assert decode_id(5) == 5
    assert encode_id(ObjectId(HEX)) == HEX
    assert encode_id("x") == "x"


IDS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=30),
    st.from_regex(r"\A[0-9a-fA-F]{24}\Z"),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(id=IDS, other=st.from_regex(r"\A[0-9a-f]{24}\Z"))
async def test_property_any_given_id_round_trips(id: Any, other: str) -> None:
    adapter = make()
    await adapter.connect()
    await adapter.insert_many([{"_id": id, "v": 1}, {"v": 2, "ref": other}])
    assert (await adapter.find_by_id(id)) == {"_id": id, "v": 1}
    assert [e["v"] for e in await adapter.find({"query": {"ref": other}})] == [2]
    assert (await adapter.find_one({"_id": id}))["_id"] == id
