"""Field paths: split_path, filter_fields, exclude_fields, authorize_fields, merge_excludes and flatten."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dbmixin.fields import (
    authorize_fields,
    exclude_fields,
    filter_fields,
    flatten,
    merge_excludes,
    split_path,
    to_path,
)


def person() -> dict:
    return {
        "id": 2,
        "name": "Walter",
        "address": {"city": "Albuquerque", "state": "NM", "zip": 87111},
        "roles": ["chemist", "teacher"],
        "cars": [
            {"make": "Pontiac", "plates": [{"no": "NM-1", "state": "NM"}]},
            {"make": "Chrysler", "plates": []},
            {"make": "Audi", "plates": [{"no": "X-1", "state": "TX"}, {"no": "X-2", "state": "AZ"}]},
        ],
        "secret": "blue",
    }


# ------------------------------------------------------------------------------------------------ split_path


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("a", ["a"]),
        ("a.b.c", ["a", "b", "c"]),
        ("a[0].b", ["a", "0", "b"]),
        ("a.$.b", ["a", "$", "b"]),
        ('a["b.c"].d', ["a", "b.c", "d"]),
        ("a['x\\'y']", ["a", "x'y"]),
        (".a", ["", "a"]),
        ("a..b", ["a", "", "b"]),
        ("a.", ["a", ""]),
        ("a[-1]", ["a", "-1"]),
        ("", []),
    ],
)
def test_split_path_follows_lodash(path, segments):
    assert split_path(path) == segments


def test_to_path_prefers_an_existing_literal_key():
    assert to_path({"a.b": 1}, "a.b") == ["a.b"]
    assert to_path({"a": {"b": 1}}, "a.b") == ["a", "b"]


# ---------------------------------------------------------------------------------------------- filter_fields


def test_filter_fields_none_returns_the_same_doc():
    doc = person()
    assert filter_fields(doc, None) is doc


def test_filter_fields_top_level_and_dotted_paths_merge_into_shared_containers():
    got = filter_fields(person(), ["name", "address.city", "address.zip", "missing", "address.nope.x"])
    assert got == {"name": "Walter", "address": {"city": "Albuquerque", "zip": 87111}}


def test_filter_fields_wildcard_over_arrays():
    got = filter_fields(person(), ["cars.$.make", "cars.$.plates.$.no"])
    assert got == {
        "cars": [
            {"make": "Pontiac", "plates": [{"no": "NM-1"}]},
            {"make": "Chrysler"},  # an empty array reached through $ produces no key
            {"make": "Audi", "plates": [{"no": "X-1"}, {"no": "X-2"}]},
        ]
    }


def test_filter_fields_wildcard_over_an_empty_array_produces_no_key():
    assert filter_fields({"a": [], "b": 1}, ["a.$.x", "b"]) == {"b": 1}
    assert filter_fields({"a": {"b": 1}}, ["a.$"]) == {}  # $ on an object without a "$" key


def test_filter_fields_dollar_is_a_plain_key_on_objects():
    assert filter_fields({"a": {"$": {"b": 1}, "c": 2}}, ["a.$.b"]) == {"a": {"$": {"b": 1}}}


def test_filter_fields_explicit_indices_pad_holes_with_none():
    got = filter_fields(person(), ["cars.2.make", "roles[1]"])
    assert got == {"cars": [None, None, {"make": "Audi"}], "roles": [None, "teacher"]}


def test_filter_fields_index_out_of_range_or_not_canonical_copies_nothing():
    assert filter_fields(person(), ["cars.7.make", "cars.01.make", "cars.-1.make", "roles.x"]) == {}


def test_filter_fields_whole_subtree_then_deeper_path_keeps_the_subtree():
    doc = {"a": [0, 1, {"b": [{"c": [None, {"e": 5, "f": 6}], "g": 7}, {"c": []}]}]}
    original = copy.deepcopy(doc)
    got = filter_fields(doc, ["a.2.b", "a.2.b.$.c.1.e"])
    assert got == {"a": [None, None, {"b": original["a"][2]["b"]}]}
    assert doc == original


def test_filter_fields_deeper_path_then_whole_subtree_takes_the_subtree():
    doc = {"a": {"b": {"c": 1, "d": 2}}}
    assert filter_fields(doc, ["a.b.c", "a"]) == doc


def test_filter_fields_shares_values_with_the_doc():
    doc = person()
    got = filter_fields(doc, ["address", "roles"])
    assert got["address"] is doc["address"] and got["roles"] is doc["roles"]


def test_filter_fields_accepts_a_space_separated_string():
    assert filter_fields(person(), "id name") == {"id": 2, "name": "Walter"}


def test_filter_fields_keeps_falsy_values():
    assert filter_fields({"a": None, "b": 0, "c": "", "d": []}, ["a", "b", "c", "d"]) == {
        "a": None,
        "b": 0,
        "c": "",
        "d": [],
    }


def test_filter_fields_empty_list_gives_an_empty_doc():
    assert filter_fields(person(), []) == {}


# --------------------------------------------------------------------------------------------- exclude_fields


def test_exclude_fields_without_fields_returns_the_same_doc():
    doc = person()
    assert exclude_fields(doc, []) is doc
    assert exclude_fields(doc, None) is doc


def test_exclude_fields_deep_copies_and_leaves_the_input_alone():
    doc = person()
    original = copy.deepcopy(doc)
    got = exclude_fields(doc, ["secret", "address.zip"])
    assert doc == original
    assert "secret" not in got and got["address"] == {"city": "Albuquerque", "state": "NM"}
    got["cars"][0]["make"] = "changed"
    assert doc["cars"][0]["make"] == "Pontiac"


def test_exclude_fields_removing_a_leaf_keeps_the_parent():
    assert exclude_fields({"a": {"d": {"e": {"f": 8}}}, "b": 1}, ["a.d.e.f"]) == {
        "a": {"d": {"e": {}}},
        "b": 1,
    }


def test_exclude_fields_wildcard_removes_the_key_from_every_element():
    got = exclude_fields(person(), ["cars.$.plates.$.state", "cars.$.make"])
    assert got["cars"] == [
        {"plates": [{"no": "NM-1"}]},
        {"plates": []},
        {"plates": [{"no": "X-1"}, {"no": "X-2"}]},
    ]


def test_exclude_fields_index_leaves_a_none_hole_and_missing_paths_are_harmless():
    got = exclude_fields(person(), ["roles.0", "roles.9", "nope.x", "name.x", "cars.$.nope"])
    assert got["roles"] == [None, "teacher"]
    assert {k: v for k, v in got.items() if k != "roles"} == {
        k: v for k, v in person().items() if k != "roles"
    }


def test_exclude_fields_removes_a_literal_dotted_key_and_the_nested_path():
    assert exclude_fields({"a.b": 1, "a": {"b": 2, "c": 3}}, ["a.b"]) == {"a": {"c": 3}}


def test_exclude_fields_accepts_a_string():
    assert exclude_fields({"a": 1, "b": 2, "c": 3}, "a, b") == {"c": 3}


leaf = st.one_of(st.integers(0, 9), st.none())
keys = st.sampled_from("abc")
docs = st.recursive(
    st.dictionaries(keys, leaf, max_size=3),
    lambda inner: st.dictionaries(keys, st.one_of(leaf, inner, st.lists(inner, max_size=2)), max_size=3),
    max_leaves=8,
)


def paths_in(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths_in(v, f"{prefix}{k}.")
    elif isinstance(value, list):
        for item in value:
            yield from paths_in(item, f"{prefix}$.")
    yield prefix


@given(docs, st.sampled_from(["a", "b.c", "a.$.b", "c.$.a.b", "a.b.$.c"]))
def test_excluded_paths_never_survive(doc, path):
    got = exclude_fields(doc, [path])
    assert f"{path}." not in set(paths_in(got))


# ------------------------------------------------------------------------------------------ authorize_fields


def test_authorize_without_whitelist_returns_the_request():
    asked = ["a", "b.c"]
    assert authorize_fields(asked, None) is asked
    assert authorize_fields(asked, []) is asked
    assert authorize_fields(None, None) is None


def test_authorize_exact_match_and_whitelisted_parent():
    allowed = ["id", "author", "address.city"]
    assert authorize_fields(["id", "author.name", "author.a.b", "secret"], allowed) == [
        "id",
        "author.name",
        "author.a.b",
    ]


def test_authorize_expands_a_whole_field_to_its_whitelisted_children_in_whitelist_order():
    allowed = ["address.zip", "id", "address.city", "addressBook"]
    assert authorize_fields(["address"], allowed) == ["address.zip", "address.city"]


def test_authorize_does_not_leak_a_parent_or_match_partial_segments():
    allowed = ["author.user.name", "ab"]
    assert authorize_fields(["user"], allowed) == []
    assert authorize_fields(["user.name"], allowed) == []
    assert authorize_fields(["a", "a.b", "author.us", "author.user.name.x"], allowed) == [
        "author.user.name.x"
    ]
    assert authorize_fields(["author"], allowed) == ["author.user.name"]


def test_authorize_with_whitelist_and_nothing_asked_gives_nothing():
    assert authorize_fields(None, ["a"]) == []
    assert authorize_fields([], ["a"]) == []


def test_authorize_drops_duplicates():
    assert authorize_fields(["author", "author.name", "id", "id"], ["id", "author.name"]) == [
        "author.name",
        "id",
    ]


def test_authorized_fields_never_reveal_more_than_the_whitelist():
    doc = {"author": {"user": {"name": "n", "pw": "p"}, "x": 1}, "user": {"pw": "p"}, "id": 1}
    allowed = ["author.user.name", "id"]
    got = filter_fields(doc, authorize_fields(["user", "author", "id"], allowed))
    assert got == {"author": {"user": {"name": "n"}}, "id": 1}
    assert filter_fields(doc, authorize_fields(["user"], allowed)) == {}


# --------------------------------------------------------------------------------------------- merge_excludes


def test_merge_excludes_request_then_settings_without_duplicates():
    assert merge_excludes(["password", "token"], ["email", "password"]) == ["email", "password", "token"]
    assert merge_excludes(None, None) == []
    assert merge_excludes("password token", None) == ["password", "token"]
    assert merge_excludes(None, "email") == ["email"]


# ---------------------------------------------------------------------------------------------------- flatten


def test_flatten_nested_dicts_to_dot_keys_keeping_other_values_whole():
    when = dt.datetime(2024, 1, 2)
    obj = {
        "name": "John",
        "address": {"city": "Paris", "geo": {"lat": 1.5, "lng": None}},
        "tags": [{"a": 1}],
        "born": when,
        "empty": {},
        "n": None,
    }
    got = flatten(obj)
    assert got == {
        "name": "John",
        "address.city": "Paris",
        "address.geo.lat": 1.5,
        "address.geo.lng": None,
        "tags": [{"a": 1}],
        "born": when,
        "empty": {},
        "n": None,
    }
    assert list(got) == [
        "name", "address.city", "address.geo.lat", "address.geo.lng", "tags", "born", "empty", "n",
    ]  # fmt: skip
    assert got["tags"] is obj["tags"]
