"""MemoryAdapter specifics: index declaration and use, bucket order, unindexable values, arrays, lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters import MemoryAdapter, parse_query
from adapters.query_values import copy_value
from broker.errors import ServiceSchemaError, ValidationError

from .conftest import drive, ids


def make(*rows: dict[str, Any], indexes: tuple[str, ...] = ()) -> MemoryAdapter:
    adapter = MemoryAdapter(indexes=indexes)
    adapter.init("items", {}, {})
    drive(adapter.insert_many(list(rows)))
    return adapter


def find(adapter: MemoryAdapter, query: Any = None, **params: Any) -> list[Any]:
    return ids(drive(adapter.find({"query": query, **params})))


# ------------------------------------------------------------------------------------------------------ indexes


def test_indexes_come_from_the_constructor_and_the_settings() -> None:
    adapter = MemoryAdapter(indexes=["a", "b.c"])
    adapter.init("items", {"indexes": ["b.c", "d"]}, {})
    assert adapter.indexes == ("a", "b.c", "d")
    other = MemoryAdapter()
    other.init("items", {"indexes": "x, y"}, {})
    assert other.indexes == ("x", "y")
    assert MemoryAdapter(indexes=["_id"]).indexes == ()  # the id map already is one


@pytest.mark.parametrize("bad", [["a..b"], [""], [5], ["$a"], 5, {"a": 1}])
def test_invalid_index_declarations(bad: Any) -> None:
    with pytest.raises(ValueError):
        MemoryAdapter(indexes=bad)
    with pytest.raises(ServiceSchemaError):
        MemoryAdapter().init("items", {"indexes": bad}, {})


@pytest.mark.parametrize(
    ("query", "served"),
    [
        ({"cat": 1}, True),
        ({"cat": {"$in": [1, 2]}}, True),
        ({"cat": 1, "x": {"$gt": 5}}, True),
        ({"$and": [{"x": 1}, {"cat": {"$in": [1]}}]}, True),
        ({"_id": 3}, True),
        ({"_id": {"$in": [3, 4]}}, True),
        ({"cat": {"$ne": 1}}, False),
        ({"cat": {"$nin": [1]}}, False),
        ({"$or": [{"cat": 1}, {"cat": 2}]}, False),
        ({"x": 1}, False),
        ({"cat": [1, 2]}, False),  # a list literal: whole-array equality is not in the index
        ({"cat": {"$in": [1, {"a": 1}]}}, False),
        ({"cat": {"$gt": 1}}, False),
    ],
)
def test_which_queries_the_index_serves(query: dict[str, Any], served: bool) -> None:
    adapter = make(indexes=("cat",))
    assert (adapter._plan(parse_query(query)) is not None) is served


def test_the_smallest_bucket_drives_an_and() -> None:
    rows = [{"_id": i, "big": 1, "small": i % 50} for i in range(100)]
    adapter = make(*rows, indexes=("big", "small"))
    size, _ = adapter._plan(parse_query({"big": 1, "small": 7}))
    assert size == 2
    assert find(adapter, {"big": 1, "small": 7}) == [7, 57]


def test_an_index_created_later_covers_existing_data() -> None:
    adapter = make({"_id": 1, "cat": "a"}, {"_id": 2, "cat": "b"}, {"_id": 3, "cat": ["a", "c"]})
    adapter.create_index("cat")
    assert adapter._plan(parse_query({"cat": "a"})) is not None
    assert find(adapter, {"cat": "a"}) == [1, 3]
    assert drive(adapter.count({"query": {"cat": "a"}})) == 2


def test_buckets_stay_in_insertion_order_after_moves() -> None:
    adapter = make(*({"_id": i, "cat": i % 2} for i in range(10)), indexes=("cat",))
    for i in (0, 4, 8, 2):
        drive(adapter.update_by_id(i, {"$set": {"cat": 1}}))
    assert find(adapter, {"cat": 1}) == [0, 1, 2, 3, 4, 5, 7, 8, 9]
    assert find(adapter, {"cat": 1}, limit=3, offset=2) == [2, 3, 4]
    drive(adapter.update_by_id(3, {"$set": {"cat": 7}}))
    assert find(adapter, {"cat": {"$in": [7, 0, 1]}}) == list(range(10))
    assert find(adapter, {"cat": {"$in": [0, 7]}}) == [3, 6]


def test_buckets_stay_in_order_through_many_interleaved_moves_and_reads() -> None:
    adapter = make(*({"_id": i, "cat": int(i >= 200)} for i in range(400)), indexes=("cat",))
    expected = list(range(200, 400))
    for i in range(0, 120, 3):  # older entities join bucket 1 (side map), then some leave it again
        drive(adapter.update_by_id(i, {"$set": {"cat": 1}}))
        expected = sorted([*expected, i])
        if i % 2:
            drive(adapter.update_by_id(i, {"$set": {"cat": 2}}))
            expected.remove(i)
        assert find(adapter, {"cat": 1}, limit=5) == expected[:5]
    assert find(adapter, {"cat": 1}) == expected  # past the fold threshold too
    assert find(adapter, {"cat": {"$in": [2, 1]}}) == sorted([*expected, *range(3, 120, 6)])
    assert drive(adapter.count({"query": {"cat": 1}})) == len(expected)


def test_array_values_are_indexed_by_element_and_merged_once() -> None:
    adapter = make(
        {"_id": 1, "tags": ["a", "b", "a"]},
        {"_id": 2, "tags": "b"},
        {"_id": 3, "tags": []},
        {"_id": 4},
        {"_id": 5, "tags": [None, "c"]},
        indexes=("tags",),
    )
    assert find(adapter, {"tags": {"$in": ["a", "b"]}}) == [1, 2]
    assert drive(adapter.count({"query": {"tags": "a"}})) == 1
    assert find(adapter, {"tags": None}) == [4, 5]
    assert find(adapter, {"tags": []}) == [3]
    drive(adapter.update_by_id(1, {"$set": {"tags": ["c"]}}))
    assert find(adapter, {"tags": "a"}) == []
    assert find(adapter, {"tags": "c"}) == [1, 5]
    drive(adapter.remove_by_id(5))
    assert find(adapter, {"tags": "c"}) == [1]
    assert find(adapter, {"tags": None}) == [4]


def test_unhashable_values_fall_back_to_scans() -> None:
    rows = [
        {"_id": 1, "v": {"a": 1}},
        {"_id": 2, "v": [[1, 2], 3]},
        {"_id": 3, "v": [1, 2]},
        {"_id": 4, "v": float("nan")},
        {"_id": 5, "v": 1},
    ]
    indexed, plain = make(*rows, indexes=("v",)), make(*rows)
    for query in ({"v": {"a": 1}}, {"v": [1, 2]}, {"v": 1}, {"v": 3}, {"v": {"$in": [[1, 2], 3]}}, {"v": None}):
        assert find(indexed, query) == find(plain, query), query
    assert find(indexed, {"v": [1, 2]}) == [2, 3]
    assert find(indexed, {"v": 1}) == [3, 5]


def test_dotted_index_through_arrays_of_objects() -> None:
    rows = [
        {"_id": 1, "items": [{"sku": "a"}, {"sku": "b"}]},
        {"_id": 2, "items": [{"sku": "b"}, {"qty": 1}]},
        {"_id": 3, "items": {"sku": "a"}},
        {"_id": 4, "items": ["a"]},
    ]
    indexed, plain = make(*rows, indexes=("items.sku",)), make(*rows)
    for query in ({"items.sku": "a"}, {"items.sku": "b"}, {"items.sku": None}, {"items.sku": {"$in": ["a", "x"]}}):
        assert find(indexed, query) == find(plain, query), query
    assert find(plain, {"items.sku": "a"}) == [1, 3]
    assert find(plain, {"items.sku": None}) == [2, 4]  # an element without sku; no object element at all
    assert find(plain, {"items.0.sku": "b"}) == [2]  # a numeric segment indexes the array
    assert find(plain, {"items.sku": {"$exists": True}}) == [1, 2, 3]


def test_count_without_query_and_of_an_indexed_equality() -> None:
    adapter = make(*({"_id": i, "cat": i % 3} for i in range(30)), indexes=("cat",))
    assert drive(adapter.count()) == 30
    assert drive(adapter.count({"query": {"cat": 1}})) == 10
    assert drive(adapter.count({"query": {"cat": 1.0}})) == 10
    assert drive(adapter.count({"query": {"cat": True}})) == 0
    assert drive(adapter.count({"query": {"cat": 9}})) == 0
    assert drive(adapter.count({"query": {"_id": 4}})) == 1
    assert drive(adapter.count({"query": {"_id": True}})) == 0


# ------------------------------------------------------------------------------------------- semantics details


def test_array_fields_sort_by_min_ascending_and_max_descending() -> None:
    adapter = make(
        {"_id": 1, "v": [3, 9]},
        {"_id": 2, "v": 5},
        {"_id": 3, "v": []},
        {"_id": 4, "v": [1, 4]},
        {"_id": 5},
        {"_id": 6, "v": ["a", 2]},
    )
    assert find(adapter, sort="v") == [3, 5, 4, 6, 1, 2]  # [] < missing; mins 1, 2, 3, 5
    assert find(adapter, sort="-v") == [6, 1, 2, 4, 5, 3]  # maxes "a", 9, 5, 4


def test_sort_handles_naive_and_aware_datetimes_and_nan() -> None:

    adapter = make(
        {"_id": 1, "at": datetime(2024, 1, 2, tzinfo=UTC)},
        {"_id": 2, "at": datetime(2024, 1, 1)},
        {"_id": 3, "at": float("nan")},
        {"_id": 4, "at": 0},
    )
    assert find(adapter, sort="at") == [3, 4, 2, 1]


def test_search_without_fields_skips_the_id() -> None:
    adapter = make({"_id": "abc", "t": "x"}, {"_id": "k", "t": "abc"})
    assert find(adapter, search="ab") == ["k"]
    assert find(adapter, search="ab", searchFields="_id") == ["abc"]


def test_find_with_limit_and_no_sort_stops_early() -> None:
    adapter = make(*({"_id": i} for i in range(100)))
    seen: list[Any] = []
    original = adapter._candidates

    def spying(node: Any) -> Any:
        for doc in original(node):
            seen.append(doc["_id"])
            yield doc

    adapter._candidates = spying  # type: ignore[method-assign]
    assert find(adapter, {"_id": {"$gte": 0}}, limit=3, offset=2) == [2, 3, 4]
    assert seen == [0, 1, 2, 3, 4]


# -------------------------------------------------------------------------------------------------- lifecycle


async def test_a_persistent_adapter_keeps_the_data_across_connect() -> None:
    adapter = MemoryAdapter(persistent=True)
    adapter.init("items", {}, {})
    await adapter.connect()
    await adapter.insert({"_id": 1})
    await adapter.disconnect()
    await adapter.connect()
    assert await adapter.find_by_id(1) == {"_id": 1}


def test_every_data_method_completes_without_suspending() -> None:
    adapter = make({"_id": 1, "n": 0}, indexes=("n",))
    calls = [
        adapter.find({"query": {"n": 0}}),
        adapter.find_one({"n": 0}),
        adapter.find_by_id(1),
        adapter.find_by_ids([1]),
        adapter.count({"query": {"n": 0}}),
        adapter.insert({"_id": 2}),
        adapter.insert_many([{"_id": 3}]),
        adapter.update_many({"n": 0}, {"$inc": {"n": 1}}),
        adapter.update_by_id(1, {"$inc": {"n": 1}}),
        adapter.remove_many({"_id": 3}),
        adapter.remove_by_id(2),
        adapter.clear(),
    ]
    for call in calls:
        drive(call)  # raises if the coroutine suspends: no await can interleave another task's write


def test_a_rejected_update_leaves_indexes_untouched() -> None:
    adapter = make({"_id": 1, "cat": "a", "n": "x"}, {"_id": 2, "cat": "a", "n": 1}, indexes=("cat",))
    with pytest.raises(ValidationError):
        drive(adapter.update_many({}, {"$set": {"cat": "b"}, "$inc": {"n": 1}}))
    assert find(adapter, {"cat": "a"}) == [1, 2]
    assert find(adapter, {"cat": "b"}) == []


# ------------------------------------------------------------------------------------------------------ copies


def test_copy_value_rebuilds_containers_and_shares_immutables() -> None:
    from collections import OrderedDict

    when = datetime(2024, 1, 1)
    marker = object()
    source = {"a": [1, (2, 3), {"b": when}], "c": OrderedDict(x=1), "d": marker}
    copied = copy_value(source)
    assert copied == {"a": [1, [2, 3], {"b": when}], "c": {"x": 1}, "d": marker}
    assert copied["a"] is not source["a"] and copied["a"][2] is not source["a"][2]
    assert type(copied["c"]) is dict
    assert copied["a"][2]["b"] is when and copied["d"] is marker
