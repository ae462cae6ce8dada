"""sanitize_params: string conversion, list splitting, list paging and limit caps, with clear 422s."""

from __future__ import annotations

import pytest

from broker.errors import ValidationError
from dbmixin.params import sanitize_params, split_list

SETTINGS = {"pageSize": 10, "maxPageSize": 100, "maxLimit": -1}


def sanitize(params: dict, is_list: bool = False, **settings) -> dict:
    return sanitize_params(params, {**SETTINGS, **settings}, is_list=is_list)


def error_of(params: dict, is_list: bool = False) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        sanitize(params, is_list)
    return info.value


def test_numeric_strings_become_ints():
    got = sanitize({"limit": "5", "offset": " 20 ", "page": "2", "pageSize": "1e1"})
    assert got == {"limit": 5, "offset": 20, "page": 2, "pageSize": 10}
    assert all(type(got[k]) is int for k in got)


def test_integral_floats_become_ints_and_empty_strings_are_absent():
    got = sanitize({"limit": 7.0, "offset": "", "page": "  ", "pageSize": None})
    assert got == {"limit": 7}
    assert type(got["limit"]) is int


def test_input_is_not_mutated():
    params = {"limit": "5", "sort": "a,b", "query": '{"a": 1}'}
    sanitize(params)
    assert params == {"limit": "5", "sort": "a,b", "query": '{"a": 1}'}


@pytest.mark.parametrize(
    ("value", "kind"),
    [("abc", "number"), ("5px", "number"), ([5], "number"), (True, "number"), ("2.5", "numberInteger"),
     (float("nan"), "numberInteger"), (-1, "numberMin"), ("-3", "numberMin")],
)  # fmt: skip
def test_bad_numbers_are_validation_errors_naming_the_field(value, kind):
    err = error_of({"offset": value})
    assert err.code == 422
    assert err.message == "Parameters validation error!"
    assert len(err.data) == 1
    entry = err.data[0]
    assert set(entry) == {"type", "field", "message", "actual"}
    assert (entry["type"], entry["field"]) == (kind, "offset")
    assert entry["actual"] is value
    assert "offset" in entry["message"]


def test_all_problems_are_reported_together():
    err = error_of({"limit": "x", "page": "-2", "query": "{", "fields": ""})
    assert [e["field"] for e in err.data] == ["limit", "page", "query", "fields"]


def test_query_json_string_is_decoded_and_objects_pass_through():
    assert sanitize({"query": '{"status": "draft", "votes": {"$gt": 2}}'})["query"] == {
        "status": "draft",
        "votes": {"$gt": 2},
    }
    query = {"a": 1}
    assert sanitize({"query": query})["query"] is query


@pytest.mark.parametrize(("raw", "kind"), [("{status: 1}", "json"), ("", "json"), ("[1, 2]", "object"),
                                           ('"text"', "object"), ("null", "object")])  # fmt: skip
def test_bad_query_strings_are_validation_errors(raw, kind):
    err = error_of({"query": raw})
    assert [(e["field"], e["type"], e["actual"]) for e in err.data] == [("query", kind, raw)]


@pytest.mark.parametrize("name", ["sort", "fields", "excludeFields", "populate", "searchFields"])
def test_list_params_split_on_commas_and_whitespace_without_empty_items(name):
    assert sanitize({name: " a,b  c ,\td, "})[name] == ["a", "b", "c", "d"]


def test_list_values_pass_through_unchanged():
    sort = ["-votes", "title"]
    assert sanitize({"sort": sort})["sort"] is sort


def test_split_list():
    assert split_list("a, b") == ["a", "b"]
    assert split_list(",,") == []


@pytest.mark.parametrize("fields", ["", " , ", [], [""], ("  ",)])
def test_empty_fields_is_a_validation_error(fields):
    err = error_of({"fields": fields})
    assert err.data[0]["field"] == "fields"
    assert err.data[0]["message"] == "fields must name at least one field"


def test_absent_fields_is_fine():
    assert sanitize({"fields": None}) == {"fields": None}
    assert "fields" not in sanitize({})


def test_list_paging_defaults():
    assert sanitize({}, is_list=True) == {"page": 1, "pageSize": 10, "limit": 10, "offset": 0}
    assert sanitize({"page": "", "pageSize": None}, is_list=True, pageSize=25) == {
        "page": 1,
        "pageSize": 25,
        "limit": 25,
        "offset": 0,
    }
    err = error_of({"page": 0, "pageSize": 0}, is_list=True)
    assert [(e["field"], e["type"]) for e in err.data] == [("page", "numberMin"), ("pageSize", "numberMin")]


def test_list_paging_derives_limit_and_offset_and_overwrites_them():
    got = sanitize({"page": "3", "pageSize": "20", "limit": 1, "offset": 999}, is_list=True)
    assert (got["limit"], got["offset"]) == (20, 40)


def test_page_size_is_capped_by_max_page_size_only_when_positive():
    assert sanitize({"page": 2, "pageSize": 500}, is_list=True)["pageSize"] == 100
    assert sanitize({"page": 2, "pageSize": 500}, is_list=True)["offset"] == 100
    assert sanitize({"pageSize": 500}, is_list=True, maxPageSize=0)["pageSize"] == 500
    assert sanitize({"pageSize": 500}, is_list=True, maxPageSize=-1)["limit"] == 500


def test_non_list_actions_get_no_paging():
    assert sanitize({"page": 2, "pageSize": 5}) == {"page": 2, "pageSize": 5}


def test_limit_is_capped_by_max_limit_for_every_action():
    assert sanitize({"limit": "50"}, maxLimit=20)["limit"] == 20
    assert sanitize({"limit": 5}, maxLimit=20)["limit"] == 5
    assert sanitize({"limit": 5000}, maxLimit=0)["limit"] == 5000
    assert sanitize({}, maxLimit=20)["limit"] == 20  # omitting the limit does not bypass the cap
    assert "limit" not in sanitize({})
    listed = sanitize({"pageSize": 50}, is_list=True, maxLimit=20)
    # as moleculer-db: maxLimit caps the limit, the reported pageSize stays
    assert (listed["pageSize"], listed["limit"]) == (50, 20)


def test_missing_settings_fall_back_to_moleculer_db_defaults():
    assert sanitize_params({"pageSize": 1000}, {}, is_list=True)["limit"] == 100
    assert sanitize_params({}, {}, is_list=True)["limit"] == 10
