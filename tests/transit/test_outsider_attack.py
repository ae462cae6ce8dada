"""A hostile client of the bus: raw packets on a namespace's topics must be logged and dropped (or answered with the
right typed error), never crash the broker, hang or fool a caller, grow memory without bound, or reach what other
nodes may not call. Unit-level over the in-process ``FakeBus`` (the peer publishes raw bytes on it); end-to-end
over the real NATS and Redis servers with plain nats-py / redis clients."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker import ServiceBroker
from broker.context import Context
from broker.errors import (
    BrokerOptionsError,
    MoleculerError,
    MoleculerServerError,
    RequestTimeoutError,
    ServiceNotFoundError,
    ValidationError,
    error_from_dict,
)
from broker.nodes import MAX_OFFLINE_NODES, NodeCatalog
from broker.registry import EVENT_CACHE_SIZE
from broker.serializers import JSONSerializer
from broker.shard_strategy import MAX_CACHED_KEY, ShardStrategy
from broker.transporters import FakeBus, FakeTransporter
from broker.wildcard import _compile, _match_linear, _plan, _tokens, match

from .conftest import NATS_URL, REDIS_URL, require_server, settle, until

DEEP = b'{"ver":"4","sender":"evil","x":' + b"[" * 50_000 + b"]" * 50_000 + b"}"


class Peer:
    """A raw client of the fake bus posing as node ``node_id``: ``send`` publishes any bytes or dict, ``got``
    collects what reaches its own topics, ``on_request`` (if set) answers REQs."""

    def __init__(self, bus: FakeBus, node_id: str = "evil") -> None:
        self.bus = bus
        self.node_id = node_id
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.on_request: Any = None
        self.transporter = FakeTransporter(bus=bus)
        self.transporter.init(self._received)

    async def start(self) -> Peer:
        await self.transporter.connect()
        for packet_type in ("REQ", "RES", "INFO", "PONG", "EVENT", "DISCOVER"):
            await self.transporter.subscribe(f"MOL.{packet_type}.{self.node_id}", packet_type)
        return self

    def _received(self, packet_type: str, data: bytes) -> None:
        payload = json.loads(data)
        self.got.append((packet_type, payload))
        if packet_type == "REQ" and self.on_request is not None:
            self.send(f"RES.{payload['sender']}", {"id": payload["id"], "meta": {}, **self.on_request(payload)})

    def send(self, topic: str, payload: dict[str, Any] | bytes, sender: str | None = None) -> None:
        if isinstance(payload, dict):
            payload = json.dumps({"ver": "4", "sender": sender or self.node_id, **payload}).encode()
        self.bus.publish(f"MOL.{topic}", payload)

    def announce(self, *services: dict[str, Any], sender: str | None = None) -> None:
        self.send("INFO", {"services": list(services), "instanceID": "evil-1", "seq": 1}, sender)

    def of_type(self, packet_type: str) -> list[dict[str, Any]]:
        return [payload for kind, payload in self.got if kind == packet_type]


def request(action: str, req_id: str = "r1", **fields: Any) -> dict[str, Any]:
    return {"id": req_id, "action": action, "params": {}, "meta": {}, "timeout": 0, "level": 1, **fields}


async def whoami(self: Any, ctx: Context) -> Any:
    return {"level": ctx.level, "timeout": ctx.timeout, "caller": ctx.caller, "meta": ctx.meta}


async def secret(self: Any, ctx: Context) -> Any:
    return "secret"


async def add(self: Any, ctx: Context) -> Any:
    return ctx.params["a"] + ctx.params["b"]


VICTIM = {
    "name": "victim",
    "actions": {
        "who": whoami,
        "secret": {"visibility": "protected", "handler": secret},
        "add": {"params": {"a": "number", "b": "number"}, "handler": add},
    },
}


@pytest.fixture
async def peer(bus: FakeBus) -> Peer:
    return await Peer(bus).start()


# -- bytes that are not a packet ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [DEEP, b'{"cpu":NaN}', b'{"cpu":Infinity}', b'{"cpu":-Infinity}'])
def test_nesting_past_the_recursion_limit_and_nan_are_value_errors(data: bytes) -> None:
    with pytest.raises(ValueError):  # was RecursionError (not caught: it stopped the Redis reader) / a NaN float
        JSONSerializer().deserialize(data)


def test_serialising_past_the_recursion_limit_is_a_value_error() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValueError):
        JSONSerializer().serialize({"params": deep})


async def test_garbage_on_every_topic_leaves_the_node_serving(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim", VICTIM)
    garbage = [DEEP, b"\xff\xfe", b"[1,2]", b"null", b'"text"', b"{", b'{"ver":4,"sender":"evil"}', b"{}" * 1000,
               b'{"ver":"5","sender":"evil"}', b'{"ver":"4"}', b'{"ver":"4","sender":{"a":1}}']  # fmt: skip
    for topic in ("REQ.victim", "RES.victim", "EVENT.victim", "INFO", "INFO.victim", "DISCOVER", "HEARTBEAT",
                  "DISCONNECT", "PING", "PING.victim", "PONG.victim", "DISCOVER.victim"):  # fmt: skip
        for data in garbage:
            peer.send(topic, data)
    peer.send("UNKNOWN.victim", {"x": 1})
    await settle()
    peer.send("REQ.victim", request("victim.add", params={"a": 1, "b": 2}))
    await settle()
    assert [res["data"] for res in peer.of_type("RES")] == [3]
    assert victim.started and victim.transit.calls.pending == {}


@pytest.mark.parametrize("sender", ["", "a b", "x\r\nPUB MOL.REQ.victim 2", "*", ">", "n\x00", "x" * 300, 5, None])
async def test_a_sender_that_cannot_be_a_node_id_is_dropped(cluster: Any, bus: FakeBus, sender: Any) -> None:
    await cluster("victim", VICTIM)
    published = len(bus.published)
    bus.publish("MOL.DISCOVER", json.dumps({"ver": "4", "sender": sender}).encode())
    bus.publish("MOL.REQ.victim", json.dumps({"ver": "4", "sender": sender, **request("victim.who")}).encode())
    await settle()
    assert bus.published[published + 2 :] == []  # no INFO and no RES to a topic built from that sender


# -- requests ---------------------------------------------------------------------------------------------------


async def test_a_protected_action_is_not_callable_from_another_node(cluster: Any, peer: Peer) -> None:
    await cluster("victim", VICTIM)
    peer.send("REQ.victim", request("victim.secret"))
    peer.send("REQ.victim", request("victim.nope", "r2"))
    await settle()
    errors = [res["error"] for res in peer.of_type("RES")]
    assert [e["name"] for e in errors] == ["ServiceNotFoundError", "ServiceNotFoundError"]
    assert all(res["data"] is None for res in peer.of_type("RES"))


async def test_request_fields_of_the_wrong_type_fall_back_to_defaults(cluster: Any, peer: Peer) -> None:
    await cluster("victim", VICTIM, max_call_level=5)
    weird = {"level": -1_000_000, "timeout": "soon", "meta": [1, 2], "caller": {"x": 1}, "requestID": 7,
             "parentID": [], "headers": "h"}  # fmt: skip
    peer.send("REQ.victim", request("victim.who", **weird))
    peer.send("REQ.victim", request("victim.who", "r2", level=True, timeout=-5))
    await settle()
    answers = [res["data"] for res in peer.of_type("RES")]
    assert answers == [{"level": 1, "timeout": 0, "caller": None, "meta": {}}] * 2  # -1e6 would pass max_call_level


@pytest.mark.parametrize("params", ["text", [1, 2], 5, True, {"a": "1", "b": {}}])
async def test_params_of_the_wrong_shape_are_a_validation_error(cluster: Any, peer: Peer, params: Any) -> None:
    await cluster("victim", VICTIM)
    peer.send("REQ.victim", request("victim.add", params=params))
    await settle()
    assert [res["error"]["name"] for res in peer.of_type("RES")] == ["ValidationError"]


@pytest.mark.parametrize("req_id", [None, "", {"a": 1}, [1], True])
async def test_a_request_without_a_usable_id_is_dropped(cluster: Any, peer: Peer, req_id: Any) -> None:
    await cluster("victim", VICTIM)
    peer.send("REQ.victim", request("victim.who", req_id))
    await settle()
    assert peer.of_type("RES") == []


async def test_a_stream_request_is_refused_once_and_its_chunks_dropped(cluster: Any, peer: Peer) -> None:
    await cluster("victim", VICTIM)
    peer.send("REQ.victim", request("victim.who", "s1", stream=True, seq=0))
    for seq in (1, 2, 3):
        peer.send("REQ.victim", request("victim.who", "s1", stream=True, seq=seq, params={"chunk": seq}))
    await settle()
    answers = peer.of_type("RES")
    assert len(answers) == 1  # the action was not run once per chunk
    assert answers[0]["success"] is False and answers[0]["error"]["type"] == "STREAM_NOT_SUPPORTED"


async def test_a_request_sent_as_this_node_is_answered_on_its_own_topic(cluster: Any, bus: FakeBus) -> None:
    victim = await cluster("victim", VICTIM)
    bus.publish("MOL.REQ.victim", json.dumps({"ver": "4", "sender": "victim", **request("victim.who")}).encode())
    await settle()
    assert [t for t, _ in bus.published if t == "MOL.RES.victim"] == ["MOL.RES.victim"]
    assert victim.started and victim.transit.calls.pending == {}


# -- responses and pongs: only from the node that was asked --------------------------------------------------------


SLOW = {"name": "slow", "actions": {"slow.op": {"name": "slow.op", "rawName": "op"}}}


async def test_a_response_from_another_node_cannot_change_the_callers_result(cluster: Any, bus: FakeBus) -> None:
    caller = await cluster("caller")
    server = await Peer(bus, "server").start()
    evil = await Peer(bus).start()
    server.announce(SLOW)
    await until(lambda: "slow.op" in caller.registry.actions)
    call = asyncio.ensure_future(caller.call("slow.op", {}, timeout=2000))
    await until(lambda: bool(server.of_type("REQ")))
    req_id = server.of_type("REQ")[0]["id"]
    evil.send("RES.caller", {"id": req_id, "success": True, "data": "forged", "meta": {"admin": True}})
    evil.send("RES.caller", {"id": req_id, "success": True, "data": "forged"}, sender="caller")
    await settle()
    assert not call.done()
    server.send("RES.caller", {"id": req_id, "success": True, "data": "real", "meta": {}})
    assert await call == "real"
    assert caller.transit.calls.pending == {}


async def test_a_success_that_is_not_true_is_not_a_success(cluster: Any, bus: FakeBus) -> None:
    caller = await cluster("caller")
    server = await Peer(bus, "server").start()
    server.on_request = lambda req: {"success": "false", "data": "x", "error": {"name": "ValidationError"}}
    server.announce(SLOW)
    await until(lambda: "slow.op" in caller.registry.actions)
    with pytest.raises(ValidationError):
        await caller.call("slow.op", {}, timeout=2000)


async def test_a_pong_from_another_node_is_not_the_pinged_nodes(cluster: Any, bus: FakeBus) -> None:
    caller = await cluster("caller")
    server = await Peer(bus, "server").start()
    evil = await Peer(bus).start()
    server.announce(SLOW)
    await until(lambda: caller.transit.nodes.get("server") is not None)
    ping = asyncio.ensure_future(caller.ping("server", timeout=300))
    await until(lambda: bool(caller.transit.calls.pings))
    ping_id = next(iter(caller.transit.calls.pings))
    evil.send("PONG.caller", {"id": ping_id, "time": 0, "arrived": 0})
    assert await ping is None
    assert caller.transit.nodes.latency_of("server") is None and caller.transit.calls.pings == {}


@pytest.mark.parametrize(
    ("error", "cls", "code"),
    [
        ({"name": {"x": 1}, "message": "m"}, MoleculerError, 500),
        ({"name": "ServiceNotFoundError", "data": "str"}, ServiceNotFoundError, 404),
        ({"name": "RequestTimeoutError", "data": [1, 2]}, RequestTimeoutError, 504),
        ({"name": "MoleculerError", "message": {"a": 1}, "code": "abc", "nodeID": 5}, MoleculerError, 500),
        ({"name": "ValidationError", "message": "v", "data": [1], "retryable": "yes"}, ValidationError, 422),
        ("just a string", MoleculerError, 500),
        (None, MoleculerError, 500),
    ],
)
async def test_an_error_of_any_shape_comes_back_typed(
    cluster: Any, bus: FakeBus, error: Any, cls: type, code: int
) -> None:
    caller = await cluster("caller")
    server = await Peer(bus, "server").start()
    server.on_request = lambda req: {"success": False, "data": None, "error": error}
    server.announce(SLOW)
    await until(lambda: "slow.op" in caller.registry.actions)
    with pytest.raises(MoleculerError) as raised:
        await caller.call("slow.op", {}, timeout=2000)
    err = raised.value
    assert type(err) is cls and err.code == code and isinstance(str(err), str)
    assert err.node_id is None or isinstance(err.node_id, str)
    assert isinstance(err.retryable, bool)


def test_error_from_dict_never_raises_on_field_types() -> None:
    fields = st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.integers(), max_size=2),
                       st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))  # fmt: skip
    names = st.one_of(fields, st.sampled_from(["ServiceNotFoundError", "ValidationError", "RequestRejectedError"]))

    @given(st.fixed_dictionaries({}, optional={"name": names, "message": fields, "code": fields, "type": fields,
                                               "data": fields, "retryable": fields, "nodeID": fields}))  # fmt: skip
    def check(payload: dict[str, Any]) -> None:
        err = error_from_dict(payload)
        assert isinstance(err, MoleculerError) and isinstance(str(err), str) and isinstance(err.code, int)

    check()


# -- events -------------------------------------------------------------------------------------------------------


async def test_internal_and_malformed_events_from_another_node_are_dropped(cluster: Any, peer: Peer) -> None:
    heard: list[Any] = []

    async def listener(self: Any, ctx: Context) -> None:
        heard.append((ctx.event_name, ctx.params))

    listen = {"name": "ears", "events": {"$node.disconnected": listener, "$services.changed": listener,
                                          "user.*": listener}}  # fmt: skip
    await cluster("victim", listen)
    await settle()
    heard.clear()
    event = {"id": "e", "data": {"node": {"id": "db-1"}}, "broadcast": True}
    peer.send("EVENT.victim", {**event, "event": "$node.disconnected"})
    peer.send("EVENT.victim", {**event, "event": "$services.changed"})
    peer.send("EVENT.victim", {**event, "event": "user.a", "groups": "ears"})
    peer.send("EVENT.victim", {**event, "event": "user.b", "groups": [{"x": 1}]})
    peer.send("EVENT.victim", {**event, "event": "user.c", "broadcast": "false"})
    peer.send("EVENT.victim", {**event, "event": ["user.d"]})
    peer.send("EVENT.victim", {**event, "event": "user.ok", "groups": ["ears"], "meta": "m", "caller": {}})
    await settle()
    assert heard == [("user.ok", {"node": {"id": "db-1"}})]


async def test_random_event_names_do_not_grow_the_event_cache(cluster: Any, peer: Peer) -> None:
    victim = await cluster("victim", VICTIM)
    for i in range(EVENT_CACHE_SIZE + 200):
        peer.send("EVENT.victim", {"id": str(i), "event": f"e{uuid.uuid4().hex}", "data": None, "broadcast": True})
    await settle()
    assert len(victim.registry._event_cache) <= EVENT_CACHE_SIZE


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


# -- end to end: a plain client of the real servers ---------------------------------------------------------------


async def _raw_publisher(kind: str) -> tuple[Any, Any]:
    """``(publish, close)`` of a plain nats-py or redis client."""
    if kind == "nats":
        import nats

        client = await nats.connect(NATS_URL)
        return client.publish, client.close
    from redis import asyncio as aioredis

    redis_client = aioredis.Redis.from_url(REDIS_URL)
    return redis_client.publish, redis_client.aclose


@pytest.mark.parametrize("kind", ["nats", "redis"])
async def test_a_hostile_client_of_the_real_server_cannot_take_a_node_down(kind: str) -> None:
    require_server("127.0.0.1", 4222 if kind == "nats" else 6379, kind)
    namespace = f"atk{uuid.uuid4().hex[:8]}"
    url = NATS_URL if kind == "nats" else REDIS_URL
    heard: list[str] = []

    async def listener(self: Any, ctx: Context) -> None:
        heard.append(ctx.event_name or "")

    ears = {"name": "ears", "events": {"$node.disconnected": listener}}
    server = ServiceBroker(node_id="srv", namespace=namespace, transporter=url, logger=False)
    server.create_service(VICTIM)
    server.create_service(ears)
    caller = ServiceBroker(node_id="cli", namespace=namespace, transporter=url, logger=False)
    publish, close = await _raw_publisher(kind)
    prefix = f"MOL-{namespace}"
    try:
        async with server, caller:
            await caller.wait_for_services("victim", timeout=5000)
            hostile = [DEEP, b"\xff", b"[]", b'{"ver":"4","sender":"a b"}',
                       json.dumps({"ver": "4", "sender": "cli", **request("victim.secret")}).encode(),
                       json.dumps({"ver": "4", "sender": "x", "event": "$node.disconnected", "data": {},
                                   "broadcast": True}).encode()]  # fmt: skip
            for topic in ("REQ.srv", "EVENT.srv", "INFO", "HEARTBEAT", "DISCOVER"):
                for data in hostile:
                    await publish(f"{prefix}.{topic}", data)
            assert await caller.call("victim.add", {"a": 2, "b": 3}, timeout=5000) == 5  # after the garbage
            assert heard == [] and server.transit.calls.pending == {}
    finally:
        await close()
