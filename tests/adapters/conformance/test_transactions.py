"""Conformance: ``async with adapter.transaction()`` — commit, rollback of every kind of write, nesting, and
isolation between tasks. An adapter without ``transactions`` must refuse with ``UnsupportedQueryError``."""

from __future__ import annotations

import asyncio

import pytest

from adapters import BaseAdapter, UnsupportedQueryError

from ..conftest import ids
from .conftest import ALL_IDS, SEED, requires

pytestmark = requires("transactions")


class Boom(Exception):
    pass


async def test_a_transaction_commits_its_calls(seeded: BaseAdapter) -> None:
    async with seeded.transaction():
        await seeded.insert({"_id": 8, "name": "kiwi"})
        await seeded.update_by_id(1, {"$inc": {"qty": 1}})
        await seeded.remove_by_id(2)
        assert await seeded.count() == 7  # the transaction sees its own writes
    assert ids(await seeded.find()) == [1, 3, 4, 5, 6, 7, 8]
    assert (await seeded.find_by_id(1))["qty"] == 11


async def test_an_exception_rolls_every_write_back(seeded: BaseAdapter) -> None:
    with pytest.raises(Boom):
        async with seeded.transaction():
            await seeded.insert_many([{"_id": 8}, {"_id": 9}])
            await seeded.update_many({"category": "fruit"}, {"$set": {"category": "gone"}, "$unset": {"tags": 1}})
            await seeded.remove_by_id(3)
            await seeded.find_one_and_delete({"name": "fig"})
            await seeded.update_by_id(7, {"$inc": {"qty": 5}})
            raise Boom
    assert await seeded.find() == SEED  # same entities, same values, same insertion order
    assert ids(await seeded.find({"query": {"category": "fruit"}})) == [1, 2, 4]  # indexes restored too
    assert await seeded.count({"query": {"category": "gone"}}) == 0
    assert ids(await seeded.find({"query": {"tags": "sweet"}})) == [1, 4, 6]


async def test_a_rolled_back_clear_restores_everything(seeded: BaseAdapter) -> None:
    with pytest.raises(Boom):
        async with seeded.transaction():
            await seeded.update_by_id(5, {"$set": {"name": "x"}})
            assert await seeded.clear() == 7
            await seeded.insert({"_id": 1, "name": "new one"})
            raise Boom
    assert await seeded.find() == SEED
    assert ids(await seeded.find({"query": {"name": "Eggplant"}})) == [5]


async def test_writes_after_a_rollback_go_last(seeded: BaseAdapter) -> None:
    with pytest.raises(Boom):
        async with seeded.transaction():
            await seeded.remove_by_id(1)
            raise Boom
    await seeded.insert({"_id": 8})
    assert ids(await seeded.find()) == [*ALL_IDS, 8]


async def test_a_nested_transaction_joins_the_outer_one(seeded: BaseAdapter) -> None:
    with pytest.raises(Boom):
        async with seeded.transaction() as outer:
            await seeded.insert({"_id": 8})
            async with seeded.transaction() as inner:
                assert inner is outer
                await seeded.insert({"_id": 9})
            assert seeded.current_transaction() is outer  # the inner block did not commit or end it
            raise Boom
    assert await seeded.count() == 7 and seeded.current_transaction() is None


async def test_a_caught_inner_error_does_not_stop_the_outer_commit(seeded: BaseAdapter) -> None:
    async with seeded.transaction():
        await seeded.insert({"_id": 8})
        with pytest.raises(Boom):
            async with seeded.transaction():
                await seeded.insert({"_id": 9})
                raise Boom
    assert ids(await seeded.find({"query": {"_id": {"$gt": 7}}})) == [8, 9]  # no savepoints: one transaction


async def test_other_tasks_do_not_join_or_see_the_transaction(seeded: BaseAdapter) -> None:
    inside = asyncio.Event()
    seen: list[int] = []

    async def other() -> None:
        await inside.wait()
        assert seeded.current_transaction() is None
        seen.append(await seeded.count())  # waits for the transaction to end: never sees its writes
        await seeded.insert({"_id": 100})  # not part of the transaction: survives its rollback

    task = asyncio.create_task(other())
    with pytest.raises(Boom):
        async with seeded.transaction():
            await seeded.insert({"_id": 8})
            inside.set()
            for _ in range(5):
                await asyncio.sleep(0)  # let the other task run as far as it can
            assert seen == [] and await seeded.count() == 8
            raise Boom
    await task
    assert seen == [7]
    assert ids(await seeded.find()) == [*ALL_IDS, 100]


async def test_two_tasks_transactions_are_independent(adapter: BaseAdapter) -> None:
    async def work(n: int, fail: bool) -> None:
        async with adapter.transaction():
            await adapter.insert({"_id": n})
            await asyncio.sleep(0)
            await adapter.insert({"_id": n + 1})
            if fail:
                raise Boom

    results = await asyncio.gather(work(10, False), work(20, True), work(30, False), return_exceptions=True)
    for result in results:
        if isinstance(result, UnsupportedQueryError):
            raise result  # an adapter without transactions
    assert [type(r) for r in results] == [type(None), Boom, type(None)]
    assert sorted(ids(await adapter.find())) == [10, 11, 30, 31]


async def test_a_task_created_inside_runs_in_the_transaction(seeded: BaseAdapter) -> None:
    with pytest.raises(Boom):
        async with seeded.transaction() as tx:

            async def child() -> None:
                assert seeded.current_transaction() is tx
                await seeded.insert({"_id": 8})

            await asyncio.create_task(child())
            raise Boom
    assert await seeded.count() == 7
