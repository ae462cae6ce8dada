"""Conformance: ``$set`` (dotted), ``$unset``, ``$inc``, plain-dict updates, atomicity and validation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters import BaseAdapter
from broker.errors import ValidationError

from ..conftest import ids
from .conftest import ALL_IDS, SEED


async def test_update_by_id_returns_the_updated_entity(seeded: BaseAdapter) -> None:
    updated = await seeded.update_by_id(2, {"$set": {"price": 2.5, "name": "Banana"}})
    assert updated == {**SEED[1], "price": 2.5, "name": "Banana"}
    assert await seeded.find_by_id(2) == updated
    assert await seeded.update_by_id(99, {"$set": {"price": 1}}) is None
    assert await seeded.update_by_id(True, {"$set": {"price": 1}}) is None
    assert await seeded.count({"query": {"price": 1}}) == 0


async def test_a_plain_dict_means_set(seeded: BaseAdapter) -> None:
    updated = await seeded.update_by_id(1, {"qty": 11, "address.city": "Lille"})
    assert updated["qty"] == 11 and updated["address"] == {"city": "Lille", "zip": "75001"}


async def test_set_dotted_creates_nested_objects(seeded: BaseAdapter) -> None:
    updated = await seeded.update_by_id(7, {"$set": {"address.geo.lat": 1.5, "meta.views": 3}})
    assert updated["address"] == {"geo": {"lat": 1.5}} and updated["meta"] == {"views": 3}
    updated = await seeded.update_by_id(1, {"$set": {"address.country": "FR"}})
    assert updated["address"] == {"city": "Paris", "zip": "75001", "country": "FR"}
    assert ids(await seeded.find({"query": {"address.country": "FR"}})) == [1]


async def test_set_through_a_non_object_is_a_422_and_changes_nothing(seeded: BaseAdapter) -> None:
    with pytest.raises(ValidationError) as info:
        await seeded.update_by_id(3, {"$set": {"address.city": "Metz", "qty": 1}})  # address is None
    assert info.value.data[0]["field"] == "$set.address.city"
    with pytest.raises(ValidationError):
        await seeded.update_by_id(1, {"$set": {"name.first": "A"}})  # name is a string
    assert await seeded.find_by_ids([1, 3]) == [SEED[0], SEED[2]]


async def test_set_replaces_whole_values(seeded: BaseAdapter) -> None:
    updated = await seeded.update_by_id(1, {"$set": {"address": {"city": "Nice"}, "tags": None}})
    assert updated["address"] == {"city": "Nice"} and updated["tags"] is None
    assert ids(await seeded.find({"query": {"tags": None}})) == [1]


async def test_unset_removes_fields(seeded: BaseAdapter) -> None:
    updated = await seeded.update_by_id(1, {"$unset": {"price": "", "address.zip": 1, "nothing.here": ""}})
    assert "price" not in updated and updated["address"] == {"city": "Paris"}
    assert ids(await seeded.find({"query": {"price": {"$exists": False}}})) == [1, 6]
    updated = await seeded.update_by_id(3, {"$unset": ["address.city", "category"]})  # a list of paths works too
    assert "category" not in updated and updated["address"] is None


async def test_inc_adds_numbers(seeded: BaseAdapter) -> None:
    assert (await seeded.update_by_id(1, {"$inc": {"qty": 5}}))["qty"] == 15
    assert (await seeded.update_by_id(1, {"$inc": {"qty": -20}}))["qty"] == -5
    assert (await seeded.update_by_id(2, {"$inc": {"price": 0.25}}))["price"] == 1.75
    assert (await seeded.update_by_id(3, {"$inc": {"qty": 2}}))["qty"] == 2  # missing → the increment
    assert (await seeded.update_by_id(7, {"$inc": {"stats.views": 1}}))["stats"] == {"views": 1}


@pytest.mark.parametrize("target", [4, 5, 3])  # price None, price "4", active True (bool is not a number)
async def test_inc_of_a_non_number_is_a_422_and_changes_nothing(seeded: BaseAdapter, target: int) -> None:
    field = "active" if target == 3 else "price"
    with pytest.raises(ValidationError) as info:
        await seeded.update_by_id(target, {"$inc": {field: 1}, "$set": {"touched": True}})
    assert info.value.code == 422 and info.value.data[0]["field"] == f"$inc.{field}"
    assert await seeded.find_by_id(target) == SEED[target - 1]


async def test_a_failing_update_many_changes_no_entity(seeded: BaseAdapter) -> None:
    # price is numeric on 1, 2, 3, 7 but a string on 5: nothing may change, not even the entities before it
    with pytest.raises(ValidationError):
        await seeded.update_many({"price": {"$exists": True}, "_id": {"$ne": 4}}, {"$inc": {"price": 1}})
    assert await seeded.find() == SEED


async def test_update_many_returns_the_number_of_matches(seeded: BaseAdapter) -> None:
    assert await seeded.update_many({"category": "fruit"}, {"$set": {"kind": "sweet"}}) == 3
    assert ids(await seeded.find({"query": {"kind": "sweet"}})) == [1, 2, 4]
    assert await seeded.update_many({"category": "fruit"}, {"$set": {"kind": "sweet"}}) == 3  # matched, not modified
    assert await seeded.update_many({"category": "mineral"}, {"$set": {"kind": "x"}}) == 0
    assert await seeded.update_many({}, {"$inc": {"visits": 1}}) == len(SEED)
    assert await seeded.count({"query": {"visits": 1}}) == len(SEED)


async def test_update_many_can_move_entities_out_of_the_query(seeded: BaseAdapter) -> None:
    assert await seeded.update_many({"category": "fruit"}, {"$set": {"category": "vegetable"}}) == 3
    assert await seeded.count({"query": {"category": "fruit"}}) == 0
    assert ids(await seeded.find({"query": {"category": "vegetable"}})) == [1, 2, 3, 4, 5]


async def test_updates_keep_insertion_order(seeded: BaseAdapter) -> None:
    await seeded.update_by_id(2, {"$set": {"category": "vegetable"}})
    await seeded.update_by_id(1, {"$set": {"category": "vegetable"}})
    await seeded.update_by_id(1, {"$set": {"category": "fruit"}})
    await seeded.update_by_id(2, {"$set": {"category": "fruit"}})
    assert ids(await seeded.find()) == ALL_IDS
    assert ids(await seeded.find({"query": {"category": "fruit"}})) == [1, 2, 4]
    assert ids(await seeded.find({"query": {"category": {"$in": ["fruit", "vegetable"]}}})) == [1, 2, 3, 4, 5]


async def test_updating_array_fields_updates_any_element_matches(seeded: BaseAdapter) -> None:
    await seeded.update_by_id(1, {"$set": {"tags": ["green"]}})
    assert ids(await seeded.find({"query": {"tags": "sweet"}})) == [4, 6]
    assert ids(await seeded.find({"query": {"tags": "green"}})) == [1, 7]


async def test_concurrent_incs_are_not_lost(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": "counter", "n": 0})
    await asyncio.gather(*(adapter.update_by_id("counter", {"$inc": {"n": 1}}) for _ in range(50)))
    await asyncio.gather(*(adapter.update_many({"_id": "counter"}, {"$inc": {"n": 2}}) for _ in range(50)))
    assert (await adapter.find_by_id("counter"))["n"] == 150


async def test_an_empty_update_changes_nothing(seeded: BaseAdapter) -> None:
    assert await seeded.update_by_id(1, {}) == SEED[0]
    assert await seeded.update_many({"category": "fruit"}, {}) == 3
    assert await seeded.find() == SEED


BAD_UPDATES: list[tuple[str, Any, str]] = [
    ("mixed-forms", {"$set": {"a": 1}, "b": 2}, "b"),
    ("unknown-operator", {"$push": {"tags": "x"}}, "$push"),
    ("set-id", {"$set": {"_id": 9}}, "$set._id"),
    ("plain-id", {"_id": 9}, "_id"),
    ("unset-id", {"$unset": {"_id": ""}}, "$unset._id"),
    ("inc-string", {"$inc": {"qty": "1"}}, "$inc.qty"),
    ("inc-bool", {"$inc": {"qty": True}}, "$inc.qty"),
    ("set-not-object", {"$set": ["qty", 1]}, "$set"),
    ("conflicting-paths", {"$set": {"address": {}}, "$unset": {"address.city": ""}}, "address.city"),
    ("same-path-twice", {"$set": {"qty": 1}, "$inc": {"qty": 1}}, "qty"),
    ("empty-segment", {"$set": {"a..b": 1}}, "$set.a..b"),
    ("dollar-segment", {"$set": {"a.$x": 1}}, "$set.a.$x"),
    ("nul-in-path", {"$set": {"a\x00b": 1}}, "$set.a\x00b"),
    ("nul-in-unset-path", {"$unset": {"a\x00b": ""}}, "$unset.a\x00b"),
    ("not-a-dict", ["qty", 1], "update"),
]


@pytest.mark.parametrize(("update", "field"), [b[1:] for b in BAD_UPDATES], ids=[b[0] for b in BAD_UPDATES])
async def test_malformed_updates_are_a_422_and_change_nothing(seeded: BaseAdapter, update: Any, field: str) -> None:
    for call in (seeded.update_by_id(1, update), seeded.update_many({}, update)):
        with pytest.raises(ValidationError) as info:
            await call
        assert info.value.code == 422
        assert field in info.value.data[0]["field"]
    assert await seeded.find() == SEED
