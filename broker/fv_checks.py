"""fastest-validator's checks written out in Python, one function per rule type.

The compiled pydantic-core validators decide pass/fail on the hot path. These functions are the reference:
they run as the validator where no native core schema expresses FV's semantics, and ``fv_explain`` calls them
to re-check a failing value with FV's exact error list (all failing checks of a value, not just the first).
Each returns ``(new_value, errors)`` where an error is ``(type, expected, actual)``; container rules only
check the container itself (``fv_explain`` walks the children).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .fv_dates import to_date
from .fv_regex import js_test
from .fv_rules import INVALID_DATE, JS_SPACES, NO, Err, Rule, is_number, js_eq, js_in, js_number, js_str

__all__ = ["CHECKERS", "to_number", "units"]

Checker = Callable[[Rule, Any], tuple[Any, list[Err]]]

# Character classes FV checks strings against (written for Python's ``re``, matched in full).
_STRING_CLASSES = (
    ("numeric", "stringNumeric", re.compile(r"-?[0-9]+(?:\.[0-9]+)?")),
    ("alpha", "stringAlpha", re.compile(r"[a-zA-Z]+")),
    ("alphanum", "stringAlphanum", re.compile(r"[a-zA-Z0-9]+")),
    ("alphadash", "stringAlphadash", re.compile(r"[a-zA-Z0-9_-]+")),
    ("hex", "stringHex", re.compile(r"(?:[0-9a-fA-F]{2})+")),
    # FV's pattern lets a backslash into the first two groups (its source escapes it twice)
    ("base64", "stringBase64", re.compile(r"(?:[A-Za-z0-9+\\/]{4})*(?:[A-Za-z0-9+\\/]{2}==|[A-Za-z0-9+/]{3}=)?")),
)
_S = "[" + re.escape(JS_SPACES) + "]"  # JavaScript's \s
_NOT_S = "[^" + re.escape(JS_SPACES) + "]"  # JavaScript's \S
_EMAIL_QUICK = re.compile(f"{_NOT_S}+@{_NOT_S}+\\.{_NOT_S}+")
_EMAIL_PRECISE = re.compile(
    '(?:[^<>()\\[\\]\\\\.,;:@"' + re.escape(JS_SPACES) + ']+(?:\\.[^<>()\\[\\]\\\\.,;:@"' + re.escape(JS_SPACES)
    + ']+)*|"[^\\n\\r\\u2028\\u2029]+")'
    r"@(?:\[[0-9]{1,3}(?:\.[0-9]{1,3}){3}\]|(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,})"
)
_URL = re.compile(f"https?://{_NOT_S}+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}|0{8}(-0{4}){3}-0{12}")
_FLAG_LETTERS = (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL))
_LENGTH_CHECKS = (("min", "Min", operator.lt), ("max", "Max", operator.gt), ("length", "Length", operator.ne))
_NUMBER_CHECKS = (
    ("min", "numberMin", operator.lt),
    ("max", "numberMax", operator.gt),
    ("equal", "numberEqual", operator.ne),
    ("notEqual", "numberNotEqual", operator.eq),
)
_SPACES = JS_SPACES
_TRUE, _FALSE = ("true", "1", "on"), ("false", "0", "off")
_is_number = is_number


def units(text: str) -> int:
    """``text.length`` in JavaScript: UTF-16 code units ("😀" is 2), lone surrogates counting 1."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _joined(values: Any) -> str:
    return ", ".join(js_str(value) for value in values)


def _pattern_text(rule: Rule) -> str:
    """The pattern as JavaScript prints a RegExp (``/source/flags``)."""
    if rule.js_pattern:
        flags = "".join(letter for letter in "dgimsuy" if letter in rule.opts.get("patternFlags", ""))
        return f"/{rule.opts['pattern']}/{flags}"
    assert rule.pattern is not None
    flags = "".join(letter for letter, flag in _FLAG_LETTERS if rule.pattern.flags & flag)
    return f"/{rule.pattern.pattern}/{flags}"


def _matches(rule: Rule, text: str) -> bool:
    assert rule.pattern is not None
    return js_test(rule.pattern, text) if rule.js_pattern else rule.pattern.search(text) is not None


def _length_errors(opts: dict[str, Any], size: int, prefix: str) -> list[Err]:
    """min/max/length of a string or array: ``(stringMin, expected, size)`` and so on."""
    return [
        (prefix + suffix, opts[key], size)
        for key, suffix, failed in _LENGTH_CHECKS
        if opts.get(key) is not None and failed(size, opts[key])
    ]


def to_number(value: Any) -> Any:
    """FV's ``convert`` for numbers (``Number(value)``); a value it cannot convert is returned unchanged.

    A list converts through its string form as in JavaScript (``[]`` → 0, ``["5"]`` → 5, ``[1, 2]`` → NaN).
    """
    if type(value) is int or type(value) is float:  # the common case first: it runs on every valid call
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str | list):
        number = js_number(value if isinstance(value, str) else js_str(value))
        return value if number is None else number
    return value


def _pad(text: str, width: int, char: str, left: bool) -> str:
    """``padStart``/``padEnd``: widths in UTF-16 units, so an emoji pad may be cut in half, as in JavaScript."""
    missing = width - units(text)
    if missing <= 0:
        return text
    encoded = (char * missing).encode("utf-16-le", "surrogatepass")[: 2 * missing]
    fill = encoded.decode("utf-16-le", "surrogatepass")
    return fill + text if left else text + fill


def check_string(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    o = rule.opts
    if o.get("convert") and not isinstance(value, str):
        value = js_str(value)
    if not isinstance(value, str):
        return value, [("string", NO, value)]
    orig = value
    if o.get("trim"):
        value = value.strip(_SPACES)
    if o.get("trimLeft"):
        value = value.lstrip(_SPACES)
    if o.get("trimRight"):
        value = value.rstrip(_SPACES)
    if o.get("padStart"):
        value = _pad(value, o["padStart"], o.get("padChar", " "), left=True)
    if o.get("padEnd"):
        value = _pad(value, o["padEnd"], o.get("padChar", " "), left=False)
    for key in ("lowercase", "uppercase", "localeLowercase", "localeUppercase"):  # FV's order
        if o.get(key):
            value = value.upper() if key.endswith(("uppercase", "Uppercase")) else value.lower()
    size, errors = units(value), []
    if o.get("empty") is False and size == 0:
        errors.append(("stringEmpty", NO, value))
    elif o.get("empty") is True and size == 0:
        return value, errors
    errors.extend(_length_errors(o, size, "string"))
    if rule.pattern is not None and not _matches(rule, value):
        errors.append(("stringPattern", _pattern_text(rule), orig))
    if o.get("contains") is not None and o["contains"] not in value:
        errors.append(("stringContains", o["contains"], orig))
    if o.get("enum") is not None and value not in o["enum"]:
        errors.append(("stringEnum", _joined(o["enum"]), orig))
    for key, kind, pattern in _STRING_CLASSES:
        if o.get(key) and not pattern.fullmatch(value):
            errors.append((kind, NO, orig))
    if o.get("singleLine") and "\n" in value:
        errors.append(("stringSingleLine", NO, NO))
    return value, errors


def check_number(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    o, orig = rule.opts, value
    if o.get("convert"):
        value = to_number(value)
    if not _is_number(value):
        # a failed conversion leaves NaN behind, as FV's ``Number()`` does (seen by a later multi alternative)
        return (math.nan if o.get("convert") and not isinstance(value, int | float) else value), [("number", NO, orig)]
    errors = [(kind, o[key], orig) for key, kind, failed in _NUMBER_CHECKS
              if o.get(key) is not None and failed(value, o[key])]  # fmt: skip
    if o.get("integer") and value % 1 != 0:
        errors.append(("numberInteger", NO, orig))
    if o.get("positive") and value <= 0:
        errors.append(("numberPositive", NO, orig))
    if o.get("negative") and value >= 0:
        errors.append(("numberNegative", NO, orig))
    return value, errors


def check_boolean(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    orig = value
    if rule.opts.get("convert") and not isinstance(value, bool):
        if (_is_number(value) and value == 1) or value in _TRUE:
            value = True
        elif (_is_number(value) and value == 0) or value in _FALSE:
            value = False
    return value, [] if isinstance(value, bool) else [("boolean", NO, orig)]


def check_date(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    orig = value
    if rule.opts.get("convert") and not isinstance(value, datetime):
        value = to_date(value)
        if not isinstance(value, datetime):  # FV leaves an invalid Date behind (seen by a later alternative)
            return INVALID_DATE, [("date", NO, orig)]
    return value, [] if isinstance(value, datetime) else [("date", NO, orig)]


def _check_text(rule: Rule, value: Any, kind: str) -> tuple[Any, list[Err]] | None:
    """The string and emptiness checks email and url share; a result means "stop here"."""
    if not isinstance(value, str):
        return value, [("string", NO, value)]
    if value == "":
        return value, [] if rule.opts.get("empty") else [(f"{kind}Empty", NO, value)]
    return None


def check_email(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    o = rule.opts
    if (stop := _check_text(rule, value, "email")) is not None:
        return stop
    if o.get("normalize"):
        value = value.strip(JS_SPACES).lower()
    errors: list[Err] = []
    size = units(value)
    if o.get("min") is not None and size < o["min"]:
        errors.append(("emailMin", o["min"], size))
    if o.get("max") is not None and size > o["max"]:
        errors.append(("emailMax", o["max"], size))
    pattern = _EMAIL_PRECISE if o.get("mode") == "precise" else _EMAIL_QUICK
    if not pattern.fullmatch(value):
        errors.append(("email", NO, value))
    return value, errors


def check_url(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    if (stop := _check_text(rule, value, "url")) is not None:
        return stop
    return value, [] if _URL.match(value) else [("url", NO, value)]


def check_uuid(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    if not isinstance(value, str):
        return value, [("string", NO, value)]
    text = value.lower()
    if not _UUID.fullmatch(text):
        return value, [("uuid", NO, value)]
    version = int(text[14])
    if rule.opts.get("version") is not None and rule.opts["version"] != version:
        return value, [("uuidVersion", rule.opts["version"], version)]
    if version in (3, 4, 5, 7, 8) and text[19] not in "89ab":
        return value, [("uuid", NO, value)]
    return value, []


def check_enum(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    values = rule.opts["values"]
    return value, [] if js_in(value, values) else [("enumValue", _joined(values), value)]


def _loose_eq(a: Any, b: Any) -> bool:
    """JavaScript ``==``: ``"5" == 5``, ``true == "1"``, ``[1] == "1"``; ``null`` equals only ``null``;
    two objects are equal only if they are the same object."""
    if js_eq(a, b):
        return True
    if a is None or b is None:
        return False
    if isinstance(a, list | dict) and isinstance(b, list | dict):
        return False
    if isinstance(a, list | dict):
        a = "[object Object]" if isinstance(a, dict) else js_str(a)
    if isinstance(b, list | dict):
        b = "[object Object]" if isinstance(b, dict) else js_str(b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    left, right = to_number(a), to_number(b)
    return _is_number(left) and _is_number(right) and left == right


def check_equal(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    expected = rule.opts["value"]
    same = js_eq(value, expected) if rule.opts.get("strict") else _loose_eq(value, expected)
    return value, [] if same else [("equalValue", expected, value)]


def check_forbidden(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    return value, [] if value is None else [("forbidden", NO, value)]


def check_class(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    cls = rule.opts["instanceOf"]
    return value, [] if isinstance(value, cls) else [("classInstanceOf", cls.__name__, value)]


def check_function(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    return value, [] if callable(value) else [("function", NO, value)]


def _duplicates(items: list[Any]) -> list[Any]:
    """Items seen more than once, each reported once (FV's ``expected`` for ``arrayUnique``)."""
    items = [item for item in items if not isinstance(item, list | dict)]  # objects are unique by identity
    duplicates: list[Any] = []
    try:
        seen: set[Any] = set()
        for item in items:
            key = (isinstance(item, bool), item)  # 1 and 1.0 are one value, True and 1 are not
            if key not in seen:
                seen.add(key)
            elif not js_in(item, duplicates):
                duplicates.append(item)
    except TypeError:  # unhashable items: compare pairwise
        duplicates = []
        for index, item in enumerate(items):
            if js_in(item, items[:index]) and not js_in(item, duplicates):
                duplicates.append(item)
    return duplicates


def check_array(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    o = rule.opts
    if o.get("convert") and not isinstance(value, list) and value is not None:
        value = [value]
    if not isinstance(value, list):
        return value, [("array", NO, value)]
    size, errors = len(value), []
    if o.get("empty") is False and size == 0:
        errors.append(("arrayEmpty", NO, value))
    errors.extend(_length_errors(o, size, "array"))
    if "contains" in o and not js_in(o["contains"], value):
        errors.append(("arrayContains", o["contains"], value))
    if o.get("unique") and (duplicates := _duplicates(value)):
        errors.append(("arrayUnique", duplicates, value))
    if o.get("enum") is not None:
        errors.extend(("arrayEnum", _joined(o["enum"]), item) for item in value if not js_in(item, o["enum"]))
    return value, errors


def check_object(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    if isinstance(value, datetime) or value is INVALID_DATE:  # typeof a Date is "object", with no keys
        value = {}
    if not isinstance(value, dict):
        return value, [("object", NO, value)]
    o, size, errors = rule.opts, len(value), []
    if o.get("minProps") is not None and size < o["minProps"]:
        errors.append(("objectMinProps", o["minProps"], size))
    if o.get("maxProps") is not None and size > o["maxProps"]:
        errors.append(("objectMaxProps", o["maxProps"], size))
    return value, errors


def check_nothing(rule: Rule, value: Any) -> tuple[Any, list[Err]]:
    return value, []


CHECKERS: dict[str, Checker] = {
    "any": check_nothing, "array": check_array, "boolean": check_boolean, "class": check_class,
    "date": check_date, "email": check_email, "enum": check_enum, "equal": check_equal,
    "forbidden": check_forbidden, "function": check_function, "multi": check_nothing,
    "number": check_number, "object": check_object, "string": check_string, "url": check_url,
    "uuid": check_uuid,
}  # fmt: skip

