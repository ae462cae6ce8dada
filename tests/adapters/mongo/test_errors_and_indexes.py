"""Typed failures (duplicate keys → 409 naming the fields, connection loss → retryable 503, bad updates → 422) and
index declarations created as real MongoDB indexes on connect."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    DuplicateKeyError,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from adapters import AdapterConnectionError, AdapterError, EntityAlreadyExistsError
from adapters.mongo import MongoAdapter
from broker.errors import ValidationError

from .conftest import make


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (DuplicateKeyError("E11000", 11000, {"keyPattern": {"_id": 1}, "keyValue": {"_id": 5}}), {"id": 5}),
        (
            DuplicateKeyError("E11000", 11000, {"keyPattern": {"shop": 1, "sku": 1},
                                                "keyValue": {"shop": "s", "sku": 1}}),
            {"fields": ["shop", "sku"], "values": ["s", 1]},
        ),
        (  # an old server: only the index name in the message
            DuplicateKeyError('E11000 duplicate key error collection: t.items index: email dup key: { : "a" }', 11000),
            {"fields": ["email"], "values": [None]},
        ),
        (
            BulkWriteError({"writeErrors": [{"index": 1, "code": 11000, "keyPattern": {"email": 1},
                                             "keyValue": {"email": "a"}, "errmsg": "E11000"}], "nInserted": 1}),
            {"fields": ["email"], "values": ["a"]},
        ),
    ],
)  # fmt: skip
def test_duplicate_keys_are_409s_naming_the_fields(exc: Exception, expected: dict[str, Any]) -> None:
    adapter = make([{"fields": ["email"], "unique": True}])
    err = adapter.translate_error(exc)
    assert isinstance(err, EntityAlreadyExistsError) and err.code == 409
    assert err.data == expected


@pytest.mark.parametrize(
    "exc",
    [ServerSelectionTimeoutError("no servers"), AutoReconnect("lost"), NetworkTimeout("slow"), ConnectionError()],
)
def test_connection_failures_are_retryable_503s(exc: Exception) -> None:
    err = make().translate_error(exc)
    assert isinstance(err, AdapterConnectionError) and err.code == 503 and err.retryable


def test_bad_update_failures_are_422_and_the_rest_500() -> None:
    err = make().translate_error(OperationFailure("Cannot apply $inc", 14, {"errmsg": "Cannot apply $inc"}))
    assert isinstance(err, ValidationError) and err.code == 422
    other = make().translate_error(OperationFailure("secret internals", 2))
    assert isinstance(other, AdapterError) and other.code == 500 and "secret" not in other.message


class FlakyCollection:
    """Fails the next ``failures`` calls with a lost connection, then delegates to the real collection."""

    def __init__(self, real: Any, failures: int) -> None:
        self.real, self.failures = real, failures

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if not callable(attr) or self.failures <= 0:
            return attr

        def failing(*args: Any, **kwargs: Any) -> Any:
            self.failures -= 1
            raise AutoReconnect("connection reset")

        return failing


async def test_a_lost_connection_is_a_503_and_the_adapter_recovers(mongo: MongoAdapter) -> None:
    await mongo.insert({"_id": 1})
    real = mongo.collection
    mongo._collection = FlakyCollection(real, 2)
    with pytest.raises(AdapterConnectionError) as info:
        await mongo.find_by_id(1)
    assert info.value.retryable and isinstance(info.value.original, AutoReconnect)  # type: ignore[attr-defined]
    with pytest.raises(AdapterConnectionError):
        await mongo.insert({"_id": 2})
    assert await mongo.find_by_id(1) == {"_id": 1}  # the server is back
    assert await mongo.count() == 1


async def test_an_unreachable_server_is_a_503_on_connect() -> None:
    adapter = MongoAdapter("mongodb://127.0.0.1:9/db", "items", serverSelectionTimeoutMS=50)
    with pytest.raises(AdapterConnectionError):
        await adapter.connect()
    await adapter.disconnect()


async def test_declared_indexes_become_mongodb_indexes_on_connect() -> None:
    adapter = make(["category", ["shop", "sku"], {"fields": ["email"], "unique": True}, "_id"], indexes=["extra"])
    await adapter.connect()
    info = await adapter.collection.index_information()
    assert info["category"]["key"] == [("category", 1)] and not info["category"].get("unique")
    assert info["shop,sku"]["key"] == [("shop", 1), ("sku", 1)]
    assert info["email"]["key"] == [("email", 1)] and info["email"]["unique"]
    assert info["extra"]["key"] == [("extra", 1)]
    await adapter.connect()  # connecting again keeps them
    assert set(await adapter.collection.index_information()) == {"_id_", "extra", "category", "shop,sku", "email"}


async def test_unique_clashes_are_409s_and_write_nothing() -> None:
    adapter = make([{"fields": ["email"], "unique": True}])
    await adapter.connect()
    await adapter.insert_many([{"_id": 1, "email": "a"}, {"_id": 2, "email": "b"}])
    with pytest.raises(EntityAlreadyExistsError) as info:
        await adapter.insert_many([{"_id": 3, "email": "c"}, {"_id": 4, "email": "a"}])
    assert info.value.data == {"fields": ["email"], "values": ["a"]}
    with pytest.raises(EntityAlreadyExistsError) as info:
        await adapter.insert({"_id": 1, "email": "z"})
    assert info.value.data == {"id": 1}
    with pytest.raises(EntityAlreadyExistsError):
        await adapter.update_many({}, {"$set": {"email": "same"}})
    assert [(e["_id"], e["email"]) for e in await adapter.find()] == [(1, "a"), (2, "b")]


async def test_bad_updates_are_422s_naming_the_path_and_change_nothing(mongo: MongoAdapter) -> None:
    await mongo.insert_many([{"_id": 1, "n": 1, "s": "x"}, {"_id": 2, "n": "two", "s": None}])
    with pytest.raises(ValidationError) as info:
        await mongo.update_many({}, {"$inc": {"n": 1}})
    assert info.value.data[0]["field"] == "$inc.n"
    with pytest.raises(ValidationError) as info:
        await mongo.update_by_id(2, {"$set": {"s.deep": 1}})
    assert info.value.data[0]["field"] == "$set.s.deep"
    assert [e["n"] for e in await mongo.find()] == [1, "two"]
    with pytest.raises(ValidationError):
        await mongo.insert({"bad": {1, 2}})  # a set has no BSON form


async def test_update_many_reports_matches_and_handles_empty_updates(mongo: MongoAdapter) -> None:
    await mongo.insert_many([{"_id": i, "n": i} for i in range(5)])
    assert await mongo.update_many({"n": {"$gte": 3}}, {"$set": {"big": True}}) == 2
    assert await mongo.update_many({"n": {"$gte": 1}}, {}) == 4
    assert await mongo.update_many({"n": 99}, {"$inc": {"n": 1}}) == 0
    assert await mongo.find_one_and_update({"n": 4}, {}) == {"_id": 4, "n": 4, "big": True}
