"""Item 4 (present-but-falsy params are values) and item 5 (user code's errors come out typed)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from broker.errors import MoleculerClientError, MoleculerServerError, ValidationError

from .conftest import posts_schema, seed


async def test_insert_an_empty_entity_and_an_empty_list(make_broker):
    broker = await make_broker(posts_schema())
    events: list[str] = []
    broker.get_local_service("posts").entity_created = lambda json, ctx, raw: events.append("created")
    created = await broker.call("posts.insert", {"entity": {}})
    assert set(created) == {"_id"}
    assert await broker.call("posts.insert", {"entities": []}) == []
    assert await broker.call("posts.count") == 1
    assert events == ["created"]  # an empty list writes nothing and announces nothing
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("posts.insert", {})
    assert info.value.code == 400


async def test_zero_and_empty_read_params_have_one_meaning_each(make_broker):
    broker = await make_broker(posts_schema(settings={"maxLimit": 2}))
    await seed(broker)
    assert len(await broker.call("posts.find", {"limit": 0})) == 2  # "no limit", still capped by maxLimit
    assert len(await broker.call("posts.find", {"limit": 1, "offset": 0})) == 1
    assert len(await broker.call("posts.find", {"search": ""})) == 2  # no search
    assert len(await broker.call("posts.find", {"query": {}})) == 2
    assert len(await broker.call("posts.find", {"populate": [], "excludeFields": []})) == 2
    assert await broker.call("posts.count", {"query": {}, "search": ""}) == 3
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.find", {"fields": []})
    assert info.value.data[0]["field"] == "fields"
    with pytest.raises(ValidationError):
        await broker.call("posts.list", {"page": 0})


async def test_falsy_update_values_are_written(make_broker):
    broker = await make_broker(posts_schema())
    post = await broker.call("posts.create", {"title": "x", "votes": 3, "tags": ["a"], "meta": {"a": 1}})
    got = await broker.call("posts.update", {"id": post["_id"], "title": "", "votes": 0, "tags": [],
                                             "meta": {}, "ok": False})  # fmt: skip
    assert got == {"_id": post["_id"], "title": "", "votes": 0, "tags": [], "meta": {}, "ok": False}


async def test_id_zero_is_an_id(make_broker):
    broker = await make_broker(posts_schema())
    await broker.call("posts.create", {"_id": 0, "title": "zero"})
    assert (await broker.call("posts.get", {"id": 0}))["title"] == "zero"
    assert (await broker.call("posts.update", {"id": 0, "title": "z"}))["title"] == "z"
    assert (await broker.call("posts.remove", {"id": 0}))["_id"] == 0


# -------------------------------------------------------------------------------------------------- item 5


class Strict(pydantic.BaseModel):
    title: str


@pytest.mark.parametrize(
    ("outcome", "field", "text"),
    [
        (ValueError("title is bad"), "entity", "title is bad"),
        (TypeError("wrong type"), "entity", "wrong type"),
        (AssertionError("nope"), "entity", "nope"),
        (False, "entity", "not valid"),
        ("the title must be capitalised", "entity", "capitalised"),
    ],
)
async def test_a_function_validator_failure_is_a_422(make_broker, outcome, field, text):
    def check(entity: dict[str, Any]) -> Any:
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    broker = await make_broker(posts_schema(settings={"entityValidator": check}))
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.create", {"title": "x"})
    entry = info.value.data[0]
    assert info.value.code == 422 and entry["field"] == field and text in entry["message"]
    assert set(entry) == {"type", "field", "message", "actual"}
    assert await broker.call("posts.count") == 0


async def test_a_pydantic_error_raised_by_a_function_names_the_field(make_broker):
    def check(entity: dict[str, Any]) -> None:
        Strict.model_validate(entity)

    broker = await make_broker(posts_schema(settings={"entityValidator": check}))
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.create", {"title": 5})
    assert info.value.data[0]["field"] == "title"


async def test_a_validator_bug_is_a_typed_500(make_broker):
    def check(entity: dict[str, Any]) -> None:
        raise KeyError("oops")

    broker = await make_broker(posts_schema(settings={"entityValidator": check}))
    with pytest.raises(MoleculerServerError) as info:
        await broker.call("posts.create", {"title": "x"})
    assert info.value.type == "ENTITY_VALIDATOR_ERROR"


async def test_a_moleculer_error_from_a_validator_passes_through(make_broker):
    boom = MoleculerClientError("custom", 418, "TEAPOT")

    def check(entity: dict[str, Any]) -> None:
        raise boom

    broker = await make_broker(posts_schema(settings={"entityValidator": check}))
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("posts.create", {"title": "x"})
    assert info.value.code == 418 and info.value.type == "TEAPOT"


@pytest.mark.parametrize("hook", ["before_entity_create", "entity_created"])
async def test_an_entity_hook_error_is_a_typed_500_naming_the_hook(make_broker, hook):
    def broken(self: Any, *args: Any) -> None:
        raise RuntimeError("hook bug")

    broker = await make_broker(posts_schema(**{hook: broken}))
    with pytest.raises(MoleculerServerError) as info:
        await broker.call("posts.create", {"title": "x"})
    assert info.value.type == "ENTITY_HOOK_ERROR" and info.value.data["hook"] == hook
    assert hook in info.value.message


async def test_an_entity_hook_moleculer_error_passes_through(make_broker):
    def deny(self: Any, params: Any, ctx: Any) -> None:
        raise MoleculerClientError("denied", 403, "FORBIDDEN")

    broker = await make_broker(posts_schema(before_entity_remove=deny))
    post = await broker.call("posts.create", {"title": "x"})
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("posts.remove", {"id": post["_id"]})
    assert info.value.code == 403
    assert await broker.call("posts.count") == 1


async def test_a_callable_object_is_a_function_validator(make_broker):
    import functools

    def at_least(minimum: int, entity: dict[str, Any]) -> bool:
        return entity.get("votes", 0) >= minimum

    broker = await make_broker(posts_schema(settings={"entityValidator": functools.partial(at_least, 2)}))
    assert (await broker.call("posts.create", {"votes": 3}))["votes"] == 3
    with pytest.raises(ValidationError):
        await broker.call("posts.create", {"votes": 1})
