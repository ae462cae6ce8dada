"""Cache keys never collide (issue 6, kind 3) and stay Moleculer 0.15's where no escape is needed.

Three kinds of checks: the collision families named in the issue, a reader (``decode``) that turns every
serialisation back into the value it came from (so two distinct values cannot share one), and a property that
inputs without special characters get exactly the key of Moleculer's ``_generateKeyFromObject`` (re-stated below
from ``src/cachers/base.js``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from broker import ServiceBroker
from broker.cache_keys import INNER, MISSING, WHOLE, serialise
from broker.cacher import MemoryCacher
from broker.jsvalues import number_to_string

FIND_KEYS = ["populate", "fields", "excludeFields", "limit", "offset", "sort", "search", "iSearch", "searchFields",
             "query"]  # fmt: skip


def key(params: Any, keys: list[str] | None = None, meta: Any = None, **opts: Any) -> str:
    return MemoryCacher(**opts).get_cache_key("posts.find", params, {} if meta is None else meta, keys)


# -- Moleculer's format, re-stated from base.js ------------------------------------------------------------


def moleculer_s(v: Any) -> str:
    """``_generateKeyFromObject`` of Moleculer 0.15 (arrays, objects, strings quoted, toString, null/undefined)."""
    if isinstance(v, list):
        return "[" + "|".join(moleculer_s(x) for x in v) + "]"
    if isinstance(v, dict):
        return "|".join(f"{k}|{moleculer_s(v[k])}" for k in js_keys(v))
    if isinstance(v, str):
        return '"' + v + '"'
    if v is None:
        return "null"
    if v is MISSING:
        return "undefined"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return number_to_string(v)
    return str(v)


def js_keys(obj: dict[str, Any]) -> list[str]:
    """``Object.keys`` order: array-index keys ascending, then the rest in insertion order."""
    index = [k for k in obj if re.fullmatch(r"0|[1-9][0-9]{0,9}", k) and int(k) < 2**32 - 1]
    return sorted(index, key=int) + [k for k in obj if k not in index]


# -- a reader of our serialisation: it exists, hence the serialisation is unambiguous ---------------------

_NUMBER = re.compile(r"-?(\d+(\.\d+)?(e[+-]\d+)?|Infinity)|NaN")
_BIG_INT = re.compile(r"-?\d+n")
_WORDS = {"null": None, "true": True, "false": False, "undefined": MISSING}


class Reader:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def expect(self, c: str) -> None:
        assert self.peek() == c, (self.text, self.i, c)
        self.i += 1

    def quoted(self) -> str:
        self.expect('"')
        out = []
        while True:
            c = self.peek()
            assert c, "unterminated string"
            self.i += 1
            if c == '"':
                if self.peek() == '"':
                    self.i += 1
                    out.append('"')
                    continue
                return "".join(out)
            out.append(c)

    def word(self) -> str:
        start = self.i
        while self.peek() not in ("", "|", "]", "}"):
            self.i += 1
        return self.text[start : self.i]

    def value(self) -> Any:
        c = self.peek()
        if c == '"':
            return self.quoted()
        if c == "[":
            self.i += 1
            items: list[Any] = []
            if self.peek() == "]":
                self.i += 1
                return items
            while True:
                items.append(self.value())
                if self.peek() == "]":
                    self.i += 1
                    return items
                self.expect("|")
        if c == "{":
            self.i += 1
            if self.peek() == "}":
                self.i += 1
                return {}
            entries = self.entries()
            self.expect("}")
            return entries
        token = self.word()
        if token in _WORDS:
            return _WORDS[token]
        if _BIG_INT.fullmatch(token):
            return int(token[:-1])
        if _NUMBER.fullmatch(token):
            number = float(token) if any(ch in token for ch in ".eIN") else int(token)
            return float(number) if abs(number) > 2**53 else number  # digits stand for the JS number
        self.expect("|")  # a plain key opening a single-entry object
        return {token: self.value()}

    def entries(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            k = self.quoted() if self.peek() == '"' else self.word()
            self.expect("|")
            out[k] = self.value()
            if self.peek() != "|":
                return out
            self.i += 1

    def end(self) -> bool:
        return self.i == len(self.text)


def decode_whole(text: str) -> Any:
    """The value written at the end of a key: a value, else bare ``key|value`` pairs, else ``{}``."""
    if text == "":
        return {}
    reader = Reader(text)
    try:
        v = reader.value()
        if reader.end():
            return v
    except AssertionError:
        pass
    reader = Reader(text)
    entries = reader.entries()
    assert reader.end(), text
    return entries


def decode_parts(text: str, n: int) -> list[Any]:
    """The values of ``n`` cache keys joined by ``|`` (no hashing): n-1 values, then the whole rest."""
    reader = Reader(text)
    out = []
    for _ in range(n - 1):
        out.append(reader.value())
        reader.expect("|")
    out.append(decode_whole(text[reader.i :]))
    return out


# -- strategies --------------------------------------------------------------------------------------------

TRICKY = st.text(alphabet=st.sampled_from('ab|"[]{}:-1.$ \\u'), max_size=6)
ANY_TEXT = st.one_of(TRICKY, st.text(max_size=8), st.sampled_from(["null", "undefined", "true", "1", "", "[]"]))
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), ANY_TEXT
)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=12
)

PLAIN_KEY = st.from_regex(r"[a-zA-Z_$][a-zA-Z0-9_$.]{0,5}", fullmatch=True).filter(
    lambda k: k not in ("true", "false", "null", "undefined", "NaN", "Infinity")
)
PLAIN_TEXT = st.text(alphabet=st.characters(blacklist_characters='"', blacklist_categories=("Cs",)), max_size=8)
PLAIN_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), PLAIN_TEXT
)
PLAIN_INNER = st.recursive(
    PLAIN_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(PLAIN_KEY, inner, min_size=1, max_size=1),
    max_leaves=10,
)
TOP_KEY = st.text(alphabet=st.characters(blacklist_characters='|"[]{}:', blacklist_categories=("Cs",)), min_size=1)
PLAIN_WHOLE = PLAIN_INNER | st.dictionaries(TOP_KEY, PLAIN_INNER, max_size=5)


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells ``True`` from ``1`` (Python's ``==`` does not)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return a == b or (math.isnan(a) and math.isnan(b))  # exact: 2**60 == 2.0**60, 2**60 + 1 != 2.0**60
    return type(a) is type(b) and a == b


# -- the collision families of the issue --------------------------------------------------------------------

FAMILIES = [
    ({"owner": "alice", "tenant": "t1"}, {"owner": 'alice"|tenant|"t1'}),
    ({"a": "x|b"}, {"a": "x", "b": None}),
    ({"a|b": 1}, {"a": {"b": 1}}),
    ({'a"': 1}, {"a": 1}),
    ({"a": None}, {"a": "null"}),
    ({"a": 1}, {"a": "1"}),
    ({"a": []}, {"a": ""}),
    ({"a": [[]]}, {"a": [""]}),
    ({"a": [{}]}, {"a": []}),
    ({"a": {}}, {"a": ""}),
    ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}, "c": 2}),
    ({"$or": [{"a": 1, "b": 2}]}, {"$or": [{"a": 1}, {"b": 2}]}),
    ({"a": {"1": {"b": 2}}}, {"a": 1, "b": 2}),
    ({"a": {"undefined": 1}}, {"a": MISSING, "undefined": 1}),
    ({"a": {"x:1": 2}}, {"a": {"x": {"1": 2}}}),
    ({"": 1}, {"a": {}}),
    ({"a": ["b", "c"]}, {"a": ['b"|"c']}),
    ({"a": '"'}, {"a": '""'}),
]


@pytest.mark.parametrize(("first", "second"), FAMILIES)
def test_collision_families_get_distinct_keys(first: Any, second: Any) -> None:
    assert key(first) != key(second)
    for keys in (["a"], ["a", "b"], ["b", "a"], ["x", "a", "c"]):
        if (get := (lambda p, keys=keys: [p.get(k, MISSING) for k in keys]))(first) != get(second):
            assert key(first, keys) != key(second, keys)


def test_the_issue_example_through_the_broker_memory_cacher() -> None:
    async def run() -> list[Any]:
        broker = ServiceBroker(logger=False, cacher="Memory")

        def find(self: Any, ctx: Any) -> Any:
            return [ctx.params["query"]]

        broker.create_service({"name": "posts", "actions": {"find": {"cache": {"keys": FIND_KEYS}, "handler": find}}})
        async with broker:
            return [
                await broker.call("posts.find", {"query": {"owner": "alice", "tenant": "t1"}}),
                await broker.call("posts.find", {"query": {"owner": 'alice"|tenant|"t1'}}),
            ]

    import asyncio

    first, second = asyncio.run(run())
    assert second == [{"owner": 'alice"|tenant|"t1'}] and first != second


def test_meta_keys_cannot_collide_either() -> None:
    a = key({}, ["#user", "#tenant"], meta={"user": "bob|x", "tenant": "t"})
    b = key({}, ["#user", "#tenant"], meta={"user": {"bob": '"x"'}, "tenant": "t"})
    c = key({}, ["#user", "#tenant"], meta={"user": 'bob"', "tenant": '"t'})
    assert len({a, b, c}) == 3


def test_hash_input_is_the_unambiguous_serialisation() -> None:
    long = "y" * 100
    a = key({"owner": "alice", "tenant": long}, max_params_length=60)
    b = key({"owner": f'alice"|tenant|"{long}'}, max_params_length=60)
    assert a != b and len(a) == len(b) == len("posts.find:") + 60


def test_lone_surrogates_hash_without_error_and_apart_from_u_fffd() -> None:
    a = key({"q": "\ud800" * 50}, max_params_length=60)
    b = key({"q": "\ufffd" * 50}, max_params_length=60)
    assert a != b


# -- the reader proves injectivity -------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_every_serialisation_reads_back_to_its_value(value: Any) -> None:
    assert same(decode_whole(serialise(value, WHOLE)), value)
    assert same(Reader(serialise(value, INNER)).value(), value)


@settings(max_examples=150, deadline=None)
@given(st.lists(JSON, min_size=2, max_size=4))
def test_several_keys_read_back_to_their_values(values: list[Any]) -> None:
    params = {f"k{i}": v for i, v in enumerate(values)}
    got = key(params, list(params))
    decoded = decode_parts(got[len("posts.find:") :], len(values))
    assert all(same(d, v) for d, v in zip(decoded, values)), (got, values)


@settings(max_examples=150, deadline=None)
@given(JSON, JSON, st.sampled_from([None, 44, 50, 64]))
def test_distinct_params_get_distinct_keys(a: Any, b: Any, max_len: int | None) -> None:
    assume(not same(a, b))
    assert key(a, max_params_length=max_len) != key(b, max_params_length=max_len)
    pa, pb = {"x": a, "y": b}, {"x": b, "y": a}
    for keys in (["x"], ["x", "y"], ["y", "x", "z"]):
        assert key(pa, keys, max_params_length=max_len) != key(pb, keys, max_params_length=max_len)


# -- and stays Moleculer's where nothing needs escaping -----------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(PLAIN_WHOLE)
def test_inputs_without_special_characters_keep_moleculer_keys(value: Any) -> None:
    assert key(value) == "posts.find:" + moleculer_s(value)
    assert key({"q": value}, ["q"]) == "posts.find:" + moleculer_s(value)


@settings(max_examples=100, deadline=None)
@given(st.lists(PLAIN_INNER, min_size=2, max_size=4), PLAIN_WHOLE)
def test_several_plain_keys_keep_moleculer_keys(first: list[Any], last: Any) -> None:
    values = [*first, last]
    params = {f"k{i}": v for i, v in enumerate(values)}
    assert key(params, list(params)) == "posts.find:" + "|".join(moleculer_s(v) for v in values)


# Keys derived by hand from base.js (`_generateKeyFromObject`, `defaultKeygen`) for moleculer-db-shaped calls.
MOLECULER_KEYS = [
    ({"limit": 10, "offset": 0, "sort": ["-votes"], "query": {"owner": "alice", "tenant": "t1"}}, FIND_KEYS,
     'undefined|undefined|undefined|10|0|["-votes"]|undefined|undefined|undefined|owner|"alice"|tenant|"t1"'),
    ({"query": {"age": {"$gt": 18}, "status": "active"}}, ["query"], 'age|$gt|18|status|"active"'),
    ({"query": {"$or": [{"a": 1}, {"b": "x"}]}, "limit": 5}, None, 'query|$or|[a|1|b|"x"]|limit|5'),
    ({"query": {"tags": {"$in": ["a", "b"]}}, "page": 2}, ["page", "query"], 'posts.find:2|tags|$in|["a"|"b"]'),
    ({"id": [1, 2], "populate": ["author"], "mapping": True}, ["id", "populate", "fields", "excludeFields", "mapping"],
     '[1|2]|["author"]|undefined|undefined|true'),
    ({"search": "a b|c", "searchFields": "title"}, ["search", "searchFields"], '"a b|c"|"title"'),
]  # fmt: skip


@pytest.mark.parametrize(("params", "keys", "expected"), MOLECULER_KEYS)
def test_fixed_moleculer_keys(params: Any, keys: list[str] | None, expected: str) -> None:
    expected = expected if expected.startswith("posts.find:") else "posts.find:" + expected
    assert key(params, keys) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"owner": 'alice"|tenant|"t1'}, 'owner|"alice""|tenant|""t1"'),
        ({"a|b": 1, "c": 2}, '"a|b"|1|c|2'),
        ({"a": {"b": 1, "c": 2}}, "a|{b|1|c|2}"),
        ({"a": {"b": 1}, "c": 2}, "a|b|1|c|2"),
        ({"a": [{"b": 1, "c": 2}]}, "a|[{b|1|c|2}]"),
        ({"a": {}}, "a|{}"),
        ({"a": {"1": 2}}, "a|{1|2}"),
        ({"1": 2}, "1|2"),
    ],
)
def test_escaped_forms(params: Any, expected: str) -> None:
    assert key(params) == "posts.find:" + expected


# Keys computed by Moleculer 0.15.2 itself (``Cachers.Memory#defaultKeygen`` under Node v20) for inputs without
# special characters, some long enough to be hashed, some with array-index keys out of JavaScript's order (kept as
# JSON text: Python keeps the text's order, Node enumerates index keys first): ours must be the same bytes.
def _js_int(text: str) -> int | float:
    """A JSON number written by Node is a double: digits past 2**53 stand for a float."""
    n = int(text)
    return n if abs(n) <= 2**53 else float(n)


NODE_KEYS = json.loads(
    (Path(__file__).parent / "data" / "moleculer_015_keys.json").read_text(), parse_int=_js_int
)["samples"]


@pytest.mark.parametrize("sample", NODE_KEYS, ids=lambda s: s["key"][:40])
def test_keys_computed_by_moleculer_under_node(sample: dict[str, Any]) -> None:
    params = json.loads(sample["paramsText"], parse_int=_js_int) if "paramsText" in sample else sample["params"]
    got = MemoryCacher(max_params_length=sample["maxParamsLength"]).get_cache_key(
        "posts.find", params, {}, sample["keys"]
    )
    assert got == sample["key"]
