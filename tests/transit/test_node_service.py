"""The internal ``$node`` service over a fake-transporter cluster."""

from __future__ import annotations

from typing import Any

from broker import ServiceBroker
from broker.context import Context

from .conftest import settle


async def ok(self: Any, ctx: Context) -> str:
    return "ok"


async def noop(self: Any, ctx: Context) -> None:
    return None


SVC = {"name": "svc", "version": 2, "actions": {"do": ok}, "events": {"thing.done": noop}}


async def test_node_list_gives_this_node_first_and_the_others(cluster: Any) -> None:
    a = await cluster("a")
    await cluster("b", SVC)
    await settle()
    nodes = await a.call("$node.list")
    assert [(n["id"], n["local"], n["available"]) for n in nodes] == [("a", True, True), ("b", False, True)]
    with_services = await a.call("$node.list", {"withServices": True})
    assert {s["fullName"] for s in with_services[1]["services"]} == {"$node", "v2.svc"}


async def test_node_services_groups_by_service_and_lists_nodes(cluster: Any) -> None:
    a = await cluster("a", SVC)
    await cluster("b", SVC)
    await settle()
    services = {s["fullName"]: s for s in await a.call("$node.services", {"skipInternal": True})}
    assert list(services) == ["v2.svc"]
    assert sorted(services["v2.svc"]["nodes"]) == ["a", "b"] and services["v2.svc"]["local"] is True
    local_only = await a.call("$node.services", {"onlyLocal": True, "withActions": True})
    assert {s["fullName"] for s in local_only} == {"$node", "v2.svc"}
    assert "v2.svc.do" in next(s for s in local_only if s["fullName"] == "v2.svc")["actions"]


async def test_node_actions_and_events_count_endpoints(cluster: Any) -> None:
    a = await cluster("a")
    await cluster("b", SVC)
    await cluster("c", SVC)
    await settle()
    actions = {x["name"]: x for x in await a.call("$node.actions", {"skipInternal": True, "withEndpoints": True})}
    assert actions["v2.svc.do"]["count"] == 2 and actions["v2.svc.do"]["hasLocal"] is False
    assert sorted(e["nodeID"] for e in actions["v2.svc.do"]["endpoints"]) == ["b", "c"]
    events = await a.call("$node.events", {"skipInternal": True})
    assert [(e["name"], e["group"], e["count"]) for e in events] == [("thing.done", "svc", 2)]


async def test_node_health_and_a_remote_nodes_node_service(cluster: Any) -> None:
    a = await cluster("a")
    await cluster("b")
    await settle()
    health = await a.call("$node.health")
    assert health["client"]["type"] == "python" and health["process"]["pid"] > 0
    remote = await a.call("$node.list", node_id="b")
    assert remote[0]["id"] == "b"


def test_a_local_only_broker_has_no_node_service_unless_asked() -> None:
    assert ServiceBroker(logger=False).get_local_service("$node") is None
    assert ServiceBroker(logger=False, internal_services=True).get_local_service("$node") is not None
