"""``transaction()`` on every engine: commit, rollback, savepoints for nested blocks, isolation between tasks."""

from __future__ import annotations

import asyncio

import pytest

from adapters import SQLAdapter


class Boom(Exception):
    pass


def skus(rows: list[dict]) -> list[str]:
    return sorted(r["sku"] for r in rows)


async def test_a_block_commits_everything_together(products: SQLAdapter) -> None:
    async with products.transaction():
        a = await products.insert({"sku": "a", "stock": 1})
        await products.update_by_id(a["_id"], {"$inc": {"stock": 1}})
        await products.insert({"sku": "b"})
        assert await products.count() == 2  # the block sees its own writes
    assert skus(await products.find()) == ["a", "b"]
    assert (await products.find_by_id(a["_id"]))["stock"] == 2


async def test_an_exception_rolls_everything_back(products: SQLAdapter) -> None:
    kept = await products.insert({"sku": "kept", "stock": 5})
    with pytest.raises(Boom):
        async with products.transaction():
            await products.insert({"sku": "gone"})
            await products.update_by_id(kept["_id"], {"$inc": {"stock": -5}})
            await products.remove_many({"sku": "kept"})
            raise Boom
    assert skus(await products.find()) == ["kept"]
    assert (await products.find_by_id(kept["_id"]))["stock"] == 5


async def test_a_failed_inner_block_is_a_savepoint(products: SQLAdapter) -> None:
    async with products.transaction():
        await products.insert({"sku": "outer"})
        with pytest.raises(Boom):
            async with products.transaction():
                await products.insert({"sku": "inner"})
                raise Boom
        async with products.transaction():
            await products.insert({"sku": "inner-ok"})
    assert skus(await products.find()) == ["inner-ok", "outer"]


async def test_a_typed_error_inside_rolls_back_and_propagates(products: SQLAdapter) -> None:
    await products.insert({"sku": "dup"})
    from adapters import EntityAlreadyExistsError

    with pytest.raises(EntityAlreadyExistsError):
        async with products.transaction():
            await products.insert({"sku": "new"})
            await products.insert({"sku": "dup"})
    assert skus(await products.find()) == ["dup"]
    assert (await products.insert({"sku": "after"}))["sku"] == "after"  # the adapter is usable afterwards


async def test_two_concurrent_transactions_do_not_leak_into_each_other(products: SQLAdapter) -> None:
    started = asyncio.Event()

    async def failing() -> None:
        with pytest.raises(Boom):
            async with products.transaction():
                await products.insert({"sku": "t1"})
                started.set()
                await asyncio.sleep(0.01)
                raise Boom

    async def succeeding() -> None:
        await started.wait()
        async with products.transaction():
            await products.insert({"sku": "t2"})

    await asyncio.gather(failing(), succeeding())
    assert skus(await products.find()) == ["t2"]


async def test_calls_outside_the_block_are_not_part_of_it(products: SQLAdapter) -> None:
    inside = asyncio.Event()

    async def other() -> None:
        await inside.wait()
        await products.insert({"sku": "outside"})

    task = asyncio.create_task(other())
    await asyncio.sleep(0)
    with pytest.raises(Boom):
        async with products.transaction():
            await products.insert({"sku": "inside"})
            inside.set()
            await asyncio.sleep(0.01)
            raise Boom
    await task
    assert skus(await products.find()) == ["outside"]
