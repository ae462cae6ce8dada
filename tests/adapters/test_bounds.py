"""Bounded, malformed and abusive input: every one is a 422 naming the field (``adapters.query_limits``), never a
``RecursionError``, a ``ValueError`` from Python's internals, a hang or a partial write."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import MemoryAdapter
from adapters.query import parse_find_params, parse_query, parse_sort, parse_update
from adapters.query_limits import MAX_DEPTH, MAX_IN_VALUES, MAX_SORT_KEYS
from broker.errors import MoleculerError, ValidationError

from .conftest import drive


def nested(depth: int, leaf: Any, wrap: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = wrap(value)
    return value


def field_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    entry = info.value.data[0]
    assert entry["message"]
    return str(entry["field"])


DEEP = 5000  # far beyond Python's recursion limit


@pytest.mark.parametrize(
    ("query", "field_start"),
    [
        (nested(DEEP, {"a": 1}, lambda q: {"$and": [q]}), "$and.0"),
        (nested(DEEP, {"a": 1}, lambda q: {"$or": [q, {"b": 1}]}), "$or.0"),
        (nested(DEEP, {"a": 1}, lambda q: {"$not": q}), "$not"),
        ({"a": nested(DEEP, 1, lambda v: {"x": v})}, "a.x"),
        ({"a": nested(DEEP, 1, lambda v: [v])}, "a.0"),
        ({"a": {"$in": [nested(DEEP, 1, lambda v: [v])]}}, "a.$in"),
        ({"a": {"$not": nested(DEEP, {"$gt": 1}, lambda v: {"$not": v})}}, "a.$not"),
    ],
)
def test_queries_nested_deeper_than_mongodb_accepts_are_a_422(query: Any, field_start: str) -> None:
    assert field_of(parse_query, query).startswith(field_start)


def test_the_depth_bound_is_mongodbs() -> None:
    parse_query({"a": nested(MAX_DEPTH - 1, 1, lambda v: {"x": v})})  # 100 levels with the query itself
    assert field_of(parse_query, {"a": nested(MAX_DEPTH, 1, lambda v: {"x": v})}).startswith("a.x")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"a": 2**63}, "a"),
        ({"a": -(2**63) - 1}, "a"),
        ({"a": {"$gt": 10**5000}}, "a.$gt"),
        ({"a": {"$in": [1, 10**5000]}}, "a.$in.1"),
        ({"a": math.inf}, "a"),
        ({"a": {"$lt": -math.inf}}, "a.$lt"),
        ({"a": [math.nan]}, "a.0"),
        ({"a": {"$in": list(range(MAX_IN_VALUES + 1))}}, "a.$in"),
        ({"a\ud800": 1}, "a\ud800"),
        ({"a": "x\udfff"}, "a"),
        ({"a" * 1001: 1}, "a" * 1001),
        ({".".join(["a"] * 101): 1}, ".".join(["a"] * 101)),
        ({1: 2}, "1"),
        ({(1, 2): 2}, "(1, 2)"),
        ({"a": {"b": {None: 1}}}, "a.b.None"),
        ({"$and": [{"a": 1}] * 100_001}, "$and"),
    ],
)
def test_abusive_query_values_are_a_422(query: Any, field: str) -> None:
    assert field_of(parse_query, query) == field


def test_64_bit_bounds_are_accepted() -> None:
    assert parse_query({"a": {"$in": [2**63 - 1, -(2**63)]}})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 2**64}, "limit"),
        ({"offset": 10**5000}, "offset"),
        ({"limit": "9" * 5000}, "limit"),
        ({"limit": "99999999999999999999"}, "limit"),
        ({"offset": 1e300}, "offset"),
        ({"limit": math.inf}, "limit"),
        ({"limit": math.nan}, "limit"),
        ({"limit": "\u0661"}, "limit"),  # an Arabic-Indic digit: ASCII digits only
        ({"search": 10**5000}, "search"),
        ({"search": math.inf}, "search"),
        ({"search": "x" * 1001}, "search"),
        ({"search": "\ud800"}, "search"),
        ({"searchFields": ["f"] * 101}, "searchFields"),
        ({"searchFields": " ".join(["f"] * 101)}, "searchFields"),
        ({"searchFields": ["a\ud800"]}, "searchFields"),
        ({"sort": ["f"] * (MAX_SORT_KEYS + 1)}, "sort"),
        ({"sort": " ".join(["f"] * (MAX_SORT_KEYS + 1))}, "sort"),
        ({"sort": "f " * 1_000_000}, "sort"),
        ({"sort": {f"f{i}": 1 for i in range(MAX_SORT_KEYS + 1)}}, "sort"),
        ({"sort": {"f": math.nan}}, "sort.f"),
        ({"sort": {"f": [1]}}, "sort.f"),
        ({"sort": {1: 1}}, "sort"),
        ({"query": nested(DEEP, {"a": 1}, lambda q: {"$and": [q]})}, "$and.0"),
    ],
)
def test_abusive_find_params_are_a_422(params: dict[str, Any], field: str) -> None:
    assert field_of(parse_find_params, params).startswith(field)


def test_the_largest_limit_is_accepted_and_served() -> None:
    assert parse_find_params({"limit": str(2**63 - 1), "offset": 2**63 - 1}).limit == sys.maxsize
    adapter = MemoryAdapter()
    adapter.init("items", {}, {})
    drive(adapter.insert_many([{"_id": 1}, {"_id": 2}]))
    assert drive(adapter.find({"limit": 2**63 - 1, "offset": 1})) == [{"_id": 2}]
    assert drive(adapter.find({"limit": 2**63 - 1, "offset": 2**63 - 1})) == []


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"$set": {"a": nested(DEEP, 1, lambda v: {"x": v})}}, "$set.a.x"),
        ({"$set": {"a": nested(DEEP, 1, lambda v: [v])}}, "$set.a.0"),
        ({"a": nested(DEEP, 1, lambda v: {"x": v})}, "a.x"),
        ({"$set": {"a": {1: 2}}}, "$set.a.1"),
        ({"$unset": [["a"]]}, "$unset.0"),
        ({"$unset": [{"a": 1}]}, "$unset.0"),
        ({"$unset": ["a\ud800"]}, "$unset.0"),
        ({"$inc": {"n": 2**64}}, "$inc.n"),
        ({"$inc": {"n": math.inf}}, "$inc.n"),
        ({"$set": {"a" * 1001: 1}}, "$set." + "a" * 1001),
        ({2: 1}, "2"),
    ],
)
def test_abusive_updates_are_a_422(update: Any, field: str) -> None:
    assert field_of(parse_update, update).startswith(field)


def test_an_abusive_update_changes_nothing() -> None:
    adapter = MemoryAdapter()
    adapter.init("items", {}, {})
    drive(adapter.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}]))
    with pytest.raises(ValidationError):
        drive(adapter.update_many({}, {"$set": {"a": nested(DEEP, 1, lambda v: {"x": v})}}))
    assert drive(adapter.find({})) == [{"_id": 1, "n": 1}, {"_id": 2, "n": 2}]


def test_deep_but_accepted_paths_evaluate_and_sort() -> None:
    path = ".".join(["a"] * MAX_DEPTH)
    doc = nested(MAX_DEPTH, 7, lambda v: {"a": v})
    adapter = MemoryAdapter()
    adapter.init("items", {}, {})
    drive(adapter.insert_many([{"_id": 1, **doc}, {"_id": 2}]))
    assert [r["_id"] for r in drive(adapter.find({"query": {path: 7}, "sort": "-" + path}))] == [1]
    assert [r["_id"] for r in drive(adapter.find({"sort": "-" + path}))] == [1, 2]


# ----------------------------------------------------------------------------------------------------- fuzz

_keys = st.one_of(
    st.sampled_from(["a", "b.c", "a.0", "$and", "$or", "$not", "$nor", "$in", "$nin", "$gt", "$lte", "$eq", "$ne",
                     "$exists", "$regex", "$options", "$set", "$unset", "$inc", "$push", "", ".", "a..b", "_id",
                     "query", "search", "searchFields", "iSearch", "sort", "limit", "offset", "\ud800", "é.ü"]),
    st.text(max_size=4),
    st.integers(),
    st.none(),
    st.tuples(st.integers()),
)  # fmt: skip
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, 2**64]),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["^(a+)+$", "[", "(?=x)", r"\s", "a{5000}", "-a b", "imsx", "\ud800", "9" * 30, "1e3"]),
    st.binary(max_size=3),
    st.just({1, 2}),
    st.just(object()),
)
junk = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(_keys, inner, max_size=4),
    ),
    max_leaves=25,
)
_ROWS = [
    {"_id": 1, "a": 1, "b": {"c": "x"}, "s": "apple"},
    {"_id": 2, "a": [1, {"b": 2}], "s": ["pear", "\u212a"]},
    {"_id": 3, "a": None, "b": {"c": [1, 2]}},
    {"_id": 4},
]

fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_validation_errors(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except ValidationError as err:
        assert err.code == 422 and err.data and err.data[0]["field"] is not None
        return None


@fuzz
@given(junk)
def test_parse_query_raises_nothing_but_validation_errors(value: Any) -> None:
    _only_validation_errors(parse_query, value)


@fuzz
@given(junk)
def test_parse_sort_raises_nothing_but_validation_errors(value: Any) -> None:
    _only_validation_errors(parse_sort, value)


@fuzz
@given(junk)
def test_parse_update_raises_nothing_but_validation_errors(value: Any) -> None:
    _only_validation_errors(parse_update, value)


@fuzz
@given(junk, st.booleans())
def test_parse_find_params_raises_nothing_but_validation_errors(value: Any, paging: bool) -> None:
    _only_validation_errors(parse_find_params, value, paging=paging)
    if isinstance(value, dict):  # the same junk as each param
        for name in ("query", "sort", "limit", "offset", "search", "searchFields", "iSearch"):
            _only_validation_errors(parse_find_params, {name: value}, paging=paging)


@fuzz
@given(junk, junk, junk)
def test_the_memory_adapter_raises_nothing_but_moleculer_errors(query: Any, update: Any, params: Any) -> None:
    adapter = MemoryAdapter(indexes=("a",))
    adapter.init("items", {}, {})
    drive(adapter.insert_many(_ROWS))
    calls = [
        lambda: adapter.find({"query": query, "sort": params, "search": "k", "limit": 3}),
        lambda: adapter.find(params if isinstance(params, dict) else {"query": query}),
        lambda: adapter.count({"query": query}),
        lambda: adapter.update_many(query, update),
        lambda: adapter.remove_many(query if isinstance(query, dict) and query else {"_id": -1}),
    ]
    for call in calls:
        try:
            drive(call())
        except MoleculerError:
            pass
