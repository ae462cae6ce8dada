"""Parser unit tests: query trees, sort keys, updates and find params — and every malformed form's 422."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any

import pytest

from adapters.query import (
    And,
    Compare,
    Exists,
    FindParams,
    In,
    MatchAll,
    Not,
    Or,
    Regex,
    Search,
    SortKey,
    Update,
    parse_find_params,
    parse_query,
    parse_sort,
    parse_update,
)
from broker.errors import ValidationError


def field_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return excinfo.value.data[0]["field"]


# ---------------------------------------------------------------------------------------------------- query tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        (None, MatchAll()),
        ({}, MatchAll()),
        ({"a": 1}, Compare("a", "eq", 1)),
        ({"a": None}, Compare("a", "eq", None)),
        ({"a": [1, (2, 3)]}, Compare("a", "eq", [1, [2, 3]])),
        ({"a": {"b": 1}}, Compare("a", "eq", {"b": 1})),
        ({"a": {}}, Compare("a", "eq", {})),
        ({"a": {"$eq": {"b": 1}}}, Compare("a", "eq", {"b": 1})),
        ({"a": {"$ne": "x"}}, Compare("a", "ne", "x")),
        ({"a": {"$gt": 1}}, Compare("a", "gt", 1)),
        ({"a": {"$gte": 1.5}}, Compare("a", "gte", 1.5)),
        ({"a": {"$lt": "m"}}, Compare("a", "lt", "m")),
        ({"a": {"$lte": datetime(2024, 1, 1)}}, Compare("a", "lte", datetime(2024, 1, 1))),
        ({"a": {"$in": [1, "x", None]}}, In("a", (1, "x", None))),
        ({"a": {"$in": (1, 2)}}, In("a", (1, 2))),
        ({"a": {"$nin": []}}, In("a", (), negate=True)),
        ({"a": {"$exists": True}}, Exists("a", True)),
        ({"a": {"$exists": 0}}, Exists("a", False)),
        ({"a": {"$regex": "^x"}}, Regex("a", "^x", "")),
        ({"a": {"$regex": "^x", "$options": "xi"}}, Regex("a", "^x", "ix")),
        ({"a": {"$regex": re.compile("^x", re.I | re.M)}}, Regex("a", "^x", "im")),
        ({"a": {"$not": {"$gt": 5}}}, Not(Compare("a", "gt", 5))),
        ({"a": {"$not": {"$gt": 1, "$lt": 5}}}, Not(And((Compare("a", "gt", 1), Compare("a", "lt", 5))))),
        ({"a": {"$not": re.compile("^x")}}, Not(Regex("a", "^x", ""))),
        ({"$not": {"a": 1}}, Not(Compare("a", "eq", 1))),
        ({"a.b.c": 1}, Compare("a.b.c", "eq", 1)),
        ({"a": {"$gt": 1, "$lt": 5}}, And((Compare("a", "gt", 1), Compare("a", "lt", 5)))),
        ({"a": 1, "b": 2}, And((Compare("a", "eq", 1), Compare("b", "eq", 2)))),
        ({"$and": [{"a": 1}, {"b": 2, "c": 3}]},
         And((Compare("a", "eq", 1), Compare("b", "eq", 2), Compare("c", "eq", 3)))),
        ({"$and": [{"a": 1}]}, Compare("a", "eq", 1)),
        ({"$and": [{}]}, MatchAll()),
        ({"$or": [{"a": 1}, {"b": 2}]}, Or((Compare("a", "eq", 1), Compare("b", "eq", 2)))),
        ({"$or": [{"a": 1}]}, Compare("a", "eq", 1)),
        ({"$or": [{"a": 1}, {}]}, MatchAll()),
        ({"a": 1, "$or": [{"b": 2}, {"c": {"$exists": False}}]},
         And((Compare("a", "eq", 1), Or((Compare("b", "eq", 2), Exists("c", False)))))),
    ],
)  # fmt: skip
def test_parse_query_builds_the_tree(query: Any, tree: Any) -> None:
    assert parse_query(query) == tree


def test_scalar_subclasses_are_reduced_to_their_base_type() -> None:
    class Color(str, Enum):  # noqa: UP042 - str() of such a member is "Color.RED": the case under test
        RED = "red"

    class Level(IntEnum):
        HIGH = 3

    node = parse_query({"c": Color.RED, "l": {"$gt": Level.HIGH}})
    assert node == And((Compare("c", "eq", "red"), Compare("l", "gt", 3)))
    assert type(node.children[0].value) is str and type(node.children[1].value) is int


def test_the_tree_is_immutable_and_does_not_share_the_callers_values() -> None:
    value = {"city": "Paris", "tags": ["a"]}
    values = ["x", "y"]
    node = parse_query({"address": value, "t": {"$in": values}})
    value["tags"].append("b")
    values.append("z")
    assert node == And((Compare("address", "eq", {"city": "Paris", "tags": ["a"]}), In("t", ("x", "y"))))
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.children = ()  # type: ignore[misc]


MALFORMED: list[tuple[str, Any, str]] = [
    ("not-a-dict", ["a", 1], "query"),
    ("unknown-operator", {"a": {"$size": 1}}, "a.$size"),
    ("unknown-logical", {"$where": "x"}, "$where"),
    ("range-none", {"a": {"$lt": None}}, "a.$lt"),
    ("range-dict", {"a": {"$gte": {"x": 1}}}, "a.$gte"),
    ("range-bool", {"a": {"$lte": False}}, "a.$lte"),
    ("in-string", {"a": {"$in": "abc"}}, "a.$in"),
    ("in-bad-element", {"a": {"$in": [1, {2}]}}, "a.$in.1"),
    ("nin-none", {"a": {"$nin": None}}, "a.$nin"),
    ("and-dict", {"$and": {"a": 1}}, "$and"),
    ("and-empty", {"$and": []}, "$and"),
    ("or-item-list", {"$or": [[1]]}, "$or.0"),
    ("or-nested", {"$or": [{"a": {"$in": 3}}]}, "$or.0.a.$in"),
    ("exists-2", {"a": {"$exists": 2}}, "a.$exists"),
    ("exists-none", {"a": {"$exists": None}}, "a.$exists"),
    ("regex-list", {"a": {"$regex": ["x"]}}, "a.$regex"),
    ("regex-bytes", {"a": {"$regex": re.compile(b"x")}}, "a.$regex"),
    ("regex-invalid", {"a": {"$regex": "[a-"}}, "a.$regex"),
    ("options-not-string", {"a": {"$regex": "x", "$options": 1}}, "a.$options"),
    ("options-g", {"a": {"$regex": "x", "$options": "ig"}}, "a.$options"),
    ("options-alone", {"a": {"$options": "i"}}, "a.$options"),
    ("not-scalar", {"a": {"$not": "x"}}, "a.$not"),
    ("not-plain-object", {"a": {"$not": {"b": 1}}}, "a.$not"),
    ("not-bad-inner", {"a": {"$not": {"$gt": None}}}, "a.$not.$gt"),
    ("top-not-list", {"$not": [{"a": 1}]}, "$not"),
    ("mixed-keys", {"a": {"$gt": 1, "b": 2}}, "a.b"),
    ("empty-key", {"": 1}, "query"),
    ("non-string-key", {1: 1}, "1"),
    ("empty-segment", {"a.": 1}, "a."),
    ("dollar-segment", {"a.$b": 1}, "a.$b"),
    ("set-value", {"a": {1, 2}}, "a"),
    ("bytes-value", {"a": b"x"}, "a"),
    ("decimal-value", {"a": Decimal("1.5")}, "a"),
    ("date-value", {"a": date(2024, 1, 1)}, "a"),
    ("object-value", {"a": object()}, "a"),
    ("nan", {"a": {"$gt": float("nan")}}, "a.$gt"),
    ("nan-in-list", {"a": {"$in": [1, float("nan")]}}, "a.$in.1"),
    ("literal-with-operator-key", {"a": {"b": {"$gt": 1}}}, "a.b.$gt"),
    ("literal-non-string-key", {"a": {"b": {1: 2}}}, "a.b.1"),
]


@pytest.mark.parametrize(("query", "field"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_queries_name_the_field(query: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_query(query)
    err = info.value
    assert err.code == 422 and err.type == "VALIDATION_ERROR"
    entry = err.data[0]
    assert entry["type"] == "query" and entry["field"] == field
    assert entry["message"] and "actual" in entry


# --------------------------------------------------------------------------------------------------------- regex


@pytest.mark.parametrize(
    "pattern",
    [r"^ab+c$", r"a.*?b", r"[a-z0-9_]{2,5}", r"(?:ab|cd)+", r"\d+\.\d*", r"\bword\b", r"[^\]x]", r"\x41", r"a\|b",
     r"[\]a]", r"\w\W\D\d", r"a{3}", r"(a)(b)?", r"a{2,}", r"a{0,1000}", r"x$|^y", r"(a|b$)", r"[-a-c\-]", "é+"],
)  # fmt: skip
def test_portable_regexes_are_accepted(pattern: str) -> None:
    assert parse_query({"a": {"$regex": pattern}}) == Regex("a", pattern, "")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"a(?=b)", "(?:"),
        (r"a(?!b)", "(?:"),
        (r"(?<=a)b", "(?:"),
        (r"(?P<name>a)", "(?:"),
        (r"(?i)abc", "(?:"),
        (r"(a)\1", "backreferences"),
        (r"\Aabc", "\\A"),
        (r"abc\Z", "\\Z"),
        (r"\p{L}", "\\p"),
        (r"a*+", "possessive"),
        (r"a{,3}", "quantifier {m}"),
        (r"[[:alpha:]]", "POSIX"),
    ],
)
def test_non_portable_regexes_are_refused(pattern: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_query({"a": {"$regex": pattern}})
    assert field_of(info) == "a.$regex" and reason in info.value.data[0]["message"]


# ---------------------------------------------------------------------------------------------------------- sort


@pytest.mark.parametrize(
    ("sort", "keys"),
    [
        (None, ()),
        ("", ()),
        ([], ()),
        ("price", (SortKey("price"),)),
        ("-price name", (SortKey("price", True), SortKey("name"))),
        ("price,-name", (SortKey("price"), SortKey("name", True))),
        (" price , -name  votes ", (SortKey("price"), SortKey("name", True), SortKey("votes"))),
        (["-price", "name"], (SortKey("price", True), SortKey("name"))),
        (["-price name", "votes"], (SortKey("price", True), SortKey("name"), SortKey("votes"))),
        (("a.b",), (SortKey("a.b"),)),
        ({"price": -1, "name": 1}, (SortKey("price", True), SortKey("name"))),
        ({"price": "desc", "name": "asc"}, (SortKey("price", True), SortKey("name"))),
        ([SortKey("x", True)], (SortKey("x", True),)),
    ],
)
def test_parse_sort(sort: Any, keys: tuple[SortKey, ...]) -> None:
    assert parse_sort(sort) == keys


@pytest.mark.parametrize(
    "sort", [5, {"a": 0}, {"a": True}, {"a": "up"}, ["a", None], "-", "a..b", "$natural", "-$x", {"": 1}]
)
def test_malformed_sorts(sort: Any) -> None:
    with pytest.raises(ValidationError) as info:
        parse_sort(sort)
    assert field_of(info).startswith("sort") and info.value.data[0]["type"] == "sort"


# -------------------------------------------------------------------------------------------------------- update


@pytest.mark.parametrize(
    ("update", "parsed"),
    [
        ({}, Update()),
        ({"a": 1, "b.c": [1]}, Update(set=(("a", 1), ("b.c", [1])))),
        ({"$set": {"a": None}}, Update(set=(("a", None),))),
        ({"$unset": {"a": "", "b.c": 1}}, Update(unset=("a", "b.c"))),
        ({"$unset": ["a", "b"]}, Update(unset=("a", "b"))),
        ({"$inc": {"n": 1, "m": -0.5}}, Update(inc=(("n", 1), ("m", -0.5)))),
        ({"$set": {"a": 1}, "$unset": {"b": ""}, "$inc": {"c": 2}},
         Update(set=(("a", 1),), unset=("b",), inc=(("c", 2),))),
        ({"$set": {"a.b": 1, "a.c": 2}}, Update(set=(("a.b", 1), ("a.c", 2)))),
        ({"$set": {"ab": 1, "a": 2}}, Update(set=(("ab", 1), ("a", 2)))),
    ],
)  # fmt: skip
def test_parse_update(update: Any, parsed: Update) -> None:
    assert parse_update(update) == parsed


def test_update_values_are_copied_and_paths_listed() -> None:
    value = {"x": [1]}
    update = parse_update({"$set": {"a": value}, "$unset": ["b"], "$inc": {"c.d": 1}})
    value["x"].append(2)
    assert update.set == (("a", {"x": [1]}),)
    assert update.paths == ("a", "b", "c.d")
    assert bool(update) and not bool(parse_update({}))


def test_the_id_key_is_configurable_for_updates() -> None:
    assert parse_update({"_id": 1}, id_key="id") == Update(set=(("_id", 1),))
    with pytest.raises(ValidationError):
        parse_update({"id.x": 1}, id_key="id")


@pytest.mark.parametrize(
    ("update", "field"),
    [
        (None, "update"),
        ("x", "update"),
        ({"$set": {"a": 1}, "b": 1}, "b"),
        ({"a": 1, "$set": {"b": 1}}, "a"),
        ({"$rename": {"a": "b"}}, "$rename"),
        ({"$set": 1}, "$set"),
        ({"$unset": "a"}, "$unset"),
        ({"$inc": {"a": "1"}}, "$inc.a"),
        ({"$inc": {"a": None}}, "$inc.a"),
        ({"$inc": {"a": float("nan")}}, "$inc.a"),
        ({"$set": {"_id": 1}}, "$set._id"),
        ({"$set": {"_id.x": 1}}, "$set._id.x"),
        ({"_id": 1}, "_id"),
        ({"$set": {"": 1}}, "$set."),
        ({"$set": {"a.$": 1}}, "$set.a.$"),
        ({"$set": {"a": 1}, "$inc": {"a": 1}}, "a"),
        ({"$set": {"a": 1, "a.b": 2}}, "a.b"),
        ({"$unset": ["a.b.c"], "$set": {"a.b": 1}}, "a.b.c"),
    ],
)
def test_malformed_updates(update: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_update(update)
    assert field_of(info) == field and info.value.data[0]["type"] == "update"


# --------------------------------------------------------------------------------------------------- find params


def test_find_params_defaults() -> None:
    assert parse_find_params(None) == FindParams()
    assert parse_find_params({}) == FindParams(MatchAll(), (), None, 0, MatchAll(), None, ())


def test_find_params_parse_everything_and_ignore_other_keys() -> None:
    params = parse_find_params({
        "query": {"a": 1}, "search": "Foo", "searchFields": "title, body", "sort": "-a", "limit": "10",
        "offset": 20.0, "populate": ["x"], "fields": ["a"], "page": 2, "pageSize": 5, "mapping": True,
    })  # fmt: skip
    assert params == FindParams(
        filter=And((Compare("a", "eq", 1), Search("Foo", ("title", "body")))),
        sort=(SortKey("a", True),),
        limit=10,
        offset=20,
        query=Compare("a", "eq", 1),
        search="Foo",
        search_fields=("title", "body"),
    )
    assert FindParams.parse({"limit": 3}).limit == 3


@pytest.mark.parametrize(
    ("params", "limit", "offset"),
    [
        ({"limit": 0, "offset": 0}, None, 0),
        ({"limit": None, "offset": None}, None, 0),
        ({"limit": "5", "offset": " 7 "}, 5, 7),
        ({"limit": 5.0}, 5, 0),
        ({"limit": "+3"}, 3, 0),
    ],
)
def test_limit_and_offset_conversions(params: dict[str, Any], limit: int | None, offset: int) -> None:
    parsed = parse_find_params(params)
    assert (parsed.limit, parsed.offset) == (limit, offset)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": -1}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"offset": 1.5}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"limit": "abc"}, "limit"),
        ({"limit": [1]}, "limit"),
        ({"limit": False}, "limit"),
        ({"search": ["a"]}, "search"),
        ({"search": True}, "search"),
        ({"searchFields": {"a": 1}}, "searchFields"),
        ({"searchFields": [1]}, "searchFields"),
        ({"query": "x"}, "query"),
        ({"sort": 1}, "sort"),
    ],
)
def test_malformed_find_params(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_find_params(params)
    assert field_of(info) == field


def test_search_fields_forms_and_search_fallbacks() -> None:
    assert parse_find_params({"search": "x", "searchFields": ["a", "b.c", "a"]}).search_fields == ("a", "b.c")
    assert parse_find_params({"search": "x", "searchFields": "a,b c"}).search_fields == ("a", "b", "c")
    assert parse_find_params({"search": "x"}).filter == Search("x", ())
    assert parse_find_params({"search": 42}).filter == Search("42", ())
    assert parse_find_params({"search": "", "iSearch": "Y"}).filter == Search("Y", ())
    assert parse_find_params({"search": ""}).filter == MatchAll()
    assert parse_find_params({"search": "x", "query": {}}).filter == Search("x", ())


def test_paging_false_skips_sort_limit_and_offset() -> None:
    parsed = parse_find_params({"query": {"a": 1}, "sort": 5, "limit": -1, "offset": "x"}, paging=False)
    assert parsed == FindParams(Compare("a", "eq", 1), query=Compare("a", "eq", 1))
    with pytest.raises(ValidationError):
        parse_find_params({"query": {"a": {"$bad": 1}}}, paging=False)
    with pytest.raises(ValidationError):
        parse_find_params(["x"])  # type: ignore[arg-type]
