"""Broker and service lifecycle: created, started (parallel, dependencies), stopped, and waiting for services."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from broker import ServiceBroker
from broker.errors import MoleculerError, MoleculerServerError, ServiceNotFoundError, ServiceSchemaError


def ping_service(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "actions": {"ping": lambda self, ctx: f"pong from {self.name}"}, **extra}


# -- created ---------------------------------------------------------------------------------------------------


def test_created_runs_synchronously_at_create_service(make_broker):
    seen: list[Any] = []
    broker = make_broker()
    broker.create_service(
        {"name": "a", "settings": {"x": 1}, "created": lambda self: seen.append(self.settings)}
    )
    assert seen == [{"x": 1}]


def test_created_sees_methods_and_logger_already_set(make_broker):
    seen: dict[str, Any] = {}

    def created(self: Any) -> None:
        seen.update(helper=self.helper(), logger=self.logger.name, broker=self.broker, full=self.full_name)

    broker = make_broker(
        {"name": "a", "version": 1, "created": created, "methods": {"helper": lambda self: 7}}
    )
    assert seen["helper"] == 7 and seen["broker"] is broker and seen["full"] == "v1.a"
    assert seen["logger"].endswith("v1_a")


def test_async_created_is_a_schema_error_and_runs_nothing(make_broker):
    ran: list[str] = []

    async def created(self: Any) -> None:
        ran.append("async")

    schema = {"name": "a", "created": [lambda self: ran.append("sync"), created]}
    with pytest.raises(ServiceSchemaError, match="created"):
        make_broker(schema)
    assert ran == []


def test_created_returning_a_coroutine_is_a_schema_error(make_broker):
    async def later() -> None: ...

    with pytest.raises(ServiceSchemaError, match="created"):
        make_broker({"name": "a", "created": lambda self: later()})


# -- started ---------------------------------------------------------------------------------------------------


async def test_started_handlers_run_sequentially_in_merge_order(start_broker):
    log: list[str] = []

    async def slow_mixin_start(self: Any) -> None:
        log.append("mixin-begin")
        await asyncio.sleep(0.005)
        log.append("mixin-end")

    await start_broker(
        {"name": "a", "mixins": [{"started": slow_mixin_start}], "started": lambda s: log.append("svc")}
    )
    assert log == ["mixin-begin", "mixin-end", "svc"]


async def test_started_receives_no_arguments_and_sync_is_allowed(start_broker):
    seen: list[Any] = []
    await start_broker({"name": "a", "started": lambda self: seen.append(self.name)})
    assert seen == ["a"]


async def test_services_start_in_parallel(start_broker):
    """Each ``started`` waits for the other to have begun: only a parallel start can finish."""
    began = {"a": asyncio.Event(), "b": asyncio.Event()}

    def handshake(me: str, other: str) -> Any:
        async def started(self: Any) -> None:
            began[me].set()
            await asyncio.wait_for(began[other].wait(), 1)

        return started

    await start_broker(
        {"name": "a", "started": handshake("a", "b")}, {"name": "b", "started": handshake("b", "a")}
    )


async def test_a_service_is_callable_only_after_started_finished(make_broker):
    release = asyncio.Event()
    in_started = asyncio.Event()

    async def started(self: Any) -> None:
        in_started.set()
        await release.wait()

    broker = make_broker(ping_service("slow", started=started))
    starting = asyncio.create_task(broker.start())
    await in_started.wait()
    with pytest.raises(ServiceNotFoundError):
        await broker.call("slow.ping")
    assert not broker.registry.has_service("slow")
    release.set()
    await starting
    assert await broker.call("slow.ping") == "pong from slow"


async def test_dependencies_wait_for_the_dependency_to_start(start_broker):
    log: list[str] = []
    release = asyncio.Event()

    async def db_started(self: Any) -> None:
        await asyncio.sleep(0.005)
        log.append("db")

    async def api_started(self: Any) -> None:
        log.append("api:" + await self.broker.call("db.ping"))

    await start_broker(
        ping_service("api", dependencies=["db"], started=api_started), ping_service("db", started=db_started)
    )
    release.set()
    assert log == ["db", "api:pong from db"]


async def test_versioned_dependency_by_dict(start_broker):
    log: list[str] = []
    await start_broker(
        {
            "name": "api",
            "dependencies": [{"name": "db", "version": 2}],
            "started": lambda s: log.append("api"),
        },
        {"name": "db", "version": 2, "started": lambda s: log.append("db")},
    )
    assert log == ["db", "api"]


async def test_dependency_timeout_setting_fails_start(make_broker):
    broker = make_broker({"name": "api", "dependencies": ["missing"], "settings": {"$dependencyTimeout": 20}})
    with pytest.raises(MoleculerServerError) as info:
        await broker.start()
    assert info.value.type == "WAITFOR_SERVICES"
    assert info.value.data["statuses"] == [{"name": "missing", "available": False}]


async def test_broker_dependency_timeout_option(make_broker):
    broker = make_broker({"name": "api", "dependencies": ["missing"]}, dependency_timeout=20)
    with pytest.raises(MoleculerServerError, match="Services waiting is timed out"):
        await broker.start()


async def test_failing_started_rejects_start_but_others_finish_and_register(make_broker):
    """Reference §2.3 [observed]: ``ok``, ``bad`` (fails), ``slow`` (finishes later, still registers)."""

    async def bad_started(self: Any) -> None:
        await asyncio.sleep(0.005)
        raise MoleculerError("boom")

    async def slow_started(self: Any) -> None:
        await asyncio.sleep(0.02)

    broker = make_broker(
        ping_service("ok"),
        ping_service("bad", started=bad_started),
        ping_service("slow", started=slow_started),
    )
    with pytest.raises(MoleculerError, match="boom"):
        await broker.start()
    assert broker.started is False
    assert broker.registry.has_service("ok")
    assert not broker.registry.has_service("bad")
    await broker.wait_for_services(["slow"], timeout=1000)
    assert await broker.call("slow.ping") == "pong from slow"
    await broker.stop()


async def test_every_failed_start_is_logged_and_none_is_left_unretrieved(make_broker, caplog):
    async def bad(self: Any) -> None:
        raise RuntimeError(f"{self.name} failed")

    broker = make_broker({"name": "a", "started": bad}, {"name": "b", "started": bad}, logger=True)
    with pytest.raises(RuntimeError, match="failed"):
        await broker.start()
    await asyncio.sleep(0)
    gc.collect()
    assert "a failed" in caplog.text and "b failed" in caplog.text
    assert "never retrieved" not in caplog.text
    await broker.stop()


async def test_service_created_after_start_is_started(start_broker):
    broker = await start_broker()
    started = asyncio.Event()
    broker.create_service(ping_service("late", started=lambda self: started.set()))
    await broker.wait_for_services("late", timeout=500)
    assert started.is_set()
    assert await broker.call("late.ping") == "pong from late"


# -- stop ------------------------------------------------------------------------------------------------------


async def test_stopped_handlers_run_in_reverse_merge_order(start_broker):
    log: list[str] = []
    broker = await start_broker(
        {
            "name": "a",
            "mixins": [{"stopped": lambda s: log.append("mixin")}],
            "stopped": lambda s: log.append("svc"),
        }
    )
    await broker.stop()
    assert log == ["svc", "mixin"]


async def test_stop_unregisters_before_stopped_handlers_run(start_broker):
    seen: list[str] = []

    async def stopped(self: Any) -> None:
        try:
            await self.broker.call("a.ping")
        except ServiceNotFoundError:
            seen.append("not-found")

    broker = await start_broker(ping_service("a", stopped=stopped))
    await broker.stop()
    assert seen == ["not-found"]


async def test_services_stop_in_parallel(start_broker):
    began = {"a": asyncio.Event(), "b": asyncio.Event()}

    def handshake(me: str, other: str) -> Any:
        async def stopped(self: Any) -> None:
            began[me].set()
            await asyncio.wait_for(began[other].wait(), 1)

        return stopped

    broker = await start_broker(
        {"name": "a", "stopped": handshake("a", "b")}, {"name": "b", "stopped": handshake("b", "a")}
    )
    await broker.stop()
    assert all(e.is_set() for e in began.values())


async def test_failing_stopped_is_logged_and_the_rest_still_stop(start_broker, caplog):
    log: list[str] = []

    def failing(self: Any) -> None:
        raise RuntimeError("cannot close")

    broker = await start_broker(
        {"name": "a", "mixins": [{"stopped": lambda s: log.append("mixin")}], "stopped": failing},
        {"name": "b", "stopped": lambda s: log.append("b")},
        logger=True,
    )
    await broker.stop()
    assert sorted(log) == ["b", "mixin"]
    assert "cannot close" in caplog.text


async def test_stop_never_raises_and_every_step_still_runs(make_broker, caplog):
    log: list[str] = []

    def broken(broker: Any) -> None:
        raise RuntimeError("hook broke")

    broker = make_broker(
        ping_service("a", stopped=lambda s: log.append("service stopped")),
        middlewares=[{"stopping": broken, "stopped": lambda b: log.append("mw stopped")}],
        stopped=broken,
        logger=True,
    )
    await broker.start()
    await broker.stop()
    assert log == ["service stopped", "mw stopped"]
    assert not broker.registry.has_service("a") and not broker.stopping
    failures = [r for r in caplog.records if r.exc_info and str(r.exc_info[1]) == "hook broke"]
    assert len(failures) == 2


async def test_async_context_manager_starts_and_stops(make_broker):
    log: list[str] = []
    broker = make_broker(
        ping_service("a", started=lambda s: log.append("start"), stopped=lambda s: log.append("stop"))
    )
    async with broker as running:
        assert running is broker and broker.started
        assert await broker.call("a.ping") == "pong from a"
    assert log == ["start", "stop"]
    assert not broker.started


async def test_destroy_service_stops_and_removes_it(start_broker):
    log: list[str] = []
    broker = await start_broker(ping_service("a", stopped=lambda s: log.append("stopped")), ping_service("b"))
    await broker.destroy_service("a")
    assert log == ["stopped"]
    assert broker.get_local_service("a") is None
    with pytest.raises(ServiceNotFoundError):
        await broker.call("a.ping")
    assert await broker.call("b.ping") == "pong from b"


async def test_broker_can_restart_after_stop(start_broker):
    broker = await start_broker(ping_service("a"))
    await broker.stop()
    await broker.start()
    assert await broker.call("a.ping") == "pong from a"


async def test_broker_option_callbacks(make_broker):
    log: list[str] = []
    broker = make_broker(
        created=lambda b: log.append("created"),
        started=lambda b: log.append("started"),
        stopped=lambda b: log.append("stopped"),
    )
    assert log == ["created"]
    await broker.start()
    await broker.stop()
    assert log == ["created", "started", "stopped"]


# -- internal events ---------------------------------------------------------------------------------------------


async def test_services_changed_and_broker_started_events(start_broker):
    got: list[tuple[str, Any]] = []
    done = asyncio.Event()

    def record(self: Any, ctx: Any) -> None:
        got.append((ctx.event_name, ctx.params))
        if ctx.event_name == "$broker.started":
            done.set()

    await start_broker(
        {"name": "watcher", "events": {"$services.changed": record, "$broker.started": record}},
        ping_service("other"),
    )
    await asyncio.wait_for(done.wait(), 1)
    await asyncio.sleep(0)
    assert ("$broker.started", {}) in got
    assert ("$services.changed", {"localService": True}) in got


# -- waiting for services --------------------------------------------------------------------------------------


async def test_wait_for_services_resolves_with_statuses(start_broker):
    broker = await start_broker(ping_service("a"), ping_service("b"))
    result = await broker.wait_for_services(["a", "b"])
    assert result == {
        "services": ["a", "b"],
        "statuses": [{"name": "a", "available": True}, {"name": "b", "available": True}],
    }


async def test_wait_for_services_is_event_driven_not_polled(start_broker):
    broker = await start_broker(dependency_interval=60_000)
    waiter = asyncio.create_task(broker.wait_for_services(["late"]))
    await asyncio.sleep(0.005)
    assert not waiter.done()
    broker.create_service(ping_service("late"))
    await asyncio.wait_for(waiter, 0.5)


async def test_wait_for_services_times_out_with_waitfor_services(start_broker):
    broker = await start_broker(ping_service("a"))
    with pytest.raises(MoleculerServerError) as info:
        await broker.wait_for_services(["a", "nope"], timeout=20)
    err = info.value
    assert (err.code, err.type, err.retryable) == (500, "WAITFOR_SERVICES", True)
    assert err.data == {
        "services": ["a", "nope"],
        "statuses": [{"name": "a", "available": True}, {"name": "nope", "available": False}],
    }


async def test_service_wait_for_services_helper(start_broker):
    broker = await start_broker(ping_service("a"))
    svc = broker.get_local_service("a")
    assert (await svc.wait_for_services("a"))["services"] == ["a"]


@pytest.mark.parametrize(
    "schemas",
    [
        [{"name": "users", "dependencies": ["posts"]}, {"name": "posts", "dependencies": ["users"]}],
        [
            {"name": "a", "dependencies": ["b"]},
            {"name": "b", "dependencies": ["c"]},
            {"name": "c", "dependencies": ["a"]},
        ],
        [{"name": "self", "dependencies": ["self"]}],
        [
            {"name": "a", "version": 2, "dependencies": ["b"]},
            {"name": "b", "dependencies": [{"name": "a", "version": 2}]},
        ],
    ],
    ids=["two", "three", "self", "versioned"],
)
async def test_circular_local_dependencies_are_refused_at_start(make_broker, schemas):
    broker = make_broker(*schemas)
    with pytest.raises(ServiceSchemaError, match="Circular service dependencies") as info:
        await asyncio.wait_for(broker.start(), 1)
    assert "wait_for_services" in info.value.message
    assert info.value.data["cycle"][0] == info.value.data["cycle"][-1]


async def test_recommended_pattern_dependency_one_way_and_background_wait(start_broker):
    """The doc's way out of a deadlock: ``users`` depends on ``posts``; ``posts`` waits in a background task."""
    ready = asyncio.Event()

    async def wait_for_users(self: Any) -> None:
        await self.wait_for_services(["users"])
        self.users_answer = await self.broker.call("users.ping")
        ready.set()

    def posts_started(self: Any) -> None:
        self.waiter = asyncio.create_task(wait_for_users(self))

    broker = await start_broker(
        ping_service("users", dependencies=["posts"]), ping_service("posts", started=posts_started)
    )
    await asyncio.wait_for(ready.wait(), 1)
    assert broker.get_local_service("posts").users_answer == "pong from users"


def test_get_local_service_by_name_full_name_and_version(make_broker):
    broker = make_broker(
        {"name": "posts", "version": 2}, {"name": "posts", "version": "staging"}, {"name": "users"}
    )
    assert broker.get_local_service("v2.posts").version == 2
    assert broker.get_local_service("staging.posts").version == "staging"
    assert broker.get_local_service("posts", 2).full_name == "v2.posts"
    assert broker.get_local_service({"name": "posts", "version": "staging"}).full_name == "staging.posts"
    assert broker.get_local_service("users").full_name == "users"
    assert broker.get_local_service("nope") is None


def test_no_version_prefix_setting(make_broker):
    broker = make_broker({"name": "posts", "version": 2, "settings": {"$noVersionPrefix": True}})
    assert broker.get_local_service("posts").full_name == "posts"


def test_broker_defaults():
    broker = ServiceBroker(logger=False)
    assert (broker.namespace, broker.request_timeout, broker.max_call_level) == ("", 0, 0)
    assert (broker.dependency_interval, broker.dependency_timeout) == (1000, 0)
    assert broker.retry_policy["enabled"] is False and broker.retry_policy["retries"] == 5
    assert broker.node_id and broker.cacher is None and broker.validator is not None
