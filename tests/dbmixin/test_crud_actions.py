"""The eight actions end to end through the broker, with moleculer-db's results and our documented fixes."""

from __future__ import annotations

import pytest

from broker.errors import MoleculerClientError, ServiceNotFoundError, ValidationError
from dbmixin import DEFAULT_SETTINGS, DbMixin, EntityNotFoundError

from .conftest import POSTS, posts_schema, seed


async def test_default_settings_are_exactly_moleculer_dbs_ten(make_broker):
    broker = await make_broker(posts_schema())
    assert broker.get_local_service("posts").settings == DEFAULT_SETTINGS
    assert len(DEFAULT_SETTINGS) == 10


async def test_service_settings_override_defaults(make_broker):
    broker = await make_broker(posts_schema(settings={"pageSize": 3, "idField": "id"}))
    settings = broker.get_local_service("posts").settings
    assert settings["pageSize"] == 3 and settings["idField"] == "id" and settings["maxPageSize"] == 100


async def test_actions_carry_rest_annotations_and_cache_keys(make_broker):
    broker = await make_broker(posts_schema())
    acts = broker.get_local_service("posts").action_definitions
    assert {name: a.definition.get("rest") for name, a in acts.items()} == {
        "find": None, "count": None, "list": "GET /", "create": "POST /", "insert": None,
        "get": "GET /:id", "update": "PUT /:id", "remove": "DELETE /:id",
    }  # fmt: skip
    assert acts["get"].cache == {"keys": ["id", "populate", "fields", "excludeFields", "mapping"]}
    assert acts["count"].cache == {"keys": ["search", "iSearch", "searchFields", "query"]}
    assert acts["create"].cache is None


async def test_create_then_get_returns_the_stored_entity(make_broker):
    broker = await make_broker(posts_schema())
    created = await broker.call("posts.create", {"title": "A", "votes": 1})
    assert isinstance(created["_id"], str) and created["title"] == "A"
    assert await broker.call("posts.get", {"id": created["_id"]}) == created


async def test_get_with_a_list_of_ids_and_with_mapping(make_broker):
    broker = await make_broker(posts_schema())
    a, b, c = await seed(broker)
    rows = await broker.call("posts.get", {"id": [c["_id"], a["_id"]]})
    assert [r["title"] for r in rows] == [c["title"], a["title"]]
    mapped = await broker.call("posts.get", {"id": [a["_id"], b["_id"]], "mapping": True, "fields": ["title"]})
    assert mapped == {a["_id"]: {"title": a["title"]}, b["_id"]: {"title": b["title"]}}


async def test_get_missing_id_is_entity_not_found_404(make_broker):
    broker = await make_broker(posts_schema())
    with pytest.raises(EntityNotFoundError) as info:
        await broker.call("posts.get", {"id": "nope"})
    assert (info.value.code, info.value.message, info.value.data) == (404, "Entity not found", {"id": "nope"})


async def test_get_list_of_unknown_ids_is_an_empty_list_not_404(make_broker):
    broker = await make_broker(posts_schema())
    assert await broker.call("posts.get", {"id": ["x", "y"]}) == []


async def test_get_without_id_fails_validation(make_broker):
    broker = await make_broker(posts_schema())
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.get", {})
    assert info.value.data[0]["field"] == "id" and info.value.data[0]["type"] == "required"


async def test_find_with_query_sort_and_string_paging(make_broker):
    broker = await make_broker(posts_schema())
    await seed(broker)
    rows = await broker.call("posts.find", {"query": {"status": "published"}, "sort": "-votes"})
    assert [r["votes"] for r in rows] == [5, 3]
    rows = await broker.call("posts.find", {"sort": "votes", "limit": "2", "offset": "1"})
    assert [r["votes"] for r in rows] == [5, 10]


async def test_find_accepts_a_json_query_string_and_rejects_bad_json(make_broker):
    broker = await make_broker(posts_schema())
    await seed(broker)
    rows = await broker.call("posts.find", {"query": '{"votes": {"$gte": 5}}', "sort": "votes"})
    assert [r["votes"] for r in rows] == [5, 10]
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.find", {"query": "{not json"})
    assert info.value.data[0]["field"] == "query"


async def test_find_with_non_numeric_limit_is_a_validation_error(make_broker):
    broker = await make_broker(posts_schema())
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.find", {"limit": "abc"})
    assert info.value.data[0]["field"] == "limit"


async def test_search_combines_with_query_instead_of_replacing_it(make_broker):
    broker = await make_broker(posts_schema())
    await seed(broker)
    rows = await broker.call("posts.find", {"search": "HELLO", "searchFields": "title content"})
    assert sorted(r["title"] for r in rows) == ["Hello world", "Third hello"]
    rows = await broker.call("posts.find", {"search": "hello", "searchFields": ["title"], "query": {"votes": 5}})
    assert [r["title"] for r in rows] == ["Third hello"]


async def test_count_with_query_and_search_ignores_paging(make_broker):
    broker = await make_broker(posts_schema())
    await seed(broker)
    assert await broker.call("posts.count") == 3
    assert await broker.call("posts.count", {"query": {"status": "published"}, "limit": 1}) == 2
    assert await broker.call("posts.count", {"search": "second", "searchFields": "title"}) == 1


async def test_list_pages_and_totals(make_broker):
    broker = await make_broker(posts_schema(settings={"pageSize": 2}))
    await seed(broker)
    first = await broker.call("posts.list", {"sort": "votes"})
    assert (first["total"], first["page"], first["pageSize"], first["totalPages"]) == (3, 1, 2, 2)
    assert [r["votes"] for r in first["rows"]] == [3, 5]
    second = await broker.call("posts.list", {"sort": "votes", "page": "2"})
    assert [r["votes"] for r in second["rows"]] == [10] and second["page"] == 2


async def test_list_caps_page_size_and_refuses_zero(make_broker):
    broker = await make_broker(posts_schema(settings={"maxPageSize": 2, "pageSize": 1}))
    await seed(broker)
    capped = await broker.call("posts.list", {"pageSize": 50})
    assert capped["pageSize"] == 2 and len(capped["rows"]) == 2 and capped["totalPages"] == 2
    default = await broker.call("posts.list", {})
    assert default["pageSize"] == 1 and default["totalPages"] == 3
    with pytest.raises(ValidationError) as info:  # 0 is a value, not "absent": a page of no rows cannot page
        await broker.call("posts.list", {"pageSize": 0})
    assert info.value.data[0]["field"] == "pageSize"


async def test_list_page_zero_is_rejected(make_broker):
    broker = await make_broker(posts_schema())
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.list", {"page": 0})
    assert info.value.data[0]["field"] == "page"


async def test_max_limit_caps_find(make_broker):
    broker = await make_broker(posts_schema(settings={"maxLimit": 2}))
    await seed(broker)
    assert len(await broker.call("posts.find", {"limit": 100})) == 2
    assert len(await broker.call("posts.find", {})) == 2


async def test_insert_one_entity_or_many_or_neither(make_broker):
    broker = await make_broker(posts_schema())
    one = await broker.call("posts.insert", {"entity": {"title": "solo"}})
    assert one["title"] == "solo"
    many = await broker.call("posts.insert", {"entities": [{"title": "a"}, {"title": "b"}]})
    assert [m["title"] for m in many] == ["a", "b"]
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("posts.insert", {})
    assert info.value.code == 400
    assert info.value.message == "Invalid request! The 'params' must contain 'entity' or 'entities'!"
    assert await broker.call("posts.count") == 3


async def test_update_sets_fields_and_returns_the_entity(make_broker):
    broker = await make_broker(posts_schema())
    post = await broker.call("posts.create", {"title": "A", "meta": {"a": 1, "b": 2}})
    updated = await broker.call("posts.update", {"id": post["_id"], "title": "B", "meta": {"a": 5}})
    assert updated["title"] == "B" and updated["meta"] == {"a": 5}
    assert await broker.call("posts.get", {"id": post["_id"]}) == updated


async def test_update_with_dot_notation_merges_nested_objects(make_broker):
    broker = await make_broker(posts_schema(settings={"useDotNotation": True}))
    post = await broker.call("posts.create", {"title": "A", "meta": {"a": 1, "b": 2}})
    updated = await broker.call("posts.update", {"id": post["_id"], "meta": {"a": 5}})
    assert updated["meta"] == {"a": 5, "b": 2}


async def test_update_honours_inc_and_rejects_unknown_operators(make_broker):
    broker = await make_broker(posts_schema())
    post = await broker.call("posts.create", {"title": "A", "stock": 5})
    updated = await broker.call("posts.update", {"id": post["_id"], "$inc": {"stock": -2}})
    assert updated["stock"] == 3
    with pytest.raises(ValidationError):
        await broker.call("posts.update", {"id": post["_id"], "$push": {"tags": "x"}})
    assert (await broker.call("posts.get", {"id": post["_id"]}))["stock"] == 3


async def test_update_and_remove_of_a_missing_entity_are_404(make_broker):
    broker = await make_broker(posts_schema())
    with pytest.raises(EntityNotFoundError):
        await broker.call("posts.update", {"id": "missing", "title": "x"})
    with pytest.raises(EntityNotFoundError) as info:
        await broker.call("posts.remove", {"id": "missing"})
    assert info.value.data == {"id": "missing"}


async def test_update_without_id_fails_validation(make_broker):
    broker = await make_broker(posts_schema())
    with pytest.raises(ValidationError):
        await broker.call("posts.update", {"title": "x"})


async def test_remove_returns_the_removed_entity(make_broker):
    broker = await make_broker(posts_schema())
    post = await broker.call("posts.create", {"title": "bye"})
    assert await broker.call("posts.remove", {"id": post["_id"]}) == post
    assert await broker.call("posts.count") == 0


async def test_without_an_adapter_each_service_gets_its_own_memory_adapter(make_broker):
    broker = await make_broker(posts_schema(), {"name": "users", "mixins": [DbMixin]})
    await broker.call("posts.create", {"title": "only posts"})
    assert await broker.call("posts.count") == 1
    assert await broker.call("users.count") == 0


async def test_versioned_service_actions_use_the_full_name(make_broker):
    broker = await make_broker(posts_schema(version=2))
    await broker.call("v2.posts.create", {"title": "x"})
    assert await broker.call("v2.posts.count") == 1
    with pytest.raises(ServiceNotFoundError):
        await broker.call("posts.count")


async def test_entities_given_ids_are_kept(make_broker):
    broker = await make_broker(posts_schema())
    await broker.call("posts.insert", {"entities": [{"_id": 7, "title": "seven"}]})
    assert (await broker.call("posts.get", {"id": 7}))["title"] == "seven"
    assert POSTS[0]["title"] == "Hello world"  # seed data untouched by the adapter's copies


async def test_duplicate_ids_are_409_and_nothing_is_written(make_broker):
    from adapters.errors import EntityAlreadyExistsError

    broker = await make_broker(posts_schema())
    await broker.call("posts.create", {"_id": "a", "title": "first"})
    with pytest.raises(EntityAlreadyExistsError) as info:
        await broker.call("posts.insert", {"entities": [{"_id": "b"}, {"_id": "a", "title": "second"}]})
    assert (info.value.code, info.value.data) == (409, {"id": "a"})
    assert await broker.call("posts.find", {}) == [{"_id": "a", "title": "first"}]


async def test_malformed_queries_and_updates_are_422_naming_the_path(make_broker):
    broker = await make_broker(posts_schema())
    await broker.call("posts.create", {"_id": "a", "votes": 1})
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.find", {"query": {"votes": {"$foo": 1}}})
    assert info.value.data[0]["field"] == "votes.$foo" and info.value.message.startswith("Invalid query")
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.update", {"id": "a", "$set": {"_id": "b"}})
    assert info.value.data[0]["field"] == "$set._id" and info.value.message.startswith("Invalid update")
    assert await broker.call("posts.get", {"id": "a"}) == {"_id": "a", "votes": 1}
