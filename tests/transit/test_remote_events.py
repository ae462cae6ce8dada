"""Events across nodes: balanced emits per group, broadcasts, wildcards, ``$`` events local only."""

from __future__ import annotations

from typing import Any

from broker.context import Context

from .conftest import settle


def listener(name: str, log: list[tuple[str, str, Any]], label: str, event: str = "job.done", **extra: Any) -> dict:
    async def handler(self: Any, ctx: Context) -> None:
        log.append((label, ctx.event_name or "", ctx.params))

    return {"name": name, "events": {event: {"handler": handler, **extra}}}


async def test_emit_reaches_one_node_per_group(cluster: Any) -> None:
    log: list[tuple[str, str, Any]] = []
    await cluster("w1", listener("worker", log, "w1"))
    await cluster("w2", listener("worker", log, "w2"), listener("audit", log, "audit"))
    sender = await cluster("sender")
    await settle()
    for n in range(4):
        await sender.emit("job.done", {"n": n})
        await settle()
    workers = [entry for entry in log if entry[0] in ("w1", "w2")]
    audits = [entry for entry in log if entry[0] == "audit"]
    assert len(workers) == 4 and len(audits) == 4
    assert {label for label, _, _ in workers} == {"w1", "w2"}  # balanced round-robin across the nodes
    assert sorted(p["n"] for _, _, p in workers) == [0, 1, 2, 3]


async def test_emit_with_groups_only_reaches_those_groups(cluster: Any) -> None:
    log: list[tuple[str, str, Any]] = []
    await cluster("w1", listener("worker", log, "w1"), listener("audit", log, "audit"))
    sender = await cluster("sender")
    await settle()
    await sender.emit("job.done", {"n": 1}, groups="audit")
    await settle()
    assert log == [("audit", "job.done", {"n": 1})]


async def test_broadcast_reaches_every_node(cluster: Any) -> None:
    log: list[tuple[str, str, Any]] = []
    await cluster("w1", listener("worker", log, "w1"))
    await cluster("w2", listener("worker", log, "w2"), listener("audit", log, "audit"))
    sender = await cluster("sender", listener("worker", log, "local"))
    await settle()
    await sender.broadcast("job.done", {"n": 7})
    await settle()
    assert sorted(label for label, _, _ in log) == ["audit", "local", "w1", "w2"]


async def test_wildcard_subscriptions_work_across_nodes(cluster: Any) -> None:
    log: list[tuple[str, str, Any]] = []
    await cluster("w1", listener("watch", log, "w1", event="job.**"))
    sender = await cluster("sender")
    await settle()
    await sender.emit("job.done.late", 1)
    await settle()
    assert log == [("w1", "job.done.late", 1)]


async def test_dollar_events_stay_local(cluster: Any) -> None:
    log: list[tuple[str, str, Any]] = []
    await cluster("w1", listener("watch", log, "w1", event="$custom.thing"))
    sender = await cluster("sender", listener("watch", log, "local", event="$custom.thing"))
    await settle()
    await sender.broadcast("$custom.thing", 1)
    await sender.emit("$custom.thing", 2)
    await settle()
    assert [(label, payload) for label, _, payload in log] == [("local", 1), ("local", 2)]


async def test_broadcast_local_never_leaves_the_node(cluster: Any) -> None:
    log: list[tuple[str, str, Any]] = []
    await cluster("w1", listener("worker", log, "w1"))
    sender = await cluster("sender", listener("worker", log, "local"))
    await settle()
    await sender.broadcast_local("job.done", 3)
    await settle()
    assert log == [("local", "job.done", 3)]


async def test_event_meta_travels_with_the_event(cluster: Any) -> None:
    seen: list[Any] = []

    async def handler(self: Any, ctx: Context) -> None:
        seen.append((ctx.meta, ctx.event_type))

    await cluster("w1", {"name": "w", "events": {"x.y": handler}})
    sender = await cluster("sender")
    await settle()
    await sender.emit("x.y", None, meta={"user": "u1"})
    await settle()
    assert seen == [({"user": "u1"}, "emit")]
