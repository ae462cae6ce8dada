"""Outsider testing, round two: settings forms the docs promise, search defaults under a whitelist, pydantic
validators and the id field, ids in ``update`` params, unknown keys named at the root."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from adapters.errors import EntityAlreadyExistsError
from broker.errors import ServiceSchemaError, ValidationError

from .conftest import posts_schema


# ----------------------------------------------------------------- kind 7: every documented form of a setting
@pytest.mark.parametrize(
    "indexes",
    [
        [{"fields": ["email"], "unique": True}],
        [{"fields": "email", "unique": True, "name": "by_email"}],
        [["shop", "email"], {"fields": ["email"], "unique": True}],
    ],
)
async def test_index_declarations_the_readme_documents_are_accepted_and_honoured(make_broker, indexes):
    broker = await make_broker(posts_schema(name="users", settings={"indexes": indexes}))
    await broker.call("users.create", {"email": "a@x", "shop": 1})
    with pytest.raises(EntityAlreadyExistsError) as info:
        await broker.call("users.create", {"email": "a@x", "shop": 2})
    assert info.value.code == 409
    assert await broker.call("users.count", {}) == 1


@pytest.mark.parametrize("indexes", [[{"fields": []}], [{"field": "a"}], [{"fields": "a", "unique": "yes"}], [3]])
async def test_malformed_index_declarations_are_a_schema_error(make_broker, indexes):
    with pytest.raises(ServiceSchemaError) as info:
        await make_broker(posts_schema(settings={"indexes": indexes}))
    assert "indexes" in info.value.message


# -------------------------------------------------------- kind 2: the default search never refuses itself
async def test_default_search_with_a_whitelisted_field_that_has_an_excluded_child(make_broker):
    settings = {"fields": ["_id", "name", "profile", "items"], "excludeFields": ["profile.secret", "items.$.secret"]}
    broker = await make_broker(posts_schema(name="users", settings=settings))
    await broker.call("users.create", {"name": "ann", "profile": {"secret": "s1", "city": "Paris"},
                                       "items": [{"secret": "hunter"}], "password": "pw1"})  # fmt: skip
    assert [u["name"] for u in await broker.call("users.find", {"search": "ann"})] == ["ann"]
    assert await broker.call("users.count", {"iSearch": "ANN"}) == 1
    for text in ("s1", "hunter", "pw1"):
        assert await broker.call("users.find", {"search": text}) == []
    page = await broker.call("users.list", {"search": "an"})
    assert page["total"] == 1


# ------------------------------------------------------ kinds 4 and 6: pydantic models and the id field
class Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    name: str


class Loose(pydantic.BaseModel):
    name: str
    age: int = 0


@pytest.mark.parametrize(("model", "id_field"), [(Strict, "uid"), (Strict, "_id"), (Loose, "_id"), (Loose, "uid")])
async def test_a_pydantic_model_keeps_the_id_a_caller_gives(make_broker, model, id_field):
    broker = await make_broker(posts_schema(settings={"entityValidator": model, "idField": id_field}))
    created = await broker.call("posts.create", {id_field: "mine", "name": "x"})
    assert created[id_field] == "mine"
    inserted = await broker.call("posts.insert", {"entities": [{id_field: "k2", "name": "y"}]})
    assert inserted[0][id_field] == "k2"
    assert (await broker.call("posts.get", {"id": "mine"}))["name"] == "x"
    # the model still decides every other field
    with pytest.raises(ValidationError):
        await broker.call("posts.create", {id_field: "other", "name": 5 if model is Loose else "x", "extra": 1})


class Declares(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    uid: str = pydantic.Field(min_length=3)
    name: str


async def test_a_model_that_declares_the_id_field_still_validates_it(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": Declares, "idField": "uid"}))
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.create", {"uid": "ab", "name": "x"})
    assert info.value.data[0]["field"] == "uid"


async def test_a_strict_model_names_each_unknown_key(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": Strict}))
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.create", {"name": "x", "slug": "s", "tags": []})
    assert sorted(e["field"] for e in info.value.data) == ["slug", "tags"]
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.insert", {"entities": [{"name": "x"}, {"name": "y", "slug": "s"}]})
    assert [e["field"] for e in info.value.data] == ["entities.1.slug"]
    assert await broker.call("posts.count", {}) == 0


async def test_a_strict_dict_validator_at_the_root_names_the_entity_in_a_batch(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": {"$$strict": True, "name": "string"}}))
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.insert", {"entities": [{"name": "y", "slug": "s"}]})
    assert [e["field"] for e in info.value.data] == ["entities.0.slug"]


# ------------------------------------------------------------------------------ kind 1: ids are immutable
@pytest.mark.parametrize("settings", [{"idField": "uid"}, {}, {"idField": "uid", "entityValidator": {"n": "number"}}])
async def test_update_with_two_different_ids_is_refused_not_silently_resolved(make_broker, settings: dict[str, Any]):
    broker = await make_broker(posts_schema(settings=settings))
    id_field = settings.get("idField", "_id")
    created = await broker.call("posts.create", {"n": 1})
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.update", {"id": created[id_field], id_field: "other", "n": 2})
    assert info.value.data[0]["field"] == id_field
    assert await broker.call("posts.get", {"id": created[id_field]}) == created
    # the same id under both names is fine (a client sending the entity back)
    same = await broker.call("posts.update", {"id": created[id_field], id_field: created[id_field], "n": 3})
    assert same["n"] == 3


# ------------------------------------------------------------- kind 4: the public id name in settings.indexes
@pytest.mark.parametrize("indexes", [[{"fields": ["uid"], "unique": True}], "uid", [["shop", "uid"]],
                                     [{"fields": ["shop", "uid"], "unique": True}]])  # fmt: skip
async def test_indexes_may_name_the_public_id_field(make_broker, indexes):
    broker = await make_broker(posts_schema(settings={"idField": "uid", "indexes": indexes}))
    for name in "abc":
        await broker.call("posts.create", {"name": name, "shop": 1})
    await broker.call("posts.create", {"uid": "k", "name": "d", "shop": 1})
    assert await broker.call("posts.count", {}) == 4
    assert [p["name"] for p in await broker.call("posts.find", {"query": {"shop": 1, "uid": "k"}})] == ["d"]
    with pytest.raises(EntityAlreadyExistsError):
        await broker.call("posts.create", {"uid": "k", "name": "e", "shop": 1})
