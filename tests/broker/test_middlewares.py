"""Middlewares: the three forms, wrapping order, lifecycle hook order (reference §8)."""

from __future__ import annotations

from typing import Any

import pytest

from broker import Context, ServiceBroker
from broker.errors import BrokerOptionsError, ValidationError

LIFECYCLE = (
    "created",
    "starting",
    "started",
    "stopping",
    "stopped",
    "service_creating",
    "service_created",
    "service_starting",
    "service_started",
    "service_stopping",
    "service_stopped",
)


def tracing_middleware(tag: str, log: list[str]) -> dict[str, Any]:
    """A middleware that records every hook it gets, tagged."""

    def local_action(next_handler: Any, act: Any) -> Any:
        async def wrapped(ctx: Context) -> Any:
            log.append(f"{tag}.local_action:{act.name}")
            return await next_handler(ctx)

        return wrapped

    def local_event(next_handler: Any, sub: Any) -> Any:
        async def wrapped(ctx: Context) -> Any:
            log.append(f"{tag}.local_event:{sub.name}")
            return await next_handler(ctx)

        return wrapped

    def call(next_call: Any) -> Any:
        async def wrapped(action_name: str, params: Any = None, **opts: Any) -> Any:
            log.append(f"{tag}.call:{action_name}")
            return await next_call(action_name, params, **opts)

        return wrapped

    def emit(next_emit: Any) -> Any:
        async def wrapped(event_name: str, payload: Any = None, *args: Any, **opts: Any) -> Any:
            log.append(f"{tag}.emit:{event_name}")
            return await next_emit(event_name, payload, *args, **opts)

        return wrapped

    def broadcast(next_broadcast: Any) -> Any:
        async def wrapped(event_name: str, payload: Any = None, *args: Any, **opts: Any) -> Any:
            log.append(f"{tag}.broadcast:{event_name}")
            return await next_broadcast(event_name, payload, *args, **opts)

        return wrapped

    def lifecycle(hook: str) -> Any:
        def record(*args: Any) -> None:
            log.append(f"{tag}.{hook}")

        return record

    async def starting(broker: ServiceBroker) -> None:
        log.append(f"{tag}.starting")

    return {
        "local_action": local_action,
        "local_event": local_event,
        "call": call,
        "emit": emit,
        "broadcast": broadcast,
        **{hook: lifecycle(hook) for hook in LIFECYCLE},
        "starting": starting,
    }


def of(log: list[str], hook: str) -> list[str]:
    return [entry.split(".")[0] for entry in log if entry.split(".", 1)[1].split(":")[0] == hook]


SERVICE = {
    "name": "svc",
    "actions": {"act": lambda self, ctx: "ok"},
    "events": {"ev": lambda self, ctx: None},
}


@pytest.fixture
async def traced(make_broker):
    log: list[str] = []
    broker = make_broker(
        SERVICE,
        middlewares=[tracing_middleware("M1", log), tracing_middleware("M2", log)],
        created=lambda b: log.append("opt.created"),
        started=lambda b: log.append("opt.started"),
        stopped=lambda b: log.append("opt.stopped"),
    )
    return broker, log


async def test_call_hooks_and_local_action_run_last_registered_first(traced):
    broker, log = traced
    await broker.start()
    log.clear()
    assert await broker.call("svc.act") == "ok"
    assert log == ["M2.call:svc.act", "M1.call:svc.act", "M2.local_action:svc.act", "M1.local_action:svc.act"]


async def test_emit_broadcast_and_local_event_hooks(traced):
    broker, log = traced
    await broker.start()
    log.clear()
    await broker.emit("ev")
    await broker.broadcast("ev")
    assert log == [
        "M2.emit:ev",
        "M1.emit:ev",
        "M2.local_event:ev",
        "M1.local_event:ev",
        "M2.broadcast:ev",
        "M1.broadcast:ev",
        "M2.local_event:ev",
        "M1.local_event:ev",
    ]


def test_created_hooks_run_in_registration_order_then_the_option(traced):
    _, log = traced
    assert of(log, "created") == ["M1", "M2", "opt"]
    assert of(log, "service_creating") == ["M1", "M2"]
    assert of(log, "service_created") == ["M1", "M2"]


async def test_start_hooks_run_in_registration_order(traced):
    broker, log = traced
    await broker.start()
    assert of(log, "starting") == ["M1", "M2"]
    assert of(log, "service_starting") == ["M1", "M2"]
    assert of(log, "service_started") == ["M1", "M2"]
    assert of(log, "started") == ["M1", "M2", "opt"]
    assert log.index("M2.starting") < log.index("M1.service_starting")
    assert log.index("M2.service_started") < log.index("M1.started")


async def test_stop_hooks_run_in_reverse_order(traced):
    broker, log = traced
    await broker.start()
    log.clear()
    await broker.stop()
    assert log == [
        "M2.stopping",
        "M1.stopping",
        "M2.service_stopping",
        "M1.service_stopping",
        "M2.service_stopped",
        "M1.service_stopped",
        "M2.stopped",
        "M1.stopped",
        "opt.stopped",
    ]


async def test_validation_rejects_before_user_local_action_wrappers(make_broker):
    log: list[str] = []
    broker = make_broker(
        {
            "name": "math",
            "actions": {"add": {"params": {"a": "number"}, "handler": lambda self, ctx: ctx.params["a"]}},
        },
        middlewares=[tracing_middleware("M1", log), tracing_middleware("M2", log)],
    )
    await broker.start()
    log.clear()
    with pytest.raises(ValidationError):
        await broker.call("math.add", {"a": "x"})
    assert log == ["M2.call:math.add", "M1.call:math.add"]


async def test_factory_middleware_is_called_with_the_broker(start_broker):
    got: list[Any] = []

    def factory(broker: ServiceBroker) -> dict[str, Any]:
        got.append(broker)

        def local_action(next_handler: Any, act: Any) -> Any:
            async def doubled(ctx: Context) -> Any:
                return 2 * await next_handler(ctx)

            return doubled

        return {"local_action": local_action}

    broker = await start_broker({"name": "s", "actions": {"n": lambda self, ctx: 21}}, middlewares=[factory])
    assert got == [broker]
    assert await broker.call("s.n") == 42


async def test_object_middleware_with_methods(start_broker):
    class Stamp:
        def __init__(self) -> None:
            self.calls = 0

        def call(self, next_call: Any) -> Any:
            async def wrapped(action_name: str, params: Any = None, **opts: Any) -> Any:
                self.calls += 1
                opts.setdefault("meta", {})["stamped"] = True
                return await next_call(action_name, params, **opts)

            return wrapped

    stamp = Stamp()
    broker = await start_broker(
        {"name": "s", "actions": {"meta": lambda self, ctx: ctx.meta}}, middlewares=[stamp]
    )
    assert await broker.call("s.meta") == {"stamped": True}
    assert stamp.calls == 1


async def test_class_middleware_is_instantiated_with_the_broker(start_broker):
    class Counter:
        def __init__(self, broker: ServiceBroker) -> None:
            self.broker = broker

        def local_action(self, next_handler: Any, act: Any) -> Any:
            async def wrapped(ctx: Context) -> Any:
                return (await next_handler(ctx), self.broker.node_id)

            return wrapped

    broker = await start_broker(
        {"name": "s", "actions": {"x": lambda self, ctx: 1}}, middlewares=[Counter], node_id="n9"
    )
    assert await broker.call("s.x") == (1, "n9")


def test_invalid_middleware_is_a_broker_options_error():
    with pytest.raises(BrokerOptionsError):
        ServiceBroker(logger=False, middlewares=["NoSuchBuiltin"])


async def test_local_action_wrapper_sees_the_action_definition(start_broker):
    seen: list[tuple[str, str, str, Any]] = []

    def local_action(next_handler: Any, act: Any) -> Any:
        seen.append((act.name, act.raw_name, act.service.name, act.get("custom")))
        return next_handler

    await start_broker(
        {"name": "s", "version": 2, "actions": {"a": {"custom": 7, "handler": lambda s, c: 1}}},
        middlewares=[{"local_action": local_action}],
    )
    assert seen == [("v2.s.a", "a", "s", 7)]


async def test_wrapper_returning_none_keeps_the_handler(start_broker):
    broker = await start_broker(
        {"name": "s", "actions": {"a": lambda s, c: "same"}},
        middlewares=[{"local_action": lambda next_handler, act: None}],
    )
    assert await broker.call("s.a") == "same"


async def test_local_action_wraps_self_actions_calls_but_call_hooks_do_not(start_broker):
    log: list[str] = []

    async def outer(self: Any, ctx: Context) -> Any:
        return await self.actions.inner(parent_ctx=ctx)

    broker = await start_broker(
        {"name": "s", "actions": {"outer": outer, "inner": lambda s, c: "in"}},
        middlewares=[tracing_middleware("M", log)],
    )
    log.clear()
    assert await broker.call("s.outer") == "in"
    assert log == ["M.call:s.outer", "M.local_action:s.outer", "M.local_action:s.inner"]


async def test_sub_calls_go_through_call_hooks(start_broker):
    log: list[str] = []

    async def outer(self: Any, ctx: Context) -> Any:
        return await ctx.call("s.inner")

    broker = await start_broker(
        {"name": "s", "actions": {"outer": outer, "inner": lambda s, c: "in"}},
        middlewares=[tracing_middleware("M", log)],
    )
    log.clear()
    await broker.call("s.outer")
    assert [e for e in log if ".call:" in e] == ["M.call:s.outer", "M.call:s.inner"]


async def test_service_creating_may_change_the_schema(start_broker):
    def service_creating(service: Any, schema: dict[str, Any]) -> None:
        schema.setdefault("settings", {})["injected"] = True

    broker = await start_broker({"name": "s"}, middlewares=[{"service_creating": service_creating}])
    assert broker.get_local_service("s").settings == {"injected": True}


async def test_service_lifecycle_hooks_receive_the_service(start_broker):
    got: list[tuple[str, Any]] = []
    hooks = {
        hook: (lambda h: lambda svc: got.append((h, svc.name)))(hook)
        for hook in ("service_created", "service_starting", "service_started")
    }
    await start_broker({"name": "s"}, middlewares=[hooks])
    assert got == [("service_created", "s"), ("service_starting", "s"), ("service_started", "s")]


async def test_middleware_can_short_circuit_a_call(start_broker):
    def call(next_call: Any) -> Any:
        async def cached(action_name: str, params: Any = None, **opts: Any) -> Any:
            if action_name == "s.slow":
                return "short-circuit"
            return await next_call(action_name, params, **opts)

        return cached

    broker = await start_broker(
        {"name": "s", "actions": {"slow": lambda s, c: "real"}}, middlewares=[{"call": call}]
    )
    assert await broker.call("s.slow") == "short-circuit"
