"""Conformance: the places where SQL engines answer differently by default, so that every adapter is held to the
memory adapter's answer (issue 8): collations (case-insensitive, PAD SPACE, locale order), NULL ordering, booleans
stored as integers, negations and NULL, LIKE wildcards and its escape character in a search, non-ASCII case folding,
and an entity matched through several array elements counted once."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import BaseAdapter

from ..conftest import ids

WORDS = ["b", "B", "b ", "é", "Z", "a", "ß", "ä", " b", "e\u0301", "bb", "", "A"]


@pytest.fixture
async def words(adapter: BaseAdapter) -> BaseAdapter:
    await adapter.insert_many([{"_id": i, "name": w} for i, w in enumerate(WORDS)])
    return adapter


def where(predicate: Any) -> list[int]:
    return [i for i, w in enumerate(WORDS) if predicate(w)]


async def test_string_equality_is_exact(words: BaseAdapter) -> None:
    # a case-insensitive collation would add "B", PAD SPACE "b ", an accent-insensitive one nothing else
    assert ids(await words.find({"query": {"name": "b"}})) == [0]
    assert ids(await words.find({"query": {"name": {"$in": ["B", "é"]}}})) == [1, 3]
    assert ids(await words.find({"query": {"name": {"$ne": "b"}}})) == where(lambda w: w != "b")
    assert ids(await words.find({"query": {"name": ""}})) == [11]
    assert await words.count({"query": {"name": "b "}}) == 1


async def test_string_order_is_by_code_point(words: BaseAdapter) -> None:
    by_code_point = sorted(range(len(WORDS)), key=lambda i: WORDS[i])
    assert ids(await words.find({"sort": "name"})) == by_code_point
    assert ids(await words.find({"sort": "-name"})) == by_code_point[::-1]
    assert ids(await words.find({"query": {"name": {"$gt": "b"}}})) == where(lambda w: w > "b")
    assert ids(await words.find({"query": {"name": {"$lte": "B"}}})) == where(lambda w: w <= "B")


async def test_none_and_missing_sort_first_ascending_and_last_descending(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "v": 2}, {"_id": 2, "v": None}, {"_id": 3}, {"_id": 4, "v": -1}])
    assert ids(await adapter.find({"sort": "v"})) == [2, 3, 4, 1]
    assert ids(await adapter.find({"sort": "-v"})) == [1, 4, 2, 3]  # ties (None, missing) keep insertion order


async def test_booleans_are_not_numbers(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "v": True}, {"_id": 2, "v": 1}, {"_id": 3, "v": False}, {"_id": 4, "v": 0}])
    assert ids(await adapter.find({"query": {"v": {"$in": [0, 1]}}})) == [2, 4]
    assert ids(await adapter.find({"query": {"v": {"$in": [True, False]}}})) == [1, 3]
    assert ids(await adapter.find({"query": {"v": {"$gte": 0}}})) == [2, 4]
    assert ids(await adapter.find({"query": {"v": {"$ne": 1}}})) == [1, 3, 4]
    assert ids(await adapter.find({"sort": "-v"})) == [1, 3, 2, 4]  # booleans sort after numbers


async def test_negations_match_none_and_missing(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "v": 5}, {"_id": 2, "v": None}, {"_id": 3}, {"_id": 4, "v": 6}])
    assert ids(await adapter.find({"query": {"v": {"$ne": 5}}})) == [2, 3, 4]
    assert ids(await adapter.find({"query": {"v": {"$nin": [5, 6]}}})) == [2, 3]
    assert ids(await adapter.find({"query": {"v": {"$not": {"$gte": 6}}}})) == [1, 2, 3]
    assert ids(await adapter.find({"query": {"$not": {"v": {"$lt": 6}}}})) == [2, 3, 4]
    assert await adapter.count({"query": {"v": {"$nin": [5, 6]}}}) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [("%", [1]), ("_", [2]), ("\\", [3]), ("a%b", []), ("a_b", [2]), ("a\\b", [3]), ("'", [5]), ("[a]", [6])],
)
async def test_search_wildcards_and_escapes_are_literal(adapter: BaseAdapter, text: str, expected: list[int]) -> None:
    await adapter.insert_many([
        {"_id": 1, "name": "100%"}, {"_id": 2, "name": "a_b"}, {"_id": 3, "name": "a\\b"},
        {"_id": 4, "name": "axb"}, {"_id": 5, "name": "it's"}, {"_id": 6, "name": "[a]"},
    ])  # fmt: skip
    assert ids(await adapter.find({"search": text, "searchFields": "name"})) == expected
    assert await adapter.count({"search": text, "searchFields": "name"}) == len(expected)


async def test_search_folds_non_ascii_case(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": 1, "name": "Émile"}, {"_id": 2, "name": "ÅSA"}, {"_id": 3, "name": "emile"}])
    assert ids(await adapter.find({"search": "émile", "searchFields": "name"})) == [1]
    assert ids(await adapter.find({"search": "ÉMILE", "searchFields": "name"})) == [1]
    assert ids(await adapter.find({"search": "åsa", "searchFields": "name"})) == [2]


async def test_an_entity_matched_by_several_array_elements_counts_once(adapter: BaseAdapter) -> None:
    await adapter.insert_many([
        {"_id": 1, "tags": ["a", "b", "a"]}, {"_id": 2, "tags": ["b"]}, {"_id": 3, "tags": ["c"]},
        {"_id": 4, "tags": ["a", "b"]},
    ])  # fmt: skip
    query = {"tags": {"$in": ["a", "b"]}}
    assert ids(await adapter.find({"query": query})) == [1, 2, 4]
    assert await adapter.count({"query": query}) == 3
    assert ids(await adapter.find({"query": query, "limit": 2, "offset": 1})) == [2, 4]
    assert ids(await adapter.find({"search": "a", "searchFields": "tags"})) == [1, 4]
    assert await adapter.count({"search": "a", "searchFields": "tags"}) == 2
