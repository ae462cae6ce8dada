"""Conformance: ``find_one_and_update`` / ``find_one_and_delete`` (atomic, first match in insertion order), by-id
writes built on them, and ``find``/``count`` taking an already parsed ``FindParams``."""

from __future__ import annotations

import asyncio

import pytest

from adapters import BaseAdapter, FindParams, parse_find_params
from broker.errors import ValidationError

from ..conftest import ids
from .conftest import ALL_IDS, SEED


async def test_find_one_and_update_returns_the_first_match_after_the_update(seeded: BaseAdapter) -> None:
    got = await seeded.find_one_and_update({"category": "fruit", "qty": {"$gt": 1}}, {"$inc": {"qty": 1}})
    assert got == {**SEED[0], "qty": 11}  # entity 1, the first fruit with qty > 1 in insertion order
    assert await seeded.find_by_id(1) == got
    assert (await seeded.find_by_id(4))["qty"] == 5  # only one entity changed
    assert await seeded.count({"query": {"qty": 11}}) == 1


async def test_find_one_and_update_without_a_match_is_none_and_writes_nothing(seeded: BaseAdapter) -> None:
    assert await seeded.find_one_and_update({"category": "mineral"}, {"$set": {"x": 1}}) is None
    assert await seeded.find() == SEED


async def test_find_one_and_update_as_compare_and_set(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": "doc", "version": 1, "body": "a"})
    first = await adapter.find_one_and_update(
        {"_id": "doc", "version": 1}, {"$set": {"body": "b"}, "$inc": {"version": 1}}
    )
    assert first == {"_id": "doc", "version": 2, "body": "b"}
    stale = await adapter.find_one_and_update({"_id": "doc", "version": 1}, {"$set": {"body": "c"}})
    assert stale is None  # the version moved on: the stale writer loses
    assert (await adapter.find_by_id("doc"))["body"] == "b"


async def test_concurrent_compare_and_set_lets_exactly_one_writer_win(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 1, "version": 0})

    async def writer(n: int) -> bool:
        return (
            await adapter.find_one_and_update({"_id": 1, "version": 0}, {"$set": {"by": n}, "$inc": {"version": 1}})
            is not None
        )

    wins = await asyncio.gather(*(writer(n) for n in range(20)))
    assert sum(wins) == 1
    assert (await adapter.find_by_id(1))["version"] == 1


async def test_find_one_and_update_validates_first(seeded: BaseAdapter) -> None:
    with pytest.raises(ValidationError):
        await seeded.find_one_and_update({"price": {"$gt": None}}, {"$set": {"x": 1}})
    with pytest.raises(ValidationError):
        await seeded.find_one_and_update({"_id": 1}, {"$set": {"_id": 2}})
    with pytest.raises(ValidationError):  # the update fails on this entity: nothing changes
        await seeded.find_one_and_update({"_id": 1}, {"$inc": {"name": 1}})
    assert await seeded.find() == SEED


async def test_find_one_and_update_with_an_empty_update_returns_the_match(seeded: BaseAdapter) -> None:
    assert await seeded.find_one_and_update({"category": "vegetable"}, {}) == SEED[2]


async def test_find_one_and_delete_removes_the_first_match(seeded: BaseAdapter) -> None:
    assert await seeded.find_one_and_delete({"category": "vegetable"}) == SEED[2]
    assert await seeded.find_one_and_delete({"category": "mineral"}) is None
    assert ids(await seeded.find()) == [1, 2, 4, 5, 6, 7]
    assert await seeded.find_one_and_delete(None) == SEED[0]


async def test_concurrent_deletes_of_one_entity_return_it_once(adapter: BaseAdapter) -> None:
    await adapter.insert({"_id": 1})
    got = await asyncio.gather(*(adapter.remove_by_id(1) for _ in range(10)))
    assert [g for g in got if g is not None] == [{"_id": 1}]


async def test_find_and_count_take_parsed_params_as_is(seeded: BaseAdapter) -> None:
    params = parse_find_params({"query": {"category": "fruit"}, "sort": "-price", "limit": 2})
    assert ids(await seeded.find(params)) == [1, 2]
    assert await seeded.count(params) == 3  # paging of a parsed FindParams is ignored by count too
    assert ids(await seeded.find(FindParams())) == ALL_IDS
    assert await seeded.count(FindParams()) == len(ALL_IDS)
