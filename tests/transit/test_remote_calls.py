"""Remote calls between brokers joined by the in-process fake transporter."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from broker.context import Context
from broker.errors import (
    MoleculerClientError,
    MoleculerError,
    MoleculerRetryableError,
    RequestRejectedError,
    RequestTimeoutError,
    ServiceNotFoundError,
    ValidationError,
)

from .conftest import settle


def math_service(label: str = "a") -> dict[str, Any]:
    async def add(self: Any, ctx: Context) -> Any:
        ctx.meta["answeredBy"] = label
        return ctx.params["a"] + ctx.params["b"]

    async def who(self: Any, ctx: Context) -> Any:
        return label

    async def boom(self: Any, ctx: Context) -> Any:
        raise MoleculerClientError("Bad thing", 400, "BAD_THING", {"x": 1})

    async def crash(self: Any, ctx: Context) -> Any:
        raise KeyError("missing")

    return {
        "name": "math",
        "actions": {
            "add": {"params": {"a": "number", "b": "number"}, "handler": add},
            "who": who,
            "boom": boom,
            "crash": crash,
        },
    }


async def test_a_remote_action_is_called_and_listed_as_remote(cluster: Any) -> None:
    await cluster("server", math_service())
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    endpoint = caller.registry.get_action_endpoint("math.add")
    assert (endpoint.node_id, endpoint.local) == ("server", False)
    assert await caller.call("math.add", {"a": 2, "b": 3}) == 5


async def test_meta_changes_of_the_callee_merge_back_into_the_callers_meta(cluster: Any) -> None:
    await cluster("server", math_service("srv"))
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    meta = {"user": "u1"}
    assert await caller.call("math.add", {"a": 1, "b": 1}, meta=meta) == 2
    assert meta == {"user": "u1", "answeredBy": "srv"}


async def test_meta_merges_back_through_a_parent_context(cluster: Any) -> None:
    await cluster("server", math_service("srv"))

    async def outer(self: Any, ctx: Context) -> Any:
        await ctx.call("math.add", {"a": 1, "b": 2})
        return ctx.meta

    caller = await cluster("caller", {"name": "front", "actions": {"outer": outer}})
    await caller.wait_for_services("math", timeout=2000)
    assert await caller.call("front.outer", {}, meta={"m": 1}) == {"m": 1, "answeredBy": "srv"}


async def test_remote_validation_error_comes_back_as_validation_error(cluster: Any) -> None:
    await cluster("server", math_service())
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    with pytest.raises(ValidationError) as info:
        await caller.call("math.add", {"a": "x", "b": 1})
    assert info.value.code == 422
    assert info.value.node_id == "server"
    assert info.value.data[0]["field"] == "a"


async def test_remote_client_error_keeps_its_class_code_type_and_data(cluster: Any) -> None:
    await cluster("server", math_service())
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    with pytest.raises(MoleculerClientError) as info:
        await caller.call("math.boom")
    err = info.value
    assert (err.message, err.code, err.type) == ("Bad thing", 400, "BAD_THING")
    assert (err.data, err.node_id) == ({"x": 1}, "server")


async def test_a_plain_python_exception_comes_back_as_a_500_moleculer_error(cluster: Any) -> None:
    await cluster("server", math_service())
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    with pytest.raises(MoleculerError) as info:
        await caller.call("math.crash")
    assert info.value.code == 500
    assert "missing" in info.value.message


async def test_calling_a_node_that_lacks_the_action_gives_service_not_found(cluster: Any, bus: Any) -> None:
    await cluster("server", math_service())
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    with pytest.raises(ServiceNotFoundError):
        await caller.call("math.add", {"a": 1, "b": 2}, node_id="nobody")


async def test_a_request_for_an_action_the_node_does_not_have_is_answered_service_not_found(cluster: Any) -> None:
    server = await cluster("server", math_service())
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    server.registry.actions.pop("math.who")  # the caller still believes server has it
    with pytest.raises(ServiceNotFoundError) as info:
        await caller.call("math.who")
    assert info.value.retryable is True
    assert info.value.data == {"action": "math.who", "nodeID": "server"}


async def test_node_id_option_targets_one_node(cluster: Any) -> None:
    await cluster("n1", math_service("one"))
    await cluster("n2", math_service("two"))
    caller = await cluster("caller")
    await caller.wait_for_services("math", timeout=2000)
    await settle()
    assert {await caller.call("math.who", node_id="n2") for _ in range(4)} == {"two"}
    assert {await caller.call("math.who", node_id="n1") for _ in range(4)} == {"one"}


async def test_round_robin_alternates_between_remote_nodes(cluster: Any) -> None:
    await cluster("n1", math_service("one"))
    await cluster("n2", math_service("two"))
    caller = await cluster("caller")
    await settle()
    answers = [await caller.call("math.who") for _ in range(6)]
    assert sorted(answers) == ["one"] * 3 + ["two"] * 3
    assert answers[0] != answers[1]


async def test_prefer_local_keeps_calls_on_the_local_endpoint(cluster: Any) -> None:
    await cluster("n1", math_service("remote"))
    caller = await cluster("caller", math_service("local"))
    await settle()
    assert len(caller.registry.actions["math.who"].endpoints) == 2
    assert {await caller.call("math.who") for _ in range(6)} == {"local"}


async def test_without_prefer_local_calls_also_go_to_remote_nodes(cluster: Any) -> None:
    await cluster("n1", math_service("remote"))
    caller = await cluster("caller", math_service("local"), registry={"prefer_local": False})
    await settle()
    assert {await caller.call("math.who") for _ in range(6)} == {"local", "remote"}


async def test_remote_call_times_out_with_request_timeout_error(cluster: Any) -> None:
    never = asyncio.Event()

    async def hang(self: Any, ctx: Context) -> Any:
        await never.wait()

    await cluster("server", {"name": "slow", "actions": {"hang": hang}})
    caller = await cluster("caller")
    await caller.wait_for_services("slow", timeout=2000)
    with pytest.raises(RequestTimeoutError) as info:
        await caller.call("slow.hang", timeout=50)
    assert info.value.data == {"action": "slow.hang", "nodeID": "server"}
    assert not caller.transit.calls.pending


async def test_a_retry_lands_on_another_node(cluster: Any) -> None:
    async def fail(self: Any, ctx: Context) -> Any:
        raise MoleculerRetryableError("try elsewhere", 503)

    async def ok(self: Any, ctx: Context) -> Any:
        return "good"

    await cluster("bad", {"name": "svc", "actions": {"do": fail}})
    await cluster("good", {"name": "svc", "actions": {"do": ok}})
    caller = await cluster("caller", retry_policy={"enabled": True, "retries": 2, "delay": 1})
    await settle()
    assert len(caller.registry.actions["svc.do"].endpoints) == 2
    assert [await caller.call("svc.do") for _ in range(4)] == ["good"] * 4


async def test_without_retries_a_retryable_remote_error_is_raised(cluster: Any) -> None:
    async def fail(self: Any, ctx: Context) -> Any:
        raise MoleculerRetryableError("try elsewhere", 503)

    await cluster("bad", {"name": "svc", "actions": {"do": fail}})
    caller = await cluster("caller")
    await caller.wait_for_services("svc", timeout=2000)
    with pytest.raises(MoleculerRetryableError):
        await caller.call("svc.do")


async def test_pending_calls_to_a_node_that_leaves_are_rejected_retryably(cluster: Any) -> None:
    entered = asyncio.Event()
    never = asyncio.Event()

    async def hang(self: Any, ctx: Context) -> Any:
        entered.set()
        await never.wait()

    server = await cluster("server", {"name": "slow", "actions": {"hang": hang}}, event_drain_timeout=10)
    caller = await cluster("caller")
    await caller.wait_for_services("slow", timeout=2000)
    call = asyncio.ensure_future(caller.call("slow.hang"))
    await entered.wait()
    caller.transit.node_gone("server", unexpected=True)
    with pytest.raises(RequestRejectedError) as info:
        await call
    assert info.value.retryable is True
    assert not caller.registry.has_service("slow")
    server.transit.calls.reject_all(None)


async def test_protected_remote_actions_are_not_callable_from_other_nodes(cluster: Any) -> None:
    async def secret(self: Any, ctx: Context) -> Any:
        return 1

    await cluster("server", {"name": "vault", "actions": {"secret": {"visibility": "protected", "handler": secret}}})
    caller = await cluster("caller")
    await caller.wait_for_services("vault", timeout=2000)
    with pytest.raises(ServiceNotFoundError):
        await caller.call("vault.secret")
