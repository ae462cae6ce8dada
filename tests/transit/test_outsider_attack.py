"""A hostile client of the bus: raw packets on a namespace's topics must be logged and dropped (or answered with the
right typed error), never crash the broker, hang or fool a caller, or reach what other nodes may not call.
Unit-level over the in-process ``FakeBus`` (``hostile.Peer`` publishes raw bytes on it); end-to-end over the real
NATS and Redis servers with plain nats-py / redis clients. INFO, liveness and wildcards: ``test_outsider_info``."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker import ServiceBroker
from broker.context import Context
from broker.errors import (
    MoleculerError,
    RequestTimeoutError,
    ServiceNotFoundError,
    ValidationError,
    error_from_dict,
)
from broker.registry import EVENT_CACHE_SIZE
from broker.serializers import JSONSerializer
from broker.transporters import FakeBus
from tests.servers import NATS_URL, REDIS_URL, require

from .conftest import settle, until
from .hostile import DEEP, SLOW, VICTIM, Peer, request

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
    require(NATS_URL if kind == "nats" else REDIS_URL, kind)
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
