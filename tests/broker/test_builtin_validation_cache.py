"""The Validator and Cacher built-in middlewares seen through ``broker.call`` (internals are tested elsewhere)."""

from __future__ import annotations

from typing import Any

import pytest

from broker import Context, ServiceBroker
from broker.cacher import MemoryCacher
from broker.errors import ServiceSchemaError, ValidationError

# -- validation ---------------------------------------------------------------------------------------------------


def math_service(**action_opts: Any) -> dict[str, Any]:
    params = {"a": "number", "b": {"type": "number", "convert": True}}
    return {
        "name": "math",
        "actions": {
            "add": {"params": params, "handler": lambda s, c: c.params["a"] + c.params["b"], **action_opts}
        },
    }


async def test_invalid_params_are_rejected_with_a_422_validation_error(start_broker):
    broker = await start_broker(math_service(), node_id="node-1")
    with pytest.raises(ValidationError) as info:
        await broker.call("math.add", {"a": "x", "b": 1})
    err = info.value
    assert (err.code, err.type, err.message, err.retryable) == (
        422,
        "VALIDATION_ERROR",
        "Parameters validation error!",
        False,
    )
    (entry,) = err.data
    assert (entry["field"], entry["type"], entry["nodeID"], entry["action"]) == (
        "a",
        "number",
        "node-1",
        "math.add",
    )
    assert entry["message"] == "The 'a' field must be a number."


async def test_every_invalid_field_is_reported(start_broker):
    broker = await start_broker(math_service())
    with pytest.raises(ValidationError) as info:
        await broker.call("math.add", {})
    assert sorted((e["field"], e["type"]) for e in info.value.data) == [("a", "required"), ("b", "required")]
    assert all(e["action"] == "math.add" for e in info.value.data)


async def test_valid_params_reach_the_handler_converted(start_broker):
    broker = await start_broker(math_service())
    assert await broker.call("math.add", {"a": 1, "b": "2"}) == 3


async def test_a_rejected_call_never_runs_the_handler(start_broker):
    ran: list[Any] = []
    broker = await start_broker(
        {
            "name": "s",
            "actions": {"x": {"params": {"name": "string|min:3"}, "handler": lambda s, c: ran.append(1)}},
        }
    )
    with pytest.raises(ValidationError) as info:
        await broker.call("s.x", {"name": "ab"})
    assert info.value.data[0]["type"] == "stringMin"
    assert ran == []


async def test_sub_call_validation_error_carries_the_callee_action(start_broker):
    async def outer(self: Any, ctx: Context) -> Any:
        return await ctx.call("math.add", {"a": "bad", "b": 1})

    broker = await start_broker(math_service(), {"name": "api", "actions": {"outer": outer}})
    with pytest.raises(ValidationError) as info:
        await broker.call("api.outer")
    assert info.value.data[0]["action"] == "math.add"


def test_an_invalid_params_schema_fails_at_create_service(make_broker):
    broker = make_broker()
    with pytest.raises(ServiceSchemaError):
        broker.create_service(
            {"name": "s", "actions": {"x": {"params": {"a": "no-such-type"}, "handler": lambda s, c: 1}}}
        )


async def test_validator_false_turns_validation_off(start_broker):
    broker = await start_broker(math_service(), validator=False)
    assert await broker.call("math.add", {"a": "1", "b": "2"}) == "12"


async def test_a_custom_validator_object(start_broker):
    class UpperValidator:
        def compile(self, schema: Any) -> Any:
            def check(params: Any) -> Any:
                if not isinstance(params.get("name"), str):
                    raise ValidationError(
                        "Parameters validation error!", None, [{"field": "name", "type": "custom"}]
                    )
                return {"name": params["name"].upper()}

            return check

    broker = await start_broker(
        {"name": "s", "actions": {"x": {"params": {"name": "x"}, "handler": lambda s, c: c.params}}},
        validator=UpperValidator(),
        node_id="n3",
    )
    assert await broker.call("s.x", {"name": "ann"}) == {"name": "ANN"}
    with pytest.raises(ValidationError) as info:
        await broker.call("s.x", {})
    assert info.value.data == [{"field": "name", "type": "custom", "nodeID": "n3", "action": "s.x"}]


# -- caching ----------------------------------------------------------------------------------------------------


def counted(cache: Any, **extra: Any) -> tuple[dict[str, Any], list[Any]]:
    calls: list[Any] = []

    def get(self: Any, ctx: Context) -> dict[str, Any]:
        calls.append(dict(ctx.params))
        return {"id": ctx.params.get("id"), "n": len(calls)}

    return {"name": "posts", "actions": {"get": {"cache": cache, "handler": get}}, **extra}, calls


def spy_contexts(broker: ServiceBroker) -> list[Context]:
    """Record the root context of every ``broker.call`` (the hit flag is on the callee's context)."""
    seen: list[Context] = []
    original = broker._run

    async def spy(ctx: Context, *args: Any) -> Any:
        seen.append(ctx)
        return await original(ctx, *args)

    broker._run = spy  # type: ignore[method-assign]
    return seen


async def test_cache_true_serves_the_second_call_from_cache(start_broker):
    schema, calls = counted(True)
    broker = await start_broker(schema, cacher="Memory")
    contexts = spy_contexts(broker)
    first = await broker.call("posts.get", {"id": 1})
    second = await broker.call("posts.get", {"id": 1})
    assert first == second == {"id": 1, "n": 1}
    assert len(calls) == 1
    assert [ctx.cached_result for ctx in contexts] == [False, True]


async def test_different_params_are_different_entries(start_broker):
    schema, calls = counted(True)
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1})
    await broker.call("posts.get", {"id": 2})
    assert len(calls) == 2


async def test_cache_keys_limit_what_makes_an_entry_different(start_broker):
    schema, calls = counted({"keys": ["id"]})
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1, "noise": "a"})
    await broker.call("posts.get", {"id": 1, "noise": "b"})
    await broker.call("posts.get", {"id": 2, "noise": "a"})
    assert calls == [{"id": 1, "noise": "a"}, {"id": 2, "noise": "a"}]


async def test_meta_cache_false_bypasses_the_cache(start_broker):
    schema, calls = counted(True)
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1})
    await broker.call("posts.get", {"id": 1}, meta={"$cache": False})
    assert len(calls) == 2


async def test_handler_may_disable_caching_of_its_sub_call_through_meta(start_broker):
    schema, calls = counted(True)

    async def fresh(self: Any, ctx: Context) -> Any:
        ctx.meta["$cache"] = False
        return await ctx.call("posts.get", {"id": 1})

    broker = await start_broker(schema, {"name": "api", "actions": {"fresh": fresh}}, cacher="Memory")
    await broker.call("posts.get", {"id": 1})
    await broker.call("api.fresh")
    assert len(calls) == 2


async def test_uncached_actions_are_not_cached(start_broker):
    schema, calls = counted(False)
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1})
    await broker.call("posts.get", {"id": 1})
    assert len(calls) == 2


async def test_cache_setting_is_the_default_for_every_action(start_broker):
    schema, calls = counted(None, settings={"$cache": True})
    del schema["actions"]["get"]["cache"]
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1})
    await broker.call("posts.get", {"id": 1})
    assert len(calls) == 1


async def test_without_a_cacher_cache_options_are_ignored(start_broker):
    schema, calls = counted(True)
    broker = await start_broker(schema)
    await broker.call("posts.get", {"id": 1})
    await broker.call("posts.get", {"id": 1})
    assert len(calls) == 2


async def test_cache_ttl_is_in_seconds(start_broker):
    now = [1000.0]
    schema, calls = counted({"ttl": 5})
    broker = await start_broker(schema, cacher=MemoryCacher(clock=lambda: now[0]))
    await broker.call("posts.get", {"id": 1})
    now[0] += 4.9
    await broker.call("posts.get", {"id": 1})
    assert len(calls) == 1
    now[0] += 0.2
    await broker.call("posts.get", {"id": 1})
    assert len(calls) == 2


async def test_a_cache_hit_skips_the_action_hooks(start_broker):
    """The Cacher wraps the ActionHook middleware, as in Moleculer: a hit never reaches the hooks."""
    schema, _calls = counted(True)
    hooks: list[str] = []
    schema["hooks"] = {"before": {"*": lambda self, ctx: hooks.append("before")}}
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1})
    await broker.call("posts.get", {"id": 1})
    assert hooks == ["before"]


async def test_cacher_wraps_the_validator_as_in_moleculer(start_broker):
    """Moleculer's chain is ``Cacher → Bulkhead → Validator``: a hit answers before validation, a miss is checked."""
    schema, calls = counted({"keys": ["q"]})
    schema["actions"]["get"]["params"] = {"id": "number", "q": "string"}
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1, "q": "x"})
    assert await broker.call("posts.get", {"id": "bad", "q": "x"}) == {"id": 1, "n": 1}
    with pytest.raises(ValidationError):
        await broker.call("posts.get", {"id": "bad", "q": "y"})
    assert len(calls) == 1


async def test_cacher_clean_through_the_broker(start_broker):
    schema, calls = counted(True)
    broker = await start_broker(schema, cacher="Memory")
    await broker.call("posts.get", {"id": 1})
    await broker.cacher.clean("posts.**")
    await broker.call("posts.get", {"id": 1})
    assert len(calls) == 2


async def test_stop_closes_the_cacher(make_broker):
    closed: list[bool] = []

    class Tracking(MemoryCacher):
        async def close(self) -> None:
            closed.append(True)
            await super().close()

    broker = make_broker(cacher=Tracking())
    await broker.start()
    await broker.stop()
    assert closed == [True]
