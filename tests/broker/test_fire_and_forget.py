"""Fire and forget (issue 7, item 1): ``emit``/``broadcast``/``clean`` start when called, ``await`` is optional.

Ported JavaScript calls ``ctx.emit("order.created", data)`` without ``await``; in Moleculer the event is still
delivered. These tests pin the same behaviour: delivery starts at the call, ``stop`` waits for deliveries under
way, no "coroutine ... was never awaited" warning, and no "Task exception was never retrieved".
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from typing import Any

import pytest

from broker import Context, ServiceBroker
from broker.cacher import MISSING, Cacher, MemoryCacher
from broker.errors import MoleculerError


def recorder(log: list[Any], event: str = "order.created", name: str = "audit") -> dict[str, Any]:
    async def handler(self: Any, ctx: Context) -> None:
        await asyncio.sleep(0)  # a real await: the delivery cannot finish inside the emitting call
        log.append((ctx.event_name, ctx.params))

    return {"name": name, "events": {event: handler}}


def orders(method: str = "emit") -> dict[str, Any]:
    """An action that emits the JavaScript way: without ``await``."""

    def create(self: Any, ctx: Context) -> str:
        getattr(ctx, method)("order.created", {"id": ctx.params["id"]})
        return "created"

    return {"name": "orders", "actions": {"create": create}}


@pytest.fixture
async def loop_errors() -> Any:
    """Every context the running loop's exception handler receives (e.g. 'Task exception was never retrieved')."""
    seen: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    yield seen
    loop.set_exception_handler(previous)


@pytest.mark.parametrize("method", ["emit", "broadcast"])
async def test_unawaited_ctx_emit_in_an_action_is_delivered(start_broker, method):
    log: list[Any] = []
    broker = await start_broker(orders(method), recorder(log))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert await broker.call("orders.create", {"id": 7}) == "created"
        await broker.events.drain(1000)
        gc.collect()
    assert log == [("order.created", {"id": 7})]
    assert [w for w in caught if "never awaited" in str(w.message)] == []


@pytest.mark.parametrize("method", ["emit", "broadcast", "broadcast_local"])
async def test_unawaited_broker_events_are_delivered(start_broker, method):
    log: list[Any] = []
    broker = await start_broker(recorder(log))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(broker, method)("order.created", {"id": 1})
        assert log == []  # started, not finished: the handler awaits
        await broker.events.drain(1000)
        gc.collect()
    assert log == [("order.created", {"id": 1})]
    assert [w for w in caught if "never awaited" in str(w.message)] == []


async def test_events_emitted_just_before_stop_are_delivered(make_broker):
    log: list[Any] = []
    broker = make_broker(orders(), recorder(log))
    await broker.start()
    await broker.call("orders.create", {"id": 1})
    broker.emit("order.created", {"id": 2})
    await broker.stop()
    assert sorted(p["id"] for _, p in log) == [1, 2]


async def test_stop_waits_for_events_emitted_by_handlers_being_drained(make_broker):
    log: list[Any] = []

    def relay(self: Any, ctx: Context) -> None:
        ctx.emit("order.created", {"id": "relayed"})

    broker = make_broker({"name": "relay", "events": {"order.placed": relay}}, recorder(log))
    await broker.start()
    broker.emit("order.placed")
    await broker.stop()
    assert log == [("order.created", {"id": "relayed"})]


async def test_stop_drain_is_bounded_and_cancels_what_is_left(make_broker, caplog):
    never = asyncio.Event()
    cancelled: list[bool] = []

    async def stuck(self: Any, ctx: Context) -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    broker = make_broker({"name": "stuck", "events": {"e": stuck}}, logger=True, event_drain_timeout=1)
    await broker.start()
    broker.emit("e")
    with caplog.at_level(logging.WARNING):
        await broker.events.drain(1)
    assert cancelled == [True]  # the handler saw its cancellation before drain returned
    assert not broker.events.pending
    assert any("still running" in r.getMessage() for r in caplog.records)
    broker.emit("e")
    await broker.stop()  # stop drains with event_drain_timeout, so it returns although the handler never ends
    assert cancelled == [True, True]


async def test_awaiting_still_waits_for_the_handlers(start_broker):
    log: list[Any] = []
    broker = await start_broker(recorder(log), recorder(log, name="mail"))
    assert await broker.emit("order.created", {"id": 3}) is True
    assert len(log) == 2
    assert await broker.broadcast("order.created", {"id": 4}) is True
    assert len(log) == 4


async def test_throw_error_still_reraises_when_awaited(start_broker):
    def boom(self: Any, ctx: Context) -> None:
        raise MoleculerError("handler exploded")

    broker = await start_broker({"name": "bad", "events": {"e": boom}}, {"name": "ok", "events": {"e": boom}})
    with pytest.raises(MoleculerError, match="handler exploded"):
        await broker.broadcast("e", throw_error=True)


async def test_unawaited_failures_are_logged_never_unretrieved(make_broker, loop_errors, caplog):
    def boom(self: Any, ctx: Context) -> None:
        raise MoleculerError("handler exploded")

    broker = make_broker({"name": "bad", "events": {"e": boom}}, logger=True)
    await broker.start()
    with caplog.at_level(logging.ERROR):
        broker.broadcast("e", throw_error=True)
        broker.emit("e")
        await broker.events.drain(1000)
        gc.collect()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2  # one per delivery, on the service's logger, and not logged a second time
    assert all("'e' event handler of 'bad'" in r.getMessage() for r in errors)
    assert loop_errors == []


async def test_emit_middlewares_still_wrap_and_unawaited_emits_still_start(make_broker, loop_errors, caplog):
    seen: list[str] = []

    def emit_hook(next_emit: Any) -> Any:
        async def wrapped(event_name: str, payload: Any = None, *args: Any, **opts: Any) -> Any:
            seen.append(f"mw:{event_name}")
            if event_name == "refused":
                raise MoleculerError("refused by middleware")
            return await next_emit(event_name, payload, *args, **opts)

        return wrapped

    log: list[Any] = []
    broker = make_broker(recorder(log), middlewares=[{"emit": emit_hook}], logger=True)
    await broker.start()
    assert await broker.emit("order.created", {"id": 1}) is True
    broker.emit("order.created", {"id": 2})
    with caplog.at_level(logging.ERROR):
        broker.emit("refused")
        await broker.events.drain(1000)
        gc.collect()
    assert seen == ["mw:order.created", "mw:order.created", "mw:refused"]
    assert [p["id"] for _, p in log] == [1, 2]
    assert any("refused by middleware" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert loop_errors == []


async def test_unawaited_memory_cacher_clean_and_delete_act_at_once() -> None:
    cacher = MemoryCacher()
    await cacher.set("posts.find:a", 1)
    await cacher.set("posts.get:b", 2)
    await cacher.set("users.get:c", 3)
    cacher.delete("posts.get:b")
    assert await cacher.get("posts.get:b") is MISSING
    cacher.clean("posts.**")
    assert list(cacher.cache) == ["users.get:c"]
    assert await cacher.clean() is None  # still awaitable
    assert cacher.cache == {}


class SlowBackend(Cacher):
    """An async backend written the natural way (``async def``): the base class makes it start when called."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Any] = []

    async def get(self, key: str) -> Any:
        return MISSING

    async def set(self, key: str, data: Any, ttl: float | None = None) -> None:
        return None

    async def delete(self, key: Any) -> None:
        self.log.append(("delete", key))

    async def clean(self, pattern: Any = "**") -> None:
        await asyncio.sleep(0)
        self.log.append(("clean", pattern))


async def test_async_backend_clean_and_delete_start_when_called_with_a_broker(make_broker):
    backend = SlowBackend()
    broker = make_broker(cacher=backend)
    await broker.start()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend.clean("posts.**")
        backend.delete("k")
        await broker.stop()  # waits for the work under way
        gc.collect()
    assert backend.log == [("delete", "k"), ("clean", "posts.**")]
    assert [w for w in caught if "never awaited" in str(w.message)] == []


async def test_async_backend_without_a_broker_still_starts_and_awaiting_waits() -> None:
    backend = SlowBackend()
    pending = backend.clean("a.**")
    await backend.clean("b.**")
    await pending
    assert backend.log == [("clean", "a.**"), ("clean", "b.**")]


async def test_a_failing_unawaited_clean_is_logged(make_broker, loop_errors, caplog):
    class Broken(SlowBackend):
        async def clean(self, pattern: Any = "**") -> None:
            raise RuntimeError("redis is down")

    broker: ServiceBroker = make_broker(cacher=Broken(), logger=True)
    await broker.start()
    with caplog.at_level(logging.ERROR):
        broker.cacher.clean("x.**")
        await broker.events.drain(1000)
        gc.collect()
    assert any("redis is down" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert loop_errors == []


async def test_a_delivery_that_never_suspends_is_done_when_emit_returns(start_broker):
    log: list[Any] = []
    broker = await start_broker({"name": "s", "events": {"e": lambda self, ctx: log.append(ctx.params)}})
    result = broker.emit("e", 1)
    assert log == [1]  # ran inside the call, as a JavaScript handler runs up to its first await
    assert not broker.events.pending
    assert await result is True


async def test_a_suspended_delivery_resumes_on_the_future_it_awaits(start_broker):
    gate = asyncio.Event()
    log: list[str] = []

    async def waiter(self: Any, ctx: Context) -> None:
        log.append("before")
        await gate.wait()
        log.append("after")

    broker = await start_broker({"name": "s", "events": {"e": waiter}})
    pending = broker.emit("e")
    assert log == ["before"] and len(broker.events.pending) == 1
    gate.set()
    assert await pending is True
    assert log == ["before", "after"] and not broker.events.pending


async def test_handler_context_variables_do_not_leak_into_the_emitter(start_broker):
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="caller")

    def setter(self: Any, ctx: Context) -> None:
        var.set("handler")

    broker = await start_broker({"name": "s", "events": {"e": setter}})
    await broker.emit("e")
    assert var.get() == "caller"
