"""Present-but-falsy values (issue 6, kind 5): ``{}``, ``[]``, ``0``, ``""`` and ``False`` given by a caller
are values, never taken for "not given".

Already pinned elsewhere: ``timeout=0`` on a call and on an action disables the timeout
(``test_timeout_retry.py``), ``retries=0`` disables retrying, a falsy cacher ``ttl`` means forever
(``test_cacher.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from broker import Context, ServiceBroker, action
from broker.cacher import MemoryCacher, resolve_cacher
from broker.errors import BrokerOptionsError, MoleculerRetryableError, ValidationError

FALSY = [0, 0.0, False, "", [], {}]


def echo(self: Any, ctx: Context) -> Any:
    return ctx.params


@pytest.mark.parametrize("payload", FALSY)
async def test_falsy_params_reach_actions_and_events_unchanged(start_broker, payload: Any) -> None:
    seen: list[Any] = []
    broker = await start_broker(
        {"name": "s", "actions": {"echo": echo}, "events": {"e": lambda self, ctx: seen.append(ctx.params)}}
    )
    got = await broker.call("s.echo", payload)
    assert got == payload and type(got) is type(payload)
    await broker.emit("e", payload)
    await broker.broadcast("e", payload)
    assert seen == [payload, payload] and all(type(p) is type(payload) for p in seen)


async def test_an_empty_root_meta_is_the_callers_own_dict(start_broker) -> None:
    def stamp(self: Any, ctx: Context) -> None:
        ctx.meta["seen"] = True

    broker = await start_broker({"name": "s", "actions": {"stamp": stamp}})
    meta: dict[str, Any] = {}
    await broker.call("s.stamp", meta=meta)
    assert meta == {"seen": True}


async def test_retries_zero_as_a_float_still_means_no_retry(start_broker) -> None:
    calls = {"n": 0}

    def go(self: Any, ctx: Context) -> None:
        calls["n"] += 1
        raise MoleculerRetryableError("boom")

    policy = {"enabled": True, "retries": 3, "delay": 1}
    broker = await start_broker({"name": "f", "actions": {"go": go}}, retry_policy=policy)
    with pytest.raises(MoleculerRetryableError):
        await broker.call("f.go", retries=0.0)
    assert calls["n"] == 1


async def test_an_empty_cache_object_caches_with_the_defaults(start_broker) -> None:
    calls: list[Any] = []

    def get(self: Any, ctx: Context) -> int:
        calls.append(ctx.params)
        return len(calls)

    broker = await start_broker({"name": "p", "actions": {"get": {"cache": {}, "handler": get}}}, cacher="Memory")
    assert await broker.call("p.get", {"id": 1}) == 1
    assert await broker.call("p.get", {"id": 1}) == 1
    assert len(calls) == 1


async def test_action_cache_ttl_zero_means_forever_even_with_a_cacher_ttl(start_broker) -> None:
    cacher = MemoryCacher(ttl=30)
    broker = await start_broker(
        {"name": "p", "actions": {"get": {"cache": {"ttl": 0}, "handler": echo}}}, cacher=cacher
    )
    await broker.call("p.get", {"id": 1})
    ((_, expire),) = cacher.cache.values()
    assert expire is None


async def test_an_empty_params_schema_still_validates_that_params_are_an_object(start_broker) -> None:
    broker = await start_broker({"name": "v", "actions": {"a": {"params": {}, "handler": echo}}})
    assert await broker.call("v.a", {}) == {}
    with pytest.raises(ValidationError) as info:
        await broker.call("v.a", 5)
    assert info.value.data[0]["type"] == "object"


def test_an_empty_metadata_dict_is_kept_as_given() -> None:
    metadata: dict[str, Any] = {}
    assert ServiceBroker(logger=False, metadata=metadata).metadata is metadata


async def test_action_decorator_keeps_a_zero_timeout(start_broker) -> None:
    from broker import Service

    class S(Service):
        name = "s"

        @action(timeout=0)
        async def nap(self, ctx: Context) -> str:
            import asyncio

            await asyncio.sleep(0.02)
            return "awake"

    broker = await start_broker(S, request_timeout=1)
    assert await broker.call("s.nap") == "awake"


async def test_an_empty_groups_list_selects_no_group(start_broker) -> None:
    """Unlike Moleculer (``groups.length === 0`` means every group), ``groups=[]`` is a value: no group."""
    seen: list[Any] = []
    broker = await start_broker({"name": "s", "events": {"e": lambda self, ctx: seen.append(1)}})
    await broker.emit("e", groups=[])
    await broker.broadcast("e", groups=[])
    assert seen == []


def test_cacher_options_that_are_an_empty_list_are_refused_not_ignored() -> None:
    with pytest.raises(BrokerOptionsError):
        resolve_cacher({"type": "Memory", "options": []})
    assert resolve_cacher({"type": "Memory", "options": {"ttl": 0}}).ttl == 0
