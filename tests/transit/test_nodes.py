"""Node discovery, liveness, graceful leave, ping and the protocol's packet checks (fake transporter)."""

from __future__ import annotations

import json
from typing import Any

from broker.context import Context
from broker.transit import Transit

from .conftest import settle


async def ok(self: Any, ctx: Context) -> str:
    return "ok"


def svc(name: str = "svc") -> dict[str, Any]:
    return {"name": name, "actions": {"do": ok}}


def internal_listener(log: list[tuple[str, Any]], *events: str) -> dict[str, Any]:
    def make(event: str) -> Any:
        async def handler(self: Any, ctx: Context) -> None:
            log.append((event, ctx.params))

        return handler

    return {"name": "watcher", "events": {event: make(event) for event in events}}


async def test_node_connected_event_and_remote_node_info(cluster: Any) -> None:
    log: list[tuple[str, Any]] = []
    watcher = await cluster("watcher", internal_listener(log, "$node.connected"))
    await cluster("other", svc(), metadata={"region": "eu"})
    await settle()
    assert [(name, p["node"]["id"]) for name, p in log] == [("$node.connected", "other")]
    node = watcher.transit.nodes.get("other")
    assert node is not None and node.available
    assert node.info["client"]["type"] == "python"
    assert node.info["metadata"] == {"region": "eu"}


async def test_a_graceful_stop_removes_the_node_and_fires_node_disconnected(cluster: Any, bus: Any) -> None:
    log: list[tuple[str, Any]] = []
    watcher = await cluster("watcher", internal_listener(log, "$node.disconnected"))
    other = await cluster("other", svc())
    await watcher.wait_for_services("svc", timeout=2000)
    await other.stop()
    await settle()
    assert not watcher.registry.has_service("svc")
    assert [(name, p["unexpected"]) for name, p in log] == [("$node.disconnected", False)]
    # on the wire: INFO without services, then DISCONNECT
    sent = [(topic, json.loads(data)) for topic, data in bus.published if json.loads(data)["sender"] == "other"]
    tail = [topic for topic, _ in sent][-2:]
    assert tail == ["MOL.INFO", "MOL.DISCONNECT"]
    assert sent[-2][1]["services"] == []


async def test_a_silent_node_expires_after_the_heartbeat_timeout(cluster: Any) -> None:
    now = [1000.0]
    watcher = await cluster("watcher", heartbeat_timeout=30)
    watcher.transit.nodes.clock = lambda: now[0]
    await cluster("other", svc())
    await watcher.wait_for_services("svc", timeout=2000)
    now[0] += 29
    assert watcher.transit.check_nodes() == []
    now[0] += 2
    assert watcher.transit.check_nodes() == ["other"]
    assert not watcher.registry.has_service("svc")


async def test_heartbeats_keep_a_node_alive_and_one_from_a_gone_node_asks_for_info(cluster: Any) -> None:
    now = [1000.0]
    watcher = await cluster("watcher", heartbeat_timeout=30)
    watcher.transit.nodes.clock = lambda: now[0]
    other = await cluster("other", svc())
    await watcher.wait_for_services("svc", timeout=2000)
    now[0] += 25
    await other.transit.publish("HEARTBEAT", None, {"cpu": 3})
    await settle()
    now[0] += 25
    assert watcher.transit.check_nodes() == []
    # after expiry, the next heartbeat makes the watcher DISCOVER the node again, and it comes back
    now[0] += 31
    assert watcher.transit.check_nodes() == ["other"]
    await other.transit.publish("HEARTBEAT", None, {"cpu": 3})
    await settle()
    assert watcher.registry.has_service("svc")


async def test_ping_measures_a_round_trip(cluster: Any) -> None:
    a = await cluster("a")
    await cluster("b")
    await settle()
    pong = await a.ping("b", timeout=2000)
    assert pong is not None and pong["nodeID"] == "b" and pong["elapsedTime"] >= 0
    assert set(await a.ping()) == {"b"}


async def test_bad_packets_are_dropped_and_the_node_keeps_working(cluster: Any, bus: Any) -> None:
    server = await cluster("server", svc())
    caller = await cluster("caller")
    await caller.wait_for_services("svc", timeout=2000)
    for data in (b"\xff\xfe", b"not json", b"[1,2]", b'{"ver":"5","sender":"x"}', b'{"ver":"4"}'):
        bus.publish("MOL.INFO", data)
        bus.publish("MOL.REQ.server", data)
        bus.publish("MOL.RES.caller", data)
    bus.publish("MOL.INFO", b'{"ver":"4","sender":"weird","services":"nope"}')
    bus.publish("MOL.EVENT.server", b'{"ver":"4","sender":"weird","event":5}')
    await settle()
    assert server.started and caller.started
    assert await caller.call("svc.do") == "ok"


async def test_a_service_created_after_start_is_announced_with_a_higher_seq(cluster: Any) -> None:
    log: list[tuple[str, Any]] = []
    server = await cluster("server")
    caller = await cluster("caller", internal_listener(log, "$node.updated"))
    await settle()
    seq = caller.transit.nodes.get("server").seq
    server.create_service(svc("late"))
    await caller.wait_for_services("late", timeout=2000)
    assert caller.transit.nodes.get("server").seq > seq
    assert await caller.call("late.do") == "ok"
    await settle()
    assert [(name, p["node"]["id"]) for name, p in log] == [("$node.updated", "server")]


async def test_a_node_id_conflict_stops_the_newcomer(cluster: Any) -> None:
    first = await cluster("same", svc())
    second = await cluster("same", svc("two"))
    await settle(50)
    conflicts = [b for b in (first, second) if b.transit.conflict is not None]
    assert second in conflicts
    assert not second.started
    assert not second.transit.connected and second.registry.services == []  # the stop ran to its end


def test_info_describes_services_in_moleculers_shape() -> None:
    from broker import ServiceBroker

    broker = ServiceBroker(logger=False, node_id="n")
    service = broker.create_service(
        {
            "name": "math",
            "version": 2,
            "settings": {"pub": 1, "secret": 2, "$secureSettings": ["secret"]},
            "metadata": {"region": "eu"},
            "actions": {"add": {"params": {"a": "number", "custom": {"type": "any", "check": len}}, "handler": ok}},
            "events": {"user.created": {"group": "other", "handler": ok}},
        }
    )
    from broker.node_info import describe_service

    info = describe_service(service)
    assert info["fullName"] == "v2.math" and info["version"] == 2
    assert "secret" not in info["settings"] and info["settings"]["pub"] == 1
    action = info["actions"]["v2.math.add"]
    assert action["name"] == "v2.math.add" and action["rawName"] == "add"
    assert action["params"] == {"a": "number", "custom": {"type": "any"}}  # functions are dropped
    assert "handler" not in action
    assert info["events"]["user.created"] == {"name": "user.created", "group": "other"}
    json.dumps(info)


def test_transit_is_created_only_with_a_transporter() -> None:
    from broker import ServiceBroker

    assert ServiceBroker(logger=False).transit is None
    broker = ServiceBroker(logger=False, transporter="Fake", namespace="dev", protocol_version="5")
    assert isinstance(broker.transit, Transit)
    assert broker.transit.prefix == "MOL-dev" and broker.transit.protocol_version == "5"


async def test_protocol_5_sends_headers_and_a_version_4_node_ignores_it(cluster: Any, bus: Any) -> None:
    seen: list[Any] = []

    async def show(self: Any, ctx: Context) -> Any:
        seen.append(ctx.headers)
        ctx.response_headers = {"x-answer": "1"}
        return "ok"

    await cluster("v5-server", {"name": "svc", "actions": {"do": show}}, protocol_version="5")
    v5 = await cluster("v5-caller", protocol_version="5")
    v4 = await cluster("v4-caller", protocol_version="4")
    await v5.wait_for_services("svc", timeout=2000)
    await settle()
    assert await v5.call("svc.do", headers={"h": 1}) == "ok"
    assert seen == [{"h": 1}]
    request = next(json.loads(d) for t, d in bus.published if t == "MOL.REQ.v5-server")
    assert request["ver"] == "5" and request["headers"] == {"h": 1}
    assert not v4.registry.has_service("svc")  # the v5 INFO was dropped


async def test_a_broker_whose_services_fail_to_start_leaves_the_cluster(cluster: Any, bus: Any) -> None:
    import pytest

    async def fail(self: Any) -> None:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        await cluster("broken", {"name": "bad", "started": fail})
    assert all(not subs for subs in bus.subscriptions.values())  # its transporter is disconnected
    watcher = await cluster("watcher")
    await settle()
    assert watcher.transit.nodes.get("broken") is None or not watcher.transit.nodes.get("broken").available
