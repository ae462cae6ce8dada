"""The fastest-validator compatible params validator (schemas compiled to pydantic-core)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Literal

import pydantic
import pytest
from pydantic_core import SchemaValidator

from broker.errors import ServiceSchemaError, ValidationError
from broker.fv_core import build
from broker.fv_explain import run
from broker.fv_rules import parse_shorthand, root_rule
from broker.validation import Validator

V = Validator()


def ok(schema, params, **kwargs):
    return V.compile(schema, **kwargs)(params)


def errors_of(schema, params, **kwargs) -> list[dict]:
    check = V.compile(schema, **kwargs)
    with pytest.raises(ValidationError) as info:
        check(params)
    err = info.value
    assert (err.message, err.code, err.type) == ("Parameters validation error!", 422, "VALIDATION_ERROR")
    return err.data


def only_error(schema, params, **kwargs) -> dict:
    errors = errors_of(schema, params, **kwargs)
    assert len(errors) == 1, errors
    return errors[0]


def kinds(errors: list[dict]) -> list[tuple[str, str]]:
    return [(e["type"], e["field"]) for e in errors]


# ------------------------------------------------------------------------------------------------- shorthand
def test_shorthand_flags_values_and_arrays():
    assert parse_shorthand("string|min:3|max:10|no-empty|optional") == {
        "type": "string", "min": 3, "max": 10, "empty": False, "optional": True,
    }  # fmt: skip
    assert parse_shorthand("number|min:1.5|convert:true") == {"type": "number", "min": 1.5, "convert": True}
    assert parse_shorthand("string[]|optional") == {"type": "array", "items": "string", "optional": True}
    assert parse_shorthand("string|pattern:^a:b$") == {"type": "string", "pattern": "^a:b$"}


def test_shorthand_rules_validate():
    schema = {"name": "string|min:3", "age": "number|optional|min:1", "n": "number|integer|positive"}
    assert ok(schema, {"name": "abc", "n": 2}) == {"name": "abc", "n": 2}
    assert kinds(errors_of(schema, {"name": "ab", "age": 0, "n": 1.5})) == [
        ("stringMin", "name"), ("numberMin", "age"), ("numberInteger", "n"),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------- required etc.
def test_missing_field_is_required_with_fv_message():
    assert only_error({"name": "string"}, {}) == {
        "type": "required", "field": "name", "message": "The 'name' field is required.", "actual": None,
    }  # fmt: skip


def test_none_is_required_unless_optional_or_nullable():
    assert only_error({"name": "string"}, {"name": None})["type"] == "required"
    assert ok({"name": "string|optional"}, {"name": None}) == {"name": None}
    assert ok({"name": "string|optional"}, {}) == {}
    assert ok({"name": {"type": "string", "nullable": True}}, {"name": None}) == {"name": None}
    assert only_error({"name": {"type": "string", "nullable": True}}, {})["type"] == "required"


def test_all_errors_are_reported_in_schema_order():
    schema = {"a": "number", "b": "string", "c": "boolean"}
    assert kinds(errors_of(schema, {"a": "x", "c": 1})) == [("number", "a"), ("required", "b"), ("boolean", "c")]


def test_unknown_keys_pass_through_and_input_is_not_mutated():
    params = {"n": "5", "extra": {"deep": [1]}}
    result = ok({"n": "number|convert"}, params)
    assert result == {"n": 5, "extra": {"deep": [1]}}
    assert params == {"n": "5", "extra": {"deep": [1]}}


def test_non_dict_params_give_a_clean_validation_error():
    assert only_error({"a": "number"}, None) == {
        "type": "required", "field": "", "message": "The '' field is required.", "actual": None,
    }  # fmt: skip
    assert only_error({"a": "number"}, [1]) == {
        "type": "object", "field": "", "message": "The '' must be an Object.", "actual": [1],
    }  # fmt: skip


# ----------------------------------------------------------------------------------------------------- string
def test_string_type_error():
    assert only_error({"name": "string"}, {"name": 5}) == {
        "type": "string", "field": "name", "message": "The 'name' field must be a string.", "actual": 5,
    }  # fmt: skip


def test_string_min_has_expected_and_length_as_actual():
    assert only_error({"name": "string|min:3"}, {"name": "ab"}) == {
        "type": "stringMin", "field": "name", "expected": 3, "actual": 2,
        "message": "The 'name' field length must be greater than or equal to 3 characters long.",
    }  # fmt: skip


def test_string_max_length_and_empty():
    assert only_error({"s": "string|max:2"}, {"s": "abc"})["message"] == (
        "The 's' field length must be less than or equal to 2 characters long."
    )
    error = only_error({"s": {"type": "string", "length": 2}}, {"s": "abc"})
    assert (error["type"], error["expected"], error["actual"]) == ("stringLength", 2, 3)
    assert only_error({"s": {"type": "string", "empty": False}}, {"s": ""})["type"] == "stringEmpty"
    assert ok({"s": "string"}, {"s": ""}) == {"s": ""}


def test_string_pattern_reports_every_failing_check_of_the_value():
    errors = errors_of({"s": {"type": "string", "pattern": "^a+$", "min": 3}}, {"s": "b"})
    assert kinds(errors) == [("stringMin", "s"), ("stringPattern", "s")]
    assert errors[1]["expected"] == "/^a+$/"
    assert errors[1]["message"] == "The 's' field fails to match the required pattern."


def test_string_pattern_compiled_or_with_flags_searches_anywhere():
    assert ok({"s": {"type": "string", "pattern": re.compile("b+")}}, {"s": "abba"}) == {"s": "abba"}
    rule = {"type": "string", "pattern": "^abc$", "patternFlags": "i"}
    assert ok({"s": rule}, {"s": "ABC"}) == {"s": "ABC"}
    assert only_error({"s": rule}, {"s": "abd"})["expected"] == "/^abc$/i"


def test_string_sanitizers_change_the_value_before_length_checks():
    rule = {"type": "string", "trim": True, "lowercase": True, "min": 2}
    assert ok({"s": rule}, {"s": "  AB  "}) == {"s": "ab"}
    assert ok({"s": "string|uppercase"}, {"s": "ab"}) == {"s": "AB"}
    error = only_error({"s": "string|uppercase|max:1"}, {"s": "ß"})  # "SS" after the sanitizer
    assert (error["type"], error["actual"]) == ("stringMax", 2)
    error = only_error({"s": {"type": "string", "trim": True, "min": 3}}, {"s": " ab "})
    assert (error["type"], error["actual"]) == ("stringMin", 2)


def test_string_enum_and_character_classes():
    error = only_error({"s": {"type": "string", "enum": ["a", "b"]}}, {"s": "c"})
    assert (error["type"], error["expected"], error["actual"]) == ("stringEnum", "a, b", "c")
    assert error["message"] == "The 's' field does not match any of the allowed values."
    assert only_error({"s": "string|alpha"}, {"s": "ab1"})["type"] == "stringAlpha"
    assert only_error({"s": "string|numeric"}, {"s": "1.x"})["type"] == "stringNumeric"
    assert only_error({"s": "string|alphanum"}, {"s": "a-1"})["type"] == "stringAlphanum"
    assert ok({"s": "string|numeric"}, {"s": "-1.5"}) == {"s": "-1.5"}


def test_string_convert_uses_javascript_string():
    rule = {"s": "string|convert"}
    assert [ok(rule, {"s": value})["s"] for value in (5, 5.0, 2.5, True)] == ["5", "5", "2.5", "true"]
    assert only_error({"s": "string"}, {"s": True})["type"] == "string"


# ----------------------------------------------------------------------------------------------------- number
def test_number_rejects_strings_bools_nan_and_infinity():
    error = only_error({"age": "number"}, {"age": "5"})
    assert error == {"type": "number", "field": "age", "message": "The 'age' field must be a number.", "actual": "5"}
    for value in (True, math.nan, math.inf, [1]):
        assert only_error({"age": "number"}, {"age": value})["type"] == "number"


def test_ints_stay_ints_and_floats_stay_floats():
    for schema in ({"n": "number"}, {"n": "number|min:0|max:10"}, {"n": "number|integer|convert"}):
        result = ok(schema, {"n": 5})["n"]
        assert result == 5 and type(result) is int
    result = ok({"n": "number|integer"}, {"n": 5.0})["n"]
    assert result == 5.0 and type(result) is float
    assert ok({"n": "number|min:0.5"}, {"n": 1}) == {"n": 1}


def test_number_convert_from_strings():
    rule = {"n": {"type": "number", "convert": True}}
    assert type(ok(rule, {"n": "5"})["n"]) is int and ok(rule, {"n": "5"})["n"] == 5
    assert ok(rule, {"n": "5.5"}) == {"n": 5.5}
    assert ok(rule, {"n": " -3 "}) == {"n": -3}
    assert ok(rule, {"n": True}) == {"n": 1}  # Number(true) in FV
    assert only_error(rule, {"n": "abc"})["actual"] == "abc"


def test_number_min_after_convert_reports_the_original_value():
    assert only_error({"age": {"type": "number", "min": 18, "convert": True}}, {"age": "5"}) == {
        "type": "numberMin", "field": "age", "expected": 18, "actual": "5",
        "message": "The 'age' field must be greater than or equal to 18.",
    }  # fmt: skip


def test_number_integer_positive_negative_all_reported():
    errors = errors_of({"n": "number|integer|positive"}, {"n": -1.5})
    assert kinds(errors) == [("numberInteger", "n"), ("numberPositive", "n")]
    assert errors[0]["message"] == "The 'n' field must be an integer."
    assert errors[1]["message"] == "The 'n' field must be a positive number."
    assert only_error({"n": "number|negative"}, {"n": 0})["type"] == "numberNegative"
    assert ok({"n": "number|positive"}, {"n": 0.1}) == {"n": 0.1}


def test_number_max_equal_not_equal():
    assert only_error({"n": "number|max:3"}, {"n": 4})["message"] == "The 'n' field must be less than or equal to 3."
    assert only_error({"n": {"type": "number", "equal": 3}}, {"n": 4})["type"] == "numberEqual"
    error = only_error({"n": {"type": "number", "notEqual": 3}}, {"n": 3})
    assert (error["type"], error["message"]) == ("numberNotEqual", "The 'n' field can't be equal to 3.")
    assert ok({"n": {"type": "number", "equal": 3}}, {"n": 3.0}) == {"n": 3.0}


# ---------------------------------------------------------------------------------------------------- boolean
def test_boolean_does_not_convert_without_convert():
    assert only_error({"b": "boolean"}, {"b": "true"}) == {
        "type": "boolean", "field": "b", "message": "The 'b' field must be a boolean.", "actual": "true",
    }  # fmt: skip
    assert only_error({"b": "boolean"}, {"b": 1})["type"] == "boolean"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("true", True), ("1", True), ("on", True), (1, True), ("false", False), ("0", False), ("off", False), (0, False)],
)
def test_boolean_convert(given, expected):
    assert ok({"b": "boolean|convert"}, {"b": given}) == {"b": expected}


def test_boolean_convert_rejects_other_values():
    assert only_error({"b": "boolean|convert"}, {"b": "yes"})["actual"] == "yes"


# ------------------------------------------------------------------------------------------------------ array
def test_array_items_paths():
    error = only_error({"tags": "string[]"}, {"tags": ["a", 5]})
    assert error == {"type": "string", "field": "tags[1]", "message": "The 'tags[1]' field must be a string.",
                     "actual": 5}  # fmt: skip
    assert only_error({"tags": "string[]"}, {"tags": "a"})["type"] == "array"
    assert only_error({"tags": "string[]"}, {"tags": ["a", None]})["type"] == "required"


def test_array_length_rules():
    error = only_error({"a": {"type": "array", "min": 2}}, {"a": [1]})
    assert (error["type"], error["expected"], error["actual"]) == ("arrayMin", 2, 1)
    assert error["message"] == "The 'a' field must contain at least 2 items."
    assert only_error({"a": {"type": "array", "max": 1}}, {"a": [1, 2]})["type"] == "arrayMax"
    assert only_error({"a": {"type": "array", "length": 1}}, {"a": [1, 2]})["type"] == "arrayLength"
    assert only_error({"a": {"type": "array", "empty": False}}, {"a": []})["type"] == "arrayEmpty"


def test_array_level_and_item_errors_are_both_reported():
    schema = {"items": {"type": "array", "min": 3, "items": {"type": "object", "props": {"name": "string"}}}}
    assert kinds(errors_of(schema, {"items": [{"name": "x"}, {"name": 1}]})) == [
        ("arrayMin", "items"), ("string", "items[1].name"),
    ]  # fmt: skip


def test_array_contains_unique_enum():
    rule = {"type": "array", "contains": "a", "unique": True, "enum": ["a", "b"]}
    assert ok({"x": rule}, {"x": ["a", "b"]}) == {"x": ["a", "b"]}
    errors = errors_of({"x": rule}, {"x": ["b", "b", "c"]})
    assert kinds(errors) == [("arrayContains", "x"), ("arrayUnique", "x"), ("arrayEnum", "x")]
    assert errors[1]["expected"] == ["b"]
    assert errors[2]["actual"] == "c"
    assert errors[2]["message"] == "The 'c' value in 'x' field does not match any of the 'a, b' values."
    assert ok({"x": {"type": "array", "unique": True}}, {"x": [1, True, "1"]}) == {"x": [1, True, "1"]}


def test_array_convert_wraps_a_scalar_and_items_convert():
    assert ok({"x": {"type": "array", "convert": True, "items": "number|convert"}}, {"x": "5"}) == {"x": [5]}


# ----------------------------------------------------------------------------------------------------- object
def test_nested_object_paths_and_type_error():
    schema = {"o": {"type": "object", "props": {"x": "number", "in": {"type": "object", "props": {"y": "string"}}}}}
    errors = errors_of(schema, {"o": {"x": "1", "in": {"y": 2}}})
    assert kinds(errors) == [("number", "o.x"), ("string", "o.in.y")]
    assert errors[0]["message"] == "The 'o.x' field must be a number."
    assert only_error(schema, {"o": [1]})["message"] == "The 'o' must be an Object."


def test_non_identifier_keys_use_brackets_like_fv():
    schema = {"o": {"type": "object", "props": {"a-b": "number"}}}
    assert only_error(schema, {"o": {"a-b": "x"}})["field"] == "o['a-b']"


def test_object_without_props_accepts_any_dict_and_counts_props():
    assert ok({"o": "object"}, {"o": {"k": 1}}) == {"o": {"k": 1}}
    error = only_error({"o": {"type": "object", "minProps": 2}}, {"o": {"a": 1}})
    assert (error["type"], error["expected"], error["actual"]) == ("objectMinProps", 2, 1)
    assert only_error({"o": {"type": "object", "maxProps": 0}}, {"o": {"a": 1}})["type"] == "objectMaxProps"


def test_root_strict_names_each_unknown_key():
    # deliberate difference: FV reports one error with no field; we name each key (FV's message is kept)
    assert only_error({"$$strict": True, "a": "number"}, {"a": 1, "b": 2}) == {
        "type": "objectStrict", "field": "b", "expected": "a", "actual": "b",
        "message": "The object '' contains forbidden keys: 'b'.",
    }  # fmt: skip
    errors = errors_of({"$$strict": True, "$$async": True, "a": "number"}, {"a": 1, "b": 2, "c": 3})
    assert kinds(errors) == [("objectStrict", "b"), ("objectStrict", "c")]


def test_nested_strict_and_remove():
    schema = {"o": {"type": "object", "strict": True, "props": {"a": "number"}}}
    error = only_error(schema, {"o": {"a": 1, "z": 0}})
    assert (error["field"], error["message"]) == ("o", "The object 'o' contains forbidden keys: 'z'.")
    assert ok({"$$strict": "remove", "a": "number"}, {"a": 1, "b": 2}) == {"a": 1}


def test_dollar_type_object_shorthand():
    schema = {"o": {"$$type": "object|optional", "x": "number"}}
    assert ok(schema, {}) == {}
    assert only_error(schema, {"o": {"x": "a"}})["field"] == "o.x"


# ------------------------------------------------------------------------------------------- other rule types
def test_email():
    assert ok({"e": "email"}, {"e": "a@b.co"}) == {"e": "a@b.co"}
    assert only_error({"e": "email"}, {"e": "nope"}) == {
        "type": "email", "field": "e", "message": "The 'e' field must be a valid e-mail.", "actual": "nope",
    }  # fmt: skip
    assert only_error({"e": "email"}, {"e": ""})["type"] == "emailEmpty"
    assert only_error({"e": "email"}, {"e": 5})["type"] == "string"
    assert only_error({"e": {"type": "email", "mode": "precise"}}, {"e": "a@b"})["type"] == "email"
    assert ok({"e": {"type": "email", "normalize": True}}, {"e": " A@B.CO "}) == {"e": "a@b.co"}


def test_url_and_uuid():
    assert ok({"u": "url"}, {"u": "https://x.org/a"}) == {"u": "https://x.org/a"}
    assert only_error({"u": "url"}, {"u": "ftp://x"})["message"] == "The 'u' field must be a valid URL."
    good = "a2f8e1c2-4b1a-41ee-be56-0242ac120002"
    assert ok({"id": "uuid"}, {"id": good}) == {"id": good}
    assert only_error({"id": "uuid"}, {"id": "nope"})["message"] == "The 'id' field must be a valid UUID."
    error = only_error({"id": {"type": "uuid", "version": 5}}, {"id": good})
    assert (error["type"], error["expected"], error["actual"]) == ("uuidVersion", 5, 4)


def test_date_and_its_conversions():
    now = datetime(2024, 5, 1, tzinfo=UTC)
    assert ok({"d": "date"}, {"d": now}) == {"d": now}
    assert only_error({"d": "date"}, {"d": "2024-05-01"})["message"] == "The 'd' field must be a Date."
    assert ok({"d": "date|convert"}, {"d": "2024-05-01T00:00:00Z"}) == {"d": now}
    assert ok({"d": "date|convert"}, {"d": 1714521600000}) == {"d": now}
    assert ok({"d": "date|convert"}, {"d": "1714521600000"}) == {"d": now}
    assert only_error({"d": "date|convert"}, {"d": "soon"})["actual"] == "soon"


def test_enum_rule():
    rule = {"k": {"type": "enum", "values": ["a", 1]}}
    assert ok(rule, {"k": 1}) == {"k": 1}
    assert only_error(rule, {"k": True}) == {
        "type": "enumValue", "field": "k", "expected": "a, 1", "actual": True,
        "message": "The 'k' field value 'a, 1' does not match any of the allowed values.",
    }  # fmt: skip


def test_equal_rule_loose_and_strict():
    assert ok({"x": {"type": "equal", "value": 5}}, {"x": "5"}) == {"x": "5"}
    error = only_error({"x": {"type": "equal", "value": 5, "strict": True}}, {"x": "5"})
    assert (error["type"], error["expected"]) == ("equalValue", 5)
    assert error["message"] == "The 'x' field value must be equal to '5'."


def test_any_forbidden_and_class():
    assert ok({"id": "any"}, {"id": {"x": [1]}}) == {"id": {"x": [1]}}
    assert only_error({"id": "any"}, {})["type"] == "required"
    assert only_error({"p": "forbidden"}, {"p": 1})["message"] == "The 'p' field is forbidden."
    assert ok({"p": "forbidden"}, {}) == {}
    assert ok({"p": {"type": "forbidden", "remove": True}}, {"p": 1, "q": 2}) == {"q": 2}
    when = datetime(2020, 1, 1)
    assert ok({"c": {"type": "class", "instanceOf": datetime}}, {"c": when})["c"] is when
    assert only_error({"c": {"type": "class", "instanceOf": datetime}}, {"c": 1})["expected"] == "datetime"


# ------------------------------------------------------------------------------------------------ multi rules
STRING_OR_ARRAY = {"f": [{"type": "string", "optional": True}, {"type": "array", "optional": True, "items": "string"}]}


def test_multi_string_or_array_of_strings():
    assert ok(STRING_OR_ARRAY, {"f": "a"}) == {"f": "a"}
    assert ok(STRING_OR_ARRAY, {"f": ["a", "b"]}) == {"f": ["a", "b"]}
    assert ok(STRING_OR_ARRAY, {}) == {}


def test_multi_reports_the_errors_of_every_alternative():
    assert kinds(errors_of(STRING_OR_ARRAY, {"f": 5})) == [("string", "f"), ("array", "f")]
    assert kinds(errors_of(STRING_OR_ARRAY, {"f": ["a", 1]})) == [("string", "f"), ("string", "f[1]")]


def test_multi_is_optional_only_if_every_alternative_is():
    schema = {"id": [{"type": "string"}, {"type": "number", "optional": True}]}
    assert only_error(schema, {}) == {
        "type": "required", "field": "id", "message": "The 'id' field is required.", "actual": None,
    }  # fmt: skip
    assert only_error(schema, {"id": None})["type"] == "required"


def test_multi_takes_the_first_passing_alternative_value():
    schema = {"n": [{"type": "number", "convert": True}, {"type": "string"}]}
    assert ok(schema, {"n": "7"}) == {"n": 7}
    assert ok(schema, {"n": "seven"}) == {"n": "seven"}


# ---------------------------------------------------------------------------------------------------- default
def test_default_for_absent_and_none():
    schema = {"n": {"type": "number", "default": 5}, "s": {"type": "string", "nullable": True, "default": "d"}}
    assert ok(schema, {}) == {"n": 5, "s": "d"}
    assert ok(schema, {"n": None, "s": None}) == {"n": 5, "s": None}


def test_callable_and_mutable_defaults_are_fresh_each_call():
    check = V.compile({"a": {"type": "array", "default": list}, "b": {"type": "array", "default": [1]}})
    first, second = check({}), check({})
    assert first == {"a": [], "b": [1]}
    assert first["a"] is not second["a"] and first["b"] is not second["b"]


def test_label_and_custom_messages():
    rule = {"type": "string", "min": 3, "label": "Full name", "messages": {"required": "Say your {field}!"}}
    assert only_error({"n": rule}, {"n": "ab"})["message"].startswith("The 'Full name' field length")
    assert only_error({"n": rule}, {}) == {
        "type": "required", "field": "n", "message": "Say your Full name!", "actual": None,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------------- partial
def test_partial_makes_top_level_fields_optional_but_checks_present_ones():
    schema = {"name": "string|min:2", "n": {"type": "number", "default": 1},
              "o": {"type": "object", "props": {"x": "number"}}}  # fmt: skip
    assert ok(schema, {}, partial=True) == {}
    assert ok(schema, {"n": 3}, partial=True) == {"n": 3}
    errors = errors_of(schema, {"name": "a", "o": {}}, partial=True)
    assert kinds(errors) == [("stringMin", "name"), ("required", "o.x")]
    assert only_error(schema, {"name": None}, partial=True)["type"] == "required"
    assert kinds(errors_of(schema, {})) == [("required", "name"), ("required", "o")]


# -------------------------------------------------------------------------------------------- pydantic models
class Address(pydantic.BaseModel):
    city: str = pydantic.Field(min_length=2)


class Product(pydantic.BaseModel):
    name: str = pydantic.Field(min_length=2)
    price: float = pydantic.Field(gt=0)
    stock: int = 0
    kind: Literal["a", "b"] = "a"
    tags: list[str] = []
    address: Address | None = None

    @pydantic.field_validator("name")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()

    @pydantic.model_validator(mode="after")
    def not_too_much(self) -> Product:
        if self.stock > 100:
            raise ValueError("too much stock")
        return self


def test_model_returns_a_plain_dict_with_defaults():
    result = ok(Product, {"name": "pen", "price": 2.5, "unknown": 1})
    assert result == {"name": "PEN", "price": 2.5, "stock": 0, "kind": "a", "tags": [], "address": None}


def test_model_errors_are_mapped_to_fv_shape():
    errors = errors_of(Product, {"name": "p", "stock": "x", "tags": ["a", 1], "address": {"city": "x"}})
    assert kinds(errors) == [
        ("stringMin", "name"), ("required", "price"), ("number", "stock"), ("string", "tags[1]"),
        ("stringMin", "address.city"),
    ]  # fmt: skip
    assert errors[0] == {
        "type": "stringMin", "field": "name", "expected": 2, "actual": 1,
        "message": "The 'name' field length must be greater than or equal to 2 characters long.",
    }  # fmt: skip
    assert errors[1]["message"] == "The 'price' field is required."
    assert errors_of(Product, {"name": "pen", "price": -1})[0]["type"] == "greater_than"  # no FV equivalent


def test_model_partial_checks_only_present_fields():
    assert ok(Product, {"price": 3, "address": {"city": "Paris"}}, partial=True) == {
        "price": 3.0, "address": {"city": "Paris"},
    }  # fmt: skip
    assert ok(Product, {"name": "ab", "stock": 500}, partial=True) == {"name": "AB", "stock": 500}
    error = only_error(Product, {"price": -1}, partial=True)
    assert (error["type"], error["field"]) == ("greater_than", "price")
    assert only_error(Product, {"name": "pen", "price": 1, "stock": 500})["type"] == "value_error"


class Node(pydantic.BaseModel):
    value: int
    children: list[Node] = []


class Closed(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    a: int


def test_model_partial_with_recursion_and_forbidden_extras():
    assert only_error(Node, {"children": [{"value": "x"}]}, partial=True)["field"] == "children[0].value"
    assert ok(Node, {"children": [{"value": 1}]}, partial=True) == {"children": [{"value": 1, "children": []}]}
    errors = errors_of(Closed, {"a": 1, "b": 2, "c": 3})  # at the root each key is named, as for $$strict
    assert [(e["type"], e["field"], e["message"]) for e in errors] == [
        ("objectStrict", "b", "The object '' contains forbidden keys: 'b'."),
        ("objectStrict", "c", "The object '' contains forbidden keys: 'c'."),
    ]


# ------------------------------------------------------------------------------------------- invalid schemas
@pytest.mark.parametrize(
    ("schema", "needle"),
    [
        ({"name": "strng"}, "'name'"),
        ({"name": "string|min:abc"}, "'min'"),
        ({"age": {"type": "number", "min": "3"}}, "'min'"),
        ({"s": {"type": "string", "pattern": "(("}}, "pattern"),
        ({"f": []}, "'f'"),
        ({"o": {"type": "object", "strict": "yes"}}, "'strict'"),
        ({"o": {"type": "object", "props": {"x": {"type": "nope"}}}}, "'o.x'"),
        ({"k": {"type": "enum"}}, "'values'"),
        ({"x": {"type": "string", "custom": lambda v: v}}, "custom"),
        ({"x": {"type": "number", "optional": "yes"}}, "'optional'"),
        ({"x": 5}, "'x'"),
        ({"x": {"type": "array", "default": lambda schema, field: []}}, "default"),
        ("string", "root"),
    ],
)
def test_invalid_schemas_fail_at_compile_time(schema, needle):
    with pytest.raises(ServiceSchemaError) as info:
        V.compile(schema)
    assert needle in info.value.message


# ------------------------------------------- native fast path and Python explanation must agree value by value
SCALAR_RULES = [
    "string", "string|min:2|max:4", {"type": "string", "trim": True, "length": 2}, "string|no-empty",
    "number", "number|integer|min:0", "number|positive|max:10", {"type": "number", "min": 0.5, "convert": True},
    "boolean", "boolean|convert", "any", "email", "url", "uuid", "date|convert",
    {"type": "enum", "values": ["a", 1]}, {"type": "string", "pattern": "^x", "convert": True},
    {"type": "string", "uppercase": True, "max": 1}, {"type": "string", "trim": True, "lowercase": True},
]  # fmt: skip
SAMPLES = [None, "", " ab ", "abcde", "x1", "5", "-1", "1.5", "true", 0, 1, -1, 2.5, 5.0, 11, True, False,
           math.nan, math.inf, [], ["a"], {}, "a@b.co", "http://x", "a2f8e1c2-4b1a-41ee-be56-0242ac120002",
           "ß", "\x1cab", "\u3000ab\xa0", "İ"]  # fmt: skip


@pytest.mark.parametrize("rule", SCALAR_RULES, ids=str)
def test_the_fast_path_never_accepts_what_the_reference_rejects(rule):
    root = root_rule({"x": rule})
    fast = SchemaValidator(build(root)).validate_python
    for value in SAMPLES:
        converted, errors = run(root, {"x": value})
        try:
            result = fast({"x": value})
        except Exception:
            continue
        assert not errors and result == converted, (rule, value)


def test_benchmark_schema_converts_and_keeps_types():
    schema = {"a": "number", "b": "string", "c": "boolean|optional",
              "d": {"type": "number", "integer": True, "min": 0, "convert": True}, "e": "string|min:2"}  # fmt: skip
    result = ok(schema, {"a": 1.5, "b": "x", "d": "7", "e": "hello"})
    assert result == {"a": 1.5, "b": "x", "d": 7, "e": "hello"} and type(result["d"]) is int
