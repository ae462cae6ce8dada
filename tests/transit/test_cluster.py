"""Cluster behaviour over the real NATS and Redis servers (127.0.0.1:4222, :6379): in one process and across processes.

Skipped when the server is unreachable, except under ``CI=true`` where that is a failure. Each test uses its own
namespace, so tests (and other users of the server) never see each other's packets.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from broker import ServiceBroker
from broker.context import Context
from broker.errors import ValidationError
from tests.servers import NATS_URL, REDIS_URL, require

from .conftest import server_cluster, stop_all, until

ROOT = Path(__file__).resolve().parents[2]


TRANSPORTS = {"nats": ("NATS", NATS_URL), "redis": ("Redis", REDIS_URL)}


@pytest.fixture(params=sorted(TRANSPORTS))
async def cluster(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """``await cluster(node_id, *schemas, **options)`` → a started broker on the real NATS or Redis server."""
    label, url = TRANSPORTS[request.param]
    require(url, label)
    brokers: list[ServiceBroker] = []
    yield server_cluster(url, brokers)
    await stop_all(brokers)


async def add(self: Any, ctx: Context) -> Any:
    ctx.meta["by"] = ctx.broker.node_id
    return ctx.params["a"] + ctx.params["b"]


MATH = {"name": "math", "actions": {"add": {"params": {"a": "number", "b": "number"}, "handler": add}}}


async def test_two_brokers_call_each_other(cluster: Any) -> None:
    await cluster("n-server", MATH)
    caller = await cluster("n-caller")
    await caller.wait_for_services("math", timeout=5000)
    meta: dict[str, Any] = {}
    assert await caller.call("math.add", {"a": 2, "b": 3}, meta=meta) == 5
    assert meta == {"by": "n-server"}
    with pytest.raises(ValidationError):
        await caller.call("math.add", {"a": "x", "b": 3})


async def test_three_brokers_balance_calls_and_events(cluster: Any) -> None:
    got: list[str] = []

    async def on_job(self: Any, ctx: Context) -> None:
        got.append(ctx.broker.node_id)

    worker = {"name": "worker", "events": {"job": on_job}}
    await cluster("n1", MATH, worker)
    await cluster("n2", MATH, worker)
    caller = await cluster("n-caller")
    actions = caller.registry.actions
    await until(lambda: "math.add" in actions and len(actions["math.add"].endpoints) == 2)
    metas = []
    for _ in range(4):
        meta: dict[str, Any] = {}
        await caller.call("math.add", {"a": 1, "b": 1}, meta=meta)
        metas.append(meta["by"])
    assert sorted(metas) == ["n1", "n1", "n2", "n2"]
    for _ in range(4):
        await caller.emit("job", {})
    await until(lambda: len(got) == 4)
    assert sorted(got) == ["n1", "n1", "n2", "n2"]
    await caller.broadcast("job", {})
    await until(lambda: len(got) == 6)


async def test_a_node_that_stops_disappears_from_the_others(cluster: Any) -> None:
    server = await cluster("n-server", MATH)
    caller = await cluster("n-caller")
    await caller.wait_for_services("math", timeout=5000)
    await server.stop()
    await until(lambda: not caller.registry.has_service("math"))
    assert not caller.transit.nodes.get("n-server").available


SERVER_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from broker import ServiceBroker

    async def add(self, ctx):
        return ctx.params["a"] + ctx.params["b"]

    async def main():
        broker = ServiceBroker(node_id="proc-server", namespace=sys.argv[1], transporter=sys.argv[2], logger=False)
        broker.create_service({"name": "math", "actions": {"add": add}})
        await broker.start()
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await broker.stop()

    asyncio.run(main())
    """
)


def _server_process(cluster: Any) -> subprocess.Popen[str]:
    """``SERVER_SCRIPT`` in a child process on the cluster's namespace and transporter (it stops on a stdin line)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT, cluster.namespace, cluster.url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip


async def test_brokers_in_separate_processes_call_each_other(cluster: Any) -> None:
    proc = _server_process(cluster)
    try:
        caller = await cluster("proc-caller")
        await caller.wait_for_services("math", timeout=15000)
        assert await caller.call("math.add", {"a": 20, "b": 22}) == 42
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        await until(lambda: not caller.registry.has_service("math"), timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.mark.parametrize("cluster", ["nats"], indirect=True)  # queue groups are NATS's
async def test_disable_balancer_lets_nats_queue_groups_pick_the_node(cluster: Any) -> None:
    got: list[str] = []

    async def on_job(self: Any, ctx: Context) -> None:
        got.append(ctx.broker.node_id)

    worker = {"name": "worker", "events": {"job": on_job}}
    await cluster("b1", MATH, worker, disable_balancer=True)
    await cluster("b2", MATH, worker, disable_balancer=True)
    caller = await cluster("b-caller", disable_balancer=True)
    actions = caller.registry.actions
    await until(lambda: "math.add" in actions and len(actions["math.add"].endpoints) == 2)
    answered = set()
    for _ in range(20):
        meta: dict[str, Any] = {}
        assert await caller.call("math.add", {"a": 1, "b": 2}, meta=meta) == 3
        answered.add(meta["by"])
    assert answered <= {"b1", "b2"} and answered
    for _ in range(6):
        await caller.emit("job", {})
    await until(lambda: len(got) == 6)  # every emit reached a worker
    assert set(got) <= {"b1", "b2"}


async def test_a_killed_process_is_expired_after_the_heartbeat_timeout(cluster: Any) -> None:
    proc = _server_process(cluster)
    try:
        caller = await cluster("kill-caller")
        await caller.wait_for_services("math", timeout=15000)
        proc.kill()  # no DISCONNECT, no INFO: the node just falls silent
        proc.wait(timeout=10)
        assert caller.registry.has_service("math")
        real_clock = caller.transit.nodes.clock
        caller.transit.nodes.clock = lambda: real_clock() + 31  # 31 s later, without waiting for them
        assert caller.transit.check_nodes() == ["proc-server"]
        assert not caller.registry.has_service("math")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
