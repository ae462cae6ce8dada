"""``MemoryLRU`` (bounded memory) and the Redis cacher (same keys and clean semantics as the memory cacher)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from broker import ServiceBroker
from broker.cache_keys import MISSING
from broker.cacher import MemoryCacher, resolve_cacher
from broker.context import Context
from broker.errors import BrokerOptionsError
from broker.lru_cacher import MemoryLRUCacher
from broker.redis_cacher import RedisCacher
from tests.servers import REDIS_URL, require


async def test_memory_lru_keeps_at_most_max_entries_evicting_the_least_recently_used() -> None:
    cacher = MemoryLRUCacher(max=3)
    for key in "abc":
        await cacher.set(key, key.upper())
    assert await cacher.get("a") == "A"  # "a" is now the most recently used
    await cacher.set("d", "D")
    assert await cacher.get("b") is MISSING
    assert [await cacher.get(k) for k in "acd"] == ["A", "C", "D"]
    for n in range(1000):
        await cacher.set(f"k{n}", n)
    assert len(cacher.cache) == 3


async def test_memory_lru_honours_ttl() -> None:
    now = [0.0]
    cacher = MemoryLRUCacher(max=10, ttl=30, clock=lambda: now[0], sweep_interval=None)
    await cacher.set("a", 1)
    now[0] = 31
    assert await cacher.get("a") is MISSING


def test_cacher_option_forms_resolve_to_the_right_class() -> None:
    lru = resolve_cacher({"type": "MemoryLRU", "options": {"max": 5, "ttl": 30}})
    assert isinstance(lru, MemoryLRUCacher) and (lru.max, lru.ttl) == (5, 30)
    assert isinstance(resolve_cacher("MemoryLRU"), MemoryLRUCacher)
    assert resolve_cacher("MemoryLRU").max == 1000  # type: ignore[union-attr]
    assert isinstance(resolve_cacher("redis://127.0.0.1:6379"), RedisCacher)
    assert isinstance(resolve_cacher({"type": "Redis", "options": {"prefix": "X"}}), RedisCacher)
    assert type(resolve_cacher("Memory")) is MemoryCacher
    with pytest.raises(BrokerOptionsError):
        resolve_cacher({"type": "MemoryLRU", "options": {"max": 0}})


async def test_a_broker_with_memory_lru_caches_action_results_within_the_bound() -> None:
    calls: list[Any] = []

    async def get(self: Any, ctx: Context) -> Any:
        calls.append(ctx.params["id"])
        return ctx.params["id"]

    broker = ServiceBroker(logger=False, cacher={"type": "MemoryLRU", "options": {"max": 2}})
    broker.create_service({"name": "items", "actions": {"get": {"cache": {"keys": ["id"]}, "handler": get}}})
    async with broker:
        for item in (1, 2, 1, 3, 1, 2):
            await broker.call("items.get", {"id": item})
    assert calls == [1, 2, 3, 2]
    assert len(broker.cacher.cache) == 2  # type: ignore[union-attr]


@pytest.fixture
async def redis_cacher() -> Any:
    require(REDIS_URL, "Redis")
    broker = ServiceBroker(logger=False, namespace=f"c{uuid.uuid4().hex[:8]}")
    cacher = RedisCacher()
    cacher.init(broker)
    yield cacher
    await cacher.clean("**")
    await cacher.close()


async def test_redis_cacher_stores_json_under_moleculers_prefix(redis_cacher: RedisCacher) -> None:
    assert redis_cacher.prefix.startswith("MOL-c") and redis_cacher.prefix.endswith("-")
    await redis_cacher.set("posts.get:1", {"id": 1, "tags": ["a"]})
    await redis_cacher.set("posts.none", None)
    assert await redis_cacher.get("posts.get:1") == {"id": 1, "tags": ["a"]}
    assert await redis_cacher.get("posts.none") is None  # a cached None is a hit
    assert await redis_cacher.get("posts.other") is MISSING
    raw = await redis_cacher.client.get(redis_cacher.prefix + "posts.get:1")
    assert raw == b'{"id":1,"tags":["a"]}'


async def test_redis_cacher_ttl_sets_an_expiry(redis_cacher: RedisCacher) -> None:
    await redis_cacher.set("k", 1, ttl=30)
    ttl = await redis_cacher.client.ttl(redis_cacher.prefix + "k")
    assert 0 < ttl <= 30


async def test_redis_clean_has_the_memory_cachers_wildcard_semantics(redis_cacher: RedisCacher) -> None:
    memory = MemoryCacher()
    keys = ["posts.find:price|1.5", "posts.count", "users.find:x", "posts.find.deep:1"]
    for key in keys:
        await redis_cacher.set(key, 1)
        await memory.set(key, 1)
    for pattern in ("posts.*", "posts.find*", "posts.**"):
        await redis_cacher.clean(pattern)
        await memory.clean(pattern)
        left_redis = [k for k in keys if await redis_cacher.get(k) is not MISSING]
        left_memory = [k for k in keys if await memory.get(k) is not MISSING]
        assert left_redis == left_memory, pattern
    assert left_redis == ["users.find:x"]
    await redis_cacher.delete(["users.find:x"])
    assert await redis_cacher.get("users.find:x") is MISSING
