"""A hostile peer's INFO, HEARTBEAT and DISCONNECT packets and its strategy options and wildcard patterns: what is
usable registers, the rest is dropped, and nothing it announces can break, hang or flood this node or grow its
memory without bound (node catalog, loggers, caches). Requests, responses and events: ``test_outsider_attack``."""

from __future__ import annotations

import json
import logging
import math
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker import ServiceBroker
from broker.errors import (
    BrokerOptionsError,
    MoleculerServerError,
)
from broker.nodes import MAX_OFFLINE_NODES, NodeCatalog
from broker.shard_strategy import MAX_CACHED_KEY, ShardStrategy
from broker.transporters import FakeBus
from broker.wildcard import _compile, _match_linear, _plan, _tokens, match

from .conftest import settle, until
from .hostile import SLOW, VICTIM, Peer

# -- INFO of any shape ----------------------------------------------------------------------------------------------


async def test_an_info_of_odd_shapes_registers_what_is_usable(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim")
    peer.on_request = lambda req: {"success": True, "data": req["action"]}
    peer.send("INFO", {
        "services": [
            {"name": "a", "actions": ["a.x"], "events": "e", "version": {"v": 1}, "settings": "s"},
            {"name": 5}, "svc", None,
            {"name": "b", "version": 2, "metadata": [1], "actions": {
                "b.x": {"name": "b.x", "timeout": "abc", "params": "p", "retryPolicy": {"check": 1, "enabled": True}},
                "b.bad": {"name": ["b"]}, "b.none": None,
                "b.hidden": {"name": "b.hidden", "visibility": "protected"},
            }, "events": {"b.*": {"name": "b.*", "group": {"g": 1}}}},
        ],
        "ipList": "10.0.0.1", "hostname": {"h": 1}, "client": 5, "metadata": "m", "instanceID": ["i"], "seq": "9",
    })  # fmt: skip
    await until(lambda: "b.x" in victim.registry.actions)
    assert sorted(a for a in victim.registry.actions if not a.startswith("$")) == ["b.x"]
    assert await victim.call("b.x") == "b.x"  # the advertised timeout "abc" was a TypeError
    assert victim.registry.has_service("a") and victim.registry.has_service("v2.b")
    for action in ("$node.list", "$node.services", "$node.actions", "$node.events"):
        answer = await victim.call(action, {"withServices": True, "withActions": True, "withEvents": True,
                                            "withEndpoints": True})  # fmt: skip
        assert json.loads(json.dumps(answer)) == answer
    listed = next(n for n in await victim.call("$node.list") if n["id"] == "evil")
    assert listed["ipList"] == [] and listed["client"] == {} and listed["metadata"] == {} and listed["seq"] == 0
    group = next(e for e in await victim.call("$node.events") if e["name"] == "b.*")["group"]
    assert group is None or group == "b"


async def test_an_info_without_a_services_list_creates_no_node(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim")
    for services in ("x", {"a": 1}, None, 5):
        peer.send("INFO", {"services": services, "instanceID": "i", "seq": 1})
    await settle()
    assert victim.transit.nodes.get("evil") is None


async def test_a_remote_retry_policy_cannot_break_or_loop_the_caller(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim")
    peer.on_request = lambda req: {"success": False, "data": None,
                                   "error": {"name": "MoleculerServerError", "retryable": True}}  # fmt: skip
    policies = {"c.check": {"enabled": True, "retries": 2, "delay": 0, "check": 1},
                "c.many": {"enabled": True, "retries": 10**9, "delay": 0, "maxDelay": 0}}  # fmt: skip
    actions = {name: {"name": name, "retryPolicy": policy} for name, policy in policies.items()}
    peer.announce({"name": "c", "actions": actions})
    await until(lambda: "c.many" in victim.registry.actions)
    with pytest.raises(MoleculerServerError):  # was TypeError: 'int' object is not callable
        await victim.call("c.check", {}, timeout=1000)
    peer.got.clear()
    with pytest.raises(MoleculerServerError):
        await victim.call("c.many", {}, timeout=1000)
    assert len(peer.of_type("REQ")) == 11  # the first try and 10 retries, not a billion


async def test_remote_strategy_options_cannot_hang_or_flood_the_caller(cluster: Any, bus: FakeBus) -> None:
    victim = await cluster("victim")
    one, two = await Peer(bus, "one").start(), await Peer(bus, "two").start()
    options = {"strategy": "Shard", "strategyOptions": {"shardKey": "k", "vnodes": 1e9}}
    latency = {"strategy": "Latency", "strategyOptions": {"pingInterval": 0.0001}}
    actions = {"s.shard": {"name": "s.shard", **options}, "s.fast": {"name": "s.fast", **latency}}
    for peer in (one, two):
        peer.on_request = lambda req, peer=peer: {"success": True, "data": peer.node_id}
        peer.announce({"name": "s", "actions": actions})
    await until(lambda: len(victim.registry.actions.get("s.fast", []).endpoints if "s.fast" in
                            victim.registry.actions else []) == 2)  # fmt: skip
    assert await victim.call("s.shard", {"k": "key"}, timeout=2000) in ("one", "two")  # a 10**9-slice ring hung
    assert victim.transit.nodes.ping_interval == 1


@pytest.mark.parametrize(
    ("strategy", "options", "named"),
    [
        ("Shard", {"vnodes": 1e9}, "vnodes"),
        ("Shard", {"vnodes": 0}, "vnodes"),
        ("Shard", {"cacheSize": -1}, "cacheSize"),
        ("Shard", {"ringSize": 2**40}, "ringSize"),
        ("Latency", {"pingInterval": 0}, "pingInterval"),
        ("Latency", {"collectCount": 0}, "collectCount"),
        ("Latency", {"lowLatency": math.inf}, "lowLatency"),
        ("CpuUsage", {"sampleCount": -1}, "sampleCount"),
        ("CpuUsage", {"lowCpuUsage": math.nan}, "lowCpuUsage"),
    ],
)
def test_strategy_options_out_of_range_fail_when_the_broker_is_created(strategy: str, options: Any, named: str) -> None:
    with pytest.raises(BrokerOptionsError) as err:
        ServiceBroker(logger=False, registry={"strategy": strategy, "strategyOptions": options})
    assert named in str(err.value)


def test_long_shard_keys_are_not_kept_in_the_cache() -> None:
    class Ep:
        def __init__(self, node_id: str) -> None:
            self.node_id = node_id

    class Call:
        def __init__(self, key: str) -> None:
            self.params = {"k": key}

    shard = ShardStrategy(None, {"shardKey": "k"})
    items = [Ep("a"), Ep("b")]
    first = shard.select(items, Call("x" * (MAX_CACHED_KEY + 1))).node_id
    for i in range(50):
        shard.select(items, Call(str(i) * (MAX_CACHED_KEY + 1)))
    assert shard.cache == {} and shard.select(items, Call("x" * (MAX_CACHED_KEY + 1))).node_id == first


# -- liveness: heartbeats, node IDs -------------------------------------------------------------------------------


async def test_heartbeat_cpu_is_a_percent_or_unknown(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim")
    peer.announce()
    await until(lambda: victim.transit.nodes.get("evil") is not None)
    seen = []
    for cpu in (-50, 1e308, 150, 37, "90", [1], True, None):
        peer.send("HEARTBEAT", {"cpu": cpu})
        await settle()
        seen.append(victim.transit.nodes.cpu_of("evil"))
    peer.send("HEARTBEAT", b'{"ver":"4","sender":"evil","cpu":NaN}')
    await settle()
    assert seen == [0, 100, 100, 37, 37, 37, 37, 37] and victim.transit.nodes.cpu_of("evil") == 37


async def test_bogus_node_ids_leave_no_logger_behind(cluster: Any, peer: Peer) -> None:
    await cluster("victim")
    before = set(logging.Logger.manager.loggerDict)
    for i in range(50):
        peer.announce({"name": "s", "actions": {"s.a": {"name": "s.a"}}}, sender=f"bogus-{uuid.uuid4().hex}-{i}")
    await settle()
    assert [name for name in set(logging.Logger.manager.loggerDict) - before if "bogus" in name] == []


def test_offline_nodes_are_bounded_even_when_kept_without_time_limit() -> None:
    now = [0.0]
    catalog = NodeCatalog("me", clock=lambda: now[0])
    for i in range(MAX_OFFLINE_NODES + 50):
        now[0] = float(i)
        node, _, _ = catalog.process_info(f"n{i}", {"services": [], "seq": 1})
        node.available = False
    gone = catalog.remove_offline(None)
    assert len(gone) == 50 and gone == [f"n{i}" for i in range(50)]  # the longest silent
    assert len(catalog.nodes) == MAX_OFFLINE_NODES


async def test_offline_nodes_are_bounded_by_the_liveness_check(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim", registry={"cleanOfflineNodesTimeout": 0})
    for i in range(MAX_OFFLINE_NODES + 20):
        node_id = f"b{i}"
        peer.announce(sender=node_id)
        peer.send("DISCONNECT", {}, sender=node_id)
    await settle(5)
    await until(lambda: len(victim.transit.nodes.nodes) == MAX_OFFLINE_NODES + 20)
    victim.transit.liveness.remove_offline()
    assert len(victim.transit.nodes.nodes) == MAX_OFFLINE_NODES


async def test_a_forged_disconnect_heals_at_the_nodes_next_heartbeat(cluster: Any, bus: FakeBus) -> None:
    victim = await cluster("victim")
    server = await Peer(bus, "server").start()
    evil = await Peer(bus).start()
    server.on_request = lambda req: {"success": True, "data": "ok"}
    server.announce(SLOW)
    await until(lambda: "slow.op" in victim.registry.actions)
    evil.send("DISCONNECT", {}, sender="server")
    await until(lambda: "slow.op" not in victim.registry.actions)
    server.send("HEARTBEAT", {"cpu": 5})
    await until(lambda: bool(server.of_type("DISCOVER")))  # the victim asks the node for its INFO again
    server.announce(SLOW)
    await until(lambda: "slow.op" in victim.registry.actions)
    assert await victim.call("slow.op", {}, timeout=1000) == "ok"


async def test_an_info_claiming_this_nodes_id_stops_it_cleanly(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim", VICTIM)
    peer.announce({"name": "victim"}, sender="victim")  # Moleculer's rule: a node-ID conflict is fatal for the node
    await until(lambda: not victim.started)
    assert victim.transit.conflict == "victim"


@pytest.mark.parametrize(
    "payload", [{"x": 1}, {"services": "s", "instanceID": "other"}, {"services": [], "instanceID": 5}]
)
async def test_a_malformed_info_sent_as_this_node_does_not_stop_it(cluster: Any, peer: Peer, payload: Any) -> None:
    victim = await cluster("victim", VICTIM)
    peer.send("INFO", payload, sender="victim")
    await settle()
    assert victim.started and victim.transit.conflict is None


# -- wildcards from other nodes' INFO -----------------------------------------------------------------------------


def test_patterns_with_many_stars_are_matched_without_backtracking() -> None:
    assert isinstance(_plan("*a*a*a*a*a*a*a*a*a*a*a*a*b"), tuple)
    assert isinstance(_plan("user.**"), type(_compile("x")))
    assert match("a" * 40, "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b") is False  # ~n**14 regex steps: hours
    assert match("user.created.x.y.z", "*?" * 30 + "x") is False
    assert match("user.created.x", "**.*.x") is True


@given(
    st.text(alphabet="ab.", max_size=12),
    st.lists(st.sampled_from(["a", "b", ".", "*", "**", "?", "ab"]), max_size=8).map("".join),
)
def test_the_linear_matcher_agrees_with_the_regex(text: str, pattern: str) -> None:
    expected = _compile(pattern).fullmatch(text) is not None
    assert _match_linear(text, tuple(_tokens(pattern))) is expected
    assert match(text, pattern) is (expected or pattern == "**" or pattern == text)
