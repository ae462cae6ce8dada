"""Issue 9, an outsider's attack on MongoAdapter (mongomock): hostile input gets the memory adapter's answer or a typed
error, never a 500 or a raw PyMongo/BSON exception. Each case runs the same call on a ``MemoryAdapter`` and on a
``MongoAdapter`` and compares the outcomes (the result, or the error's class, code and data).

Faults found and fixed here (shared ones are also conformance cases, ``test_stored_values.py``):

* unstorable values (lone surrogates, NUL field names, sets, ``Decimal``...) in entities and ``$set`` values: a
  500 or a 422 naming no field on MongoDB, stored as given by the memory adapter → one check for every adapter;
* ``$set``/``$inc`` paths through arrays: MongoDB wrote into the array (``tags.0``, ``tags.5`` padding with nulls)
  or failed with a 500 → the 422 of a path through a non-object, the stored type named as the memory adapter does;
* ``$unset`` of ``tags.0`` reaching an array: MongoDB sets the element to ``null``, the language leaves arrays
  alone → a 400 ``UNSUPPORTED_QUERY`` (mongomock does nothing, a server would write: the check is ours).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st
from pymongo.errors import DocumentTooLarge, WriteError

from adapters import BaseAdapter, MemoryAdapter, UnsupportedQueryError
from adapters.mongo.ids import object_id_range
from broker.errors import MoleculerError

from .conftest import make

HEX = "65a1f0c2b3d4e5f607182930"
DOCS = [
    {"_id": 1, "a": "x", "n": 1, "o": {"k": 1}, "tags": ["p", "q"], "objs": [{"x": 1}], "none": None},
    {"_id": HEX, "a": "y.z", "n": 2, "tags": "solo", "objs": {"x": 2}},
    {"_id": "s", "a": "(", "n": 2**63 - 1, "f": 1e308},
]

Call = Callable[[BaseAdapter], Awaitable[Any]]


async def outcome(adapter: BaseAdapter, call: Call) -> Any:
    """What a caller sees: the result and the stored data after it, or the typed error (a 500 fails the test)."""
    await adapter.connect()
    await adapter.insert_many(DOCS)
    try:
        result: Any = await call(adapter)
    except MoleculerError as err:
        assert err.code < 500, f"{type(adapter).__name__}: {err!r} from {getattr(err, 'original', None)!r}"
        result = (type(err).__name__, err.code, err.data)
    return result, await adapter.find({"sort": "n"})


async def same_answer(call: Call) -> Any:
    memory = MemoryAdapter()
    memory.init("test.items", {}, {"name": "items"})
    expected = await outcome(memory, call)
    assert await outcome(make(), call) == expected
    return expected[0]


HOSTILE_WRITES: dict[str, Call] = {
    "surrogate-value": lambda a: a.insert({"a": "\ud800"}),
    "surrogate-key": lambda a: a.insert({"o": {"\udfff": 1}}),
    "nul-key": lambda a: a.insert({"o": {"k\x00": 1}}),
    "dollar-key": lambda a: a.insert({"a": {"$gt": ""}}),
    "set-value": lambda a: a.insert_many([{"_id": 9}, {"s": {1, 2}}]),
    "decimal-value": lambda a: a.insert({"d": Decimal(1)}),
    "int-past-64-bits": lambda a: a.insert({"big": -(2**63) - 1}),
    "surrogate-id": lambda a: a.insert({"_id": "\ud800"}),
    "set-surrogate": lambda a: a.update_many({}, {"$set": {"a": "\ud800"}}),
    "set-surrogate-key-deep": lambda a: a.update_by_id(1, {"$set": {"o.k": {"a": {"\ud800": 1}}}}),
    "set-nul-path": lambda a: a.update_by_id(1, {"$set": {"a\x00": 1}}),
    "set-nul-key": lambda a: a.find_one_and_update({"n": 2}, {"$set": {"o": {"a\x00": 1}}}),
    "set-int-past-64-bits": lambda a: a.update_many({}, {"$set": {"n": 2**64}}),
    "set-index": lambda a: a.update_many({}, {"$set": {"tags.0": "z"}}),
    "set-past-the-end": lambda a: a.update_by_id(HEX, {"$set": {"tags.5": "z"}}),
    "set-into-object-elements": lambda a: a.update_by_id(1, {"$set": {"objs.x": 9}}),
    "set-through-null": lambda a: a.update_by_id(1, {"$set": {"none.x": 9}}),
    "set-through-int": lambda a: a.update_many({}, {"$set": {"n.x": 9}}),
    "inc-string": lambda a: a.update_many({}, {"$inc": {"a": 1}}),
    "inc-index": lambda a: a.update_by_id(1, {"$inc": {"tags.0": 1}}),
    "inc-into-object-elements": lambda a: a.update_many({}, {"$inc": {"objs.x": 1}}),
    "inc-overflow": lambda a: a.update_many({}, {"$inc": {"n": 1}}),
    "inc-float-overflow": lambda a: a.update_by_id("s", {"$inc": {"f": 1e308}}),
    "unset-through-array": lambda a: a.update_many({}, {"$unset": {"objs.x": ""}}),
    "unknown-operator": lambda a: a.update_many({}, {"$rename": {"a": "b"}}),
    "push": lambda a: a.update_by_id(1, {"$push": {"tags": "r"}}),
}


@pytest.mark.parametrize("name", list(HOSTILE_WRITES))
async def test_hostile_writes_get_the_memory_adapters_answer(name: str) -> None:
    await same_answer(HOSTILE_WRITES[name])


HOSTILE_READS: dict[str, Call] = {
    "where": lambda a: a.find({"query": {"$where": "1"}}),
    "expr": lambda a: a.count({"query": {"$expr": {"$eq": [1, 1]}}}),
    "function-nested": lambda a: a.find({"query": {"a": {"$function": {}}}}),
    "operator-in-in": lambda a: a.find({"query": {"n": {"$in": [1, {"$gt": 1}]}}}),
    "nul-path": lambda a: a.find({"query": {"a\x00": 1}}),
    "surrogate-literal-key": lambda a: a.find({"query": {"o": {"\ud800": 1}}}),
    "dollar-sort": lambda a: a.find({"sort": "$natural"}),
    "dollar-search-field": lambda a: a.find({"search": "x", "searchFields": ["$where"]}),
    "regex-metacharacters": lambda a: a.find({"search": "y.z", "searchFields": ["a"]}),
    "regex-metacharacters-paren": lambda a: a.find({"search": "(", "searchFields": ["a"]}),
    "upper-case-hex": lambda a: a.find_by_id(HEX.upper()),
    "hex-id-as-string-query": lambda a: a.find({"query": {"_id": {"$in": [HEX, 1]}}, "sort": "n"}),
    "ids-of-every-type": lambda a: a.find_by_ids([True, 1.0, None, [1], {"$gt": ""}, HEX, "s", 2**64]),
    "bool-id": lambda a: a.remove_by_id(True),
    "object-id": lambda a: a.update_by_id({"$ne": None}, {"$set": {"a": 1}}),
}


@pytest.mark.parametrize("name", list(HOSTILE_READS))
async def test_hostile_reads_get_the_memory_adapters_answer(name: str) -> None:
    await same_answer(HOSTILE_READS[name])


async def test_unset_of_an_array_element_is_a_400_and_writes_nothing() -> None:
    adapter = make()
    await adapter.connect()
    await adapter.insert_many(DOCS)
    for call in (
        adapter.update_many({}, {"$unset": {"tags.0": ""}}),
        adapter.update_by_id(1, {"$unset": {"tags.1": ""}}),
    ):
        with pytest.raises(UnsupportedQueryError) as info:
            await call
        assert info.value.code == 400 and info.value.data["field"].startswith("tags.")
    assert await adapter.find() == DOCS
    # an object's key "0" is no array element: unset as everywhere
    await adapter.update_by_id(1, {"$set": {"o": {"0": 1, "1": 2}}})
    assert (await adapter.update_by_id(1, {"$unset": {"o.0": ""}}))["o"] == {"1": 2}


@pytest.mark.parametrize("code", [10334, 17419])
def test_a_document_past_16_mb_is_a_422_not_a_500(code: int) -> None:
    """What a server answers when an update makes a document too large (mongomock has no size limit)."""
    exc = WriteError("Resulting document after update is larger than 16777216", code, {"code": code})
    err = make().translate_error(exc)
    assert err.code == 422 and err.data[0]["field"] == "update" and "16 MB" in err.data[0]["message"]
    too_big = make().translate_error(DocumentTooLarge("BSON document too large (16777300 bytes)"))
    assert too_big.code == 422 and too_big.data[0]["field"] == "entity"


def _matches(cond: dict[str, Any] | None, oid: ObjectId) -> bool:
    if cond is None:
        return False
    if "$type" in cond:
        return True
    return oid >= cond["$gte"] if "$gte" in cond else oid < cond["$lt"]


_HEXISH = st.text(alphabet=st.sampled_from("0123456789abcdefAFg/:`~\x00é"), max_size=30)


@settings(max_examples=500, deadline=None)
@given(st.binary(min_size=12, max_size=12), _HEXISH | st.sampled_from(["", "f" * 24, "f" * 25, "0" * 24, "g"]))
def test_object_id_ranges_follow_the_hex_string_order(raw: bytes, text: str) -> None:
    """``object_id_range(op, text)`` matches exactly the ObjectIds whose wire string is ``<op> text``."""
    oid = ObjectId(raw)
    hex_ = str(oid)
    expected = {"gt": hex_ > text, "gte": hex_ >= text, "lt": hex_ < text, "lte": hex_ <= text}
    for op, want in expected.items():
        assert _matches(object_id_range(op, text), oid) is want, (op, text, hex_)
    for near in (text[:24], hex_[:5] + text, hex_):  # strings next to the id, where an off-by-one would show
        assert _matches(object_id_range("gte", near), oid) is (hex_ >= near)
        assert _matches(object_id_range("gt", near), oid) is (hex_ > near)
