"""The query tree rendered to MongoDB filters: equivalent rewrites where MongoDB's semantics differ from the portable
language, refusals where no exact rendering exists, and hostile operators that never reach the server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import UnsupportedQueryError, parse_find_params, parse_query
from adapters.mongo import MongoAdapter, MongoCompiler
from adapters.mongo.compiler import MAX_VARIANTS
from broker.errors import ValidationError

HEX = "65a1f0c2b3d4e5f607182930"


def render(query: Any) -> Any:
    return MongoCompiler("MongoAdapter").compile(parse_query(query))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"a": 1}, {"a": 1}),
        ({"a": [1]}, {"a": {"$eq": [1]}}),
        ({"a": {"$eq": None}}, {"a": None}),
        ({"a": {"$ne": None}}, {"a": {"$ne": None}}),
        ({"a": {"$gt": 2, "$lt": 5}}, {"$and": [{"a": {"$gt": 2}}, {"a": {"$lt": 5}}]}),
        ({"$not": {"a": 1}}, {"$nor": [{"a": 1}]}),
        ({"a": {"$not": {"$gt": 1}}}, {"$nor": [{"a": {"$gt": 1}}]}),
        ({"a": HEX}, {"a": {"$in": [HEX, ObjectId(HEX)]}}),
        ({"a": {"$nin": [HEX]}}, {"a": {"$nin": [HEX, ObjectId(HEX)]}}),
        ({"a": HEX.upper()}, {"a": HEX.upper()}),
        ({"a": {"x": 1, "y": 2}}, {"a": {"$in": [{"x": 1, "y": 2}, {"y": 2, "x": 1}]}}),
        ({"a": {"$ne": {"x": 1, "y": 2}}}, {"a": {"$nin": [{"x": 1, "y": 2}, {"y": 2, "x": 1}]}}),
        ({"a": {"$regex": "^x", "$options": "i"}}, {"a": {"$regex": "^x", "$options": "i"}}),
        ({"a": {"$exists": False}}, {"a": {"$exists": False}}),
        ({"$or": [{"a": 1}, {"b": 2}]}, {"$or": [{"a": 1}, {"b": 2}]}),
    ],
)
def test_rendering(query: Any, expected: Any) -> None:
    assert render(query) == expected


def test_key_orders_are_expanded_in_nested_objects_and_arrays() -> None:
    out = render({"a": [{"x": 1, "y": {"p": 1, "q": 2}}]})["a"]["$in"]
    assert len(out) == 4
    assert [{"y": {"q": 2, "p": 1}, "x": 1}] in out
    assert all(len(v) == 1 and v[0]["x"] == 1 for v in out)


def test_too_many_key_orders_is_refused_not_approximated() -> None:
    many = {f"k{i}": i for i in range(6)}  # 720 orders
    with pytest.raises(UnsupportedQueryError) as info:
        render({"a": many})
    assert info.value.code == 400 and info.value.data["field"] == "a"
    assert len(render({"a": {f"k{i}": i for i in range(5)}})["a"]["$in"]) == MAX_VARIANTS


def test_search_is_an_escaped_case_insensitive_regex_over_search_fields() -> None:
    params = parse_find_params({"search": "a.b*(c", "searchFields": ["name", "tags"]})
    out = MongoCompiler("MongoAdapter").compile(params.filter)
    assert out == {"$or": [{f: {"$regex": re.escape("a.b*(c"), "$options": "i"}} for f in ("name", "tags")]}


def test_search_without_fields_is_unsupported() -> None:
    with pytest.raises(UnsupportedQueryError):
        MongoCompiler("MongoAdapter").compile(parse_find_params({"search": "x"}).filter)


async def test_search_matches_literally_and_case_insensitively(mongo: MongoAdapter) -> None:
    await mongo.insert_many([{"_id": 1, "n": "A.B*(C"}, {"_id": 2, "n": "axbb(c"}, {"_id": 3, "n": ["x", "a.b*(c!"]}])
    rows = await mongo.find({"search": "a.b*(c", "searchFields": "n"})
    assert [r["_id"] for r in rows] == [1, 3]


HOSTILE = [
    {"$where": "sleep(1000)"},
    {"$expr": {"$eq": ["$a", "$b"]}},
    {"a": {"$function": {"body": "function() {return true}", "args": [], "lang": "js"}}},
    {"$accumulator": {}},
    {"a": {"$elemMatch": {"$where": "1"}}},
    {"$or": [{"a": 1}, {"$where": "1"}]},
    {"a": {"$jsonSchema": {}}},
    {"a.$where": 1},
    {"a": {"$not": {"$where": "1"}}},
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_operators_never_reach_the_server(mongo: MongoAdapter, query: Any) -> None:
    await mongo.insert({"_id": 1, "a": 1})
    seen: list[str] = []
    original = mongo.collection

    class Spy:  # records every use of the native collection
        def __getattr__(self, name: str) -> Any:
            seen.append(name)
            return getattr(original, name)

    mongo._collection = Spy()
    for call in (
        mongo.find({"query": query}),
        mongo.count({"query": query}),
        mongo.find_one(query),
        mongo.update_many(query, {"$set": {"x": 1}}),
        mongo.find_one_and_update(query, {"$set": {"x": 1}}),
        mongo.find_one_and_delete(query),
        mongo.remove_many(query),
    ):
        with pytest.raises(ValidationError) as info:
            await call
        assert info.value.code == 422 and info.value.data[0]["field"]
    assert seen == []
    mongo._collection = original
    assert await mongo.find_by_id(1) == {"_id": 1, "a": 1}


_ALLOWED = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options", "$and",
            "$or", "$nor"}  # fmt: skip

_KEYS = st.sampled_from(["a", "b", "a.b", "$where", "$expr", "$function", "$not", "$or", "$and", "$gt", "$in",
                         "$regex", "$elemMatch", "$accumulator", "$exists", "$nin", "$ne", "$eq"])  # fmt: skip
_QUERIES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_KEYS, children, max_size=3)),
    max_leaves=12,
)


def _operators(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {k for k in value if k.startswith("$")} | {o for v in value.values() for o in _operators(v)}
    if isinstance(value, list):
        return {o for v in value for o in _operators(v)}
    return set()


@settings(max_examples=400, deadline=None)
@given(query=st.dictionaries(_KEYS, _QUERIES, max_size=3))
def test_property_rendered_filters_only_hold_portable_operators(query: Any) -> None:
    try:
        node = parse_query(query)
    except ValidationError:
        return
    try:
        out = MongoCompiler("MongoAdapter").compile(node)
    except UnsupportedQueryError:
        return
    assert _operators(out) <= _ALLOWED


async def test_a_nul_in_search_text_is_escaped_not_sent_raw(mongo: MongoAdapter) -> None:
    params = parse_find_params({"search": "a\x00b", "searchFields": "n"})
    rendered = MongoCompiler("MongoAdapter").compile(params.filter)
    assert "\x00" not in rendered["n"]["$regex"]
    await mongo.insert_many([{"_id": 1, "n": "xA\x00B"}, {"_id": 2, "n": "ab"}])
    assert [r["_id"] for r in await mongo.find(params)] == [1]


def test_a_nul_in_a_regex_pattern_is_refused() -> None:
    try:
        node = parse_query({"n": {"$regex": "a\x00"}})
    except ValidationError:
        return  # the parser already refuses it
    with pytest.raises(UnsupportedQueryError):
        MongoCompiler("MongoAdapter").compile(node)
