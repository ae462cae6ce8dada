"""Conformance: MongoDB's sort order on objects, arrays and paths through arrays.

The expected orders follow MongoDB's documented comparison/sort order (BSON type order; embedded documents field by
field, each field by type, then name, then value; arrays by their smallest element ascending and largest descending;
an empty array as ``undefined``, below null) and its sort-key generation through arrays of objects.
"""

from __future__ import annotations

import pytest

from adapters import BaseAdapter

from ..conftest import ids

OBJECTS = [
    {"_id": 1, "n": {"x": False}},
    {"_id": 2, "n": {"y": 1}},
    {"_id": 3, "n": {"a": 1, "b": 0}},
    {"_id": 4, "n": {"a": 1}},
    {"_id": 5, "n": {}},
    {"_id": 6, "n": {"a": None}},
    {"_id": 7, "n": {"b": 1}},
    {"_id": 8, "n": {"a": "s"}},
    {"_id": 9, "n": {"a": [1]}},
    {"_id": 10, "n": {"a": {}}},
]


async def test_objects_compare_field_type_before_field_name(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "n": {"x": False}}, {"_id": 2, "n": {"y": 1}}])
    assert ids(await adapter.find({"sort": "n"})) == [2, 1]  # a number field sorts before a bool field
    assert ids(await adapter.find({"sort": "-n"})) == [1, 2]


async def test_objects_compare_field_by_field_type_name_value(adapter: BaseAdapter) -> None:
    await adapter.insert_many(OBJECTS)
    # {} first; then by the first field's type (null < number < string < object < array < bool), then its name,
    # then its value; a document that is a prefix of another sorts first
    assert ids(await adapter.find({"sort": "n"})) == [5, 6, 4, 3, 7, 2, 8, 10, 9, 1]
    assert ids(await adapter.find({"sort": "-n"})) == [1, 9, 10, 8, 2, 7, 3, 4, 6, 5]


async def test_nan_inside_objects_is_a_number(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "n": {"y": float("nan")}}, {"_id": 2, "n": {"x": 1}},
                               {"_id": 3, "n": {"x": float("nan")}}])  # fmt: skip
    # same type (number) for all, so the name decides first; NaN is below every number
    assert ids(await adapter.find({"sort": "n"})) == [3, 2, 1]


TOP_LEVEL_ARRAYS = [
    {"_id": 1, "v": [3, 1]},
    {"_id": 2, "v": []},
    {"_id": 3, "v": None},
    {"_id": 4},
    {"_id": 5, "v": 2},
    {"_id": 6, "v": ["a", 0]},
    {"_id": 7, "v": [[0], 5]},
    {"_id": 8, "v": [{"k": 1}]},
]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # ascending: the smallest element; [] is undefined (below null); a nested array stays an array
        ("v", [2, 3, 4, 6, 1, 5, 7, 8]),
        # descending: the largest element; [] still below null, so last
        ("-v", [7, 8, 6, 1, 5, 3, 4, 2]),
    ],
)
async def test_arrays_sort_by_smallest_or_largest_element(adapter: BaseAdapter, sort: str, expected: list[int]) -> None:
    await adapter.insert_many(TOP_LEVEL_ARRAYS)
    assert ids(await adapter.find({"sort": sort})) == expected


THROUGH_ARRAYS = [
    {"_id": 1, "a": [{"b": 5}, {"b": 1}]},  # 1 / 5
    {"_id": 2, "a": [{"c": 1}, {"b": 3}]},  # an element without b reaches null: null / 3
    {"_id": 3, "a": [1, {"b": 2}]},  # a non-object element reaches null: null / 2
    {"_id": 4, "a": []},  # nothing to enter: null
    {"_id": 5, "a": [{"b": []}]},  # ends on an empty array: undefined
    {"_id": 6, "a": [{"b": [7, 0]}]},  # the leaf array is expanded: 0 / 7
    {"_id": 7, "a": {"b": "x"}},
    {"_id": 8},
    {"_id": 9, "a": [{"b": [[0], 4]}]},  # nested arrays stay arrays: 4 / [0]
]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("a.b", [5, 2, 3, 4, 8, 6, 1, 9, 7]),
        ("-a.b", [9, 7, 6, 1, 2, 3, 4, 8, 5]),
    ],
)
async def test_paths_through_arrays_use_every_reached_value(
    adapter: BaseAdapter, sort: str, expected: list[int]
) -> None:
    await adapter.insert_many(THROUGH_ARRAYS)
    assert ids(await adapter.find({"sort": sort})) == expected


async def test_a_numeric_segment_indexes_the_array(adapter: BaseAdapter) -> None:
    await adapter.insert_many([
        {"_id": 1, "a": [{"b": 9}, {"b": 0}]},
        {"_id": 2, "a": [{"b": 5}]},
        {"_id": 3, "a": [[3], 1]},
    ])  # fmt: skip
    assert ids(await adapter.find({"sort": "a.0.b"})) == [3, 2, 1]  # 3: a.0 is [3], not an object: null
    assert ids(await adapter.find({"sort": "a.0"})) == [2, 1, 3]  # objects < the array [3]
