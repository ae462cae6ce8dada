"""Cached reads cleaned by writes, and populates that fetch related entities from other services."""

from __future__ import annotations

import pytest

from broker.errors import MoleculerError
from dbmixin import DbMixin

from .conftest import posts_schema


async def test_reads_are_cached_and_writes_clean_the_cache(make_broker):
    reads: list = []
    broker = await make_broker(posts_schema(), cacher="Memory")
    service = broker.get_local_service("posts")
    original_find = service.adapter.find

    async def spy(params):
        reads.append(1)
        return await original_find(params)

    service.adapter.find = spy
    await broker.call("posts.find", {"query": {"a": 1}})
    await broker.call("posts.find", {"query": {"a": 1}})
    assert len(reads) == 1
    await broker.call("posts.create", {"a": 1})
    assert len(await broker.call("posts.find", {"query": {"a": 1}})) == 1
    assert len(reads) == 2


async def test_cache_is_cleaned_for_the_versioned_full_name_only(make_broker):
    broker = await make_broker(posts_schema(version=1), {"name": "other", "mixins": [DbMixin]}, cacher="Memory")
    await broker.call("other.count")
    await broker.call("v1.posts.count")
    await broker.cacher.set("v1.posts.find:x", [1])
    await broker.call("v1.posts.create", {"t": 1})
    assert await broker.call("v1.posts.count") == 1
    from broker.cacher import MISSING

    assert await broker.cacher.get("v1.posts.find:x") is MISSING
    assert await broker.cacher.get(broker.cacher.get_cache_key("other.count", {}, {}, [
        "search", "iSearch", "searchFields", "query"])) == 0  # fmt: skip


async def test_cache_clean_event_can_be_emitted_instead_of_broadcast(make_broker):
    got: list = []

    def listener(name: str):
        handler = {"group": "same", "handler": lambda s, c: got.append(name)}
        return {"name": name, "events": {"cache.clean.posts": handler}}

    broker = await make_broker(
        posts_schema(settings={"cacheCleanEventType": "emit"}), listener("l1"), listener("l2")
    )
    await broker.call("posts.create", {"t": 1})
    assert len(got) == 1


def users_and_posts(**post_settings):
    users = {"name": "users", "mixins": [DbMixin], "settings": {"fields": ["_id", "name", "group"],
             "populates": {"group": "groups.get"}}}  # fmt: skip
    groups = {"name": "groups", "mixins": [DbMixin]}
    posts = posts_schema(settings={"populates": {"author": "users.get"}, **post_settings})
    return users, groups, posts


async def test_populate_by_action_name_and_deep_populate(make_broker):
    broker = await make_broker(*users_and_posts())
    await broker.call("groups.insert", {"entity": {"_id": "g1", "title": "admins"}})
    await broker.call("users.insert", {"entities": [{"_id": "u1", "name": "Ann", "group": "g1", "pw": "x"}]})
    await broker.call("posts.insert", {"entities": [{"title": "A", "author": "u1"}, {"title": "B", "author": "zz"}]})
    rows = await broker.call("posts.find", {"populate": ["author"], "sort": "title"})
    assert rows[0]["author"] == {"_id": "u1", "name": "Ann", "group": "g1"}
    assert rows[1]["author"] is None
    deep = await broker.call("posts.find", {"populate": "author.group", "sort": "title", "limit": 1})
    assert deep[0]["author"]["group"] == {"_id": "g1", "title": "admins"}


async def test_populate_rule_object_with_field_and_params(make_broker):
    users, groups, posts = users_and_posts(
        populates={"writer": {"action": "users.get", "field": "author", "params": {"fields": ["name"]}}}
    )
    broker = await make_broker(users, groups, posts)
    await broker.call("users.insert", {"entity": {"_id": "u1", "name": "Ann"}})
    post = await broker.call("posts.create", {"title": "A", "author": "u1"})
    got = await broker.call("posts.get", {"id": post["_id"], "populate": ["writer"]})
    assert got["writer"] == {"name": "Ann"} and got["author"] == "u1"


async def test_a_failing_populate_call_raises(make_broker):
    posts = posts_schema(settings={"populates": {"author": "missing.get"}})
    broker = await make_broker(posts)
    post = await broker.call("posts.create", {"title": "A", "author": "u1"})
    with pytest.raises(MoleculerError):
        await broker.call("posts.get", {"id": post["_id"], "populate": ["author"]})


async def test_unknown_populate_keys_are_ignored(make_broker):
    broker = await make_broker(*users_and_posts())
    post = await broker.call("posts.create", {"title": "A", "author": "u1"})
    assert (await broker.call("posts.get", {"id": post["_id"], "populate": ["voters"]}))["author"] == "u1"
