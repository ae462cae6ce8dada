"""Items 2 and 3: hidden fields cannot be probed through the public read actions; the public id name works
everywhere a field name is accepted."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import posts_schema, refused

USERS = [
    {"name": "ann", "password": "hunter2", "profile": {"secret": "s1", "city": "Paris"},
     "items": [{"id": 1, "secret": "hunter"}]},
    {"name": "bob", "password": "xyz", "profile": {"secret": "s2", "city": "Lyon"}, "items": []},
]  # fmt: skip


async def users(make_broker: Any, **settings: Any) -> Any:
    broker = await make_broker(posts_schema(name="users", settings=settings))
    await broker.call("users.insert", {"entities": USERS})
    return broker


async def test_search_without_search_fields_skips_excluded_fields(make_broker):
    broker = await users(make_broker, excludeFields=["password"])
    assert await broker.call("users.find", {"search": "hunter"}) == []
    assert [u["name"] for u in await broker.call("users.find", {"search": "bo"})] == ["bob"]
    assert await broker.call("users.count", {"search": "hunter"}) == 0


@pytest.mark.parametrize(
    "query",
    [
        {"password": "hunter2"},
        {"password": {"$regex": "^h"}},
        {"$or": [{"name": "x"}, {"password": {"$exists": True}}]},
        {"$and": [{"$not": {"password": "x"}}]},
        {"profile.secret": "s1"},
        {"profile": {"secret": "s1", "city": "Paris"}},
        {"items.secret": "hunter"},
        {"items.0.secret": "hunter"},
    ],
)
@pytest.mark.parametrize("name", ["users.find", "users.count", "users.list"])
async def test_a_hidden_field_cannot_be_queried_anywhere_in_the_tree(make_broker, query, name):
    broker = await users(make_broker, excludeFields=["password", "profile.secret", "items.$.secret"])
    entry = await refused(broker, name, {"query": query})
    assert entry["field"] == "query" and entry["type"] == "hiddenField"
    assert entry["actual"] in ("password", "profile.secret", "profile", "items.secret", "items.0.secret")


async def test_a_hidden_field_cannot_be_sorted_on_nor_named_in_search_fields(make_broker):
    broker = await users(make_broker, excludeFields="password")
    assert (await refused(broker, "users.find", {"sort": "-password"}))["field"] == "sort"
    assert (await refused(broker, "users.list", {"search": "h", "searchFields": "name password"}))["actual"] == (
        "password"
    )


async def test_outside_the_whitelist_is_hidden_and_search_defaults_to_the_whitelist(make_broker):
    broker = await users(make_broker, fields=["_id", "name", "profile.city"])
    assert (await refused(broker, "users.find", {"query": {"password": "xyz"}}))["actual"] == "password"
    assert (await refused(broker, "users.find", {"query": {"profile": {}}}))["actual"] == "profile"
    assert await broker.call("users.find", {"search": "hunter"}) == []
    found = await broker.call("users.find", {"search": "lyon", "query": {"profile.city": "Lyon"}})
    assert [u["name"] for u in found] == ["bob"]


async def test_query_hidden_fields_reopens_them_and_custom_actions_keep_full_access(make_broker):
    schema = posts_schema(
        name="users",
        settings={"excludeFields": ["password"], "queryHiddenFields": ["password"]},
        actions={"byPassword": {"handler": lambda self, ctx: self.adapter.find({"query": {"password": "xyz"}})}},
    )
    broker = await make_broker(schema)
    await broker.call("users.insert", {"entities": USERS})
    found = await broker.call("users.find", {"query": {"password": "xyz"}})
    assert [u["name"] for u in found] == ["bob"] and "password" not in found[0]
    assert (await broker.call("users.byPassword"))[0]["password"] == "xyz"
    opened = await users(make_broker, excludeFields=["password"], queryHiddenFields=True)
    assert len(await opened.call("users.find", {"search": "hunter"})) == 1


async def test_get_and_update_by_id_still_work_with_hidden_fields(make_broker):
    broker = await users(make_broker, fields=["name"])
    assert await broker.call("users.find", {"query": {"name": "ann"}}) == [{"name": "ann"}]
    stored = await broker.get_local_service("users").adapter.find_one({"name": "ann"})
    assert await broker.call("users.get", {"id": stored["_id"]}) == {"name": "ann"}  # _id is outside the whitelist
    assert await broker.call("users.update", {"id": stored["_id"], "name": "anna"}) == {"name": "anna"}


# ---------------------------------------------------------------------------------------------------- idField


async def test_the_public_id_name_works_in_query_sort_fields_and_updates(make_broker):
    broker = await make_broker(posts_schema(settings={"idField": "uid"}))
    a = await broker.call("posts.create", {"uid": "a", "title": "A"})
    await broker.call("posts.create", {"uid": "b", "title": "B"})
    assert a == {"uid": "a", "title": "A"}
    assert await broker.call("posts.find", {"query": {"uid": "a"}}) == [a]
    assert [p["uid"] for p in await broker.call("posts.find", {"query": {"uid": {"$in": ["b", "x"]}}})] == ["b"]
    assert [p["uid"] for p in await broker.call("posts.find", {"query": {"$or": [{"uid": "b"}]}})] == ["b"]
    assert [p["uid"] for p in await broker.call("posts.find", {"sort": "-uid"})] == ["b", "a"]
    assert await broker.call("posts.find", {"fields": "uid", "sort": "uid"}) == [{"uid": "a"}, {"uid": "b"}]
    assert await broker.call("posts.find", {"excludeFields": ["uid"], "query": {"uid": "a"}}) == [{"title": "A"}]
    assert await broker.call("posts.count", {"search": "b", "searchFields": "uid"}) == 1
    updated = await broker.call("posts.update", {"uid": "a", "title": "A2"})
    assert updated == {"uid": "a", "title": "A2"}
    assert await broker.call("posts.remove", {"uid": "a"}) == updated


async def test_id_values_in_queries_are_decoded(make_broker):
    schema = posts_schema(
        settings={"idField": "id"},
        methods={"encode_id": lambda self, id: f"x{id}", "decode_id": lambda self, id: id[1:]
                 if isinstance(id, str) and id.startswith("x") else id},
    )  # fmt: skip
    broker = await make_broker(schema)
    one = await broker.call("posts.create", {"id": "1", "title": "A"})
    assert one["id"] == "x1"
    assert await broker.call("posts.find", {"query": {"id": "x1"}}) == [one]
    assert await broker.call("posts.find", {"query": {"id": {"$in": ["x1"]}}}) == [one]
    assert await broker.call("posts.find", {"query": {"id": {"$ne": "x1"}}}) == []


async def test_a_hidden_id_field_is_refused_too(make_broker):
    broker = await make_broker(posts_schema(settings={"idField": "uid", "excludeFields": ["uid"]}))
    assert (await refused(broker, "posts.find", {"query": {"uid": "a"}}))["actual"] == "uid"


async def test_custom_actions_have_full_access_unless_they_sanitise_first(make_broker):
    async def raw(self: Any, ctx: Any) -> Any:
        return await self.find_entities(ctx, dict(ctx.params))

    async def guarded(self: Any, ctx: Any) -> Any:
        return await self.find_entities(ctx, self.sanitize_params(ctx, dict(ctx.params)))

    schema = posts_schema(name="users", settings={"excludeFields": ["password"], "maxLimit": 1},
                          actions={"raw": raw, "guarded": guarded})  # fmt: skip
    broker = await make_broker(schema)
    await broker.call("users.insert", {"entities": USERS})
    found = await broker.call("users.raw", {"query": {"password": {"$regex": "^h"}}, "limit": 10})
    assert [u["name"] for u in found] == ["ann"] and "password" not in found[0]
    assert len(await broker.call("users.raw", {})) == 1  # the caps still hold
    assert (await refused(broker, "users.guarded", {"query": {"password": "xyz"}}))["actual"] == "password"


async def test_the_public_id_cannot_be_changed_through_operators(make_broker):
    broker = await make_broker(posts_schema(settings={"idField": "uid"}))
    await broker.call("posts.create", {"uid": "a", "title": "A"})
    for change in ({"$set": {"uid": "b"}}, {"$unset": {"uid": ""}}, {"$inc": {"uid.x": 1}}):
        assert (await refused(broker, "posts.update", {"id": "a", **change}))["field"].startswith("$")
    assert await broker.call("posts.find") == [{"uid": "a", "title": "A"}]


async def test_the_public_id_name_works_in_populate_rules(make_broker):
    from dbmixin import DbMixin

    profiles = {"name": "profiles", "mixins": [DbMixin]}
    schema = posts_schema(settings={"idField": "uid", "populates": {"profile": {"action": "profiles.get",
                                                                               "field": "uid"}}})  # fmt: skip
    broker = await make_broker(schema, profiles)
    await broker.call("profiles.create", {"_id": "a", "bio": "hi"})
    await broker.call("posts.create", {"uid": "a", "title": "A"})
    row = (await broker.call("posts.find", {"populate": "profile"}))[0]
    assert row["profile"] == {"_id": "a", "bio": "hi"}
