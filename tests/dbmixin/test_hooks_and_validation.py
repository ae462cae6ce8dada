"""Entity lifecycle hooks, their order around cache cleaning, and entity validation on every write."""

from __future__ import annotations

import pydantic
import pytest

from broker import Service, action
from broker.errors import MoleculerServerError, ValidationError
from dbmixin import DbMixin

from .conftest import posts_schema


def recorder(events: list):
    """A service that records every ``cache.clean.*`` event it receives."""

    async def on_clean(self, ctx):
        events.append(("event", ctx.event_name))

    return {"name": "spy", "events": {"cache.clean.**": on_clean}}


async def test_write_hooks_run_in_moleculer_db_order(make_broker):
    events: list = []

    async def before_create(self, entity, ctx):
        events.append(("before_create", dict(entity)))
        return {**entity, "slug": entity["title"].lower()}

    async def created(self, json, ctx, raw):
        events.append(("created", json["slug"]))

    def before_update(self, params, ctx):
        events.append(("before_update", dict(params)))
        return {**params, "edited": True}

    def updated(self, json, ctx, raw):
        events.append(("updated", json["edited"]))

    def before_remove(self, params, ctx):
        events.append(("before_remove", params["id"]))
        return {"ignored": True}

    def removed(self, json, ctx, raw):
        events.append(("removed", json["title"]))

    schema = posts_schema(
        version=2,
        before_entity_create=before_create,
        entity_created=created,
        before_entity_update=before_update,
        entity_updated=updated,
        before_entity_remove=before_remove,
        entity_removed=removed,
    )
    broker = await make_broker(schema, recorder(events))
    post = await broker.call("v2.posts.create", {"title": "Hi"})
    assert post["slug"] == "hi"
    await broker.call("v2.posts.update", {"id": post["_id"], "title": "Ho"})
    await broker.call("v2.posts.remove", {"id": post["_id"]})
    assert events == [
        ("before_create", {"title": "Hi"}),
        ("event", "cache.clean.v2.posts"),
        ("created", "hi"),
        ("before_update", {"id": post["_id"], "title": "Ho"}),
        ("event", "cache.clean.v2.posts"),
        ("updated", True),
        ("before_remove", post["_id"]),
        ("event", "cache.clean.v2.posts"),
        ("removed", "Ho"),
    ]


async def test_before_hook_returning_none_keeps_the_entity(make_broker):
    schema = posts_schema(before_entity_create=lambda self, entity, ctx: None)
    broker = await make_broker(schema)
    assert (await broker.call("posts.create", {"title": "kept"}))["title"] == "kept"


async def test_batch_insert_runs_one_entity_created_with_all_entities(make_broker):
    calls: list = []
    schema = posts_schema(entity_created=lambda self, json, ctx, raw: calls.append([j["title"] for j in json]))
    broker = await make_broker(schema)
    await broker.call("posts.insert", {"entities": [{"title": "a"}, {"title": "b"}]})
    assert calls == [["a", "b"]]


async def test_class_form_service_hooks_are_methods(make_broker):
    seen: list = []

    class Posts(Service):
        name = "posts"
        mixins = [DbMixin]

        def before_entity_create(self, entity, ctx):
            return {**entity, "by": "class"}

        async def entity_created(self, json, ctx, raw):
            seen.append(json["by"])

        @action(params={"title": "string"})
        async def titled(self, ctx):
            return await self.find_entities(ctx, {"query": {"title": ctx.params["title"]}})

    broker = await make_broker(Posts)
    await broker.call("posts.create", {"title": "x"})
    assert seen == ["class"]
    assert [p["by"] for p in await broker.call("posts.titled", {"title": "x"})] == ["class"]


async def test_dict_entity_validator_checks_create_and_update_changes(make_broker):
    validator = {"title": "string|min:2", "votes": "number|optional"}
    broker = await make_broker(posts_schema(settings={"entityValidator": validator}))
    post = await broker.call("posts.create", {"title": "ok", "votes": 1})
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.create", {"title": "x"})
    assert info.value.message == "Entity validation error!"
    assert info.value.data[0]["field"] == "title"
    await broker.call("posts.update", {"id": post["_id"], "votes": 2})  # title absent: only changes are checked
    with pytest.raises(ValidationError):
        await broker.call("posts.update", {"id": post["_id"], "votes": "many"})
    assert (await broker.call("posts.get", {"id": post["_id"]}))["votes"] == 2


async def test_pydantic_entity_validator_applies_defaults(make_broker):
    class Product(pydantic.BaseModel):
        name: str
        price: float = pydantic.Field(gt=0)
        stock: int = 0

    broker = await make_broker(posts_schema(settings={"entityValidator": Product}))
    created = await broker.call("posts.create", {"name": "pen", "price": 2.5})
    assert created["stock"] == 0
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.update", {"id": created["_id"], "price": -1})
    assert info.value.data[0]["field"] == "price"


async def test_function_entity_validator_and_all_or_nothing_insert(make_broker):
    def check(entity):
        if "title" not in entity:
            raise ValidationError("Entity validation error!", data=[{"field": "title", "type": "required"}])

    broker = await make_broker(posts_schema(settings={"entityValidator": check}))
    with pytest.raises(ValidationError):
        await broker.call("posts.insert", {"entities": [{"title": "ok"}, {"nope": 1}]})
    assert await broker.call("posts.count") == 0


async def test_validation_failure_means_no_write_no_event_no_hook(make_broker):
    events: list = []
    schema = posts_schema(
        settings={"entityValidator": {"title": "string"}},
        entity_created=lambda self, json, ctx, raw: events.append("created"),
    )
    broker = await make_broker(schema, recorder(events))
    with pytest.raises(ValidationError):
        await broker.call("posts.create", {"title": 5})
    assert events == [] and await broker.call("posts.count") == 0


class FlakyAdapter:
    """Wraps a MemoryAdapter whose ``connect`` fails a given number of times."""

    def __init__(self, failures: int) -> None:
        from adapters import MemoryAdapter

        self.inner = MemoryAdapter()
        self.failures = failures
        self.attempts = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def connect(self) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("database is down")
        await self.inner.connect()


async def test_connect_is_retried_then_after_connected_runs(make_broker):
    adapter = FlakyAdapter(failures=2)
    connected: list = []
    schema = posts_schema(
        adapter=adapter, connect_retry_delay=1, after_connected=lambda self: connected.append(self.adapter)
    )
    broker = await make_broker(schema)
    assert adapter.attempts == 3 and connected == [adapter]
    assert await broker.call("posts.count") == 0


async def test_connect_gives_up_with_a_clear_error(make_broker):
    schema = posts_schema(adapter=FlakyAdapter(failures=99), connect_retries=2, connect_retry_delay=1)
    with pytest.raises(MoleculerServerError) as info:
        await make_broker(schema)
    assert info.value.type == "DB_CONNECTION_ERROR" and "posts" in info.value.message
