"""Conformance: sorting (type order, multi-key, stable), search (combined with the query) and paging."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import BaseAdapter

from ..conftest import ids
from .conftest import ALL_IDS, cases_with_needs, requires

# ---------------------------------------------------------------------------------------------------------- sort

SORTS: list[tuple[str, Any, list[int]]] = [
    # None/missing < numbers (ints and floats together) < strings; ties keep insertion order
    ("asc-type-order", "price", [4, 6, 2, 3, 1, 7, 5]),
    ("desc-reverses-but-ties-stay-in-order", "-price", [5, 1, 7, 3, 2, 4, 6]),
    ("list-form", ["-price"], [5, 1, 7, 3, 2, 4, 6]),
    ("object-form", {"price": -1}, [5, 1, 7, 3, 2, 4, 6]),
    ("multi-key-mixed-directions", "category -price", [7, 6, 1, 2, 4, 5, 3]),
    ("multi-key-comma", "category,-price", [7, 6, 1, 2, 4, 5, 3]),
    ("multi-key-list", ["category", "-price"], [7, 6, 1, 2, 4, 5, 3]),
    ("multi-key-same-direction", "-category -qty", [5, 3, 1, 4, 2, 7, 6]),
    ("strings-by-code-point", "name", [1, 3, 5, 7, 2, 4, 6]),
    ("dotted-path-missing-first", "address.city", [3, 4, 7, 2, 6, 1, 5]),
    ("numbers-before-booleans", "active", [5, 4, 2, 6, 1, 3, 7]),
    ("booleans-desc", "-active", [1, 3, 7, 2, 6, 4, 5]),
    ("empty-sort", "", ALL_IDS),
    ("none-sort", None, ALL_IDS),
]


SORT_NEEDS = dict.fromkeys(
    ["asc-type-order", "desc-reverses-but-ties-stay-in-order", "list-form", "object-form", "numbers-before-booleans",
     "booleans-desc", "multi-key-mixed-directions", "multi-key-comma", "multi-key-list"],
    ("mixed_type_values",),
)  # fmt: skip


@pytest.mark.parametrize(("sort", "expected"), cases_with_needs(SORTS, SORT_NEEDS))
async def test_sort(seeded: BaseAdapter, sort: Any, expected: list[int]) -> None:
    assert ids(await seeded.find({"sort": sort})) == expected


@requires("mixed_type_values", "object_values")
async def test_sort_objects_after_strings_and_before_arrays(adapter: BaseAdapter) -> None:
    await adapter.insert_many([
        {"_id": 1, "v": {"a": 1}},
        {"_id": 2, "v": "s"},
        {"_id": 3, "v": 10},
        {"_id": 4, "v": True},
        {"_id": 5},
        {"_id": 6, "v": {"a": 0}},
    ])  # fmt: skip
    assert ids(await adapter.find({"sort": "v"})) == [5, 3, 2, 6, 1, 4]


async def test_sort_is_stable_over_many_ties(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": i, "group": i % 3, "v": i % 2} for i in range(30)])
    rows = await adapter.find({"sort": "group"})
    assert ids(rows) == sorted(range(30), key=lambda i: i % 3)
    rows = await adapter.find({"sort": "-group v"})
    assert ids(rows) == sorted(range(30), key=lambda i: (-(i % 3), i % 2))


async def test_sort_with_query_and_paging(seeded: BaseAdapter) -> None:
    params = {"query": {"category": {"$ne": None}}, "sort": "-qty", "limit": 2, "offset": 1}
    assert ids(await seeded.find(params)) == [5, 4]  # -qty over 1,2,3,4,5: 1(10),5(7),4(5),2(0),3(missing)
    assert ids(await seeded.find({**params, "limit": 10})) == [5, 4, 2, 3]
    assert await seeded.count(params) == 5


# -------------------------------------------------------------------------------------------------------- search


SEARCHES: list[tuple[str, dict[str, Any], list[int]]] = [
    ("all-string-fields", {"search": "an"}, [2, 5]),
    ("case-insensitive", {"search": "APPLE"}, [1]),
    ("array-elements", {"search": "brow"}, [4]),
    ("scalar-string-field", {"search": "purp"}, [5]),
    ("numbers-never-match", {"search": "3"}, []),
    ("numeric-strings-match", {"search": "4"}, [5]),
    ("nested-objects-are-not-searched-without-fields", {"search": "paris"}, []),
    ("one-field", {"search": "e", "searchFields": "name"}, [1, 4, 5, 7]),
    ("fields-as-string", {"search": "VEG", "searchFields": "name category"}, [3, 5]),
    ("fields-with-commas", {"search": "veg", "searchFields": "name,category"}, [3, 5]),
    ("fields-as-list", {"search": "veg", "searchFields": ["name", "category"]}, [3, 5]),
    ("dotted-field", {"search": "PAR", "searchFields": "address.city"}, [1, 5]),
    ("field-without-match", {"search": "apple", "searchFields": "category"}, []),
    ("combined-with-query", {"search": "e", "searchFields": "name", "query": {"category": "fruit"}}, [1, 4]),
    ("combined-with-or-query", {"search": "a", "searchFields": ["name"],
                                "query": {"$or": [{"qty": 0}, {"qty": 12}]}}, [2, 7]),
    ("regex-characters-are-literal", {"search": ".*"}, []),
    ("empty-search-is-ignored", {"search": "", "query": {"category": "vegetable"}}, [3, 5]),
    ("none-search-is-ignored", {"search": None}, ALL_IDS),
]  # fmt: skip


SEARCH_NEEDS = dict.fromkeys(
    ["all-string-fields", "case-insensitive", "array-elements", "scalar-string-field", "numbers-never-match",
     "numeric-strings-match", "nested-objects-are-not-searched-without-fields", "regex-characters-are-literal"],
    ("search_without_fields",),
)  # fmt: skip


@pytest.mark.parametrize(("params", "expected"), cases_with_needs(SEARCHES, SEARCH_NEEDS))
async def test_search(seeded: BaseAdapter, params: dict[str, Any], expected: list[int]) -> None:
    assert ids(await seeded.find(params)) == expected
    assert await seeded.count(params) == len(expected)


async def test_search_with_sort_and_paging(seeded: BaseAdapter) -> None:
    params = {"search": "e", "searchFields": "name", "sort": "-name", "limit": 2}
    assert [row["name"] for row in await seeded.find(params)] == ["date", "Grape"]
    assert await seeded.count(params) == 4


@requires("search_without_fields")
async def test_search_matches_non_ascii_case_insensitively(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "t": "Crème Brûlée"}, {"_id": 2, "t": "ÉCLAIR"}])
    assert ids(await adapter.find({"search": "BRÛL"})) == [1]
    assert ids(await adapter.find({"search": "éclair"})) == [2]


# -------------------------------------------------------------------------------------------------------- paging


PAGES: list[tuple[str, dict[str, Any], list[int]]] = [
    ("limit", {"limit": 2}, [1, 2]),
    ("offset", {"offset": 5}, [6, 7]),
    ("limit-and-offset", {"limit": 2, "offset": 2}, [3, 4]),
    ("offset-past-the-end", {"offset": 50}, []),
    ("limit-past-the-end", {"limit": 50, "offset": 6}, [7]),
    ("zero-means-none", {"limit": 0, "offset": 0}, ALL_IDS),
    ("none-means-none", {"limit": None, "offset": None}, ALL_IDS),
    ("numeric-strings", {"limit": "2", "offset": "1"}, [2, 3]),
    ("with-query", {"query": {"category": "fruit"}, "limit": 1, "offset": 1}, [2]),
    ("sorted", {"sort": "-_id", "limit": 3}, [7, 6, 5]),
    ("sorted-offset", {"sort": "-_id", "limit": 3, "offset": 5}, [2, 1]),
    ("other-keys-ignored", {"populate": ["x"], "fields": ["name"], "page": 3, "pageSize": 1, "limit": 1}, [1]),
]


@pytest.mark.parametrize(("params", "expected"), [p[1:] for p in PAGES], ids=[p[0] for p in PAGES])
async def test_paging(seeded: BaseAdapter, params: dict[str, Any], expected: list[int]) -> None:
    assert ids(await seeded.find(params)) == expected


async def test_count_ignores_sort_limit_and_offset(seeded: BaseAdapter) -> None:
    assert await seeded.count({"query": {"category": "fruit"}, "limit": 1, "offset": 2, "sort": "name"}) == 3
    assert await seeded.count({"limit": 2, "offset": 100}) == len(ALL_IDS)
