"""Class-form services converge to the same schema and merge rules as dict schemas."""

from __future__ import annotations

from typing import Any

import pytest

from broker import Context, Service, action, event
from broker.errors import ServiceNotFoundError, ServiceSchemaError, ValidationError
from broker.schema import schema_from_class


class Posts(Service):
    name = "posts"
    version = 2
    settings = {"limit": 10}
    dependencies = []

    @action(params={"id": "number"}, cache=True, rest="GET /:id", visibility="public")
    async def get(self, ctx: Context) -> dict[str, Any]:
        return {"id": ctx.params["id"], "title": self.title_of(ctx.params["id"])}

    @action
    def count(self, ctx: Context) -> int:
        return self.settings["limit"]

    @action(name="list-all")
    def list_all(self, ctx: Context) -> list[int]:
        return [1, 2]

    @event("user.*", group="mail")
    def on_user(self, ctx: Context) -> None:
        self.seen.append(ctx.event_name)

    def title_of(self, pid: int) -> str:
        return f"Post {pid}"

    def created(self) -> None:
        self.seen: list[str] = []


def test_schema_from_class_collects_every_part():
    schema = schema_from_class(Posts)
    assert (schema["name"], schema["version"], schema["settings"]) == ("posts", 2, {"limit": 10})
    assert set(schema["actions"]) == {"get", "count", "list-all"}
    get = schema["actions"]["get"]
    assert (get["params"], get["cache"], get["rest"], get["visibility"]) == (
        {"id": "number"},
        True,
        "GET /:id",
        "public",
    )
    assert get["handler"] is Posts.get
    assert schema["events"]["user.*"]["group"] == "mail"
    assert schema["methods"] == {"title_of": Posts.title_of}
    assert schema["created"] is Posts.created


async def test_class_service_is_callable_like_a_dict_one(start_broker):
    broker = await start_broker(Posts)
    assert await broker.call("v2.posts.get", {"id": 5}) == {"id": 5, "title": "Post 5"}
    assert await broker.call("v2.posts.count") == 10
    assert await broker.call("v2.posts.list-all") == [1, 2]


async def test_class_service_instance_is_of_the_class(start_broker):
    broker = await start_broker(Posts)
    svc = broker.get_local_service("v2.posts")
    assert isinstance(svc, Posts)
    assert svc.full_name == "v2.posts"
    assert svc.title_of(3) == "Post 3"
    assert svc.settings == {"limit": 10} and svc.settings is not Posts.settings


async def test_class_params_are_validated(start_broker):
    broker = await start_broker(Posts)
    with pytest.raises(ValidationError):
        await broker.call("v2.posts.get", {"id": "x"})


async def test_class_event_subscription(start_broker):
    broker = await start_broker(Posts)
    await broker.emit("user.created", {"id": 1})
    assert broker.get_local_service("v2.posts").seen == ["user.created"]


async def test_one_method_may_subscribe_several_events(start_broker):
    class Audit(Service):
        name = "audit"

        def created(self) -> None:
            self.log: list[str] = []

        @event("order.paid")
        @event("order.shipped")
        def record(self, ctx: Context) -> None:
            self.log.append(ctx.event_name)

    broker = await start_broker(Audit)
    await broker.emit("order.paid")
    await broker.emit("order.shipped")
    assert broker.get_local_service("audit").log == ["order.paid", "order.shipped"]


async def test_lifecycle_methods_are_plain_methods(start_broker):
    calls: list[str] = []

    class Life(Service):
        name = "life"

        def merged(self, schema: dict[str, Any]) -> None:
            calls.append("merged")

        def created(self) -> None:
            calls.append("created")

        async def started(self) -> None:
            calls.append("started")

        async def stopped(self) -> None:
            calls.append("stopped")

    broker = await start_broker(Life)
    await broker.stop()
    assert calls == ["merged", "created", "started", "stopped"]


async def test_class_with_dict_mixin(start_broker):
    order: list[str] = []
    mixin = {
        "settings": {"limit": 100, "from_mixin": True},
        "started": lambda self: order.append("mixin"),
        "actions": {"hello": lambda self, ctx: f"hello from {self.name}"},
        "methods": {"helper": lambda self: "mixin-helper"},
    }

    class Greeter(Service):
        name = "greeter"
        mixins = [mixin]
        settings = {"limit": 5}

        def started(self) -> None:
            order.append("service")

    broker = await start_broker(Greeter)
    svc = broker.get_local_service("greeter")
    assert svc.settings == {"limit": 5, "from_mixin": True}
    assert order == ["mixin", "service"]
    assert await broker.call("greeter.hello") == "hello from greeter"
    assert svc.helper() == "mixin-helper"


async def test_dict_service_with_class_mixin(start_broker):
    class Timestamps(Service):
        name = "timestamps"
        settings = {"field": "createdAt"}

        @action
        def stamp(self, ctx: Context) -> str:
            return self.settings["field"]

        def now(self) -> int:
            return 42

    broker = await start_broker(
        {"name": "users", "mixins": [Timestamps], "settings": {"field": "created_at"}}
    )
    svc = broker.get_local_service("users")
    assert await broker.call("users.stamp") == "created_at"
    assert svc.now() == 42
    with pytest.raises(ServiceNotFoundError):
        await broker.call("timestamps.stamp")


async def test_class_mixin_of_class_with_action_level_hooks(start_broker):
    log: list[str] = []

    class Base(Service):
        name = "base"

        @action(hooks={"before": lambda self, ctx: log.append("base-before")})
        def act(self, ctx: Context) -> str:
            return "base"

    class Child(Service):
        name = "child"
        mixins = [Base]

        @action(hooks={"before": lambda self, ctx: log.append("child-before")})
        def act(self, ctx: Context) -> str:
            return "child"

    broker = await start_broker(Child)
    assert await broker.call("child.act") == "child"
    assert log == ["base-before", "child-before"]


async def test_python_inheritance_overrides_between_classes(start_broker):
    class Base(Service):
        name = "base"
        settings = {"a": 1, "b": 1}

        @action
        def who(self, ctx: Context) -> str:
            return "base"

        @action
        def shared(self, ctx: Context) -> str:
            return self.who_am_i()

        def who_am_i(self) -> str:
            return "base-method"

    class Derived(Base):
        name = "derived"
        settings = {"a": 2}

        @action
        def who(self, ctx: Context) -> str:
            return "derived"

        def who_am_i(self) -> str:
            return "derived-method"

    broker = await start_broker(Derived)
    assert await broker.call("derived.who") == "derived"
    assert await broker.call("derived.shared") == "derived-method"
    assert broker.get_local_service("derived").settings == {"a": 2}


async def test_class_hooks_as_method_names(start_broker):
    class Guarded(Service):
        name = "guarded"
        hooks = {"before": {"*": "check"}, "after": {"secret": ["redact"]}}

        def check(self, ctx: Context) -> None:
            ctx.meta["checked"] = True

        def redact(self, ctx: Context, res: str) -> str:
            return res.replace("s3cret", "***")

        @action
        def secret(self, ctx: Context) -> str:
            return "pw=s3cret"

    broker = await start_broker(Guarded)
    meta: dict[str, Any] = {}
    assert await broker.call("guarded.secret", meta=meta) == "pw=***"
    assert meta == {"checked": True}


def test_class_and_dict_forms_give_the_same_merged_schema(make_broker):
    def handler(self: Any, ctx: Context) -> int:
        return 1

    base = {"settings": {"x": 1}, "actions": {"a": {"handler": handler, "cache": True}}}

    class AsClass(Service):
        name = "svc"
        mixins = [base]
        settings = {"y": 2}

    as_dict = {"name": "svc", "mixins": [base], "settings": {"y": 2}}
    broker = make_broker()
    from_class = broker.create_service(AsClass)
    broker2 = make_broker()
    from_dict = broker2.create_service(as_dict)
    assert from_class.settings == from_dict.settings == {"y": 2, "x": 1}
    assert from_class.action_definitions["a"].definition == from_dict.action_definitions["a"].definition


def test_class_without_name_is_a_schema_error(make_broker):
    class Nameless(Service):
        @action
        def a(self, ctx: Context) -> None: ...

    with pytest.raises(ServiceSchemaError):
        make_broker().create_service(Nameless)


def test_reserved_method_name_in_a_class_is_refused(make_broker):
    class Bad(Service):
        name = "bad"

        def _start(self) -> None: ...

    with pytest.raises(ServiceSchemaError, match="_start"):
        make_broker().create_service(Bad)


def test_decorated_action_keeps_unknown_options(make_broker):
    class Opts(Service):
        name = "opts"

        @action(timeout=500, retry_policy={"retries": 1}, custom_flag="yes")
        def a(self, ctx: Context) -> None: ...

    definition = make_broker().create_service(Opts).action_definitions["a"].definition
    assert (definition["timeout"], definition["retryPolicy"], definition["custom_flag"]) == (
        500,
        {"retries": 1},
        "yes",
    )
