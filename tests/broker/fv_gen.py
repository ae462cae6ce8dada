"""Random fastest-validator schemas and params (JSON only) for the differential and fuzz tests.

``case(rng)`` gives one ``(schema, params)``: a params schema over every type the README supports that JSON can
carry (not ``class``/``function``), with their options, shorthand strings, multi rules, ``$$strict`` and
defaults, and params that are mostly shaped like the schema but often wrong in one place.
"""

from __future__ import annotations

import random
from typing import Any

ABSENT: Any = object()

UUIDS = ["a2f8e1c2-4b1a-41ee-be56-0242ac120002", "10ba038e-48da-487b-96e8-8d3b99b6d18a",
         "9a7b330a-a736-11e9-b9ab-0242ac120002", "00000000-0000-0000-0000-000000000000",
         "A2F8E1C2-4B1A-41EE-BE56-0242AC120002", "a2f8e1c2-4b1a-41ee-1e56-0242ac120002",
         "017f22e2-79b0-7cc3-98c4-dc0c0c07398f", "a2f8e1c24b1a41eebe560242ac120002"]  # fmt: skip
STRINGS = ["", " ", "a", "abc", "ABC", "Ab1", "a-b_c", "12", "-1.5", "1.", ".5", "1e3", "0x1f", "0b11", " 7 ",
           "true", "false", "on", "off", "0", "1", "😀", "a😀", "😀😀", "ß", "İ", "\u00a0x\u00a0", "\ufeffx",
           "\x85x", "\x1cx", "a\nb", "a\rb", "a\u2028b", "b\n",
           "aa", "a b", "É", "ab\\c", "ab==", "YWJj", "YWI=", "deadbeef", "abc", "x@y.co", "a b@c.de", "X@Y.CO ",
           "http://x.y", "https://", "ftp://x", "2020-01-01", "١٢", "1_000", "Infinity", "-Infinity", "NaN",
           "00012", "+5", "-0", "\ud800", "é", "e\u0301", "1" * 40, "9" * 400, "0" * 5000 + "5", "1" * 5000,
           "[object Object]", "null", *UUIDS[:3]]  # fmt: skip
NUMBERS = [0, 1, -1, 2, 3, 5, 10, 2.5, -0.5, 3.0, 1e21, 1e-7, 2**53, 2**53 + 1, -(2**60), 10**400, -(10**400),
           0.1, 100, 4.999999]  # fmt: skip
PATTERNS = ["^a", "[0-9]", "^\\w+$", "\\d", "^[a-z]{2,3}$", "b$", ".", "^.$", "\\s", "^$", "^a.b$", "[^]",
            "^[\\s\\d]+$", "(?<n>a)\\k<n>", "\\bab\\b", "^\\S+$", "[😀]", "^é", "x|^$", "\\/"]
SCALARS = [None, True, False, 0, 1, 5, 2.5, "a", "b", "1", "true", ""]


def _pick(rng: random.Random, items: list[Any]) -> Any:
    return items[rng.randrange(len(items))]


def _some(rng: random.Random, options: dict[str, Any], p: float = 0.25) -> dict[str, Any]:
    return {key: make(rng) for key, make in options.items() if rng.random() < p}


def _small(rng: random.Random) -> int:
    return rng.randrange(6)


def _bound(rng: random.Random) -> int | float:
    return _pick(rng, [0, 1, 2, 3, 5, 10, -1, -2.5, 2.5, 0.5, 1e21])


def _bool(rng: random.Random) -> bool:
    return rng.random() < 0.7


_STRING_OPTS = {
    "min": _small, "max": _small, "length": _small, "empty": _bool, "convert": _bool,
    "pattern": lambda r: _pick(r, PATTERNS), "contains": lambda r: _pick(r, ["a", "", "😀", "b c"]),
    "enum": lambda r: r.sample(["a", "abc", "ABC", "", "1", "ß", "SS"], _small(r) % 4),
    "numeric": _bool, "alpha": _bool, "alphanum": _bool, "alphadash": _bool, "hex": _bool, "singleLine": _bool,
    "base64": _bool, "trim": _bool, "trimLeft": _bool, "trimRight": _bool, "padStart": _small, "padEnd": _small,
    "padChar": lambda r: _pick(r, ["x", "ab", "😀", "0"]), "lowercase": _bool, "uppercase": _bool,
    "localeLowercase": _bool, "localeUppercase": _bool,
}  # fmt: skip
_NUMBER_OPTS = {"min": _bound, "max": _bound, "equal": _bound, "notEqual": _bound, "integer": _bool,
                "positive": _bool, "negative": _bool, "convert": _bool}  # fmt: skip
_ARRAY_OPTS = {"min": _small, "max": _small, "length": _small, "empty": _bool, "unique": _bool, "convert": _bool,
               "contains": lambda r: _pick(r, SCALARS[1:]),
               "enum": lambda r: r.sample(SCALARS[1:], _small(r) % 4)}  # fmt: skip
_EMAIL_OPTS = {"mode": lambda r: _pick(r, ["quick", "precise"]), "empty": _bool, "normalize": _bool,
               "min": _small, "max": lambda r: r.randrange(4, 12)}  # fmt: skip


def rule(rng: random.Random, depth: int = 0) -> Any:
    """One random rule: a dict, a shorthand string or a list (multi)."""
    kinds = ["string"] * 6 + ["number"] * 5 + ["boolean", "any", "enum", "equal", "forbidden", "email", "url",
                                              "uuid", "date"]
    if depth < 3:
        kinds += ["array"] * 3 + ["object"] * 3 + ["multi"] * 2
    kind = _pick(rng, kinds)
    schema: dict[str, Any] = {"type": kind}
    if kind == "string":
        schema |= _some(rng, _STRING_OPTS, 0.12)
        if "pattern" in schema and rng.random() < 0.4:
            schema["patternFlags"] = _pick(rng, ["i", "m", "s", "g", "im", "ms"])
    elif kind == "number":
        schema |= _some(rng, _NUMBER_OPTS, 0.2)
    elif kind == "boolean" or kind == "date":
        schema |= _some(rng, {"convert": _bool}, 0.5)
    elif kind == "enum":
        schema["values"] = rng.sample(SCALARS[1:], 1 + _small(rng) % 4)
    elif kind == "equal":
        schema["value"] = _pick(rng, SCALARS[1:])
        schema |= _some(rng, {"strict": _bool}, 0.5)
    elif kind == "forbidden":
        schema |= _some(rng, {"remove": _bool}, 0.5)
    elif kind == "email":
        schema |= _some(rng, _EMAIL_OPTS, 0.3)
    elif kind == "url":
        schema |= _some(rng, {"empty": _bool}, 0.3)
    elif kind == "uuid":
        schema |= _some(rng, {"version": lambda r: r.randrange(9)}, 0.4)
    elif kind == "array":
        schema |= _some(rng, _ARRAY_OPTS, 0.15)
        if rng.random() < 0.8:
            schema["items"] = rule(rng, depth + 1)
    elif kind == "object":
        schema |= _some(rng, {"strict": lambda r: _pick(r, [True, False, "remove"]), "minProps": _small,
                              "maxProps": _small}, 0.2)  # fmt: skip
        if rng.random() < 0.85:
            schema["props"] = {f"k{i}" if rng.random() < 0.9 else f"k-{i}": rule(rng, depth + 1)
                               for i in range(rng.randrange(1, 4))}  # fmt: skip
    else:
        alternatives = [rule(rng, depth + 1) for _ in range(rng.randrange(2, 4))]
        if rng.random() < 0.5:
            return alternatives
        schema["rules"] = alternatives
    if rng.random() < 0.18:
        schema["optional"] = rng.random() < 0.85
    if rng.random() < 0.14:
        schema["nullable"] = rng.random() < 0.85
    if rng.random() < 0.1:
        schema["default"] = {"string": "dflt", "number": 7, "boolean": True, "array": [1]}.get(kind, "dflt")
    if kind == "object" and "props" in schema and rng.random() < 0.15:
        extra = {key: value for key, value in schema.items() if key not in ("type", "props")}
        if not extra or rng.random() < 0.5:  # FV's {"$$type": "object|...", ...props} form
            return {"$$type": _shorthand({"type": "object", **extra}) or "object", **schema["props"]}
        schema["properties"] = schema.pop("props")
    simple_items = isinstance(schema.get("items"), str) and "|" not in schema["items"]
    if kind == "array" and simple_items and set(schema) == {"type", "items"} and rng.random() < 0.3:
        return f"{schema['items']}[]"
    if rng.random() < 0.3:
        text = _shorthand(schema)
        if text is not None:
            return text
    return schema


def _shorthand(schema: dict[str, Any]) -> str | None:
    """``"type|flag|key:value"`` where every option is a plain flag or number."""
    parts = [schema["type"]]
    for key, value in schema.items():
        if key == "type":
            continue
        if value is True:
            parts.append(key)
        elif value is False:
            parts.append(f"no-{key}")
        elif isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e15:
            parts.append(f"{key}:{value}")
        else:
            return None
    return "|".join(parts)


def _normal(schema: Any) -> Any:
    """The rule as a dict (shorthand strings expanded roughly enough to pick a value)."""
    if isinstance(schema, list):
        return {"type": "multi", "rules": schema}
    if isinstance(schema, str):
        parts = schema.split("|")
        out: dict[str, Any] = {"type": parts[0]}
        for part in parts[1:]:
            key, _, raw = part.partition(":")
            out[key] = raw or True
        return out
    return schema


def junk(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, or ``ABSENT``."""
    roll = rng.random()
    if roll < 0.08:
        return ABSENT
    if roll < 0.16:
        return None
    if roll < 0.45:
        return _pick(rng, STRINGS)
    if roll < 0.7:
        return _pick(rng, NUMBERS)
    if roll < 0.8:
        return rng.random() < 0.5
    if roll < 0.9 or depth > 2:
        return [v for v in (junk(rng, depth + 1) for _ in range(_small(rng))) if v is not ABSENT]
    return {f"k{i}": v for i in range(_small(rng)) if (v := junk(rng, depth + 1)) is not ABSENT}


def value(rng: random.Random, schema: Any, depth: int = 0) -> Any:
    """A value for ``schema``: usually of its type, sometimes anything at all (or ``ABSENT``)."""
    if rng.random() < 0.25 or depth > 6:
        return junk(rng, depth)
    s = _normal(schema)
    kind = s.get("type")
    if kind == "string":
        return _pick(rng, STRINGS)
    if kind == "number":
        return _pick(rng, NUMBERS)
    if kind in ("boolean",):
        return rng.random() < 0.5
    if kind == "enum":
        return _pick(rng, s.get("values") or SCALARS)
    if kind == "equal":
        return _pick(rng, [s.get("value"), *SCALARS])
    if kind == "email":
        return _pick(rng, ["x@y.co", "a.b@c.de", "A@B.CO", " x@y.co ", "x@y", "@y.co", "", "a\"b\"@c.de", "a@[1.2.3.4]",
                           "a@b.c", "a..b@c.de", "a@b-c.de", "é@x.co", "a\u2028@b.co", "a@b.co\n", "\"a\nb\"@c.de"])
    if kind == "url":
        return _pick(rng, ["http://x.y", "https://a", "http://", "ftp://x", "", "HTTP://X", "http://a b", "https://\ufeff",
                           "http://\x85"])
    if kind == "uuid":
        return _pick(rng, UUIDS)
    if kind == "date":
        return _pick(rng, ["2020-01-01", "2020-01-01T10:00:00Z", "1600000000000", 1600000000000, "x", 0, ""])
    if kind == "array":
        items = s.get("items")
        size = _small(rng)
        out = [value(rng, items, depth + 1) if items is not None else junk(rng, depth + 1) for _ in range(size)]
        return [item for item in out if item is not ABSENT]
    if kind == "object":
        return params(rng, s.get("props") or {}, depth + 1)
    if kind == "multi":
        return value(rng, _pick(rng, s["rules"]), depth + 1)
    return junk(rng, depth)


def params(rng: random.Random, props: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """An object for ``props``: each key given a value (or left out), sometimes an extra key."""
    out = {key: v for key, rule_ in props.items() if not key.startswith("$$")
           if (v := value(rng, rule_, depth)) is not ABSENT}  # fmt: skip
    if rng.random() < 0.15:
        out["extra"] = junk(rng, depth + 1)
        if out["extra"] is ABSENT:
            del out["extra"]
    return out


def case(rng: random.Random) -> tuple[dict[str, Any], Any]:
    """One ``(params schema, params)``."""
    if rng.random() < 0.05:  # a $$root rule: the params are one value
        root = rule(rng)
        root = {"type": "multi", "rules": root} if isinstance(root, list) else root
        root = {"type": root} if isinstance(root, str) and "|" not in root else root
        if isinstance(root, dict) and "$$type" not in root:
            return {"$$root": True, **root}, value(rng, root)
    props = {f"p{i}" if rng.random() < 0.9 else f"p {i}": rule(rng) for i in range(rng.randrange(1, 4))}
    schema: dict[str, Any] = dict(props)
    if rng.random() < 0.2:
        schema["$$strict"] = _pick(rng, [True, "remove"])
    return schema, params(rng, props) if rng.random() < 0.95 else junk(rng)
