"""Conformance: every query operator over mixed-type data, with missing/None, arrays and dotted paths.

Each case checks ``find`` (unsorted results come back in insertion order) and ``count``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters import BaseAdapter

from ..conftest import ids
from .conftest import ALL_IDS, cases_with_needs

CASES: list[tuple[str, dict[str, Any], list[int]]] = [
    # equality: type-strict, but ints and floats are both numbers
    ("eq-string", {"category": "fruit"}, [1, 2, 4]),
    ("eq-int-matches-float", {"price": 3}, [1, 7]),
    ("eq-float-matches-int", {"price": 3.0}, [1, 7]),
    ("eq-number-is-not-string", {"price": 4}, []),
    ("eq-string-is-not-number", {"price": "4"}, [5]),
    ("eq-true-is-not-1", {"active": True}, [1, 3, 7]),
    ("eq-1-is-not-true", {"active": 1}, [4]),
    ("eq-false-is-not-0", {"qty": False}, []),
    ("explicit-$eq", {"category": {"$eq": "fruit"}}, [1, 2, 4]),
    # None matches None and missing
    ("eq-none-matches-missing", {"price": None}, [4, 6]),
    ("eq-none-category", {"category": None}, [6, 7]),
    ("$eq-none", {"category": {"$eq": None}}, [6, 7]),
    # $ne / $nin match missing fields
    ("$ne-includes-missing-and-none", {"category": {"$ne": "fruit"}}, [3, 5, 6, 7]),
    ("$ne-none", {"price": {"$ne": None}}, [1, 2, 3, 5, 7]),
    ("$nin", {"category": {"$nin": ["fruit"]}}, [3, 5, 6, 7]),
    ("$nin-none-and-number", {"price": {"$nin": [None, 3]}}, [2, 3, 5]),
    ("$nin-empty-matches-all", {"price": {"$nin": []}}, ALL_IDS),
    # ranges stay inside one type bracket
    ("$gt-numbers-only", {"price": {"$gt": 2}}, [1, 7]),
    ("$gte", {"price": {"$gte": 2}}, [1, 3, 7]),
    ("$lt", {"price": {"$lt": 2}}, [2]),
    ("$lte", {"price": {"$lte": 2}}, [2, 3]),
    ("$gt-float-operand", {"qty": {"$gt": 3.4}}, [1, 4, 5, 6, 7]),
    ("$gte-string-codepoint-order", {"name": {"$gte": "a"}}, [2, 4, 6]),
    ("$lt-string", {"name": {"$lt": "C"}}, [1]),
    ("$gt-string-skips-numbers", {"price": {"$gt": "0"}}, [5]),
    ("$gt-bools-are-not-numbers", {"active": {"$gt": 0}}, [4]),
    ("several-ops-are-anded", {"price": {"$gt": 1, "$lt": 3}}, [2, 3]),
    ("$gte-and-$lte-same-value", {"price": {"$gte": 3, "$lte": 3}}, [1, 7]),
    # $in
    ("$in-with-none", {"category": {"$in": ["vegetable", None]}}, [3, 5, 6, 7]),
    ("$in-mixed-types", {"price": {"$in": [1.5, "4"]}}, [2, 5]),
    ("$in-true", {"active": {"$in": [True]}}, [1, 3, 7]),
    ("$in-1", {"active": {"$in": [1]}}, [4]),
    ("$in-empty", {"category": {"$in": []}}, []),
    ("$in-on-id", {"_id": {"$in": [3, 1, 99]}}, [1, 3]),
    ("eq-on-id", {"_id": 2}, [2]),
    ("$ne-on-id", {"_id": {"$ne": 2}}, [1, 3, 4, 5, 6, 7]),
    # $exists: present even when None
    ("$exists-false", {"qty": {"$exists": False}}, [3]),
    ("$exists-true-counts-none", {"price": {"$exists": True}}, [1, 2, 3, 4, 5, 7]),
    ("$exists-dotted", {"address.city": {"$exists": True}}, [1, 2, 5, 6]),
    ("$exists-dotted-false", {"address.zip": {"$exists": False}}, [2, 3, 4, 5, 6, 7]),
    # $regex
    ("$regex-case-sensitive", {"name": {"$regex": "^[a-c]"}}, [2]),
    ("$regex-i", {"name": {"$regex": "^[a-c]", "$options": "i"}}, [1, 2, 3]),
    ("$regex-array-elements", {"tags": {"$regex": "^s"}}, [1, 4, 6]),
    ("$regex-scalar-string", {"tags": {"$regex": "pur"}}, [5]),
    ("$regex-strings-only", {"price": {"$regex": "4"}}, [5]),
    ("$regex-unanchored-end", {"name": {"$regex": "t$"}}, [3, 5]),
    ("$regex-with-$ne", {"name": {"$regex": "e", "$ne": "date"}}, [1, 7]),
    # arrays: whole-array equality or any element
    ("array-any-element", {"tags": "sweet"}, [1, 4, 6]),
    ("array-whole-equality", {"tags": ["red", "sweet"]}, [1]),
    ("array-order-matters", {"tags": ["sweet", "red"]}, []),
    ("array-empty", {"tags": []}, [3]),
    ("array-scalar-field", {"tags": "purple"}, [5]),
    ("array-element-is-array", {"tags": ["nested"]}, [7]),
    ("array-no-deep-recursion", {"tags": "nested"}, []),
    ("array-$gt-any-element", {"ratings": {"$gt": 4}}, [7]),
    ("array-$in", {"ratings": {"$in": [5, 6]}}, [7]),
    ("array-$ne-excludes-containing", {"tags": {"$ne": "sweet"}}, [2, 3, 5, 7]),
    ("array-$nin", {"tags": {"$nin": ["sweet", "red"]}}, [2, 3, 5, 7]),
    ("array-$in-whole-array", {"tags": {"$in": [["yellow"], "purple"]}}, [2, 5]),
    # dotted paths
    ("dotted-eq", {"address.city": "Paris"}, [1, 5]),
    ("dotted-none-matches-missing-parent", {"address.city": None}, [3, 4, 7]),
    ("dotted-deep", {"address.geo.lat": {"$gt": 40}}, [6]),
    ("dotted-$in", {"address.city": {"$in": ["Lyon", "Nice"]}}, [2, 6]),
    # object equality is exact (all keys)
    ("object-equality", {"address": {"city": "Lyon"}}, [2]),
    ("object-equality-exact", {"address": {"city": "Paris"}}, [5]),
    ("object-key-order-ignored", {"address": {"zip": "75001", "city": "Paris"}}, [1]),
    # logic
    ("$and", {"$and": [{"category": "fruit"}, {"price": {"$gt": 1}}]}, [1, 2]),
    ("$or", {"$or": [{"category": "vegetable"}, {"qty": {"$gte": 10}}]}, [1, 3, 5, 7]),
    ("$not-field", {"price": {"$not": {"$gt": 2}}}, [2, 3, 4, 5, 6]),
    ("$not-field-regex", {"name": {"$not": {"$regex": "^[A-Z]"}}}, [2, 4, 6]),
    ("$not-top-level", {"$not": {"category": "fruit"}}, [3, 5, 6, 7]),
    ("$not-top-level-two-fields", {"$not": {"category": "fruit", "active": True}}, [2, 3, 4, 5, 6, 7]),
    ("nested-logic",
     {"$or": [{"$and": [{"category": "fruit"}, {"active": False}]}, {"name": {"$regex": "^g", "$options": "i"}}]},
     [2, 7]),
    ("field-and-$or", {"category": "fruit", "$or": [{"qty": 0}, {"qty": 5}]}, [2, 4]),
    ("indexed-and-unindexed-anded", {"category": "fruit", "qty": {"$gte": 5}}, [1, 4]),
    ("two-indexed-fields-anded", {"category": "fruit", "tags": "sweet"}, [1, 4]),
    ("$in-and-$ne-anded", {"category": {"$in": ["fruit", "vegetable"]}, "name": {"$ne": "Apple"}}, [2, 3, 4, 5]),
    ("empty-query", {}, ALL_IDS),
    ("$or-with-empty-query", {"$or": [{}, {"category": "x"}]}, ALL_IDS),
]  # fmt: skip


_MIXED, _ARRAYS, _OBJECTS, _REGEX = ("mixed_type_values",), ("array_values",), ("object_values",), ("regex",)
# the optional capabilities each case needs (adapters/capabilities.py); unlisted cases must pass on every adapter
NEEDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(["eq-number-is-not-string", "eq-string-is-not-number", "eq-true-is-not-1", "eq-1-is-not-true",
                     "eq-false-is-not-0", "$in-mixed-types", "$in-1", "$gt-string-skips-numbers",
                     "$gt-bools-are-not-numbers"], _MIXED),
    **dict.fromkeys(["$regex-case-sensitive", "$regex-i", "$regex-unanchored-end", "$regex-with-$ne",
                     "$not-field-regex", "nested-logic"], _REGEX),
    **dict.fromkeys(["$regex-array-elements", "$regex-scalar-string"], (*_REGEX, *_ARRAYS)),
    "$regex-strings-only": (*_REGEX, *_MIXED),
    **dict.fromkeys([c[0] for c in CASES if c[0].startswith("array-")]
                    + ["two-indexed-fields-anded"], _ARRAYS),
    **dict.fromkeys(["object-equality", "object-equality-exact", "object-key-order-ignored", "dotted-eq",
                     "dotted-none-matches-missing-parent", "dotted-deep", "dotted-$in", "$exists-dotted",
                     "$exists-dotted-false"], _OBJECTS),
}  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), cases_with_needs(CASES, NEEDS))
async def test_query_operator(seeded: BaseAdapter, query: dict[str, Any], expected: list[int]) -> None:
    assert ids(await seeded.find({"query": query})) == expected
    assert await seeded.count({"query": query}) == len(expected)


async def test_none_query_matches_everything(seeded: BaseAdapter) -> None:
    assert ids(await seeded.find({"query": None})) == ALL_IDS
    assert ids(await seeded.find()) == ALL_IDS
    assert await seeded.count() == len(ALL_IDS)
    assert await seeded.count(None) == len(ALL_IDS)


async def test_find_one_returns_the_first_match_in_insertion_order(seeded: BaseAdapter) -> None:
    assert (await seeded.find_one({"category": "fruit"}))["_id"] == 1
    assert (await seeded.find_one({"price": {"$lt": 3}}))["_id"] == 2
    assert await seeded.find_one({"category": "mineral"}) is None
    assert (await seeded.find_one(None))["_id"] == 1


async def test_datetimes_compare_with_datetimes_only(adapter: BaseAdapter) -> None:
    base = datetime(2024, 5, 1, 12, 0, 0)
    await adapter.insert_many([
        {"_id": "a", "at": base},
        {"_id": "b", "at": base + timedelta(days=1)},
        {"_id": "c", "at": "2024-05-03"},
        {"_id": "d", "at": 1714564800},
    ])  # fmt: skip
    assert ids(await adapter.find({"query": {"at": {"$gt": base}}})) == ["b"]
    assert ids(await adapter.find({"query": {"at": {"$gte": base}}})) == ["a", "b"]
    assert ids(await adapter.find({"query": {"at": base}})) == ["a"]
    assert ids(await adapter.find({"query": {"at": {"$lt": base + timedelta(days=5)}}})) == ["a", "b"]
    aware = base.replace(tzinfo=UTC)  # naive datetimes are UTC
    assert ids(await adapter.find({"query": {"at": aware}})) == ["a"]
    assert ids(await adapter.find({"query": {"at": {"$in": [aware]}}})) == ["a"]
    assert ids(await adapter.find({"sort": "at"})) == ["d", "c", "a", "b"]
