"""fastest-validator's schema language (shorthand strings, multi rules, options) normalised into ``Rule``s.

Everything that can be wrong with a schema is detected here, at compile time, and raised as
``ServiceSchemaError`` naming the field: a bad schema must never surface at the first call. The small
JavaScript helpers (``Number()``, ``String()``, ``===``) live here too: FV's behaviour is defined by them.
"""

from __future__ import annotations

import copy
import inspect
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import ServiceSchemaError
from .fv_regex import compile_js
from .jsvalues import js_string
from .utils import MISSING

__all__ = [
    "INVALID_DATE",
    "JS_SPACES",
    "MAX_DEPTH",
    "NO",
    "TYPES",
    "Err",
    "Rule",
    "is_number",
    "join_path",
    "js_eq",
    "js_in",
    "js_number",
    "js_str",
    "parse_shorthand",
    "root_rule",
]


NO: Any = MISSING  # JavaScript's ``undefined``: an absent default, an absent ``expected``/``actual``


class _InvalidDate:
    """JavaScript's ``new Date(NaN)``: what a failed ``date`` conversion leaves in the params (JSON: ``null``)."""

    def __repr__(self) -> str:
        return "Invalid Date"


INVALID_DATE: Any = _InvalidDate()
Err = tuple[str, Any, Any]  # one FV error before formatting: (type, expected, actual), NO where FV leaves it out

TYPES = frozenset(
    {
        *("any", "array", "boolean", "class", "date", "email", "enum", "equal", "forbidden", "function"),
        *("multi", "number", "object", "string", "url", "uuid"),
    }
)
_BOOL = {
    *("optional", "nullable", "convert", "integer", "positive", "negative", "unique", "empty", "normalize"),
    *("trim", "trimLeft", "trimRight", "lowercase", "uppercase", "localeLowercase", "localeUppercase"),
    *("alpha", "numeric", "alphanum", "alphadash", "hex", "singleLine", "base64", "remove"),
}
_NUMBER = {"equal", "notEqual"}  # any finite number
_COUNT = {"length", "minProps", "maxProps", "padStart", "padEnd"}  # non-negative integers
_IDENTIFIER = re.compile(r"[_$a-zA-Z][_$a-zA-Z0-9]*")
# JavaScript's WhiteSpace and LineTerminator (what ``trim()``, ``\\s`` and ``Number()`` skip): unlike Python's
# ``str.strip()`` it has U+FEFF and lacks U+001C-U+001F and U+0085.
JS_SPACES = "\t\n\v\f\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(map(chr, range(0x2000, 0x200B)))
MAX_DEPTH = 100  # rules nested deeper than this are refused at compile time (FV has no limit)
_DOUBLE_LIMIT = 2**1024 - 2**970  # the smallest integer a JavaScript number rounds to Infinity
_JS_INT = re.compile(r"[+-]?[0-9]+")


@dataclass(eq=False, slots=True)
class Rule:
    """One normalised rule: its type, options, presence flags and child rules."""

    type: str
    opts: dict[str, Any]
    path: str
    optional: bool = False
    nullable: bool = False
    default: Any = NO
    props: dict[str, Rule] | None = None
    items: Rule | None = None
    alternatives: list[Rule] | None = None
    pattern: re.Pattern[str] | None = None
    js_pattern: bool = False  # ``pattern`` came from JavaScript source (``fv_regex``), not a Python ``re``
    messages: dict[str, str] = field(default_factory=dict)
    label: str | None = None

    def default_value(self) -> Any:
        """A fresh default: functions are called (without arguments), values are deep-copied."""
        return self.default() if callable(self.default) else copy.deepcopy(self.default)


# ----------------------------------------------------------------------------------------- JavaScript helpers
def is_number(value: Any) -> bool:
    """A finite JavaScript number: an int or float, not a bool, not NaN/Infinity, and an int a double can hold
    without becoming Infinity (JSON's ``1e400`` is ``Infinity`` in JavaScript)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_DOUBLE_LIMIT < value < _DOUBLE_LIMIT
    return isinstance(value, float) and math.isfinite(value)


def js_number(text: str, infinity: bool = False) -> int | float | None:
    """``Number(text)`` for a string, ``None`` for NaN; ints stay ints ("5" → 5, "5.5" → 5.5, "" → 0).

    A decimal integer too large for a double gives ``None`` (JavaScript: ``Infinity``, which FV rejects), so a
    5,000-digit string never reaches Python's integer-digit limit. With ``infinity``, such overflows (and
    "Infinity") give ``±math.inf`` instead, which tells them apart from NaN.
    """
    s = text.strip(JS_SPACES)
    if not s:
        return 0
    if "_" in s or not s.isascii():
        return None
    sign = -1 if s[0] == "-" else 1
    overflow = sign * math.inf if infinity else None
    if _JS_INT.fullmatch(s):
        digits = s.lstrip("+-").lstrip("0")
        if len(digits) > 309:
            return overflow
        number = int(digits or "0") * sign
        return number if is_number(number) else overflow
    low = s.lower()
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if low.startswith(prefix):
            if not s[2:].isalnum():
                return None
            try:
                whole = int(s[2:], base)
            except ValueError:
                return None
            return whole if is_number(whole) else overflow
    try:
        real = float(s)
    except ValueError:
        return None
    if math.isnan(real) or (math.isinf(real) and s.lstrip("+-").lower() in ("inf", "infinity")
                            and s.lstrip("+-") != "Infinity"):
        return None
    return overflow if math.isinf(real) else real


def js_str(value: Any) -> str:
    """``String(value)`` as JS prints it in messages and joins (``null`` prints as an empty string)."""
    if value is None or value is NO:
        return ""
    if value is INVALID_DATE:
        return "Invalid Date"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return js_string(float(value) if is_number(value) else math.inf if value > 0 else -math.inf)
    if isinstance(value, list | tuple):
        return ",".join(js_str(item) for item in value)
    return js_string(value)


def js_eq(a: Any, b: Any) -> bool:
    """``a === b`` for JSON-like values: booleans never equal numbers, 1 equals 1.0; a list or dict equals only
    itself (JavaScript compares objects by identity, and every parsed JSON object is a new one)."""
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a == b


def js_in(value: Any, values: Any) -> bool:
    """``values.indexOf(value) !== -1``."""
    return any(js_eq(value, item) for item in values)


def join_path(parent: str, key: str) -> str:
    """FV's field path: ``a.b`` for identifiers, ``a['b-c']`` otherwise; a root key is used as is."""
    if not parent:
        return key
    return f"{parent}.{key}" if _IDENTIFIER.fullmatch(key) else f"{parent}['{key}']"


# --------------------------------------------------------------------------------------------------- parsing
def _bad(path: str, problem: str) -> ServiceSchemaError:
    where = f"field '{path}'" if path else "the root"
    return ServiceSchemaError(f"Invalid validator schema for {where}: {problem}", {"field": path})


def parse_shorthand(text: str, path: str = "") -> dict[str, Any]:
    """``"type|flag|no-flag|key:value"`` → a rule dict; ``"type[]"`` is an array of ``type``."""
    parts = [part.strip() for part in text.split("|")]
    kind = parts[0]
    schema: dict[str, Any] = {"type": "array", "items": kind[:-2]} if kind.endswith("[]") else {"type": kind}
    for part in parts[1:]:
        if not part:
            raise _bad(path, f"empty flag in shorthand {text!r}.")
        key, sep, raw = part.partition(":")
        if sep:
            raw = raw.strip()
            number = js_number(raw)
            value = raw if number is None else number
            schema[key.strip()] = raw == "true" if raw in ("true", "false") else value
        elif part.startswith("no-"):
            schema[part[3:]] = False
        else:
            schema[part] = True
    return schema


_is_number = is_number


def _compile_pattern(rule: Rule) -> None:
    pattern, flags_text = rule.opts["pattern"], rule.opts.get("patternFlags", "")
    if isinstance(pattern, re.Pattern):
        rule.pattern = pattern
        return
    if not isinstance(pattern, str) or not isinstance(flags_text, str):
        raise _bad(rule.path, f"'pattern' must be a string or a compiled regex, got {pattern!r}.")
    try:
        rule.pattern, rule.js_pattern = compile_js(pattern, flags_text), True
    except (re.error, ValueError, RecursionError, OverflowError) as exc:
        raise _bad(rule.path, f"invalid pattern {pattern!r}: {exc}.") from None


def _check_options(rule: Rule) -> None:
    """Reject option values FV would choke on (or silently misread); unknown keys are ignored, as in FV."""
    opts, path, kind = rule.opts, rule.path, rule.type
    for key, value in opts.items():
        if key == "custom" or (key == "field" and kind == "equal"):
            raise _bad(path, f"'{key}' (custom checkers, comparing with another field) is not supported.")
        if key in _BOOL and not isinstance(value, bool):
            raise _bad(path, f"'{key}' must be true or false, got {value!r}.")
        if (key in _NUMBER or (key in ("min", "max") and kind == "number")) and not _is_number(value):
            raise _bad(path, f"'{key}' must be a number, got {value!r}.")
        is_count = key in _COUNT or (key in ("min", "max") and kind != "number")
        if is_count and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32):
            raise _bad(path, f"'{key}' must be a non-negative integer, got {value!r}.")
    if kind == "object" and opts.get("strict", False) not in (True, False, "remove"):
        raise _bad(path, f"'strict' must be true, false or \"remove\", got {opts['strict']!r}.")
    for key in ("enum", "values"):
        if key in opts and not isinstance(opts[key], list | tuple):
            raise _bad(path, f"'{key}' must be a list, got {opts[key]!r}.")
    if kind == "enum" and "values" not in opts:
        raise _bad(path, "an 'enum' rule needs 'values'.")
    if kind == "equal" and "value" not in opts:
        raise _bad(path, "an 'equal' rule needs 'value'.")
    if kind == "class" and not isinstance(opts.get("instanceOf"), type):
        raise _bad(path, "a 'class' rule needs a class in 'instanceOf'.")
    if kind == "email" and opts.get("mode", "quick") not in ("quick", "precise"):
        raise _bad(path, f"'mode' must be 'quick' or 'precise', got {opts['mode']!r}.")
    if kind == "string" and "contains" in opts and not isinstance(opts["contains"], str):
        raise _bad(path, f"'contains' must be a string, got {opts['contains']!r}.")
    if kind == "uuid" and "version" in opts and opts["version"] not in range(9):
        raise _bad(path, f"'version' must be an integer from 0 to 8, got {opts['version']!r}.")
    if "padChar" in opts and (not isinstance(opts["padChar"], str) or not opts["padChar"]):
        raise _bad(path, "'padChar' must be a non-empty string.")
    messages_ok = isinstance(rule.messages, dict) and all(isinstance(text, str) for text in rule.messages.values())
    if not messages_ok or (rule.label is not None and not isinstance(rule.label, str)):
        raise _bad(path, "'messages' must be a dict of strings and 'label' a string.")


def _check_default(rule: Rule) -> None:
    """A function default is called without arguments (FV passes its own; Python defaults rarely want them);
    any other default is deep-copied on every use, so it must be copyable."""
    if not callable(rule.default):
        try:
            copy.deepcopy(rule.default)
        except Exception:
            raise _bad(rule.path, f"the 'default' {rule.default!r} cannot be copied.") from None
        return
    try:
        inspect.signature(rule.default).bind()
    except TypeError:
        raise _bad(rule.path, "a function 'default' must be callable without arguments.") from None
    except ValueError:  # no signature to inspect (some builtins): trust it
        pass


def _normalize(schema: Any, path: str, seen: tuple[int, ...] = ()) -> Rule:
    """One rule and its children; ``seen`` holds the rules above it (cycles and depth are refused)."""
    if len(seen) > MAX_DEPTH:
        raise _bad(path, f"rules nested deeper than {MAX_DEPTH} levels.")
    if isinstance(schema, list | tuple | dict):
        if id(schema) in seen:
            raise _bad(path, "the schema contains itself (cyclic schemas are not supported).")
        seen = (*seen, id(schema))
    if isinstance(schema, str):
        schema = parse_shorthand(schema, path)
    elif isinstance(schema, list | tuple):
        if not schema:
            raise _bad(path, "an empty list of rules.")
        alternatives = [_normalize(item, path, seen) for item in schema]
        rule = Rule("multi", {"type": "multi"}, path, alternatives=alternatives)
        rule.optional = all(alt.optional for alt in alternatives)
        rule.nullable = all(alt.nullable for alt in alternatives)
        return _collapse(rule)
    elif isinstance(schema, dict):
        schema = dict(schema)  # never touch the caller's dict
        if "$$type" in schema:
            base = _normalize(schema.pop("$$type"), path, seen)
            if base.type != "object":
                raise _bad(path, "'$$type' must describe an object.")
            schema = {**base.opts, "props": schema}
    else:
        raise _bad(path, f"a rule must be a string, a dict or a list, got {schema!r}.")
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in TYPES:
        raise _bad(path, f"invalid type {kind!r}.")
    rule = Rule(kind, schema, path, schema.get("optional") is True, schema.get("nullable") is True)
    rule.messages, rule.label = schema.get("messages", {}), schema.get("label")
    if schema.get("default") is not None:
        rule.default = schema["default"]
        _check_default(rule)
    _check_options(rule)
    if "pattern" in schema and kind == "string":
        _compile_pattern(rule)
    _children(rule, schema, path, seen)
    return _collapse(rule)


def _children(rule: Rule, schema: dict[str, Any], path: str, seen: tuple[int, ...]) -> None:
    if rule.type == "object":
        props = schema.get("props", schema.get("properties"))
        if props is not None:
            if not isinstance(props, dict):
                raise _bad(path, f"'props' must be a dict, got {props!r}.")
            _check_keys(props, path)
            fields = {key: value for key, value in props.items() if not key.startswith("$$")}
            rule.props = {key: _normalize(value, join_path(path, key), seen) for key, value in fields.items()}
    elif rule.type == "array" and schema.get("items") is not None:
        rule.items = _normalize(schema["items"], f"{path}[]", seen)
    elif rule.type == "multi":
        rules = schema.get("rules")
        if not isinstance(rules, list | tuple) or not rules:
            raise _bad(path, "a 'multi' rule needs a non-empty list in 'rules'.")
        rule.alternatives = [_normalize(item, path, seen) for item in rules]


def _check_keys(props: dict[Any, Any], path: str) -> None:
    for key in props:
        if not isinstance(key, str):
            raise _bad(path, f"field names must be strings, got {key!r}.")


def _collapse(rule: Rule) -> Rule:
    """A one-alternative multi rule is that alternative (pydantic-core would drop the union label anyway)."""
    if rule.alternatives is None or len(rule.alternatives) != 1:
        return rule
    only = rule.alternatives[0]
    only.optional, only.nullable, only.default = rule.optional, rule.nullable, rule.default
    return only


def root_rule(schema: dict[str, Any] | list[Any]) -> Rule:
    """The rule of a whole params schema: an object of its fields (``$$strict``) or a ``$$root``/list rule."""
    if isinstance(schema, list):
        return _normalize(schema, "")
    if not isinstance(schema, dict):
        raise _bad("", f"a params schema must be a dict, got {schema!r}.")
    _check_keys(schema, "")
    if schema.get("$$root") is True:
        return _normalize({k: v for k, v in schema.items() if k != "$$root"}, "")
    props = {key: value for key, value in schema.items() if not key.startswith("$$")}
    return _normalize({"type": "object", "strict": schema.get("$$strict", False), "props": props}, "")
