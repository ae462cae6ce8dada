"""The liveness timers' work (``broker.liveness``, ``broker.cpu_usage``): CPU usage in heartbeats, removal of
offline nodes after ``cleanOfflineNodesTimeout``, latency pings, and the memory cachers emptied on reconnect
(fake transporter; the timers' steps are called directly, no clock waits)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from broker import ServiceBroker, cpu_usage
from broker.cache_keys import MISSING
from broker.context import Context
from broker.cpu_usage import CpuMeter, read_proc_stat
from broker.errors import BrokerOptionsError

from .conftest import settle


async def ok(self: Any, ctx: Context) -> str:
    return "ok"


SVC = {"name": "svc", "actions": {"do": ok}}


def test_the_cpu_meter_gives_the_busy_percent_between_two_readings() -> None:
    counters = iter([(100.0, 1000.0), (175.0, 1100.0), (175.0, 1100.0), (300.0, 1200.0)])
    meter = CpuMeter(lambda: next(counters))
    assert meter.read() == 75  # 75 busy of 100
    assert meter.read() is None  # no time passed
    assert meter.read() == 100  # clamped (counters that jump)
    unreadable = CpuMeter(lambda: None)
    assert unreadable.read() is None


def test_the_real_cpu_meter_reads_a_percent() -> None:
    if read_proc_stat() is None:
        pytest.skip("no /proc/stat here")
    meter = CpuMeter()
    sum(i * i for i in range(200_000))  # some work, so the counters move
    value = meter.read()
    assert value is None or 0 <= value <= 100


def test_the_default_cpu_meter_reads_proc_stat_once_when_made(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = iter([(10.0, 100.0), (60.0, 200.0)])
    calls: list[str] = []

    def fake_stat(path: str = "/proc/stat") -> tuple[float, float] | None:
        calls.append(path)
        return next(readings)

    monkeypatch.setattr(cpu_usage, "read_proc_stat", fake_stat)
    meter = CpuMeter()
    assert len(calls) == 1  # the probe's reading is the first sample
    assert meter.read() == 50  # 50 busy of 100, against that first sample


async def test_heartbeats_carry_this_nodes_cpu_usage(cluster: Any, bus: Any) -> None:
    server = await cluster("server", SVC)
    watcher = await cluster("watcher")
    await watcher.wait_for_services("svc", timeout=2000)
    server.transit.liveness.cpu_reader = lambda: 42
    await server.transit.liveness.beat()
    await settle()
    beats = [json.loads(data) for topic, data in bus.published if topic == "MOL.HEARTBEAT"]
    assert beats[-1]["cpu"] == 42 and beats[-1]["sender"] == "server"
    assert watcher.registry.nodes.cpu_of("server") == 42
    assert server.registry.nodes.cpu_of("server") == 42  # the local node's own figure
    server.transit.liveness.cpu_reader = lambda: None  # a failed reading repeats the last known figure
    await server.transit.liveness.beat()
    await settle()
    assert json.loads(bus.published[-1][1])["cpu"] == 42
    listed = await watcher.call("$node.list")
    assert next(n for n in listed if n["id"] == "server")["cpu"] == 42
    assert next(n for n in await server.call("$node.list") if n["local"])["cpu"] == 42


async def offline_node(cluster: Any, **options: Any) -> tuple[ServiceBroker, ServiceBroker, list[float]]:
    """A watcher (with ``options``) on a settable clock, and a node that stopped; gives both and the clock."""
    now = [1000.0]
    watcher = await cluster("watcher", **options)
    watcher.transit.nodes.clock = lambda: now[0]
    other = await cluster("other", SVC)
    await watcher.wait_for_services("svc", timeout=2000)
    await other.stop()
    await settle()
    assert not watcher.transit.nodes.get("other").available
    return watcher, other, now


async def test_offline_nodes_are_removed_after_clean_offline_nodes_timeout(cluster: Any) -> None:
    watcher, other, now = await offline_node(cluster, registry={"cleanOfflineNodesTimeout": 60})
    now[0] += 59
    assert watcher.transit.liveness.remove_offline() == []
    now[0] += 2
    assert watcher.transit.liveness.remove_offline() == ["other"]
    assert watcher.transit.nodes.get("other") is None
    assert "other" not in [n["id"] for n in await watcher.call("$node.list")]
    # a removed node that comes back is discovered anew
    await other.start()
    await watcher.wait_for_services("svc", timeout=2000)
    assert watcher.transit.nodes.get("other").available


async def test_offline_nodes_stay_600_s_by_default_and_forever_when_disabled(cluster: Any) -> None:
    watcher, _, now = await offline_node(cluster)
    now[0] += 599
    assert watcher.transit.liveness.remove_offline() == []
    now[0] += 2
    assert watcher.transit.liveness.remove_offline() == ["other"]


async def test_offline_node_removal_can_be_disabled(cluster: Any) -> None:
    options = {"discoverer": {"options": {"cleanOfflineNodesTimeout": 1}}, "disableOfflineNodeRemoving": True}
    watcher, _, now = await offline_node(cluster, registry=options)
    now[0] += 10_000
    assert watcher.transit.liveness.remove_offline() == []
    assert watcher.transit.nodes.get("other") is not None


def test_a_bad_clean_offline_nodes_timeout_is_refused() -> None:
    with pytest.raises(BrokerOptionsError, match="cleanOfflineNodesTimeout"):
        ServiceBroker(logger=False, transporter="Fake", registry={"cleanOfflineNodesTimeout": "10m"})


async def test_latency_pings_measure_every_node(cluster: Any) -> None:
    watcher = await cluster("watcher", registry={"strategy": "Latency", "strategyOptions": {"pingInterval": 60}})
    await cluster("other", SVC)
    await watcher.wait_for_services("svc", timeout=2000)
    assert watcher.registry.nodes.latency_of("other") is None
    await watcher.transit.liveness.ping_all()
    latency = watcher.registry.nodes.latency_of("other")
    assert latency is not None and latency >= 0


@pytest.mark.parametrize("cacher", ["Memory", "MemoryLRU"])
async def test_memory_cachers_empty_themselves_when_the_transporter_reconnects(cluster: Any, cacher: str) -> None:
    broker = await cluster("node", SVC, cacher=cacher)
    await broker.cacher.set("svc.do:a", 1)
    await broker.transit.transporter.on_reconnect()
    await settle()
    assert await broker.cacher.get("svc.do:a") is MISSING
