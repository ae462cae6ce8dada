"""Calling actions: endpoints, Context fields, meta propagation, visibility and the call-level limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from broker import Context
from broker.errors import MaxCallLevelError, MoleculerError, ServiceNotFoundError


def echo_service(name: str = "echo", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "actions": {"ctx": lambda self, ctx: ctx, "params": lambda self, ctx: ctx.params},
        **extra,
    }


async def test_call_returns_the_handler_result_for_sync_and_async_handlers(start_broker):
    async def add(self: Any, ctx: Context) -> int:
        await asyncio.sleep(0)
        return ctx.params["a"] + ctx.params["b"]

    broker = await start_broker(
        {"name": "math", "actions": {"add": add, "neg": lambda self, ctx: -ctx.params["a"]}}
    )
    assert await broker.call("math.add", {"a": 2, "b": 3}) == 5
    assert await broker.call("math.neg", {"a": 2}) == -2


async def test_missing_params_become_an_empty_dict(start_broker):
    broker = await start_broker(echo_service())
    assert await broker.call("echo.params") == {}


async def test_handler_receives_the_service_as_self(start_broker):
    broker = await start_broker(
        {
            "name": "s",
            "settings": {"greeting": "hi"},
            "actions": {"greet": lambda self, ctx: f"{self.settings['greeting']} from {self.name}"},
        }
    )
    assert await broker.call("s.greet") == "hi from s"


async def test_unknown_action_is_service_not_found(start_broker):
    broker = await start_broker(echo_service())
    with pytest.raises(ServiceNotFoundError) as info:
        await broker.call("echo.nope")
    assert info.value.data == {"action": "echo.nope"}
    assert info.value.message == "Service 'echo.nope' is not found."


async def test_call_to_a_given_node(start_broker):
    broker = await start_broker(echo_service(), node_id="node-1")
    assert await broker.call("echo.params", {"a": 1}, node_id="node-1") == {"a": 1}
    with pytest.raises(ServiceNotFoundError) as info:
        await broker.call("echo.params", node_id="node-2")
    assert info.value.data == {"action": "echo.params", "nodeID": "node-2"}


async def test_root_context_fields(start_broker):
    broker = await start_broker(echo_service(version=1), node_id="n1")
    ctx = await broker.call("v1.echo.ctx", {"x": 1})
    assert (ctx.params, ctx.meta, ctx.level, ctx.parent_id, ctx.caller, ctx.node_id) == (
        {"x": 1},
        {},
        1,
        None,
        None,
        "n1",
    )
    assert ctx.request_id == ctx.id and len(ctx.id) == 36
    assert ctx.action.name == "v1.echo.ctx" and ctx.action.raw_name == "ctx"
    assert ctx.service is broker.get_local_service("v1.echo")


async def test_each_call_gets_its_own_id(start_broker):
    broker = await start_broker(echo_service())
    first, second = await broker.call("echo.ctx"), await broker.call("echo.ctx")
    assert first.id != second.id


async def test_request_id_and_caller_options(start_broker):
    broker = await start_broker(echo_service())
    ctx = await broker.call("echo.ctx", request_id="req-9", caller="gateway")
    assert (ctx.request_id, ctx.caller) == ("req-9", "gateway")


async def test_observed_sub_call_example(start_broker):
    """Reference §3.3 [observed]: level, caller, parentID, requestID and meta in both directions."""
    seen: dict[str, Any] = {}

    def inner(self: Any, ctx: Context) -> None:
        seen.update(
            meta=dict(ctx.meta),
            level=ctx.level,
            caller=ctx.caller,
            parent_id=ctx.parent_id,
            request_id=ctx.request_id,
        )
        ctx.meta["setByInner"] = "yes"
        ctx.meta["user"] = "changed"

    async def outer(self: Any, ctx: Context) -> dict[str, Any]:
        seen["root_id"] = ctx.id
        await ctx.call("b.inner", {}, meta={"fromOuter": 1})
        return dict(ctx.meta)

    broker = await start_broker(
        {"name": "a", "version": 1, "actions": {"outer": outer}}, {"name": "b", "actions": {"inner": inner}}
    )
    parent_meta = await broker.call("v1.a.outer", meta={"user": "john"}, request_id="req-1")
    assert seen["meta"] == {"user": "john", "fromOuter": 1}
    assert (seen["level"], seen["caller"], seen["request_id"]) == (2, "v1.a", "req-1")
    assert seen["parent_id"] == seen["root_id"]
    assert parent_meta == {"user": "changed", "fromOuter": 1, "setByInner": "yes"}


async def test_failing_sub_call_still_merges_its_meta_back(start_broker):
    def inner(self: Any, ctx: Context) -> None:
        ctx.meta["beforeFailure"] = True
        raise MoleculerError("inner failed")

    async def outer(self: Any, ctx: Context) -> Any:
        with pytest.raises(MoleculerError):
            await ctx.call("s.inner")
        return ctx.meta

    broker = await start_broker({"name": "s", "actions": {"inner": inner, "outer": outer}})
    assert await broker.call("s.outer") == {"beforeFailure": True}


async def test_meta_changes_flow_up_a_three_level_chain(start_broker):
    async def top(self: Any, ctx: Context) -> Any:
        await ctx.call("s.middle")
        return ctx.meta

    async def middle(self: Any, ctx: Context) -> None:
        await ctx.call("s.bottom")

    def bottom(self: Any, ctx: Context) -> None:
        ctx.meta["deep"] = ctx.level

    broker = await start_broker({"name": "s", "actions": {"top": top, "middle": middle, "bottom": bottom}})
    assert await broker.call("s.top") == {"deep": 3}


async def test_root_meta_is_the_callers_own_dict(start_broker):
    def set_meta(self: Any, ctx: Context) -> None:
        ctx.meta["answer"] = 42

    broker = await start_broker({"name": "s", "actions": {"set": set_meta}})
    meta = {"user": "john"}
    await broker.call("s.set", meta=meta)
    assert meta == {"user": "john", "answer": 42}


async def test_child_meta_does_not_leak_into_the_parent_before_it_returns(start_broker):
    async def outer(self: Any, ctx: Context) -> Any:
        child = ctx.call("s.inner", meta={"only_child": 1})
        assert "only_child" not in ctx.meta
        await child
        return ctx.meta

    broker = await start_broker({"name": "s", "actions": {"outer": outer, "inner": lambda self, ctx: None}})
    assert await broker.call("s.outer") == {"only_child": 1}


async def test_headers_option_is_on_the_context_and_not_inherited(start_broker):
    async def outer(self: Any, ctx: Context) -> Any:
        child = await ctx.call("s.ctx")
        return ctx.headers, child.headers

    broker = await start_broker({"name": "s", "actions": {"outer": outer, "ctx": lambda self, ctx: ctx}})
    assert await broker.call("s.outer", headers={"trace": "1"}) == ({"trace": "1"}, {})


# -- names -------------------------------------------------------------------------------------------------------


async def test_versioned_full_names(start_broker):
    broker = await start_broker(echo_service("a", version=2), echo_service("b", version="staging"))
    assert await broker.call("v2.a.params", {"n": 1}) == {"n": 1}
    assert await broker.call("staging.b.params", {"n": 2}) == {"n": 2}


async def test_action_name_property_sets_the_raw_name(start_broker):
    broker = await start_broker(
        {"name": "s", "actions": {"key": {"name": "renamed", "handler": lambda self, ctx: 1}}}
    )
    assert await broker.call("s.renamed") == 1
    with pytest.raises(ServiceNotFoundError):
        await broker.call("s.key")


async def test_no_service_name_prefix_setting(start_broker):
    broker = await start_broker(
        {
            "name": "api",
            "settings": {"$noServiceNamePrefix": True},
            "actions": {"hello": lambda self, ctx: "hi"},
        }
    )
    assert await broker.call("hello") == "hi"


async def test_two_services_with_the_same_name_are_balanced_round_robin(start_broker):
    broker = await start_broker(
        {"name": "w", "actions": {"who": lambda self, ctx: 1}},
        {"name": "w", "actions": {"who": lambda self, ctx: 2}},
    )
    answers = [await broker.call("w.who") for _ in range(4)]
    assert answers == [1, 2, 1, 2]


# -- errors --------------------------------------------------------------------------------------------------


async def test_moleculer_error_gets_the_node_id(start_broker):
    def fail(self: Any, ctx: Context) -> None:
        raise MoleculerError("nope", 400, "NOPE")

    broker = await start_broker({"name": "s", "actions": {"fail": fail}}, node_id="n7")
    with pytest.raises(MoleculerError) as info:
        await broker.call("s.fail")
    assert info.value.node_id == "n7" and info.value.to_dict()["nodeID"] == "n7"


async def test_other_exceptions_pass_through_unchanged(start_broker):
    def fail(self: Any, ctx: Context) -> None:
        raise KeyError("k")

    broker = await start_broker({"name": "s", "actions": {"fail": fail}})
    with pytest.raises(KeyError):
        await broker.call("s.fail")


async def test_fallback_response_value_and_function(start_broker):
    def fail(self: Any, ctx: Context) -> None:
        raise MoleculerError("down")

    broker = await start_broker({"name": "s", "actions": {"fail": fail}})
    assert await broker.call("s.fail", fallback_response="cached") == "cached"
    assert (
        await broker.call("s.fail", fallback_response=lambda ctx, err: f"{ctx.action.name}: {err}")
        == "s.fail: down"
    )


# -- visibility ---------------------------------------------------------------------------------------------


def visibility_service() -> dict[str, Any]:
    async def use_private(self: Any, ctx: Context) -> Any:
        return await self.actions.secret({"n": ctx.params.get("n", 0)}, parent_ctx=ctx)

    def secret(self: Any, ctx: Context) -> Any:
        ctx.meta["touched"] = True
        return {"secret": ctx.params["n"] * 2, "level": ctx.level}

    return {
        "name": "vis",
        "actions": {
            "secret": {"visibility": "private", "handler": secret},
            "prot": {"visibility": "protected", "handler": lambda self, ctx: "protected"},
            "pub": {"visibility": "public", "handler": lambda self, ctx: "public"},
            "usePrivate": use_private,
        },
    }


async def test_private_action_is_not_callable_through_the_broker(start_broker):
    broker = await start_broker(visibility_service())
    with pytest.raises(ServiceNotFoundError):
        await broker.call("vis.secret", {"n": 1})


async def test_private_action_is_callable_through_self_actions(start_broker):
    broker = await start_broker(visibility_service())
    meta: dict[str, Any] = {}
    assert await broker.call("vis.usePrivate", {"n": 4}, meta=meta) == {"secret": 8, "level": 2}
    assert meta == {"touched": True}


async def test_public_and_protected_actions_are_callable_locally(start_broker):
    broker = await start_broker(visibility_service())
    assert await broker.call("vis.prot") == "protected"
    assert await broker.call("vis.pub") == "public"


async def test_self_actions_lookup(start_broker):
    broker = await start_broker(visibility_service())
    actions = broker.get_local_service("vis").actions
    assert "secret" in actions and "nope" not in actions
    assert set(actions) == {"secret", "prot", "pub", "usePrivate"}
    assert await actions["pub"]() == "public"
    with pytest.raises(AttributeError):
        actions.nope  # noqa: B018


# -- call level ---------------------------------------------------------------------------------------------


def recursive_service() -> dict[str, Any]:
    async def dive(self: Any, ctx: Context) -> int:
        if ctx.params["depth"] == 0:
            return ctx.level
        return await ctx.call("r.dive", {"depth": ctx.params["depth"] - 1})

    return {"name": "r", "actions": {"dive": dive}}


async def test_max_call_level_stops_deep_chains(start_broker):
    broker = await start_broker(recursive_service(), max_call_level=3, node_id="n1")
    assert await broker.call("r.dive", {"depth": 2}) == 3
    with pytest.raises(MaxCallLevelError) as info:
        await broker.call("r.dive", {"depth": 3})
    assert info.value.data == {"nodeID": "n1", "level": 3}
    assert info.value.retryable is False


async def test_without_max_call_level_chains_are_unlimited(start_broker):
    broker = await start_broker(recursive_service())
    assert await broker.call("r.dive", {"depth": 30}) == 31


async def test_events_from_the_deepest_level_are_still_delivered(start_broker):
    got: list[Any] = []

    async def deep(self: Any, ctx: Context) -> None:
        await ctx.emit("deep.event", {"level": ctx.level})
        await ctx.broadcast("deep.event", {"level": ctx.level})

    broker = await start_broker(
        {
            "name": "s",
            "actions": {"deep": deep},
            "events": {"deep.event": lambda self, ctx: got.append(ctx.params)},
        },
        max_call_level=1,
    )
    await broker.call("s.deep")
    assert got == [{"level": 1}, {"level": 1}]
