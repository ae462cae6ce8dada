"""Conformance: inserts, lookups by id, removals, clear, counts, id handling and copies."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import BaseAdapter, EntityAlreadyExistsError
from broker.errors import ValidationError

from ..conftest import ids
from .conftest import ALL_IDS, SEED, expect_supported

# ----------------------------------------------------------------------------------------------------- inserts


async def test_insert_generates_a_string_id_and_returns_the_stored_entity(adapter: BaseAdapter) -> None:
    stored = await adapter.insert({"name": "Kiwi", "price": 2})
    assert isinstance(stored["_id"], str) and stored["_id"]
    assert stored == {"_id": stored["_id"], "name": "Kiwi", "price": 2}
    assert await adapter.find_by_id(stored["_id"]) == stored
    assert await adapter.count() == 1


async def test_an_id_of_none_means_generate_one(adapter: BaseAdapter) -> None:
    stored = await adapter.insert({"_id": None, "name": "Kiwi"})
    assert isinstance(stored["_id"], str)
    assert await adapter.find_by_id(stored["_id"]) == stored


async def test_generated_ids_are_unique(adapter: BaseAdapter) -> None:
    rows = await adapter.insert_many([{"n": i} for i in range(200)])
    assert len({row["_id"] for row in rows}) == 200
    assert [row["n"] for row in rows] == list(range(200))


async def test_insert_many_returns_entities_in_order(adapter: BaseAdapter) -> None:
    rows = await adapter.insert_many(SEED)
    assert rows == SEED
    assert ids(await adapter.find()) == ALL_IDS
    assert await adapter.insert_many([]) == []


async def test_given_ids_keep_their_type(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 5, "v": "int"}, {"_id": "5", "v": "str"}, {"_id": "k", "v": "key"}])
    assert await adapter.find_by_id(5) == {"_id": 5, "v": "int"}
    assert await adapter.find_by_id("5") == {"_id": "5", "v": "str"}
    assert await adapter.find_by_id("k") == {"_id": "k", "v": "key"}
    assert await adapter.count() == 3


async def test_ids_compare_by_query_equality(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "v": "one"}, {"_id": 0, "v": "zero"}])
    assert await adapter.find_by_id(True) is None
    assert await adapter.find_by_id(False) is None
    assert (await adapter.find_by_id(1.0))["v"] == "one"  # numbers compare by value
    assert await adapter.find_by_id("1") is None
    assert await adapter.find_by_id(None) is None
    assert await adapter.find_by_id([1]) is None
    assert await adapter.find_by_id({"a": 1}) is None
    assert await adapter.find_by_id(2) is None


@pytest.mark.parametrize("bad_id", [[1], {"a": 1}, 1.5, True])
async def test_ids_must_be_strings_or_integers(adapter: BaseAdapter, bad_id: object) -> None:
    with pytest.raises(ValidationError) as info:
        await adapter.insert({"_id": bad_id})
    assert info.value.code == 422 and info.value.data[0]["field"] == "entity._id"
    assert await adapter.count() == 0


async def test_a_duplicate_id_is_a_409_and_writes_nothing(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 1, "v": "first"})
    with pytest.raises(EntityAlreadyExistsError) as info:
        await adapter.insert({"_id": 1, "v": "second"})
    err = info.value
    assert (err.code, err.type, err.message, err.data) == (
        409,
        "ENTITY_ALREADY_EXISTS",
        "Entity already exists",
        {"id": 1},
    )
    assert await adapter.find_by_id(1) == {"_id": 1, "v": "first"}


async def test_insert_many_is_all_or_nothing(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 3})
    with pytest.raises(EntityAlreadyExistsError) as info:
        await adapter.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3}, {"_id": 4}])
    assert info.value.data == {"id": 3}
    assert ids(await adapter.find()) == [3]
    with pytest.raises(EntityAlreadyExistsError):
        await adapter.insert_many([{"_id": 10}, {"name": "generated"}, {"_id": 10}])  # duplicate inside the batch
    assert ids(await adapter.find()) == [3]


async def test_non_object_entities_are_a_422(adapter: BaseAdapter) -> None:
    with pytest.raises(ValidationError):
        await adapter.insert(["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await adapter.insert_many([{"_id": 1}, "x"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        await adapter.insert_many({"_id": 1})  # type: ignore[arg-type]
    assert await adapter.count() == 0


# ----------------------------------------------------------------------------------------------------- lookups


async def test_find_by_ids_follows_the_requested_order(seeded: BaseAdapter) -> None:
    assert ids(await seeded.find_by_ids([5, 1, 3])) == [5, 1, 3]
    assert ids(await seeded.find_by_ids([7, 99, 2, 7, 2.0])) == [7, 2]  # missing skipped, duplicates collapsed
    assert await seeded.find_by_ids([]) == []
    assert await seeded.find_by_ids(["1", True, None]) == []


async def test_find_by_ids_with_string_ids(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": k} for k in ("b", "a", "10", "2")])
    assert ids(await adapter.find_by_ids(["2", "10", "a", "b"])) == ["2", "10", "a", "b"]


# ----------------------------------------------------------------------------------------------------- removals


async def test_remove_by_id_returns_the_removed_entity(seeded: BaseAdapter) -> None:
    removed = await seeded.remove_by_id(2)
    assert removed == SEED[1]
    assert await seeded.find_by_id(2) is None
    assert await seeded.remove_by_id(2) is None
    assert await seeded.remove_by_id(True) is None
    assert await seeded.count() == len(SEED) - 1


async def test_remove_many_returns_the_count(seeded: BaseAdapter) -> None:
    assert await seeded.remove_many({"category": "fruit"}) == 3
    assert ids(await seeded.find()) == [3, 5, 6, 7]
    assert await seeded.count({"query": {"category": "fruit"}}) == 0
    assert await seeded.remove_many({"category": "fruit"}) == 0
    assert await seeded.remove_many({"tags": "sweet"}) == 1
    assert await seeded.remove_many({}) == 3
    assert await seeded.count() == 0


async def test_clear_returns_the_count_and_empties_everything(seeded: BaseAdapter) -> None:
    assert await seeded.clear() == len(SEED)
    assert await seeded.count() == 0
    assert await seeded.find({"query": {"category": "fruit"}}) == []
    assert await seeded.find_by_id(1) is None
    assert await seeded.clear() == 0
    await seeded.insert_many(SEED)  # the same ids can be used again
    assert await seeded.count({"query": {"category": "fruit"}}) == 3


async def test_a_removed_id_can_be_reused_and_goes_last(seeded: BaseAdapter) -> None:
    await seeded.remove_by_id(1)
    await seeded.insert({"_id": 1, "name": "Apricot", "category": "fruit"})
    assert ids(await seeded.find()) == [2, 3, 4, 5, 6, 7, 1]
    assert ids(await seeded.find({"query": {"category": "fruit"}})) == [2, 4, 1]


# ----------------------------------------------------------------------------------------------- id transforms


def test_before_save_transform_id_moves_the_id_field_to_the_storage_key(adapter: BaseAdapter) -> None:
    entity = {"name": "x", "id": 5, "n": 1}
    saved = adapter.before_save_transform_id(entity, "id")
    assert saved == {"name": "x", "_id": 5, "n": 1} and list(saved) == ["name", "_id", "n"]
    assert entity == {"name": "x", "id": 5, "n": 1}  # the input is untouched
    assert adapter.before_save_transform_id({"name": "x"}, "id") == {"name": "x"}
    same = {"_id": 1, "a": 2}
    copy = adapter.before_save_transform_id(same, "_id")
    assert copy == same and copy is not same
    assert adapter.before_save_transform_id({"_id": 1, "id": 2}, "id") == {"_id": 2}


def test_after_retrieve_transform_id_moves_the_storage_key_to_the_id_field(adapter: BaseAdapter) -> None:
    stored = {"_id": 5, "name": "x"}
    assert adapter.after_retrieve_transform_id(stored, "id") == {"id": 5, "name": "x"}
    assert stored == {"_id": 5, "name": "x"}
    assert adapter.after_retrieve_transform_id(stored, "_id") == stored
    assert adapter.after_retrieve_transform_id({"name": "x"}, "id") == {"name": "x"}


async def test_id_field_round_trip(adapter: BaseAdapter) -> None:
    stored = await adapter.insert(adapter.before_save_transform_id({"id": "k1", "v": 1}, "id"))
    assert stored == {"_id": "k1", "v": 1}
    found = await adapter.find_by_id("k1")
    assert adapter.after_retrieve_transform_id(adapter.entity_to_object(found), "id") == {"id": "k1", "v": 1}


# ------------------------------------------------------------------------------------------------------- copies


async def test_mutating_the_inserted_dict_does_not_change_the_store(adapter: BaseAdapter) -> None:
    entity = {"_id": 1, "tags": ["a"], "address": {"city": "Paris"}}
    await adapter.insert(entity)
    entity["tags"].append("b")
    entity["address"]["city"] = "Lyon"
    entity["new"] = True
    assert await adapter.find_by_id(1) == {"_id": 1, "tags": ["a"], "address": {"city": "Paris"}}


async def test_mutating_returned_entities_does_not_change_the_store(adapter: BaseAdapter) -> None:
    original = {"_id": 1, "tags": ["a"], "address": {"city": "Paris", "geo": [1, 2]}}
    for row in [await adapter.insert(original)]:
        row["tags"].append("x")
        row["address"]["geo"].append(3)
    for row in await adapter.find():
        row["tags"].append("y")
        row["address"]["city"] = "Lyon"
    for row in [await adapter.find_by_id(1), await adapter.find_one({}), *(await adapter.find_by_ids([1]))]:
        row["address"]["geo"].clear()
        row.pop("tags")
    updated = await adapter.update_by_id(1, {"$set": {"n": 1}})
    updated["address"]["city"] = "Nice"
    assert await adapter.find_by_id(1) == {**original, "n": 1}
    removed = await adapter.remove_by_id(1)
    assert removed == {**original, "n": 1}


async def test_mutating_a_set_value_after_the_update_does_not_change_the_store(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 1})
    value = {"list": [1, 2]}
    await adapter.update_by_id(1, {"$set": {"obj": value}})
    value["list"].append(3)
    await adapter.update_many({}, {"$set": {"other": value}})
    value["list"].append(4)
    assert await adapter.find_by_id(1) == {"_id": 1, "obj": {"list": [1, 2]}, "other": {"list": [1, 2, 3]}}


async def test_tuples_are_stored_as_lists(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 1, "pair": (1, 2)})
    assert await adapter.find_by_id(1) == {"_id": 1, "pair": [1, 2]}
    assert ids(await adapter.find({"query": {"pair": [1, 2]}})) == [1]


async def test_generated_ids_page_by_range(adapter: BaseAdapter) -> None:
    """Keyset paging over generated ids: ``{"_id": {"$gt": last}}`` in ``_id`` order walks every entity once (on
    MongoDB the ids are ObjectIds compared with a string: issue 9's attack found it matched nothing there)."""
    await adapter.insert_many([{"n": i} for i in range(5)])
    seen: list[Any] = []
    query: dict[str, Any] = {}
    while page := await adapter.find({"query": query, "sort": "_id", "limit": 2}):
        seen += ids(page)
        query = {"_id": {"$gt": seen[-1]}}
    assert seen == sorted(ids(await adapter.find())) and len(set(seen)) == 5
    assert await adapter.count({"query": {"_id": {"$lte": seen[2]}}}) == 3
    assert await adapter.count({"query": {"_id": {"$lt": seen[0], "$gte": ""}}}) == 0


async def test_generated_ids_are_found_by_search_and_regex(adapter: BaseAdapter) -> None:
    """A generated id is searched as its wire string (on MongoDB an ObjectId, which ``$regex`` alone never
    matches: issue 9's attack)."""
    created = await adapter.insert_many([{"n": i} for i in range(3)])
    id = created[1]["_id"]
    found = await adapter.find({"search": id[-10:], "searchFields": ["_id"]})
    assert ids(found) == [id]
    with expect_supported(adapter, "regex"):
        assert ids(await adapter.find({"query": {"_id": {"$regex": f"^{id}$"}}})) == [id]
        assert await adapter.count({"query": {"$not": {"_id": {"$regex": id}}}}) == 2
