"""Conformance: ``$regex`` has one meaning on every adapter (the portable subset, in linear time), and ``search``
folds case exactly as a regex-escaped ``$regex`` with option ``i``."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import BaseAdapter
from broker.errors import ValidationError

from ..conftest import ids
from .conftest import requires

ROWS = [
    {"_id": 1, "name": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"},
    {"_id": 2, "name": "line\n"},
    {"_id": 3, "name": "line\nnext"},
    {"_id": 4, "name": "\u212a-meter"},  # Kelvin sign
    {"_id": 5, "name": "Stra\u00dfe"},
    {"_id": 6, "name": "STRASSE"},
    {"_id": 7, "name": "\u0130stanbul"},  # capital I with a dot
    {"_id": 8, "name": "\u01c4EMAL"},  # DŽ as one character
    {"_id": 9, "name": "a" * 20_000},
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"$regex": "^(a+)+$"}, [9]),  # the ReDoS pattern: linear time, so this returns at once
        ({"$regex": "^(a|aa)+$"}, [9]),
        ({"$regex": "line$"}, [2]),  # '$' also matches before a final newline...
        ({"$regex": "line$", "$options": "m"}, [2, 3]),  # ...and before every newline with m
        ({"$regex": "^next", "$options": "m"}, [3]),
        ({"$regex": "line.next"}, []),
        ({"$regex": "line.next", "$options": "s"}, [3]),
        ({"$regex": "^k-", "$options": "i"}, [4]),  # Kelvin sign folds to k
        ({"$regex": "strasse", "$options": "i"}, [6]),  # no ß ~ ss folding
        ({"$regex": "^istanbul", "$options": "i"}, []),  # İ does not fold to i (simple folding)
        ({"$regex": "^\u01c5", "$options": "i"}, [8]),
        ({"$regex": "^ \\d + - \\x6d", "$options": "xi"}, []),
        ({"$regex": "^ [\u212ak] - m  # comment", "$options": "x"}, [4]),
    ],
)
@requires("regex")
async def test_regex_semantics(adapter: BaseAdapter, query: dict[str, Any], expected: list[int]) -> None:
    await adapter.insert_many(ROWS)
    assert ids(await adapter.find({"query": {"name": query}})) == expected
    assert await adapter.count({"query": {"name": query}}) == len(expected)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("K-METER", [4]),  # k/K also find the Kelvin sign, as a case-insensitive regex does
        ("strasse", [6]),
        ("stra\u00dfe", [5]),
        ("istanbul", []),
        ("\u0130STANBUL", [7]),
        ("\u01c6emal", [8]),  # dž finds DŽ (its title case ǅ would too)
        ("^(a+)+$", []),  # regex characters are literal
    ],
)
async def test_search_folds_like_a_case_insensitive_regex(
    adapter: BaseAdapter, search: str, expected: list[int]
) -> None:
    await adapter.insert_many(ROWS)
    assert ids(await adapter.find({"search": search, "searchFields": "name"})) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"name": {"$regex": r"\s"}}, "name.$regex"),
        ({"$or": [{"a": 1}, {"name": {"$regex": "a{1001}"}}]}, "$or.1.name.$regex"),
        ({"name": {"$not": {"$regex": "(?=a)"}}}, "name.$not.$regex"),
        ({"name": {"$regex": "a$b"}}, "name.$regex"),
        ({"name": {"$regex": "x" * 1001}}, "name.$regex"),
    ],
)
async def test_non_portable_regexes_are_a_422_and_write_nothing(adapter: BaseAdapter, query: Any, field: str) -> None:
    await adapter.insert_many(ROWS)
    with pytest.raises(ValidationError) as info:
        await adapter.update_many(query, {"$set": {"touched": True}})
    assert info.value.data[0]["field"] == field
    assert await adapter.count({"query": {"touched": True}}) == 0


@requires("regex")
async def test_regex_on_ids_sees_string_ids_only(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": "apple", "name": "x"}, {"_id": 15, "name": "y"}, {"_id": "b1", "name": "z"}])
    assert ids(await adapter.find({"query": {"_id": {"$regex": "^a|1"}}})) == ["apple", "b1"]  # 15 is a number
