"""Balancing and cache cleaning across nodes over the real NATS server (127.0.0.1:4222): the ``CpuUsage``,
``Latency`` and ``Shard`` strategies choose as their figures say, and a DbMixin write on one node cleans the memory
cacher of every node running the service. Skipped when NATS is unreachable (a failure under ``CI=true``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters import MemoryAdapter
from broker import ServiceBroker
from broker import packets as P
from broker.cache_keys import MISSING
from broker.context import Context
from dbmixin import DbMixin
from tests.servers import NATS_URL, require

from .conftest import server_cluster, stop_all, until


@pytest.fixture
async def cluster() -> AsyncIterator[Callable[..., Any]]:
    require(NATS_URL, "NATS")
    brokers: list[ServiceBroker] = []
    yield server_cluster(NATS_URL, brokers)
    await stop_all(brokers)


async def where(self: Any, ctx: Context) -> str:
    return str(self.broker.node_id)


WORKER = {"name": "worker", "actions": {"where": where}}


async def workers(cluster: Any, *node_ids: str, **options: Any) -> list[ServiceBroker]:
    return [await cluster(node_id, WORKER, **options) for node_id in node_ids]


async def sees(caller: ServiceBroker, count: int, action: str = "worker.where") -> None:
    """Wait until ``caller`` knows ``count`` endpoints of ``action``."""
    actions = caller.registry.actions
    await until(lambda: action in actions and len(actions[action].endpoints) == count)


async def test_cpu_usage_sends_calls_to_the_least_busy_node(cluster: Any) -> None:
    busy, calm = await workers(cluster, "busy", "calm", heartbeat_interval=0.05)
    busy.transit.liveness.cpu_reader = lambda: 80
    calm.transit.liveness.cpu_reader = lambda: 30
    caller = await cluster("caller", registry={"strategy": "CpuUsage"}, heartbeat_interval=0.05)
    nodes = caller.registry.nodes
    await until(lambda: nodes.cpu_of("busy") == 80 and nodes.cpu_of("calm") == 30)
    await sees(caller, 2)
    assert {await caller.call("worker.where") for _ in range(10)} == {"calm"}
    calm.transit.liveness.cpu_reader = lambda: 95  # the load moves: so do the calls
    await until(lambda: nodes.cpu_of("calm") == 95)
    assert {await caller.call("worker.where") for _ in range(10)} == {"busy"}
    # the caller's own heartbeats carry a real reading of this machine
    await until(lambda: busy.registry.nodes.cpu_of("caller") is not None)
    assert 0 <= busy.registry.nodes.cpu_of("caller") <= 100


async def test_latency_sends_calls_to_the_node_that_answers_fastest(cluster: Any) -> None:
    slow, _ = await workers(cluster, "slow", "fast")
    loop = asyncio.get_running_loop()
    answer = slow.transit._handlers[P.PING]
    slow.transit._handlers[P.PING] = lambda payload: loop.call_later(0.08, answer, payload)  # 80 ms late
    options = {"pingInterval": 0.05, "collectCount": 3}
    caller = await cluster("caller", registry={"strategy": "Latency", "strategyOptions": options})
    nodes = caller.registry.nodes
    await until(lambda: nodes.latency_of("slow") is not None and nodes.latency_of("fast") is not None)
    assert nodes.latency_of("slow") >= 80 > nodes.latency_of("fast")  # type: ignore[operator]
    await sees(caller, 2)
    assert {await caller.call("worker.where") for _ in range(10)} == {"fast"}


async def test_shard_sends_one_key_to_one_node(cluster: Any) -> None:
    await workers(cluster, "w1", "w2", "w3")
    caller = await cluster("caller", registry={"strategy": "Shard", "strategyOptions": {"shardKey": "user"}})
    await sees(caller, 3)
    homes: dict[int, set[str]] = {}
    for _ in range(3):
        for user in range(15):
            homes.setdefault(user, set()).add(await caller.call("worker.where", {"user": user}))
    assert all(len(nodes) == 1 for nodes in homes.values())
    assert len(set().union(*homes.values())) > 1


async def test_a_write_on_one_node_is_never_served_stale_by_another(cluster: Any) -> None:
    database = MemoryAdapter(persistent=True)  # both nodes' services use one store, as two processes one database
    posts = {"name": "posts", "mixins": [DbMixin], "adapter": database}
    a = await cluster("a", posts, cacher="Memory")
    b = await cluster("b", posts, cacher="MemoryLRU")
    await sees(a, 2, "posts.get")
    created = await a.call("posts.create", {"title": "old"})
    assert (await b.call("posts.get", {"id": created["_id"]}))["title"] == "old"  # now cached on b
    key = next(k for k in b.cacher.cache if k.startswith("posts.get:"))
    await a.call("posts.update", {"id": created["_id"], "title": "new"})
    await until(lambda: key not in b.cacher.cache)  # the cache.clean.posts broadcast reached b
    assert (await b.call("posts.get", {"id": created["_id"]}))["title"] == "new"
    assert await b.cacher.get(key) is not MISSING  # cached again, fresh
