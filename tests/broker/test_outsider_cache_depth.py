"""Outsider testing: with a cacher, params nested past Python's recursion limit must not turn into a raw
``RecursionError`` while the cache key is computed; the call is served uncached and the action's own checks answer."""

from __future__ import annotations

from typing import Any

import pytest

from broker import ServiceBroker
from broker.errors import ValidationError
from dbmixin import DbMixin


def nest(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = {"a": value} if i % 2 else [value]
    return value


@pytest.fixture
async def broker() -> Any:
    b = ServiceBroker(logger=False, cacher="Memory")
    b.create_service({"name": "posts", "mixins": [DbMixin]})
    b.create_service({"name": "plain", "actions": {"echo": {"cache": True, "handler": lambda self, ctx: "ok"}}})
    await b.start()
    yield b
    await b.stop()


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("posts.find", {"query": {"a": nest(3000)}}),
        ("posts.find", {"sort": nest(3000)}),
        ("posts.count", {"query": {"$or": [nest(3000)]}}),
        ("posts.list", {"search": nest(3000)}),
        ("posts.get", {"id": nest(3000)}),
    ],
)
async def test_deep_params_of_cached_db_actions_are_a_422(broker, action, params):
    with pytest.raises(ValidationError) as info:
        await broker.call(action, params)
    assert info.value.code == 422


async def test_a_cached_action_without_checks_still_answers_uncached(broker):
    assert await broker.call("plain.echo", {"p": nest(3000)}) == "ok"
    assert await broker.call("plain.echo", {"p": nest(3)}) == "ok"
    assert await broker.cacher.get("plain.echo:p|[a|[1]]") == "ok"  # shallow params are still cached


@pytest.mark.parametrize("giant", [10**4301, -(10**5000), 3**9000], ids=["1e4301", "-1e5000", "3^9000"])
async def test_giant_integers_in_cached_params_are_a_422_not_a_value_error(broker, giant):
    for action, params in (("posts.count", {"iSearch": giant}), ("posts.find", {"query": {"n": giant}})):
        with pytest.raises(ValidationError):
            await broker.call(action, params)
    assert await broker.call("plain.echo", {"n": giant}) == "ok"
    assert await broker.call("plain.echo", {"n": giant + 1}) == "ok"
    keys = {broker.cacher.get_cache_key("plain.echo", {"n": n}, {}, None, None) for n in (giant, giant + 1, -giant)}
    assert len(keys) == 3  # still distinct keys
