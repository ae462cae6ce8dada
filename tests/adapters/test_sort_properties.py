"""Property tests of the sort order against an independent reference written from MongoDB's documented
comparison/sort order (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/).

The reference compares two values directly (a three-way ``compare``), the implementation builds keys
(``query_values.value_key``/``sort_key``); they must agree on every pair, and the key order must be a total order.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters import MemoryAdapter
from adapters.query_values import sort_key, value_key

from .conftest import drive, ids

# ------------------------------------------------------------------------------------------------- reference

# MinKey < null < numbers < symbol/string < object < array < binData < ObjectId < bool < date < ...
_TYPE_ORDER = {"null": 1, "number": 2, "string": 3, "object": 4, "array": 5, "bool": 6, "date": 7}


def bson_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    assert isinstance(value, datetime)
    return "date"


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def compare(a: Any, b: Any) -> int:
    """MongoDB's three-way comparison of two BSON values, straight from the documentation."""
    ta, tb = bson_type(a), bson_type(b)
    if ta != tb:
        return _sign(_TYPE_ORDER[ta] - _TYPE_ORDER[tb])
    if ta == "null":
        return 0
    if ta == "number":  # all numeric types are one type; NaN is below every other number
        if a != a or b != b:
            return 0 if (a != a and b != b) else (-1 if a != a else 1)
        return _cmp(a, b)
    if ta == "string":  # simple binary comparison of the UTF-8 bytes
        return _cmp(a.encode("utf-8"), b.encode("utf-8"))
    if ta == "bool":
        return _cmp(int(a), int(b))
    if ta == "date":
        na = a if a.tzinfo else a.replace(tzinfo=UTC)
        nb = b if b.tzinfo else b.replace(tzinfo=UTC)
        return _cmp(na, nb)
    if ta == "object":  # key/value pairs in order: type of the value, then field name, then value
        for (ka, va), (kb, vb) in zip(a.items(), b.items()):
            c = _sign(_TYPE_ORDER[bson_type(va)] - _TYPE_ORDER[bson_type(vb)])
            c = c or _cmp(ka.encode("utf-8"), kb.encode("utf-8")) or compare(va, vb)
            if c:
                return c
        return _cmp(len(a), len(b))
    for va, vb in zip(a, b):  # arrays: element by element (index names are equal), shorter first
        c = compare(va, vb)
        if c:
            return c
    return _cmp(len(a), len(b))


_UNDEFINED = object()


def ref_sort_value(value: Any, descending: bool) -> Any:
    """A top-level field's sort value: an array by its smallest (largest) element; ``[]`` is undefined."""
    if isinstance(value, list):
        if not value:
            return _UNDEFINED
        pick = max if descending else min
        return pick(value, key=functools.cmp_to_key(compare))
    return value


def compare_sort_values(a: Any, b: Any) -> int:
    if a is _UNDEFINED or b is _UNDEFINED:
        return 0 if a is b else (-1 if a is _UNDEFINED else 1)
    return compare(a, b)


# ------------------------------------------------------------------------------------------------ strategies

_TEXT = st.text(alphabet=st.sampled_from("aAbZ_0é\u00ff\u0100\uffff\U0001f600"), max_size=3)
_NAMES = st.sampled_from(["a", "b", "B", "é", "aa", "\U0001f600"])
_TZ = st.sampled_from([UTC, timezone(timedelta(hours=2)), None])


def _values(max_int: int) -> st.SearchStrategy[Any]:
    """Values with integers up to ``±max_int`` (comparisons take any size; stored entities hold 64-bit ones)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-3, max_value=3),
        st.integers(min_value=-max_int, max_value=max_int),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.5, -0.0, 2.0, float("nan")]),
        _TEXT,
        st.builds(lambda s, tz: datetime(2024, 1, 1, tzinfo=tz) + timedelta(seconds=s), st.integers(-5, 5), _TZ),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_NAMES, inner, max_size=3)),
        max_leaves=8,
    )


values = _values(2**70)
stored_values = _values(2**63 - 1)


def _key_cmp(a: Any, b: Any) -> int:
    ka, kb = value_key(a), value_key(b)
    return (ka > kb) - (ka < kb)


@settings(max_examples=400, deadline=None)
@given(values, values)
def test_value_key_order_is_mongodb_comparison(a: Any, b: Any) -> None:
    assert _key_cmp(a, b) == compare(a, b)
    assert _key_cmp(b, a) == -_key_cmp(a, b)  # antisymmetric
    assert _key_cmp(a, a) == 0


@settings(max_examples=300, deadline=None)
@given(values, values, values)
def test_value_key_order_is_transitive(a: Any, b: Any, c: Any) -> None:
    x, y, z = sorted([a, b, c], key=value_key)
    assert value_key(x) <= value_key(y) <= value_key(z)
    assert compare(x, y) <= 0 and compare(y, z) <= 0 and compare(x, z) <= 0


@settings(max_examples=300, deadline=None)
@given(values, values, st.booleans())
def test_top_level_sort_key_matches_the_reference(a: Any, b: Any, descending: bool) -> None:
    ka, kb = sort_key(a, descending), sort_key(b, descending)
    expected = compare_sort_values(ref_sort_value(a, descending), ref_sort_value(b, descending))
    assert ((ka > kb) - (ka < kb)) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(stored_values, st.just("<missing>")), max_size=8), st.booleans())
def test_the_adapter_sorts_like_the_reference(column: list[Any], descending: bool) -> None:
    rows = [{"_id": i} if v == "<missing>" else {"_id": i, "v": v} for i, v in enumerate(column)]
    adapter = MemoryAdapter()
    adapter.init("items", {}, {})
    drive(adapter.insert_many(rows))
    got = ids(drive(adapter.find({"sort": "-v" if descending else "v"})))

    def ref_key(row: dict[str, Any]) -> Any:
        return ref_sort_value(row.get("v"), descending)

    order = sorted(rows, key=functools.cmp_to_key(lambda r, s: compare_sort_values(ref_key(r), ref_key(s))))
    if descending:  # a stable descending sort: ties keep insertion order
        order = sorted(rows, key=functools.cmp_to_key(lambda r, s: compare_sort_values(ref_key(s), ref_key(r))))
    assert got == ids(order)
