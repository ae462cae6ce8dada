"""Compile a normalised FV ``Rule`` tree into a single pydantic-core schema.

Native core schemas are used wherever they match FV exactly (strict scalars, length bounds, number bounds,
typed dicts that keep unknown keys), so a valid call never enters Python. Where FV's semantics have no native
equivalent, the rule's Python checker (``fv_checks``) runs as a function validator, or the whole rule is
checked by the Python reference (``fv_explain``: FV's in-place changes, removed keys). Any failure raises a
marker error: ``validation`` then re-checks the params with the reference, which gives FV's errors.

This schema may be stricter than FV (the reference then decides), never looser. Union branch labels start
with ``INTERNAL`` (``ALT + i`` is alternative ``i`` of a multi rule).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticCustomError, PydanticOmit, core_schema

from .fv_checks import CHECKERS, to_number, units
from .fv_explain import check_rule
from .fv_rules import NO, Rule

__all__ = ["ALT", "INTERNAL", "build"]

CoreSchema = core_schema.CoreSchema
INTERNAL = "\x00"
ALT = "\x00alt:"

# String options only the Python checker implements (a truthy value means "not native"). ``trim`` is one:
# pydantic-core strips Unicode White_Space (U+0085 but not U+FEFF), JavaScript its own set.
_STRING_PYTHON_ONLY = (
    *("convert", "trim", "trimLeft", "trimRight", "padStart", "padEnd", "localeLowercase", "localeUppercase"),
    *("pattern", "contains", "numeric", "alpha", "alphanum", "alphadash", "hex", "singleLine", "base64"),
)
# The largest int a JavaScript number holds without becoming Infinity (bigger ones fail, as JSON's 1e400 does).
_INT_LIMIT = 2**1024 - 2**970 - 1


def build(rule: Rule, partial: bool = False) -> CoreSchema:
    """The core schema for ``rule`` including its presence handling (optional, nullable, default)."""
    return _presence(rule, _value(rule, partial), with_default=True)


def _failure(rule: Rule) -> PydanticCustomError:
    return PydanticCustomError("fv", "The value fails its '{rule}' rule.", {"rule": rule.type})


def _value(rule: Rule, partial: bool = False) -> CoreSchema:
    """The schema for a present, non-``None`` value (``None`` must fail here; presence is handled around)."""
    builder = _NATIVE.get(rule.type)
    native = builder(rule, partial) if builder is not None else None
    return native if native is not None else _plain(rule)


def _plain(rule: Rule) -> CoreSchema:
    check = CHECKERS[rule.type]

    def validate(value: Any) -> Any:
        if value is None:
            raise _failure(rule)
        value, errors = check(rule, value)
        if errors:
            raise _failure(rule)
        return value

    return core_schema.no_info_plain_validator_function(validate)


def _after(rule: Rule, schema: CoreSchema) -> CoreSchema:
    """Run the rule's Python checker on the natively validated container (its extra checks)."""
    check = CHECKERS[rule.type]

    def validate(value: Any) -> Any:
        if check(rule, value)[1]:
            raise _failure(rule)
        return value

    return core_schema.no_info_after_validator_function(validate, schema)


def _presence(rule: Rule, schema: CoreSchema, with_default: bool) -> CoreSchema:
    """FV's required check: ``None`` passes if optional/nullable; a default replaces absent (and ``None``),
    even for an optional or forbidden rule."""
    if rule.default is not NO:
        inner: CoreSchema = core_schema.nullable_schema(schema)
        if not rule.nullable:

            def none_to_default(value: Any) -> Any:
                return rule.default_value() if value is None else value

            inner = core_schema.no_info_after_validator_function(none_to_default, inner)
        if not with_default:
            return inner
        if callable(rule.default):
            return core_schema.with_default_schema(inner, default_factory=rule.default)
        return core_schema.with_default_schema(inner, default=rule.default)
    if rule.type == "forbidden":
        return schema
    if rule.optional or rule.nullable:
        return core_schema.nullable_schema(schema)
    return schema


def _field(rule: Rule, partial: bool) -> core_schema.TypedDictField:
    required = not (partial or rule.optional or rule.default is not NO or rule.type == "forbidden")
    schema = _presence(rule, _value(rule), with_default=not partial)
    return core_schema.typed_dict_field(schema, required=required)


def _bounds(opts: dict[str, Any]) -> tuple[int | None, int | None]:
    """(min_length, max_length) from FV's min/max/length and ``empty: false`` (at least one)."""
    lows = [opts[key] for key in ("min", "length") if opts.get(key) is not None]
    highs = [opts[key] for key in ("max", "length") if opts.get(key) is not None]
    low = max([*lows, 1 if opts.get("empty") is False else 0])
    return (low or None), (min(highs) if highs else None)


def _string(rule: Rule, partial: bool) -> CoreSchema | None:
    o = rule.opts
    if any(o.get(key) for key in _STRING_PYTHON_ONLY) or o.get("empty") is True or o.get("enum") is not None:
        return None
    low, high = _bounds(o)
    changes_case = o.get("lowercase") or o.get("uppercase")
    if (o.get("lowercase") and o.get("uppercase")) or (changes_case and (low or high is not None)):
        return None  # pydantic-core checks lengths before changing case ("ß" → "SS"), FV after
    schema = core_schema.str_schema(
        strict=True,
        min_length=low,
        max_length=high,
        to_lower=o.get("lowercase") or None,
        to_upper=o.get("uppercase") or None,
    )
    if high is None:
        return schema  # a too-short count in code points may be long enough in UTF-16: the fallback decides

    def utf16_max(value: str) -> str:
        """pydantic-core counts code points, JavaScript UTF-16 units ("😀" is 2): re-count past ASCII."""
        if value.isascii() or units(value) <= high:
            return value
        raise _failure(rule)

    return core_schema.no_info_after_validator_function(utf16_max, schema)


def _number(rule: Rule, partial: bool) -> CoreSchema | None:
    """int or finite float, never bool; ints stay ints (a float schema alone would turn 5 into 5.0)."""
    o = rule.opts
    if any(o.get(key) is not None for key in ("equal", "notEqual")):
        return None
    float_bounds: dict[str, Any] = {"ge": o.get("min"), "le": o.get("max")}
    if o.get("positive"):
        float_bounds["gt"] = 0
    if o.get("negative"):
        float_bounds["lt"] = 0
    float_bounds = {key: value for key, value in float_bounds.items() if value is not None}
    int_bounds = {key: math.ceil(value) if key == "ge" else math.floor(value) if key == "le" else value
                  for key, value in float_bounds.items()}  # fmt: skip
    integer = 1 if o.get("integer") else None
    # machine-size ints first (bounds pydantic-core compares natively), then the big ones a double can hold
    small, big = dict(int_bounds), dict(int_bounds)
    small["ge"], small["le"] = max(small.get("ge", -(2**63)), -(2**63)), min(small.get("le", 2**63 - 1), 2**63 - 1)
    big["ge"], big["le"] = max(big.get("ge", -_INT_LIMIT), -_INT_LIMIT), min(big.get("le", _INT_LIMIT), _INT_LIMIT)
    float_schema = core_schema.float_schema(
        strict=True, allow_inf_nan=False, multiple_of=integer, **float_bounds
    )
    schema: CoreSchema = core_schema.union_schema(
        [
            (core_schema.int_schema(strict=True, **small), f"{INTERNAL}int"),
            (core_schema.int_schema(strict=True, **big), f"{INTERNAL}bigint"),
            (float_schema, f"{INTERNAL}float"),
        ],
        mode="left_to_right",
    )
    if o.get("convert"):
        schema = core_schema.no_info_before_validator_function(to_number, schema)
    return schema


def _boolean(rule: Rule, partial: bool) -> CoreSchema | None:
    return None if rule.opts.get("convert") else core_schema.bool_schema(strict=True)


def _class(rule: Rule, partial: bool) -> CoreSchema | None:
    return core_schema.is_instance_schema(rule.opts["instanceOf"])


def _forbidden(rule: Rule, partial: bool) -> CoreSchema | None:
    remove = rule.opts.get("remove")

    def validate(value: Any) -> Any:
        if value is None:
            return value
        if remove:
            raise PydanticOmit
        raise _failure(rule)

    return core_schema.no_info_plain_validator_function(validate)


def _object(rule: Rule, partial: bool) -> CoreSchema | None:
    if rule.props is None:
        schema: CoreSchema = core_schema.is_instance_schema(dict)
    else:
        strict = rule.opts.get("strict", False)
        schema = core_schema.typed_dict_schema(
            {key: _field(prop, partial) for key, prop in rule.props.items()},
            strict=True,
            extra_behavior="forbid" if strict is True else "ignore" if strict == "remove" else "allow",
        )
    if rule.opts.get("minProps") is not None or rule.opts.get("maxProps") is not None:
        if any(_removes(prop) for prop in (rule.props or {}).values()):
            return _reference(rule)  # a removed key still counts in FV
        schema = _after(rule, schema)
    return schema


def _reference(rule: Rule) -> CoreSchema:
    """The whole rule (children included) checked by the Python reference: for what has no native form."""

    def validate(value: Any) -> Any:
        if value is None:
            raise _failure(rule)
        value, errors = check_rule(rule, value)
        if errors:
            raise _failure(rule)
        if value is NO:  # forbidden|remove took it: the key goes
            raise PydanticOmit
        return value

    return core_schema.no_info_plain_validator_function(validate)


def _removes(rule: Rule | None) -> bool:
    """Whether ``forbidden|remove`` can apply to the value itself (directly or as an alternative)."""
    if rule is None:
        return False
    if rule.type == "forbidden":
        return bool(rule.opts.get("remove"))
    return rule.type == "multi" and any(_removes(alt) for alt in rule.alternatives or [])


_SANITIZERS = (*_STRING_PYTHON_ONLY[:8], "lowercase", "uppercase", "normalize")


def _converts(rule: Rule) -> bool:
    """Whether the rule or a rule below it can change a value (convert, sanitize, default, remove)."""
    o = rule.opts
    if rule.default is not NO or any(o.get(key) for key in _SANITIZERS) or o.get("strict") == "remove":
        return True
    if rule.type == "forbidden" and o.get("remove"):
        return True
    children = [*(rule.props or {}).values(), *(rule.alternatives or []), *([rule.items] if rule.items else [])]
    return any(_converts(child) for child in children)


def _changes_in_place(rule: Rule) -> bool:
    """Whether the rule may change an object or array it is given, even when it fails (FV works in place)."""
    if rule.type == "multi":
        return any(_changes_in_place(alt) for alt in rule.alternatives or [])
    return rule.type in ("object", "array") and _converts(rule)


def _wrap_in_list(value: Any) -> Any:
    return value if isinstance(value, list) or value is None else [value]


def _array(rule: Rule, partial: bool) -> CoreSchema | None:
    o = rule.opts
    if _removes(rule.items):
        return _reference(rule)  # FV leaves a hole (None) where pydantic-core would drop the item
    low, high = _bounds(o)
    items = build(rule.items) if rule.items is not None else None
    schema: CoreSchema = core_schema.list_schema(items, strict=True, min_length=low, max_length=high)
    if "contains" in o or o.get("unique") or o.get("enum") is not None:
        schema = _after(rule, schema)
    if o.get("convert"):
        schema = core_schema.no_info_before_validator_function(_wrap_in_list, schema)
    return schema


def _multi(rule: Rule, partial: bool) -> CoreSchema | None:
    """Alternatives are tried left to right; the first that passes gives the (converted) value, as in FV."""
    alternatives = rule.alternatives or []
    if any(_changes_in_place(alt) for alt in alternatives[:-1]):
        return _reference(rule)  # FV changes the value in place: a failed alternative's changes stay
    choices = [(_value(alt), f"{ALT}{index}") for index, alt in enumerate(alternatives)]
    union = core_schema.union_schema(choices, mode="left_to_right")  # type: ignore[arg-type]

    def not_none(value: Any) -> Any:
        """``null`` is decided by the multi rule's own flags, never by an alternative (``forbidden`` takes it)."""
        if value is None:
            raise _failure(rule)
        return value

    return core_schema.no_info_before_validator_function(not_none, union)


_NATIVE: dict[str, Callable[[Rule, bool], CoreSchema | None]] = {
    "array": _array,
    "boolean": _boolean,
    "class": _class,
    "forbidden": _forbidden,
    "multi": _multi,
    "number": _number,
    "object": _object,
    "string": _string,
}
