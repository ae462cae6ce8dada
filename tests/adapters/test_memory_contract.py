"""MemoryAdapter and the new contract: a fresh store per connect, compound and unique indexes, transactions kept
exact by an undo log (property-tested against a copy of the data), and calls that still never suspend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import EntityAlreadyExistsError, MemoryAdapter, parse_query
from broker import ServiceBroker
from dbmixin import DbMixin

from .conftest import drive, ids

# ------------------------------------------------------------------------------------------- store per connect


async def test_each_connect_starts_with_an_empty_store() -> None:
    adapter = MemoryAdapter(indexes=[{"fields": ["email"], "unique": True}])
    adapter.init("users", {}, {})
    await adapter.connect()
    await adapter.insert({"_id": 1, "email": "a@x"})
    await adapter.disconnect()
    await adapter.connect()
    assert await adapter.count() == 0 and await adapter.find_by_id(1) is None
    assert await adapter.find({"query": {"email": "a@x"}}) == []  # the indexes were emptied too
    await adapter.insert({"_id": 1, "email": "a@x"})  # the old id and unique value are free again
    assert adapter.unique_indexes == ("email",)  # declarations survive the reconnect


async def test_two_brokers_from_one_schema_do_not_share_data() -> None:
    schema = {"name": "posts", "mixins": [DbMixin], "adapter": MemoryAdapter()}  # one adapter object, two brokers
    first = ServiceBroker(logger=False)
    first.create_service(schema)
    await first.start()
    await first.call("posts.create", {"title": "from the first broker"})
    assert await first.call("posts.count") == 1
    await first.stop()
    second = ServiceBroker(logger=False)
    second.create_service(schema)
    await second.start()
    try:
        assert await second.call("posts.count") == 0
    finally:
        await second.stop()


# ---------------------------------------------------------------------------------------------------- indexes


def make(*rows: dict[str, Any], indexes: Any = ()) -> MemoryAdapter:
    adapter = MemoryAdapter(indexes=indexes)
    adapter.init("items", {}, {})
    drive(adapter.insert_many(list(rows)))
    return adapter


def test_a_compound_index_serves_equality_on_all_its_fields() -> None:
    rows = [{"_id": i, "a": i % 3, "b": [i % 5, "x"], "c": i} for i in range(60)]
    adapter = make(*rows, indexes=[["a", "b"]])
    plan = adapter._plan(parse_query({"a": 1, "b": 2, "c": {"$gt": 10}}))
    assert plan is not None and plan[0] == 4  # i ≡ 1 mod 3 and i ≡ 2 mod 5: 7, 22, 37, 52
    assert ids(drive(adapter.find({"query": {"a": 1, "b": 2, "c": {"$gt": 10}}}))) == [22, 37, 52]
    assert ids(drive(adapter.find({"query": {"b": "x", "a": 0}, "limit": 3}))) == [0, 3, 6]  # array element
    assert adapter._plan(parse_query({"a": 1})) is None  # a prefix alone is not served
    assert adapter._plan(parse_query({"a": 1, "b": {"z": 1}})) is None  # an object literal is not indexable
    assert adapter.indexes == ("a,b",)


def test_compound_buckets_follow_updates_and_removals() -> None:
    adapter = make({"_id": 1, "a": 1, "b": 1}, {"_id": 2, "a": 1, "b": 2}, indexes=[["a", "b"]])
    drive(adapter.update_by_id(2, {"$set": {"b": 1}}))
    assert ids(drive(adapter.find({"query": {"a": 1, "b": 1}}))) == [1, 2]
    drive(adapter.remove_by_id(1))
    assert ids(drive(adapter.find({"query": {"a": 1, "b": 1}}))) == [2]
    assert drive(adapter.find({"query": {"a": 1, "b": 2}})) == []


def test_making_an_index_unique_checks_the_stored_data() -> None:
    adapter = make({"_id": 1, "e": "a"}, {"_id": 2, "e": "a"})
    with pytest.raises(EntityAlreadyExistsError) as info:
        adapter.create_index("e", unique=True)
    assert info.value.data == {"fields": ["e"], "values": ["a"]}
    assert adapter.unique_indexes == ()
    drive(adapter.remove_by_id(2))
    adapter.create_index("e", unique=True)
    with pytest.raises(EntityAlreadyExistsError):
        drive(adapter.insert({"e": "a"}))


def test_objects_are_not_checked_by_a_unique_index() -> None:  # documented: unindexable values are not filed
    adapter = make(indexes=[{"fields": "e", "unique": True}])
    drive(adapter.insert_many([{"_id": 1, "e": {"k": 1}}, {"_id": 2, "e": {"k": 1}}]))
    assert drive(adapter.count()) == 2


def test_the_new_methods_complete_without_suspending() -> None:
    adapter = make({"_id": 1, "n": 0}, indexes=[{"fields": "n", "unique": True}])
    drive(adapter.find_one_and_update({"n": 0}, {"$inc": {"n": 1}}))
    drive(adapter.find_one_and_delete({"n": 1}))
    assert drive(adapter.count()) == 0


# ----------------------------------------------------------------------------------------------- transactions


async def test_calls_of_other_tasks_wait_for_the_transaction() -> None:
    adapter = make({"_id": 1, "n": 0})
    order: list[str] = []

    async def other() -> None:
        await adapter.update_by_id(1, {"$inc": {"n": 10}})
        order.append("other")

    async with adapter.transaction():
        task = asyncio.create_task(other())  # created inside: it inherits the transaction and joins it
        await task
        order.append("tx")
    assert order == ["other", "tx"]

    outside: asyncio.Task[None] | None = None
    async with adapter.transaction():
        await adapter.update_by_id(1, {"$inc": {"n": 1}})
        outside = asyncio.get_running_loop().create_task(other(), context=__import__("contextvars").Context())
        for _ in range(5):
            await asyncio.sleep(0)
        assert order == ["other", "tx"]  # a task with its own context waits
        order.append("tx2")
    await outside
    assert order == ["other", "tx", "tx2", "other"]
    assert (await adapter.find_by_id(1))["n"] == 21


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(0, 12), st.sampled_from(["a", "b", None])),
        st.tuples(st.just("update"), st.integers(0, 12), st.sampled_from(["a", "b", "c"])),
        st.tuples(st.just("update_many"), st.sampled_from(["a", "b"]), st.sampled_from(["a", "c"])),
        st.tuples(st.just("remove"), st.integers(0, 12), st.none()),
        st.tuples(st.just("remove_many"), st.sampled_from(["a", "b", "c"]), st.none()),
        st.tuples(st.just("clear"), st.none(), st.none()),
    ),
    max_size=12,
)


class Rollback(Exception):
    pass


@settings(max_examples=60, deadline=None)
@given(initial=st.lists(st.sampled_from(["a", "b", "c"]), max_size=8), ops=OPS)
def test_a_rolled_back_transaction_restores_the_exact_state(initial: list[str], ops: list[Any]) -> None:
    adapter = make(*({"_id": i, "cat": c, "n": i} for i, c in enumerate(initial)), indexes=["cat"])

    async def run() -> None:
        before = await adapter.find()
        with pytest.raises(Rollback):
            async with adapter.transaction():
                for op, x, y in ops:
                    try:
                        if op == "insert":
                            await adapter.insert({"_id": x, "cat": y})
                        elif op == "update":
                            await adapter.update_by_id(x, {"$set": {"cat": y}})
                        elif op == "update_many":
                            await adapter.update_many({"cat": x}, {"$set": {"cat": y}})
                        elif op == "remove":
                            await adapter.remove_by_id(x)
                        elif op == "remove_many":
                            await adapter.remove_many({"cat": x})
                        else:
                            await adapter.clear()
                    except EntityAlreadyExistsError:
                        pass
                raise Rollback
        assert await adapter.find() == before  # same entities, values and insertion order
        for cat in ("a", "b", "c", None):  # the index agrees with a scan
            expected = [d["_id"] for d in before if d.get("cat") == cat]
            assert ids(await adapter.find({"query": {"cat": cat}})) == expected
            assert await adapter.count({"query": {"cat": cat}}) == len(expected)
        await adapter.insert({"_id": 99, "cat": "a"})
        assert ids(await adapter.find())[-1] == 99

    asyncio.run(run())


async def test_two_brokers_running_at_once_from_one_schema_share_the_store() -> None:
    """A second broker started while the first runs joins its store (one adapter object is one database); it
    must not empty the first broker's data under it. Once both stopped, the next start is fresh again."""
    schema = {"name": "posts", "mixins": [DbMixin], "adapter": MemoryAdapter()}
    first, second = ServiceBroker(logger=False), ServiceBroker(logger=False)
    first.create_service(schema)
    second.create_service(schema)
    await first.start()
    await first.call("posts.create", {"title": "from the first broker"})
    await second.start()
    assert await first.call("posts.count") == 1 and await second.call("posts.count") == 1
    await second.call("posts.create", {"title": "from the second broker"})
    await second.stop()
    assert await first.call("posts.count") == 2  # the second broker's stop leaves the first one's data alone
    await first.stop()
    third = ServiceBroker(logger=False)
    third.create_service(schema)
    await third.start()
    assert await third.call("posts.count") == 0
    await third.stop()
