"""Conformance: malformed input is a 422 naming the path, through every method; the adapter errors' shape."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters import BaseAdapter, EntityAlreadyExistsError, UnsupportedQueryError
from broker.errors import MoleculerClientError, ValidationError, error_from_dict

from .conftest import SEED

BAD_QUERIES: list[tuple[str, Any, str]] = [
    ("unknown-field-operator", {"price": {"$foo": 1}}, "price.$foo"),
    ("unknown-top-level-operator", {"$nor": [{"a": 1}]}, "$nor"),
    ("gt-with-none", {"price": {"$gt": None}}, "price.$gt"),
    ("gt-with-bool", {"price": {"$gt": True}}, "price.$gt"),
    ("gt-with-list", {"price": {"$gt": [1]}}, "price.$gt"),
    ("in-with-non-list", {"tags": {"$in": "red"}}, "tags.$in"),
    ("nin-with-dict", {"tags": {"$nin": {"a": 1}}}, "tags.$nin"),
    ("and-with-non-list", {"$and": {"a": 1}}, "$and"),
    ("or-empty", {"$or": []}, "$or"),
    ("or-item-not-object", {"$or": [{"a": 1}, 5]}, "$or.1"),
    ("nested-error-path", {"$or": [{"a": 1}, {"b": {"$gt": {}}}]}, "$or.1.b.$gt"),
    ("exists-with-string", {"price": {"$exists": "yes"}}, "price.$exists"),
    ("regex-not-string", {"name": {"$regex": 5}}, "name.$regex"),
    ("regex-bad-pattern", {"name": {"$regex": "(unclosed"}}, "name.$regex"),
    ("regex-lookahead", {"name": {"$regex": "a(?=b)"}}, "name.$regex"),
    ("regex-backreference", {"name": {"$regex": r"(a)\1"}}, "name.$regex"),
    ("options-bad-letter", {"name": {"$regex": "a", "$options": "g"}}, "name.$options"),
    ("options-without-regex", {"name": {"$options": "i"}}, "name.$options"),
    ("not-with-scalar", {"price": {"$not": 5}}, "price.$not"),
    ("top-level-not-empty", {"$not": {}}, "$not"),
    ("operators-mixed-with-fields", {"address": {"$exists": True, "city": "Paris"}}, "address.city"),
    ("empty-field-name", {"": 1}, ""),
    ("empty-path-segment", {"address..city": 1}, "address..city"),
    ("dollar-path-segment", {"address.$city": 1}, "address.$city"),
    ("nul-in-path", {"address.ci\x00ty": 1}, "address.ci\x00ty"),  # MongoDB's field names cannot hold a NUL
    ("nul-in-literal-key", {"address": {"ci\x00ty": "Paris"}}, "address.ci\\x00ty"),
    ("unsupported-value-type", {"price": {1, 2}}, "price"),
    ("nan", {"price": float("nan")}, "price"),
    ("operator-inside-literal", {"address": {"city": {"$eq": 1}, "zip": 1}}, "address"),
    ("query-not-object", "category=fruit", "query"),
]


@pytest.mark.parametrize(("query", "field"), [b[1:] for b in BAD_QUERIES], ids=[b[0] for b in BAD_QUERIES])
async def test_malformed_queries_are_a_422_naming_the_path(seeded: BaseAdapter, query: Any, field: str) -> None:
    calls = [
        seeded.find({"query": query}),
        seeded.count({"query": query}),
        seeded.find_one(query),
        seeded.update_many(query, {"$set": {"x": 1}}),
        seeded.remove_many(query),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as info:
            await call
        err = info.value
        assert err.code == 422
        assert isinstance(err.data, list) and err.data[0]["type"] == "query"
        assert err.data[0]["field"].startswith(field) if field else "field" in err.data[0]
        assert err.data[0]["message"]
    assert await seeded.find() == SEED  # nothing was updated or removed


BAD_PARAMS: list[tuple[str, dict[str, Any], str]] = [
    ("negative-limit", {"limit": -1}, "limit"),
    ("negative-offset", {"offset": -5}, "offset"),
    ("fractional-limit", {"limit": 1.5}, "limit"),
    ("non-numeric-limit", {"limit": "ten"}, "limit"),
    ("negative-string-offset", {"offset": "-1"}, "offset"),
    ("bool-limit", {"limit": True}, "limit"),
    ("sort-number", {"sort": 5}, "sort"),
    ("sort-item-not-string", {"sort": ["name", 1]}, "sort"),
    ("sort-bad-direction", {"sort": {"name": 2}}, "sort.name"),
    ("sort-dash-only", {"sort": "-"}, "sort"),
    ("sort-dollar-path", {"sort": "$natural"}, "sort"),
    ("search-object", {"search": {"a": 1}}, "search"),
    ("search-fields-number", {"search": "a", "searchFields": 5}, "searchFields"),
    ("search-fields-bad-path", {"search": "a", "searchFields": ["a..b"]}, "searchFields"),
]


@pytest.mark.parametrize(("params", "field"), [b[1:] for b in BAD_PARAMS], ids=[b[0] for b in BAD_PARAMS])
async def test_malformed_find_params_are_a_422(seeded: BaseAdapter, params: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        await seeded.find(params)
    assert info.value.code == 422 and info.value.data[0]["field"] == field


async def test_count_only_validates_what_it_uses(seeded: BaseAdapter) -> None:
    assert await seeded.count({"limit": -1, "sort": 5, "query": {"category": "fruit"}}) == 3
    with pytest.raises(ValidationError):
        await seeded.count({"search": ["x"]})


async def test_find_by_ids_needs_a_list(seeded: BaseAdapter) -> None:
    with pytest.raises(ValidationError):
        await seeded.find_by_ids("1,2")  # type: ignore[arg-type]


def test_unsupported_query_error_shape(adapter: BaseAdapter) -> None:
    err = adapter.unsupported("$regex", "name")
    assert isinstance(err, UnsupportedQueryError) and isinstance(err, MoleculerClientError)
    assert (err.code, err.type) == (400, "UNSUPPORTED_QUERY")
    assert err.data == {"operator": "$regex", "field": "name", "adapter": adapter.adapter_name}
    assert re.fullmatch(rf"The \$regex operator is not supported by {re.escape(adapter.adapter_name)}", err.message)
    sql = UnsupportedQueryError("$regex", "SQLAdapter (sqlite)", "name")
    assert sql.message == "The $regex operator is not supported by SQLAdapter (sqlite)"


def test_adapter_errors_survive_the_wire() -> None:
    for err in (UnsupportedQueryError("$regex", "SQLAdapter (sqlite)", "name"), EntityAlreadyExistsError(7)):
        back = error_from_dict(err.to_dict())
        assert type(back) is type(err)
        assert (back.message, back.code, back.type, back.data) == (err.message, err.code, err.type, err.data)
