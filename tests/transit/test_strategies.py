"""The balancing strategies' choices over fake nodes (``broker.strategies``, ``broker.shard_strategy``), their
options, and how a broker picks them (``registry`` option, per-action ``strategy``)."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from broker import ServiceBroker
from broker.errors import BrokerOptionsError
from broker.nodes import NodeCatalog
from broker.shard_strategy import ShardStrategy, shard_hash
from broker.strategies import (
    CpuUsageStrategy,
    LatencyStrategy,
    RandomStrategy,
    RoundRobinStrategy,
    resolve_strategy,
)

from .conftest import settle


def fake_registry(cpus: dict[str, Any] | None = None, latencies: dict[str, list[float]] | None = None) -> Any:
    """A registry stand-in whose node catalog knows nodes with the given CPU usages and PING round trips."""
    catalog = NodeCatalog("me")
    for node_id, cpu in (cpus or {}).items():
        catalog.process_info(node_id, {"services": [], "seq": 1})
        catalog.heartbeat(node_id, cpu)
    for node_id, trips in (latencies or {}).items():
        if catalog.get(node_id) is None:
            catalog.process_info(node_id, {"services": [], "seq": 1})
        for trip in trips:
            catalog.record_round_trip(node_id, trip)
    return SimpleNamespace(nodes=catalog)


def endpoints(*node_ids: str) -> list[Any]:
    return [SimpleNamespace(node_id=node_id) for node_id in node_ids]


def test_round_robin_takes_each_endpoint_in_turn_and_random_reaches_all() -> None:
    eps = endpoints("a", "b", "c")
    rr = RoundRobinStrategy()
    assert [rr.select(eps).node_id for _ in range(6)] == ["a", "b", "c", "a", "b", "c"]
    rnd = RandomStrategy()
    assert {rnd.select(eps).node_id for _ in range(200)} == {"a", "b", "c"}


def test_cpu_usage_takes_a_node_below_low_cpu_usage_else_the_lowest() -> None:
    eps = endpoints("a", "b", "c")
    low = CpuUsageStrategy(fake_registry({"a": 50, "b": 5, "c": 40}))
    assert {low.select(eps).node_id for _ in range(50)} == {"b"}
    lowest = CpuUsageStrategy(fake_registry({"a": 50, "b": 70, "c": 40}))
    assert {lowest.select(eps).node_id for _ in range(50)} == {"c"}
    # the first endpoint under lowCpuUsage wins, even if a later one is lower still
    first = CpuUsageStrategy(fake_registry({"a": 50, "b": 25, "c": 1}), {"lowCpuUsage": 30})
    assert {first.select(eps).node_id for _ in range(50)} == {"b"}


def test_cpu_usage_ignores_nodes_without_figures_and_is_random_without_any() -> None:
    eps = endpoints("a", "b", "c")
    partial = CpuUsageStrategy(fake_registry({"a": None, "b": 90, "c": None}))
    assert {partial.select(eps).node_id for _ in range(50)} == {"b"}
    none = CpuUsageStrategy(fake_registry({"a": None, "b": None, "c": None}))
    assert {none.select(eps).node_id for _ in range(300)} == {"a", "b", "c"}


def test_cpu_usage_samples_sample_count_random_endpoints() -> None:
    eps = endpoints(*(f"n{i}" for i in range(10)))
    cpus = {f"n{i}": 90 - i for i in range(10)}  # n9 is the lowest (81)
    everything = CpuUsageStrategy(fake_registry(cpus), {"sampleCount": 0})  # <= 0: look at every endpoint
    assert {everything.select(eps).node_id for _ in range(20)} == {"n9"}
    one = CpuUsageStrategy(fake_registry(cpus), {"sampleCount": 1})  # one random sample: any node can win
    assert len({one.select(eps).node_id for _ in range(300)}) > 5


def test_latency_averages_the_last_collect_count_round_trips_and_takes_the_fastest() -> None:
    registry = fake_registry(latencies={"a": [], "b": [], "c": []})
    strategy = LatencyStrategy(registry, {"collectCount": 2})
    nodes = registry.nodes
    for node_id, trips in {"a": [50, 50], "b": [200, 20, 20], "c": [30]}.items():
        for trip in trips:
            nodes.record_round_trip(node_id, trip)
    assert nodes.latency_of("b") == 20  # the 200 ms trip fell out of the last two
    assert nodes.latency_of("a") == 50 and nodes.latency_of("me") == 0 and nodes.latency_of("zz") is None
    assert {strategy.select(endpoints("a", "b", "c")).node_id for _ in range(50)} == {"b"}
    under = LatencyStrategy(fake_registry(latencies={"a": [5], "b": [1]}), {"lowLatency": 10})
    assert {under.select(endpoints("a", "b")).node_id for _ in range(20)} == {"a"}  # a is under lowLatency
    unknown = LatencyStrategy(fake_registry(latencies={"a": []}))
    assert {unknown.select(endpoints("a", "x")).node_id for _ in range(200)} == {"a", "x"}


def test_a_latency_strategy_asks_the_node_catalog_for_pings() -> None:
    registry = fake_registry()
    assert registry.nodes.ping_interval is None
    LatencyStrategy(registry, {"pingInterval": 3, "collectCount": 7})
    LatencyStrategy(registry, {"pingInterval": 5})
    assert registry.nodes.ping_interval == 3  # the shortest asked for


def call(params: Any = None, meta: Any = None) -> Any:
    return SimpleNamespace(params=params or {}, meta=meta or {})


def test_shard_sends_one_key_to_one_node_as_moleculer_does() -> None:
    eps = endpoints("node-c", "node-a", "node-b")
    keys = ["user-1", "user-2", "42", "tenant-x", "abc", "zz-top", "7", "hello"]
    # what Moleculer 0.14's own ShardStrategy answers for these keys and nodes (run once with Node.js)
    expected = {
        (10, None): ["node-b", "node-b", "node-a", "node-a", "node-b", "node-a", "node-b", "node-b"],
        (3, 1000): ["node-b", "node-b", "node-b", "node-a", "node-c", "node-c", "node-a", "node-a"],
    }
    for (vnodes, ring_size), nodes in expected.items():
        shard = ShardStrategy(None, {"shardKey": "key", "vnodes": vnodes, "ringSize": ring_size})
        assert [shard.select(eps, call({"key": key})).node_id for key in keys] == nodes
        assert [shard.select(eps, call({"key": key})).node_id for key in keys] == nodes  # cached: the same
    assert shard_hash("abc") == int("90015098", 16)  # md5("abc") starts 900150983cd24fb0


def test_shard_keys_from_params_paths_meta_or_a_function_and_random_without_one() -> None:
    eps = endpoints("a", "b", "c")
    nested = ShardStrategy(None, {"shardKey": "user.id"})
    by_id = ShardStrategy(None, {"shardKey": "id"})
    for i in range(20):
        assert nested.select(eps, call({"user": {"id": i}})) is by_id.select(eps, call({"id": i}))
    meta = ShardStrategy(None, {"shardKey": "#tenant"})
    assert meta.select(eps, call({"tenant": "x"}, {"tenant": "t1"})) is by_id.select(eps, call({"id": "t1"}))
    func = ShardStrategy(None, {"shardKey": lambda ctx: ctx.params["a"] + ctx.params["b"]})
    assert func.select(eps, call({"a": "t", "b": "1"})) is by_id.select(eps, call({"id": "t1"}))
    assert {by_id.select(eps, call({})).node_id for _ in range(200)} == {"a", "b", "c"}  # no key: random
    assert {by_id.select(eps, None).node_id for _ in range(200)} == {"a", "b", "c"}  # no context (events)
    spread = Counter(by_id.select(eps, call({"id": f"user-{i}"})).node_id for i in range(300))
    assert set(spread) == {"a", "b", "c"}


def test_the_shard_ring_follows_the_endpoint_list() -> None:
    shard = ShardStrategy(None, {"shardKey": "id", "cacheSize": 2})
    three, two = endpoints("a", "b", "c"), endpoints("a", "b")
    on_three = [shard.select(three, call({"id": i})).node_id for i in range(30)]
    assert "c" in on_three
    on_two = [shard.select(two, call({"id": i})).node_id for i in range(30)]
    assert set(on_two) <= {"a", "b"}  # rebuilt without c (and its cache emptied)
    assert [shard.select(three, call({"id": i})).node_id for i in range(30)] == on_three
    assert len(shard.cache) == 2


@pytest.mark.parametrize(
    ("strategy", "options", "named"),
    [
        ("CpuUsage", {"lowCpu": 3}, "lowCpu"),
        ("CpuUsage", {"sampleCount": "3"}, "sampleCount"),
        ("Latency", {"pingInterval": None}, "pingInterval"),
        ("Shard", {"shardKey": 5}, "shardKey"),
        ("Shard", {"ringSize": 0}, "ringSize"),
        ("RoundRobin", {"any": 1}, "any"),
        ("Random", [1], "strategyOptions"),
    ],
)
def test_bad_strategy_options_fail_when_the_broker_is_created(strategy: str, options: Any, named: str) -> None:
    with pytest.raises(BrokerOptionsError) as err:
        ServiceBroker(logger=False, registry={"strategy": strategy, "strategyOptions": options})
    assert named in str(err.value)


def test_strategy_names_resolve_as_moleculer_spells_them() -> None:
    assert resolve_strategy("cpuUsage") is CpuUsageStrategy
    assert resolve_strategy("LatencyStrategy") is LatencyStrategy
    assert resolve_strategy("Shard") is ShardStrategy
    assert resolve_strategy(None) is RoundRobinStrategy
    with pytest.raises(BrokerOptionsError):
        resolve_strategy("Fastest")


async def test_the_broker_passes_each_call_to_the_shard_strategy(cluster: Any) -> None:
    async def where(self: Any, ctx: Any) -> str:
        return str(self.broker.node_id)

    worker = {"name": "worker", "actions": {"where": where}}
    for node_id in ("w1", "w2", "w3"):
        await cluster(node_id, worker)
    caller = await cluster("caller", registry={"strategy": "Shard", "strategyOptions": {"shardKey": "#tenant"}})
    await caller.wait_for_services("worker", timeout=2000)
    await settle()
    homes: dict[str, set[str]] = {}
    for _ in range(3):
        for tenant in (f"t{i}" for i in range(12)):
            homes.setdefault(tenant, set()).add(await caller.call("worker.where", meta={"tenant": tenant}))
    assert all(len(nodes) == 1 for nodes in homes.values())
    assert len(set().union(*homes.values())) > 1


async def test_an_action_can_choose_its_own_strategy(cluster: Any) -> None:
    async def where(self: Any, ctx: Any) -> str:
        return str(self.broker.node_id)

    sharded = {
        "name": "worker",
        "actions": {
            "where": {"strategy": "Shard", "strategyOptions": {"shardKey": "id"}, "handler": where},
            "any": where,
        },
    }
    for node_id in ("w1", "w2", "w3"):
        await cluster(node_id, sharded)
    caller = await cluster("caller")
    await caller.wait_for_services("worker", timeout=2000)
    await settle()
    assert isinstance(caller.registry.actions["worker.where"].strategy, ShardStrategy)  # from the INFO definition
    assert isinstance(caller.registry.actions["worker.any"].strategy, RoundRobinStrategy)
    for i in range(10):
        assert len({await caller.call("worker.where", {"id": i}) for _ in range(3)}) == 1
    assert len({await caller.call("worker.any") for _ in range(3)}) == 3
