"""The mixin on MongoAdapter (mongomock-motor): CRUD actions, ``idField``, hidden fields and populate, with ObjectIds in
storage and 24-hex strings everywhere a caller sees an id. Runs against a real server too when ``MONGO_URI`` is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from bson import ObjectId
from mongomock_motor import AsyncMongoMockClient

from adapters.mongo import MongoAdapter
from broker import ServiceBroker
from broker.errors import MoleculerClientError, ValidationError
from dbmixin import DbMixin

KINDS = ["mongomock", *(["mongo-server"] if os.environ.get("MONGO_URI") else [])]


@pytest.fixture(params=KINDS)
def new_adapter(request: pytest.FixtureRequest) -> Callable[..., MongoAdapter]:
    """``new_adapter(collection, **options)`` → a MongoAdapter; all of one test share one client (one server)."""
    if request.param == "mongomock":
        client = AsyncMongoMockClient()
        return lambda name, **options: MongoAdapter(client, name, "dbmixin", **options)
    suffix = uuid.uuid4().hex[:8]
    return lambda name, **options: MongoAdapter(os.environ["MONGO_URI"], f"{name}_{suffix}", "dbmixin_test", **options)


@pytest.fixture
async def broker(new_adapter: Callable[..., MongoAdapter]) -> AsyncIterator[ServiceBroker]:
    broker = ServiceBroker(logger=False)
    # a unique index as the adapter's own declaration (the mixin's settings check only takes field paths today)
    users = new_adapter("users", indexes=[{"fields": ["email"], "unique": True}])
    broker.create_service({
        "name": "users", "mixins": [DbMixin], "adapter": users,
        "settings": {"idField": "id", "excludeFields": ["password"], "indexes": ["name"]},
    })  # fmt: skip
    broker.create_service({
        "name": "posts", "mixins": [DbMixin], "adapter": new_adapter("posts"),
        "settings": {"populates": {"author": "users.get"}},
    })  # fmt: skip
    await broker.start()
    await users.clear()
    yield broker
    for service in ("users", "posts"):
        await broker.call(f"{service}.find")  # still connected
    await broker.stop()


async def test_crud_with_object_ids_and_the_public_id_field(broker: ServiceBroker) -> None:
    ann = await broker.call("users.create", {"name": "Ann", "email": "a@x", "password": "secret"})
    assert set(ann) == {"id", "name", "email"} and len(ann["id"]) == 24
    users = broker.get_local_service("users")
    raw = await users.adapter.collection.find_one({})
    assert raw["_id"] == ObjectId(ann["id"]) and raw["password"] == "secret"
    assert await broker.call("users.get", {"id": ann["id"]}) == ann
    updated = await broker.call("users.update", {"id": ann["id"], "name": "Anna"})
    assert updated == {**ann, "name": "Anna"}
    assert await broker.call("users.find", {"query": {"id": ann["id"]}}) == [updated]
    listed = await broker.call("users.list", {})
    assert listed["total"] == 1 and listed["rows"] == [updated]
    assert await broker.call("users.count", {"query": {"name": "Anna"}}) == 1
    assert await broker.call("users.remove", {"id": ann["id"]}) == updated
    assert await broker.call("users.count") == 0


async def test_a_malformed_or_unknown_id_is_a_404(broker: ServiceBroker) -> None:
    for bad in ("zz", "65a1f0c2b3d4e5f607182930", "x" * 24):
        with pytest.raises(MoleculerClientError) as info:
            await broker.call("users.get", {"id": bad})
        assert info.value.code == 404
        with pytest.raises(MoleculerClientError) as info:
            await broker.call("users.remove", {"id": bad})
        assert info.value.code == 404


async def test_hidden_fields_cannot_be_probed(broker: ServiceBroker) -> None:
    await broker.call("users.create", {"name": "Ann", "email": "a@x", "password": "hunter2"})
    with pytest.raises(ValidationError):
        await broker.call("users.find", {"query": {"password": "hunter2"}})
    assert await broker.call("users.find", {"search": "hunter", "searchFields": ["name"]}) == []


async def test_a_unique_index_clash_is_a_409(broker: ServiceBroker) -> None:
    await broker.call("users.create", {"name": "Ann", "email": "a@x"})
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("users.create", {"name": "Other", "email": "a@x"})
    assert info.value.code == 409 and info.value.data == {"fields": ["email"], "values": ["a@x"]}


async def test_populate_by_object_id_strings_and_by_foreign_object_ids(broker: ServiceBroker) -> None:
    ann = await broker.call("users.create", {"name": "Ann", "email": "a@x"})
    post = await broker.call("posts.create", {"title": "Hello", "author": ann["id"]})
    got = await broker.call("posts.get", {"id": post["_id"], "populate": ["author"]})
    assert got["author"] == ann
    posts = broker.get_local_service("posts")
    # another application stores a real ObjectId reference: it reads as the 24-hex string and populates the same
    await posts.adapter.collection.insert_one({"title": "Foreign", "author": ObjectId(ann["id"])})
    rows = await broker.call("posts.find", {"query": {"author": ann["id"]}, "sort": "title", "populate": ["author"]})
    assert [(r["title"], r["author"]) for r in rows] == [("Foreign", ann), ("Hello", ann)]
    found = await broker.call("posts.find", {"search": "FOR", "searchFields": "title"})
    assert [r["title"] for r in found] == ["Foreign"]


async def test_a_search_without_search_fields_is_a_clear_400(broker: ServiceBroker) -> None:
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("posts.find", {"search": "x"})
    assert info.value.code == 400 and info.value.type == "UNSUPPORTED_QUERY"
