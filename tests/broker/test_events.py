"""Events: balanced emit (one handler per group), broadcast, wildcards, groups, errors and the event context."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from broker import Context
from broker.errors import MoleculerError


def listener(name: str, log: list[Any], event: str = "user.created", **event_opts: Any) -> dict[str, Any]:
    def handler(self: Any, ctx: Context) -> None:
        log.append((self.name, ctx.event_name, ctx.params))

    definition = {"handler": handler, **event_opts} if event_opts else handler
    return {"name": name, "events": {event: definition}}


async def test_emit_reaches_one_handler_per_group(start_broker):
    log: list[Any] = []
    broker = await start_broker(listener("mail", log), listener("audit", log))
    assert await broker.emit("user.created", {"id": 1}) is True
    assert sorted(log) == [("audit", "user.created", {"id": 1}), ("mail", "user.created", {"id": 1})]


async def test_emit_balances_round_robin_within_a_group(start_broker):
    seen: list[Any] = []
    worker = {"name": "worker", "events": {"job.ready": lambda self, ctx: seen.append(self)}}
    other = {"name": "other", "events": {"job.ready": lambda self, ctx: seen.append("other")}}
    broker = await start_broker(worker, worker, other)
    first, second = broker.services[0], broker.services[1]
    for _ in range(4):
        await broker.emit("job.ready")
    assert [s for s in seen if s != "other"] == [first, second, first, second]
    assert seen.count("other") == 4


async def test_services_sharing_an_explicit_group_share_the_load(start_broker):
    log: list[Any] = []
    broker = await start_broker(listener("a", log, group="pool"), listener("b", log, group="pool"))
    for _ in range(4):
        await broker.emit("user.created")
    assert [entry[0] for entry in log] == ["a", "b", "a", "b"]


async def test_broadcast_reaches_every_handler(start_broker):
    log: list[Any] = []
    broker = await start_broker(listener("worker", log), listener("worker", log), listener("other", log))
    assert await broker.broadcast("user.created", {"id": 2}) is True
    assert sorted(entry[0] for entry in log) == ["other", "worker", "worker"]


@pytest.mark.parametrize(
    ("pattern", "event_name", "delivered"),
    [
        ("user.*", "user.created", True),
        ("user.*", "user.a.b", False),
        ("user.**", "user.a.b", True),
        ("user.**", "user", False),
        ("user.???ated", "user.created", True),
        ("*", "a.b", False),
        ("user*", "users.created", False),
        ("user**", "users.created", True),
        ("user.*.created", "user.a.created", True),
        ("**", "anything.at.all", True),
    ],
)
async def test_wildcard_subscriptions(start_broker, pattern, event_name, delivered):
    log: list[Any] = []
    broker = await start_broker(listener("l", log, event=pattern))
    await broker.emit(event_name)
    await broker.broadcast(event_name)
    log = [entry for entry in log if not entry[1].startswith("$")]  # "**" also gets the internal events
    assert log == ([("l", event_name, {})] * 2 if delivered else [])


async def test_one_emit_reaches_every_matching_subscription_of_a_group(start_broker):
    """Lists are per (pattern, group): a service with ``user.created`` and ``user.*`` gets both."""
    log: list[str] = []
    broker = await start_broker(
        {
            "name": "s",
            "events": {
                "user.created": lambda self, ctx: log.append("exact"),
                "user.*": lambda self, ctx: log.append("wildcard"),
            },
        }
    )
    await broker.emit("user.created")
    assert sorted(log) == ["exact", "wildcard"]


async def test_internal_dollar_events_are_delivered_locally(start_broker):
    log: list[Any] = []
    broker = await start_broker(listener("l", log, event="$custom.**"))
    await broker.emit("$custom.thing", {"x": 1})
    await broker.broadcast("$custom.other")
    assert log == [("l", "$custom.thing", {"x": 1}), ("l", "$custom.other", {})]


async def test_failing_handler_is_logged_and_never_breaks_emit_or_broadcast(start_broker, caplog):
    log: list[str] = []

    def boom(self: Any, ctx: Context) -> None:
        raise MoleculerError("handler exploded")

    broker = await start_broker(
        {"name": "bad", "events": {"e": boom}},
        {"name": "good", "events": {"e": lambda self, ctx: log.append(ctx.event_type)}},
        logger=True,
    )
    assert await broker.emit("e") is True
    assert await broker.broadcast("e") is True
    assert log == ["emit", "broadcast"]
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2
    assert all("'e' event handler of 'bad'" in r.getMessage() and r.exc_info for r in errors)


async def test_broadcast_with_throw_error_reraises(start_broker):
    def boom(self: Any, ctx: Context) -> None:
        raise MoleculerError("handler exploded")

    broker = await start_broker({"name": "bad", "events": {"e": boom}})
    with pytest.raises(MoleculerError, match="handler exploded"):
        await broker.broadcast("e", throw_error=True)


async def test_emit_swallows_handler_errors_even_with_throw_error(start_broker):
    """Moleculer 0.15: a local handler error is logged and swallowed by ``emit`` even with ``throwError``."""

    def boom(self: Any, ctx: Context) -> None:
        raise MoleculerError("handler exploded")

    broker = await start_broker({"name": "bad", "events": {"e": boom}})
    assert await broker.emit("e", throw_error=True) is True


async def test_groups_filter(start_broker):
    log: list[Any] = []
    broker = await start_broker(listener("mail", log), listener("audit", log), listener("sms", log))
    await broker.emit("user.created", None, "mail")
    await broker.broadcast("user.created", None, groups=["audit", "sms"])
    await broker.emit("user.created", groups=["nobody"])
    assert [entry[0] for entry in log] == ["mail", "audit", "sms"]


async def test_event_group_defaults_to_the_service_name(start_broker):
    seen: list[Any] = []
    broker = await start_broker(
        {"name": "mail", "version": 2, "events": {"e": lambda self, ctx: seen.append(ctx.event.group)}}
    )
    await broker.emit("e", groups="mail")
    assert seen == ["mail"]


async def test_event_context_fields(start_broker):
    seen: list[Context] = []
    broker = await start_broker(
        {"name": "l", "events": {"order.*": lambda self, ctx: seen.append(ctx)}}, node_id="n1"
    )
    await broker.emit("order.paid", {"total": 9}, meta={"user": "u1"})
    await broker.broadcast("order.shipped", [1, 2], groups=["l"])
    emitted, broadcasted = seen
    assert (emitted.event_name, emitted.event_type, emitted.params, emitted.meta) == (
        "order.paid",
        "emit",
        {"total": 9},
        {"user": "u1"},
    )
    assert (broadcasted.event_name, broadcasted.event_type, broadcasted.params, broadcasted.event_groups) == (
        "order.shipped",
        "broadcast",
        [1, 2],
        ["l"],
    )
    assert emitted.node_id == "n1" and emitted.level == 1 and emitted.service is broker.get_local_service("l")
    assert emitted.event.name == "order.*"


async def test_ctx_emit_is_a_child_of_the_calling_context(start_broker):
    seen: list[Context] = []

    async def place(self: Any, ctx: Context) -> str:
        await ctx.emit("order.placed", {"id": 1})
        return ctx.id

    broker = await start_broker(
        {"name": "orders", "actions": {"place": place}},
        {"name": "mail", "events": {"order.placed": lambda self, ctx: seen.append(ctx)}},
    )
    root_id = await broker.call("orders.place", meta={"tenant": "t1"}, request_id="r-1")
    (ctx,) = seen
    assert (ctx.level, ctx.caller, ctx.parent_id, ctx.request_id) == (2, "orders", root_id, "r-1")
    assert ctx.meta == {"tenant": "t1"}


async def test_event_handler_meta_changes_flow_back_to_the_emitting_context(start_broker):
    async def place(self: Any, ctx: Context) -> Any:
        await ctx.broadcast("order.placed")
        return ctx.meta

    def mark(self: Any, ctx: Context) -> None:
        ctx.meta["notified"] = True

    broker = await start_broker(
        {"name": "orders", "actions": {"place": place}}, {"name": "mail", "events": {"order.placed": mark}}
    )
    assert await broker.call("orders.place") == {"notified": True}


async def test_several_handlers_for_one_event_all_run(start_broker):
    log: list[str] = []

    async def second(self: Any, ctx: Context) -> None:
        await asyncio.sleep(0)
        log.append("second")

    broker = await start_broker(
        {"name": "s", "events": {"e": [lambda self, ctx: log.append("first"), second]}}
    )
    await broker.emit("e")
    assert sorted(log) == ["first", "second"]


async def test_event_name_property_overrides_the_key(start_broker):
    log: list[Any] = []
    broker = await start_broker(
        {"name": "s", "events": {"key": {"name": "real.name", "handler": lambda self, ctx: log.append(1)}}}
    )
    await broker.emit("key")
    await broker.emit("real.name")
    assert log == [1]


async def test_event_handler_receives_the_service_as_self(start_broker):
    seen: list[Any] = []
    broker = await start_broker(
        {"name": "s", "settings": {"x": 1}, "events": {"e": lambda self, ctx: seen.append(self.settings)}}
    )
    await broker.emit("e")
    assert seen == [{"x": 1}]


async def test_events_reach_a_service_only_while_it_is_registered(make_broker):
    log: list[Any] = []
    broker = make_broker(listener("l", log))
    await broker.emit("user.created")
    await broker.start()
    await broker.emit("user.created")
    await broker.stop()
    await broker.emit("user.created")
    assert len(log) == 1


async def test_invalid_event_params_skip_the_handler_without_failing_the_emitter(start_broker, caplog):
    log: list[Any] = []
    broker = await start_broker(
        {
            "name": "s",
            "events": {
                "user.created": {
                    "params": {"id": "number"},
                    "handler": lambda self, ctx: log.append(ctx.params),
                }
            },
        },
        logger=True,
    )
    assert await broker.emit("user.created", {"id": "not-a-number"}) is True
    await broker.emit("user.created", {"id": 3})
    assert log == [{"id": 3}]
    assert "Parameters validation error" in caplog.text


async def test_no_subscriber_is_fine(start_broker):
    broker = await start_broker()
    assert await broker.emit("nobody.listens") is True
    assert await broker.broadcast("nobody.listens") is True


async def test_broadcast_local_reaches_every_local_handler(start_broker):
    log: list[Any] = []
    broker = await start_broker(listener("a", log), listener("a", log))
    await broker.broadcast_local("user.created")
    assert len(log) == 2
