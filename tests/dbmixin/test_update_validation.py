"""Item 1 and 11: nothing the public actions write can break the entity validator, whatever form the change takes;
``update`` validates the whole entity it produces and writes it with a compare-and-set."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from broker.errors import MoleculerClientError, ValidationError

from .conftest import posts_schema

NAME8 = {"name": "string|min:8", "age": "number|optional|max:100", "profile": "object|optional"}


async def _stored(broker: Any) -> list[dict[str, Any]]:
    return await broker.call("posts.find", {"sort": "_id"})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "short"}, "name"),
        ({"$set": {"name": "short"}}, "name"),
        ({"$unset": {"name": ""}}, "name"),
        ({"$unset": ["name"]}, "name"),
        ({"$inc": {"age": 200}}, "age"),
        ({"$set": {"age": "old"}}, "age"),
    ],
)
async def test_every_update_form_is_validated_against_the_whole_entity(make_broker, change, field):
    broker = await make_broker(posts_schema(settings={"entityValidator": NAME8}))
    post = await broker.call("posts.create", {"name": "long enough", "age": 20})
    before = await _stored(broker)
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.update", {"id": post["_id"], **change})
    assert info.value.code == 422
    assert field in [e["field"] for e in info.value.data]
    assert await _stored(broker) == before  # nothing written


async def test_dotted_set_and_dot_notation_are_validated_in_the_nested_object(make_broker):
    rule = {"name": "string", "profile": {"type": "object", "props": {"city": "string|min:3"}}}
    broker = await make_broker(posts_schema(settings={"entityValidator": rule, "useDotNotation": True}))
    post = await broker.call("posts.create", {"name": "a", "profile": {"city": "Paris"}})
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.update", {"id": post["_id"], "$set": {"profile.city": "X"}})
    assert info.value.data[0]["field"] == "profile.city"
    with pytest.raises(ValidationError):
        await broker.call("posts.update", {"id": post["_id"], "profile": {"city": "Y"}})
    ok = await broker.call("posts.update", {"id": post["_id"], "profile": {"city": "Lyon"}})
    assert ok["profile"] == {"city": "Lyon"}


async def test_a_valid_operator_update_is_stored(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": NAME8}))
    post = await broker.call("posts.create", {"name": "long enough", "age": 20})
    got = await broker.call("posts.update", {"id": post["_id"], "$inc": {"age": 5}, "$set": {"name": "longer name"}})
    assert (got["name"], got["age"]) == ("longer name", 25)
    assert (await broker.call("posts.get", {"id": post["_id"]}))["age"] == 25


async def test_a_function_validator_sees_the_whole_entity_on_a_partial_update(make_broker):
    seen: list[dict[str, Any]] = []

    def whole(entity: dict[str, Any]) -> bool:
        seen.append(dict(entity))
        return "name" in entity and entity.get("age", 0) >= 0

    broker = await make_broker(posts_schema(settings={"entityValidator": whole}))
    post = await broker.call("posts.create", {"name": "Ann", "age": 3})
    got = await broker.call("posts.update", {"id": post["_id"], "age": 4})
    assert got["age"] == 4
    assert seen[-1] == {"name": "Ann", "age": 4}  # whole, without the id
    with pytest.raises(ValidationError):
        await broker.call("posts.update", {"id": post["_id"], "age": -1})


async def test_insert_entity_and_entities_are_validated(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": NAME8}))
    with pytest.raises(ValidationError):
        await broker.call("posts.insert", {"entity": {"name": "short"}})
    with pytest.raises(ValidationError):
        await broker.call("posts.insert", {"entities": [{"name": "long enough"}, {"name": "short"}]})
    assert await _stored(broker) == []


async def test_a_before_hook_cannot_smuggle_an_invalid_entity(make_broker):
    def spoil(self: Any, entity: Any, ctx: Any) -> dict[str, Any]:
        return {**entity, "name": "bad"}

    schema = posts_schema(settings={"entityValidator": NAME8}, before_entity_create=spoil,
                          before_entity_update=spoil)  # fmt: skip
    broker = await make_broker(schema)
    with pytest.raises(ValidationError):
        await broker.call("posts.create", {"name": "long enough"})
    assert await _stored(broker) == []


class Person(pydantic.BaseModel):
    name: str
    age: int = 0


async def test_the_validators_conversions_are_what_is_written(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": Person}))
    post = await broker.call("posts.create", {"name": "Ann", "age": "7"})
    assert post["age"] == 7
    got = await broker.call("posts.update", {"id": post["_id"], "$set": {"age": "8"}})
    assert got["age"] == 8 and type(got["age"]) is int
    fetched = await broker.call("posts.get", {"id": post["_id"]})
    assert fetched == {"_id": post["_id"], "name": "Ann", "age": 8}


async def test_a_concurrent_change_between_check_and_write_is_retried(make_broker):
    calls = {"n": 0}
    holder: dict[str, Any] = {}

    async def racing(entity: dict[str, Any]) -> bool:
        calls["n"] += 1
        if calls["n"] == 2:  # the first update's check: another writer slips in
            await holder["adapter"].update_by_id(holder["id"], {"$set": {"age": 50}})
        return entity.get("age", 0) <= 60

    broker = await make_broker(posts_schema(settings={"entityValidator": racing}))
    holder["adapter"] = broker.get_local_service("posts").adapter
    post = await broker.call("posts.create", {"name": "Ann", "age": 1})
    holder["id"] = post["_id"]
    with pytest.raises(ValidationError):  # re-read: 50 + 20 = 70 > 60, refused; the racing write stays
        await broker.call("posts.update", {"id": post["_id"], "$inc": {"age": 20}})
    assert (await broker.call("posts.get", {"id": post["_id"]}))["age"] == 50
    assert calls["n"] == 3


async def test_a_concurrent_change_to_an_untouched_field_is_seen_by_a_cross_field_rule(make_broker):
    holder: dict[str, Any] = {}

    async def ordered(entity: dict[str, Any]) -> bool:
        if holder.pop("race", False):  # while `min` is being checked, another writer lowers `max`
            await holder["adapter"].update_by_id(holder["id"], {"$set": {"max": 5}})
        return entity["min"] <= entity["max"]

    broker = await make_broker(posts_schema(settings={"entityValidator": ordered}))
    holder["adapter"] = broker.get_local_service("posts").adapter
    post = await broker.call("posts.create", {"min": 1, "max": 10})
    holder.update(id=post["_id"], race=True)
    with pytest.raises(ValidationError):  # re-checked against max 5: refused, never stored as {min 8, max 5}
        await broker.call("posts.update", {"id": post["_id"], "min": 8})
    stored = await broker.call("posts.get", {"id": post["_id"]})
    assert (stored["min"], stored["max"]) == (1, 5)


async def test_endless_concurrent_changes_end_in_a_409(make_broker):
    holder: dict[str, Any] = {}

    async def always_racing(entity: dict[str, Any]) -> bool:
        if "id" in holder:
            holder["n"] = holder.get("n", 0) + 1
            await holder["adapter"].update_by_id(holder["id"], {"$set": {"name": f"racer {holder['n']}"}})
        return True

    broker = await make_broker(posts_schema(settings={"entityValidator": always_racing}))
    holder["adapter"] = broker.get_local_service("posts").adapter
    post = await broker.call("posts.create", {"name": "Ann", "age": 1})
    holder["id"] = post["_id"]
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("posts.update", {"id": post["_id"], "name": "Bob"})
    assert info.value.code == 409 and info.value.type == "CONFLICT"
    assert (await broker.call("posts.get", {"id": post["_id"]}))["name"] == "racer 5"  # never "Bob"


# -------------------------------------------------------------------------------------- item 11: extra fields


def _slug(self: Any, entity: Any, ctx: Any) -> dict[str, Any]:
    return {**entity, "slug": entity["name"].lower()}


@pytest.mark.parametrize(("extra", "kept"), [("ignore", False), ("allow", True)])
async def test_a_pydantic_model_honours_its_extra_setting(make_broker, extra, kept):
    model = pydantic.create_model("M", name=(str, ...), __config__=pydantic.ConfigDict(extra=extra))
    broker = await make_broker(posts_schema(settings={"entityValidator": model}, before_entity_create=_slug))
    post = await broker.call("posts.create", {"name": "Ann"})
    assert ("slug" in post) is kept


async def test_a_forbidding_pydantic_model_names_the_extra_field(make_broker):
    model = pydantic.create_model("M", name=(str, ...), __config__=pydantic.ConfigDict(extra="forbid"))
    broker = await make_broker(posts_schema(settings={"entityValidator": model}, before_entity_create=_slug))
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.create", {"name": "Ann"})
    assert "slug" in str(info.value.data)
    assert await _stored(broker) == []


async def test_a_dict_validator_keeps_extra_fields_unless_strict(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": {"name": "string"}},
                                            before_entity_create=_slug))  # fmt: skip
    assert (await broker.call("posts.create", {"name": "Ann"}))["slug"] == "ann"
    strict = posts_schema(name="strict", settings={"entityValidator": {"name": "string", "$$strict": True}},
                          before_entity_create=_slug)  # fmt: skip
    broker2 = await make_broker(strict)
    with pytest.raises(ValidationError) as info:
        await broker2.call("strict.create", {"name": "Ann"})
    assert "slug" in str(info.value.data)


async def test_a_validated_update_cleans_the_cache(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": NAME8}), cacher="Memory")
    post = await broker.call("posts.create", {"name": "long enough", "age": 1})
    assert (await broker.call("posts.find"))[0]["age"] == 1  # cached now
    await broker.call("posts.update", {"id": post["_id"], "$inc": {"age": 1}})
    assert (await broker.call("posts.find"))[0]["age"] == 2
    with pytest.raises(ValidationError):
        await broker.call("posts.update", {"id": post["_id"], "$inc": {"age": 500}})
    assert (await broker.call("posts.get", {"id": post["_id"]}))["age"] == 2
