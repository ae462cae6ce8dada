"""Field whitelists and exclusions, idField renaming, id encoding and mapping keys."""

from __future__ import annotations

import pytest

from broker.errors import ValidationError

from .conftest import posts_schema, seed


async def test_settings_fields_whitelist_every_response(make_broker):
    broker = await make_broker(posts_schema(settings={"fields": ["_id", "title"]}))
    created = await broker.call("posts.create", {"title": "T", "secret": "s"})
    assert set(created) == {"_id", "title"}
    assert set((await broker.call("posts.find"))[0]) == {"_id", "title"}


async def test_settings_fields_may_be_a_space_separated_string(make_broker):
    broker = await make_broker(posts_schema(settings={"fields": "_id title"}))
    assert broker.get_local_service("posts").settings["fields"] == ["_id", "title"]


async def test_request_fields_are_authorised_against_settings_fields(make_broker):
    broker = await make_broker(posts_schema(settings={"fields": ["_id", "title", "author.name"]}))
    post = await broker.call("posts.create", {"title": "T", "secret": "s", "author": {"name": "a", "pw": "p"}})
    got = await broker.call("posts.get", {"id": post["_id"], "fields": "title secret author"})
    assert got == {"title": "T", "author": {"name": "a"}}


async def test_nested_field_paths_and_array_wildcards(make_broker):
    broker = await make_broker(posts_schema())
    post = await broker.call(
        "posts.create", {"title": "T", "items": [{"id": 1, "x": "a"}, {"id": 2, "x": "b"}], "meta": {"a": 1, "b": 2}}
    )
    got = await broker.call("posts.get", {"id": post["_id"], "fields": ["items.$.id", "meta.b"]})
    assert got == {"items": [{"id": 1}, {"id": 2}], "meta": {"b": 2}}


async def test_settings_and_request_exclusions_are_merged(make_broker):
    broker = await make_broker(posts_schema(settings={"excludeFields": ["password"]}))
    post = await broker.call("posts.create", {"title": "T", "password": "p", "email": "e"})
    assert "password" not in post
    got = await broker.call("posts.get", {"id": post["_id"], "excludeFields": ["email"], "fields": ["password"]})
    assert got == {}


async def test_empty_fields_list_is_a_validation_error(make_broker):
    broker = await make_broker(posts_schema())
    await seed(broker)
    for empty in ([], ""):
        with pytest.raises(ValidationError) as info:
            await broker.call("posts.find", {"fields": empty})
        assert info.value.data[0]["field"] == "fields"


async def test_id_field_renames_the_storage_id(make_broker):
    broker = await make_broker(posts_schema(settings={"idField": "myID"}))
    created = await broker.call("posts.create", {"title": "T"})
    assert "myID" in created and "_id" not in created
    given = await broker.call("posts.create", {"myID": "custom", "title": "U"})
    assert given["myID"] == "custom"
    assert (await broker.call("posts.get", {"id": "custom"}))["title"] == "U"
    updated = await broker.call("posts.update", {"id": "custom", "title": "V"})
    assert updated == {"myID": "custom", "title": "V"}
    mapped = await broker.call("posts.get", {"id": ["custom"], "mapping": True})
    assert mapped == {"custom": updated}
    assert await broker.call("posts.remove", {"id": "custom"}) == updated


async def test_encode_and_decode_id_methods_are_applied(make_broker):
    broker = await make_broker(
        posts_schema(
            methods={
                "encode_id": lambda self, id: f"p-{id}",
                "decode_id": lambda self, id: id[2:] if isinstance(id, str) and id.startswith("p-") else id,
            }
        )
    )
    await broker.call("posts.insert", {"entity": {"_id": "42", "title": "T"}})
    got = await broker.call("posts.get", {"id": "p-42"})
    assert got == {"_id": "p-42", "title": "T"}
    assert await broker.call("posts.get", {"id": ["p-42"], "mapping": True}) == {"p-42": got}
    assert (await broker.call("posts.update", {"id": "p-42", "title": "U"}))["_id"] == "p-42"
    assert (await broker.call("posts.remove", {"id": "p-42"}))["title"] == "U"
