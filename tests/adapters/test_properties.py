"""Property tests: for random small datasets, queries and updates, the indexed MemoryAdapter, the scanning one
and a tiny reference evaluator written straight from docs/query-language.md all agree, order included."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import MemoryAdapter
from broker.errors import ValidationError

from .conftest import drive, ids

PATHS = ["a", "b", "n.x"]

# ------------------------------------------------------------------------------------------ reference evaluator

_MISSING = object()


def ref_values(doc: Any, parts: list[str]) -> list[Any]:
    """What a dotted path reaches: objects are entered, arrays are entered element-wise (objects only)."""
    if not parts:
        return [doc]
    head, rest = parts[0], parts[1:]
    if isinstance(doc, dict):
        return ref_values(doc[head], rest) if head in doc else [_MISSING]
    if isinstance(doc, list):
        out = [v for element in doc if isinstance(element, dict) for v in ref_values(element, parts)]
        if head.isdigit() and int(head) < len(doc):
            out = ref_values(doc[int(head)], rest) + out
        return out or [_MISSING]
    return [_MISSING]


def ref_equal(stored: Any, literal: Any) -> bool:
    if isinstance(stored, bool) or isinstance(literal, bool):
        return type(stored) is type(literal) and stored == literal
    if isinstance(stored, int | float) and isinstance(literal, int | float):
        return stored == literal
    if isinstance(stored, list) and isinstance(literal, list):
        return len(stored) == len(literal) and all(ref_equal(x, y) for x, y in zip(stored, literal))
    if isinstance(stored, dict) and isinstance(literal, dict):
        return stored.keys() == literal.keys() and all(ref_equal(stored[k], literal[k]) for k in literal)
    return type(stored) is type(literal) and stored == literal


def ref_scalar_match(value: Any, op: str, operand: Any) -> bool:
    """One stored value (not expanded) against one operator."""
    if op == "eq":
        if operand is None and (value is None or value is _MISSING):
            return True
        return value is not _MISSING and ref_equal(value, operand)
    if op in ("gt", "gte", "lt", "lte"):
        numbers = (int, float)
        same = (isinstance(value, str) and isinstance(operand, str)) or (
            isinstance(value, numbers) and not isinstance(value, bool) and isinstance(operand, numbers)
        )
        if not same:
            return False
        return {"gt": value > operand, "gte": value >= operand, "lt": value < operand, "lte": value <= operand}[op]
    if op == "regex":
        pattern, flags = operand
        return isinstance(value, str) and re.search(pattern, value, re.I if "i" in flags else 0) is not None
    raise AssertionError(op)


def ref_field(doc: dict[str, Any], path: str, op: str, operand: Any) -> bool:
    """Any reached value matches, where an array value also matches through any of its elements."""
    for value in ref_values(doc, path.split(".")):
        if ref_scalar_match(value, op, operand):
            return True
        if isinstance(value, list) and any(ref_scalar_match(e, op, operand) for e in value):
            return True
    return False


def ref_match(doc: dict[str, Any], query: dict[str, Any]) -> bool:
    for key, cond in query.items():
        if key == "$and":
            ok = all(ref_match(doc, q) for q in cond)
        elif key == "$or":
            ok = any(ref_match(doc, q) for q in cond)
        elif key == "$not":
            ok = not ref_match(doc, cond)
        elif isinstance(cond, dict) and cond and next(iter(cond)).startswith("$"):
            ok = all(ref_operator(doc, key, op, operand, cond) for op, operand in cond.items() if op != "$options")
        else:
            ok = ref_field(doc, key, "eq", cond)
        if not ok:
            return False
    return True


def ref_operator(doc: dict[str, Any], path: str, op: str, operand: Any, cond: dict[str, Any]) -> bool:
    if op == "$eq":
        return ref_field(doc, path, "eq", operand)
    if op == "$ne":
        return not ref_field(doc, path, "eq", operand)
    if op == "$in":
        return any(ref_field(doc, path, "eq", v) for v in operand)
    if op == "$nin":
        return not any(ref_field(doc, path, "eq", v) for v in operand)
    if op == "$exists":
        return any(v is not _MISSING for v in ref_values(doc, path.split("."))) is operand
    if op == "$regex":
        return ref_field(doc, path, "regex", (operand, cond.get("$options", "")))
    if op == "$not":
        return not all(ref_operator(doc, path, o, v, operand) for o, v in operand.items())
    return ref_field(doc, path, op[1:], operand)


# ------------------------------------------------------------------------------------------------- strategies

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.5, 1.0, 2.5]),
    st.text(alphabet="abA", max_size=2),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.fixed_dictionaries({"x": scalars}),
)
orderable = st.one_of(st.integers(-2, 2), st.sampled_from([0.5, 1.0, 2.5]), st.text(alphabet="abA", max_size=2))
paths = st.sampled_from(PATHS)


def _doc(a: Any, b: Any, n: Any) -> dict[str, Any]:
    return {k: v for k, v in (("a", a), ("b", b), ("n", n)) if v is not _MISSING}


maybe = st.one_of(st.just(_MISSING), st.integers(0, 2), values)
nested = st.one_of(
    st.just(_MISSING), values, st.fixed_dictionaries({"x": values}), st.lists(st.fixed_dictionaries({"x": scalars}))
)
documents = st.builds(_doc, maybe, maybe, nested)

operator_conditions = st.one_of(
    st.builds(lambda v: {"$eq": v}, values),
    st.builds(lambda v: {"$ne": v}, values),
    st.builds(lambda op, v: {op: v}, st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), orderable),
    st.builds(lambda lo, hi: {"$gt": lo, "$lte": hi}, orderable, orderable),
    st.builds(lambda vs: {"$in": vs}, st.lists(values, max_size=3)),
    st.builds(lambda vs: {"$nin": vs}, st.lists(values, max_size=3)),
    st.builds(lambda flag: {"$exists": flag}, st.booleans()),
    st.builds(lambda p, o: {"$regex": p, "$options": o}, st.sampled_from(["^a", "a$", "b", "^$"]),
              st.sampled_from(["", "i"])),
    st.builds(lambda op, v: {"$not": {op: v}}, st.sampled_from(["$gt", "$lte"]), orderable),
)  # fmt: skip
leaves = st.one_of(
    st.builds(lambda p, v: {p: v}, paths, values),
    st.builds(lambda p, c: {p: c}, paths, operator_conditions),
)
queries = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda qs: {"$and": qs}),
        st.lists(children, min_size=1, max_size=3).map(lambda qs: {"$or": qs}),
        children.map(lambda q: {"$not": q}),
        st.tuples(children, children).map(lambda qs: {**qs[0], **qs[1]}),
    ),
    max_leaves=5,
)
sorts = st.lists(st.tuples(paths, st.booleans()), max_size=2).map(
    lambda keys: [("-" if desc else "") + path for path, desc in keys]
)


def make_pair(rows: list[dict[str, Any]]) -> tuple[MemoryAdapter, MemoryAdapter]:
    plain, indexed = MemoryAdapter(), MemoryAdapter(indexes=PATHS)
    for adapter in (plain, indexed):
        drive(adapter.insert_many(rows))
    return plain, indexed


def outcome(call: Any) -> Any:
    """The result of a call, or the 422's field, so that two adapters can be compared on errors too."""
    try:
        return drive(call)
    except ValidationError as err:
        return ("422", err.data[0]["field"])


# ------------------------------------------------------------------------------------------------------- tests

common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(docs=st.lists(documents, max_size=10), query=queries)
def test_filters_agree_with_the_reference(docs: list[dict[str, Any]], query: dict[str, Any]) -> None:
    rows = [{"_id": i, **doc} for i, doc in enumerate(docs)]
    expected = [row["_id"] for row in rows if ref_match(row, query)]
    plain, indexed = make_pair(rows)
    for adapter in (plain, indexed):
        assert ids(drive(adapter.find({"query": query}))) == expected
        assert drive(adapter.count({"query": query})) == len(expected)


@common
@given(
    docs=st.lists(documents, max_size=10),
    query=queries,
    sort=sorts,
    limit=st.integers(0, 4),
    offset=st.integers(0, 4),
)
def test_sorted_pages_agree(docs: list[dict[str, Any]], query: dict[str, Any], sort: list[str], limit: int,
                            offset: int) -> None:  # fmt: skip
    rows = [{"_id": i, **doc} for i, doc in enumerate(docs)]
    plain, indexed = make_pair(rows)
    params = {"query": query, "sort": sort, "limit": limit, "offset": offset}
    page = drive(plain.find(params))
    assert page == drive(indexed.find(params))
    everything = ids(drive(plain.find({"query": query, "sort": sort})))
    assert sorted(everything) == [row["_id"] for row in rows if ref_match(row, query)]
    assert ids(page) == everything[offset : offset + limit if limit else None]


small = st.integers(0, 2)  # few distinct values: updates keep moving entities between the same index buckets
updates = st.one_of(
    st.dictionaries(paths, st.one_of(small, values), min_size=1, max_size=2).map(lambda s: {"$set": s}),
    st.lists(paths, min_size=1, max_size=2, unique=True).map(lambda u: {"$unset": u}),
    st.builds(lambda p, n: {"$inc": {p: n}}, paths, st.sampled_from([1, -1, 0.5])),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("update"), queries, updates),
        st.tuples(st.just("remove"), queries, st.none()),
        st.tuples(st.just("insert"), documents, st.none()),
    ),
    max_size=5,
)


@common
@given(docs=st.lists(documents, max_size=8), ops=operations, probe=queries)
def test_writes_keep_index_and_scan_identical(
    docs: list[dict[str, Any]], ops: list[tuple[str, Any, Any]], probe: dict[str, Any]
) -> None:
    rows = [{"_id": i, **doc} for i, doc in enumerate(docs)]
    plain, indexed = make_pair(rows)
    for step, (kind, arg, update) in enumerate(ops):
        for_plain: Any
        if kind == "update":
            for_plain, for_indexed = plain.update_many(arg, update), indexed.update_many(arg, update)
        elif kind == "remove":
            for_plain, for_indexed = plain.remove_many(arg), indexed.remove_many(arg)
        else:
            entity = {"_id": 100 + step, **arg}
            for_plain, for_indexed = plain.insert(entity), indexed.insert(entity)
        assert outcome(for_plain) == outcome(for_indexed)
    assert drive(plain.find()) == drive(indexed.find())
    everything = drive(plain.find())
    expected = [row["_id"] for row in everything if ref_match(row, probe)]
    assert ids(drive(indexed.find({"query": probe}))) == expected
    assert ids(drive(plain.find({"query": probe}))) == expected
    assert drive(indexed.count({"query": probe})) == len(expected)
    for path in PATHS:  # every bucket, in order: updates may have moved entities between buckets
        for value in {repr(v): v for row in everything for v in ref_values(row, path.split("."))}.values():
            if value is not _MISSING and not isinstance(value, list | dict):
                query = {path: value}
                assert ids(drive(indexed.find({"query": query}))) == ids(drive(plain.find({"query": query})))
