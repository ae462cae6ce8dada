"""Item 9: random, malformed and abusive params for the eight actions, through a real broker.

Nothing but a ``MoleculerError`` may come out (no raw Python exception, no hang), a success can be serialised to
JSON (no 5,000-digit integer stored and echoed back), and a failed write leaves the store exactly as it was.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker import ServiceBroker
from broker.errors import MoleculerError
from dbmixin import DbMixin

ACTION_PARAMS = {
    "find": ["populate", "fields", "excludeFields", "limit", "offset", "sort", "search", "iSearch", "searchFields",
             "query"],
    "count": ["search", "iSearch", "searchFields", "query"],
    "list": ["populate", "fields", "excludeFields", "page", "pageSize", "sort", "search", "iSearch", "searchFields",
             "query"],
    "create": ["title", "votes", "_id", "uid", "$set", "nested"],
    "insert": ["entity", "entities"],
    "get": ["id", "populate", "fields", "excludeFields", "mapping"],
    "update": ["id", "uid", "title", "votes", "$set", "$unset", "$inc", "$push", "nested"],
    "remove": ["id", "uid"],
}  # fmt: skip
WRITES = {"create", "insert", "update", "remove"}


def _nest(depth: int, leaf: Any) -> Any:
    value = leaf
    for i in range(depth):
        value = {"a": value} if i % 2 else [value]
    return value


def _deep_json(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


KEYS = st.one_of(st.sampled_from(["title", "votes", "a", "a.b", "$gt", "$in", "$or", "$and", "$not", "$regex",
                                  "$exists", "$set", "$inc", "", "uid", "_id", "tags.$.x", "nested.deep"]),
                 st.text(max_size=6))  # fmt: skip
GIANT = st.integers(4301, 5000).map(lambda n: 10**n)  # past Python's int <-> str digit limit
HUGE = st.sampled_from([2**64, -(2**64), 2**63 - 1, 2**53, float("nan"), float("inf"), -float("inf"),
                        1e308, -0.0])  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), HUGE, st.floats(), st.text(max_size=20),
    st.sampled_from(["", "0", "-1", "1" * 5000, "1e400", "nan", " 5 ", "a,b", "{", "[1]", '{"$where": 1}',
                     _deep_json(5000), _deep_json(40)]),
)  # fmt: skip


def _values(scalars: Any) -> Any:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
        max_leaves=12,
    ) | st.sampled_from([2, 40, 70, 3000]).map(lambda d: _nest(d, 1)) | st.sampled_from([[], [1, "2", 3.0]])


VALUES = _values(SCALARS | GIANT)


@st.composite
def calls(draw: Any) -> tuple[str, dict[str, Any]]:
    action = draw(st.sampled_from(sorted(ACTION_PARAMS)))
    names = draw(st.lists(st.sampled_from(ACTION_PARAMS[action]) | KEYS, max_size=4, unique=True))
    def value(name: str) -> Any:
        if name == "id" and draw(st.booleans()):
            return list(range(draw(st.sampled_from([0, 7, 100_001]))))  # a huge id list
        return draw(VALUES)

    return action, {name: value(name) for name in names}


SETTINGS_VARIANTS = [
    {},
    {"idField": "uid", "excludeFields": ["votes"], "maxLimit": 5, "entityValidator": {"title": "string|optional"}},
    {"fields": ["_id", "title"], "useDotNotation": True, "populates": {"author": "posts.get"}},
]


async def _snapshot(service: Any) -> str:
    docs = await service.adapter.find({"sort": "_id"})
    return json.dumps(docs, sort_keys=True, default=repr)


async def _run(variant: int, sequence: list[tuple[str, dict[str, Any]]]) -> None:
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "posts", "mixins": [DbMixin], "settings": dict(SETTINGS_VARIANTS[variant])})
    await broker.start()
    try:
        service = broker.get_local_service("posts")
        await broker.call("posts.insert", {"entities": [{"title": "a", "votes": 1}, {"title": "b", "author": "x"}]})
        for action, params in sequence:
            before = await _snapshot(service) if action in WRITES else None
            try:
                result = await asyncio.wait_for(broker.call(f"posts.{action}", params), 10)
                json.dumps(result, default=str, allow_nan=True)  # a success must be able to cross the wire
            except MoleculerError:
                if before is not None:
                    assert await _snapshot(service) == before, (action, params)
            except BaseException as exc:  # pragma: no cover - the assertion message is the point
                raise AssertionError(f"posts.{action} {sorted(params)} raised {type(exc).__name__}") from exc
    finally:
        await broker.stop()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.integers(0, len(SETTINGS_VARIANTS) - 1), st.lists(calls(), min_size=1, max_size=4))
def test_random_params_only_ever_produce_moleculer_errors(variant: int, sequence: list[Any]) -> None:
    asyncio.run(_run(variant, sequence))


async def test_a_giant_integer_in_a_declared_param_is_a_422(make_broker) -> None:
    broker = await make_broker({"name": "posts", "mixins": [DbMixin]})
    with pytest.raises(MoleculerError):
        await broker.call("posts.find", {"iSearch": 10**5000})
