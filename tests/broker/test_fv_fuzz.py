"""Fuzzing the validator: garbage schemas only ever raise ``ServiceSchemaError`` at compile time, and hostile
params only ever raise ``ValidationError`` at check time (never OverflowError, RecursionError, ValueError...).
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.errors import ServiceSchemaError, ValidationError
from broker.fv_rules import MAX_DEPTH
from broker.validation import Validator

from . import fv_gen

V = Validator()
TYPES = ["any", "array", "boolean", "class", "date", "email", "enum", "equal", "forbidden", "function", "multi",
         "number", "object", "string", "url", "uuid", "record", "tuple", "", "string[]", "number[]"]  # fmt: skip
OPTIONS = ["type", "optional", "nullable", "default", "convert", "min", "max", "length", "empty", "pattern",
           "patternFlags", "contains", "enum", "values", "value", "strict", "props", "properties", "items", "rules",
           "minProps", "maxProps", "integer", "positive", "negative", "equal", "notEqual", "trim", "padStart",
           "padChar", "lowercase", "numeric", "unique", "mode", "version", "remove", "messages", "label",
           "instanceOf", "$$type", "$$strict", "$$root", "custom", "normalize"]  # fmt: skip
HOSTILE = [10**400, -(10**400), 2**53 + 1, "9" * 5000, "0" * 5000 + "1", "1e400", math.nan, math.inf, -math.inf,
           "\ud800", "a\udfffb", "😀" * 3, "", "\x00", None, True, [], {}, [[[]]], {"a": {"b": {}}}, 1.5, -0.0,
           "0x" + "f" * 5000, "1" * 5000 + "e-4990", object(), b"bytes", (1, 2), {1: 2}]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**400), max_value=10**400), st.floats(),
    st.text(max_size=8), st.sampled_from(TYPES), st.sampled_from(["string|min:3", "number|max:x", "|", "a||b",
                                                                  "string|pattern:(", "x[]", "string|enum:a"]),
)  # fmt: skip
keys = st.one_of(st.sampled_from(OPTIONS), st.text(max_size=4), st.integers(), st.tuples(st.integers()))
garbage = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=20,
)


def compiles_or_refuses(schema):
    """The check, or ``None`` when the schema is refused, which must be with ``ServiceSchemaError``."""
    try:
        return V.compile(schema)
    except ServiceSchemaError:
        return None


def only_validation_errors(check, params):
    try:
        check(params)
    except ValidationError as exc:
        assert exc.data and all(isinstance(error["field"], str) for error in exc.data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=garbage, params=garbage)
def test_garbage_schemas_are_refused_with_service_schema_error_only(schema, params):
    check = compiles_or_refuses(schema)
    if check is not None:
        only_validation_errors(check, params)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(props=st.dictionaries(st.sampled_from(["a", "b", "c-d"]), garbage, min_size=1, max_size=3))
def test_garbage_rules_as_fields_are_refused_cleanly(props):
    compiles_or_refuses(props)
    compiles_or_refuses({"o": {"type": "object", "props": props}})
    compiles_or_refuses({"a": {"type": "array", "items": props}})


def test_non_string_keys_are_refused():
    for schema in ({1: "string"}, {"o": {"type": "object", "props": {("a",): "number"}}}, {None: "any"}):
        with pytest.raises(ServiceSchemaError, match="field names must be strings"):
            V.compile(schema)


def test_cyclic_schemas_are_refused():
    rule: dict = {"type": "object", "props": {}}
    rule["props"]["self"] = rule
    items: dict = {"type": "array"}
    items["items"] = items
    alternatives: list = ["string"]
    alternatives.append(alternatives)
    props: dict = {"a": "string"}
    props["b"] = {"type": "object", "props": props}
    for schema in ({"r": rule}, {"a": items}, {"m": alternatives}, props):
        with pytest.raises(ServiceSchemaError, match="cyclic"):
            V.compile(schema)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH + 1, 1000, 5000])
def test_deep_schemas_compile_or_are_refused_by_depth(depth):
    rule: object = "number"
    for _ in range(depth):
        rule = {"type": "object", "props": {"x": rule}}
    params: object = 1
    for _ in range(depth):
        params = {"x": params}
    if depth < MAX_DEPTH:
        assert V.compile({"r": rule})({"r": params}) == {"r": params}
        only_validation_errors(V.compile({"r": rule}), {"r": {"x": {"x": "nope"}}})
    else:
        with pytest.raises(ServiceSchemaError, match="deeper than"):
            V.compile({"r": rule})


def test_wrong_typed_options_are_refused():
    bad = [{"type": "string", "min": "3"}, {"type": "string", "min": -1}, {"type": "string", "max": 10**400},
           {"type": "number", "min": math.nan}, {"type": "number", "max": 10**400}, {"type": "number", "equal": "1"},
           {"type": "string", "pattern": 5}, {"type": "string", "pattern": "("}, {"type": "string", "enum": "a"},
           {"type": "enum"}, {"type": "string", "messages": {"string": 5}}, {"type": "object", "props": []},
           {"type": "array", "items": 5}, {"type": "multi", "rules": []},
           {"type": "object", "strict": "yes"}, {"type": "uuid", "version": 9}]  # fmt: skip
    for rule in bad:
        compiles_or_refuses({"f": rule})
    for rule in bad[:12]:
        with pytest.raises(ServiceSchemaError):
            V.compile({"f": rule})


@pytest.mark.parametrize("seed", range(3))
def test_hostile_params_against_random_schemas_raise_validation_errors_only(seed):
    rng = random.Random(seed)
    for _ in range(300):
        schema, _params = fv_gen.case(rng)
        check = V.compile(schema)
        for key in [key for key in schema if not key.startswith("$$")]:
            for value in rng.sample(HOSTILE, 6):
                only_validation_errors(check, {key: value})
                only_validation_errors(check, {key: [value, {"k0": value, "k1": [value]}]})
        only_validation_errors(check, rng.choice(HOSTILE))


def test_deeply_nested_and_cyclic_params():
    deep: object = "x"
    for _ in range(20_000):
        deep = [deep]
    cyclic: dict = {"a": 1}
    cyclic["self"] = cyclic
    for schema in ({"a": "any", "b": "number"}, {"a": "array", "b": "number"}, {"a": "string|convert"},
                   {"a": {"type": "array", "items": "any", "unique": True}, "b": "number"},
                   {"a": ["number", "any"], "b": "number"}, {"a": "number|convert"},
                   {"a": "date|convert"}):  # fmt: skip
        check = V.compile(schema)
        only_validation_errors(check, {"a": deep})
        only_validation_errors(check, {"a": cyclic})
        only_validation_errors(check, cyclic)


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="ab.^$[]()\\/?*+{}|-dswSDWkbn<>=!:0123😀\n", max_size=12),
       flags=st.sampled_from(["", "i", "m", "s", "g", "ims", "x"]), text=st.text(max_size=6))
def test_any_pattern_compiles_or_is_refused_and_any_text_checks_cleanly(pattern, flags, text):
    check = compiles_or_refuses({"s": {"type": "string", "pattern": pattern, "patternFlags": flags}})
    if check is not None:
        only_validation_errors(check, {"s": text})
