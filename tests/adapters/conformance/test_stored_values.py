"""Conformance: what an entity may hold, through every write. A value no engine can store exactly (a ``set``, a
``Decimal``, bytes, an integer past 64 bits, a lone surrogate, a ``$``-prefixed or NUL field name...) is a 422
naming its path on every adapter, and nothing is written; tuples are stored, and returned, as lists. Before this
(issue 9, outsider attack) the memory adapter stored such values, and MongoAdapter answered a 500 or a 422 naming
no field. Update paths never index into arrays: a ``$set``/``$inc`` through an array is the 422 of a path through
a non-object everywhere (MongoDB would write into the array)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from adapters import BaseAdapter
from broker.errors import ValidationError

from ..conftest import ids
from .conftest import SEED

UNSTORABLE: list[tuple[str, dict[str, Any], str]] = [
    ("set", {"a": {1, 2}}, "a"),
    ("decimal", {"a": {"b": Decimal("1.5")}}, "a.b"),
    ("bytes", {"a": [1, b"x"]}, "a.1"),
    ("object", {"a": object()}, "a"),
    ("int-past-64-bits", {"a": [0, {"b": 2**64}]}, "a.1.b"),
    ("lone-surrogate-value", {"a": "x\ud800"}, "a"),
    ("lone-surrogate-key", {"a": {"\ud800": 1}}, "a.\\ud800"),
    ("nul-key", {"a": {"b\x00": 1}}, "a.b\\x00"),
    ("dollar-key-nested", {"a": {"$gt": ""}}, "a.$gt"),
    ("dollar-key-in-list", {"a": [{"$where": "1"}]}, "a.0.$where"),
    ("dollar-key-top", {"$where": "1"}, "$where"),
    ("non-string-key", {"a": {1: 2}}, "a.1"),
]


def _params(cases: list[tuple[str, Any, str]]) -> Any:
    return pytest.mark.parametrize(("values", "path"), [c[1:] for c in cases], ids=[c[0] for c in cases])


async def _refused(call: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as info:
        await call
    assert info.value.code == 422
    return dict(info.value.data[0])


@_params(UNSTORABLE)
async def test_an_unstorable_entity_is_a_422_naming_the_path(adapter: BaseAdapter, values: Any, path: str) -> None:
    assert (await _refused(adapter.insert({"_id": 1, **values})))["field"] == f"entity.{path}"
    entry = await _refused(adapter.insert_many([{"_id": 2}, {"_id": 3, **values}]))
    assert entry["field"] == f"entities.1.{path}"
    assert await adapter.count() == 0


@_params(UNSTORABLE)
async def test_an_unstorable_set_is_a_422_naming_the_path(seeded: BaseAdapter, values: Any, path: str) -> None:
    if "$where" in values:
        pytest.skip("a top-level $ key is an update operator, not a field (tests/adapters/conformance/test_updates)")
    for op in ("$set", None):
        update = {op: values} if op else values
        where = f"{op}.{path}" if op else path
        calls = [
            seeded.update_by_id(1, update),
            seeded.update_many({}, update),
            seeded.find_one_and_update({"_id": 2}, update),
        ]
        for call in calls:
            assert (await _refused(call))["field"] == where
    assert await seeded.find() == SEED


async def test_tuples_come_back_as_lists_from_every_write(adapter: BaseAdapter) -> None:
    assert await adapter.insert({"_id": 1, "pair": (1, (2, 3))}) == {"_id": 1, "pair": [1, [2, 3]]}
    assert await adapter.insert_many([{"_id": 2, "pair": (4,)}]) == [{"_id": 2, "pair": [4]}]
    assert await adapter.update_by_id(2, {"$set": {"obj": {"t": (5, 6)}}}) == {
        "_id": 2,
        "pair": [4],
        "obj": {"t": [5, 6]},
    }
    assert ids(await adapter.find({"query": {"obj.t": [5, 6]}})) == [2]


async def test_non_finite_floats_are_stored(adapter: BaseAdapter) -> None:
    """NaN and infinities are storable (BSON holds them, the sort order ranks them), unlike in query literals."""
    await adapter.insert({"_id": 1, "v": float("inf")})
    await adapter.update_by_id(1, {"$set": {"n": float("-inf")}})
    assert await adapter.find_by_id(1) == {"_id": 1, "v": float("inf"), "n": float("-inf")}


ARRAY_PATHS: list[tuple[str, dict[str, Any], str, str]] = [
    ("set-index", {"$set": {"tags.0": "x"}}, "$set.tags.0", "list"),
    ("set-past-the-end", {"$set": {"tags.5": "x"}}, "$set.tags.5", "list"),
    ("set-into-object-elements", {"$set": {"obj.x": 9}}, "$set.obj.x", "list"),
    ("set-index-into-element", {"$set": {"obj.0.x": 9}}, "$set.obj.0.x", "list"),
    ("inc-into-object-elements", {"$inc": {"obj.x": 1}}, "$inc.obj.x", "list"),
    ("inc-index", {"$inc": {"ratings.0": 1}}, "$inc.ratings.0", "list"),
    ("inc-array-of-numbers", {"$inc": {"ratings": 1}}, "$inc.ratings", "list"),
]


@pytest.mark.parametrize(("update", "field", "kind"), [c[1:] for c in ARRAY_PATHS], ids=[c[0] for c in ARRAY_PATHS])
async def test_update_paths_never_index_into_arrays(adapter: BaseAdapter, update: Any, field: str, kind: str) -> None:
    docs = [
        {"_id": 1, "tags": ["a", "b"], "obj": [{"x": 1}], "ratings": [4, 5]},
        {"_id": 2, "tags": "solo", "obj": {"x": 2}, "ratings": 3},
    ]
    await adapter.insert_many(docs)
    for call in (adapter.update_many({}, update), adapter.update_by_id(1, update)):
        entry = await _refused(call)
        assert entry["field"] == field and entry["actual"] == f"<a {kind}>"
    assert await adapter.find() == docs
