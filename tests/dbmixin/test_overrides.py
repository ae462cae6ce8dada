"""Item 8: every method the README lists as overridable is called through ``self``, in dict and class form."""

from __future__ import annotations

from typing import Any

import pytest

from broker import Service
from dbmixin import DbMixin
from dbmixin.crud import CRUD_METHODS
from dbmixin.lifecycle import LIFECYCLE_METHODS
from dbmixin.transform import TRANSFORM_METHODS

ORIGINAL = {**TRANSFORM_METHODS, **CRUD_METHODS, **LIFECYCLE_METHODS}
BODIES = ["find_entities", "count_entities", "list_entities", "create_entity", "insert_entities", "get_entities",
          "update_entity", "remove_entity"]  # fmt: skip


def overrides(calls: list[str]) -> dict[str, Any]:
    """Each override records its name and then does the mixin's work, some with a visible change."""

    def encode_id(self: Any, id: Any) -> Any:
        calls.append("encode_id")
        return f"e{id}"

    def decode_id(self: Any, id: Any) -> Any:
        calls.append("decode_id")
        return id[1:] if isinstance(id, str) and id.startswith("e") else id

    def filter_fields(self: Any, doc: Any, fields: Any) -> Any:
        calls.append("filter_fields")
        return {**ORIGINAL["filter_fields"](self, doc, fields), "filtered": True}

    def exclude_fields(self: Any, doc: Any, fields: Any) -> Any:
        calls.append("exclude_fields")
        return {**ORIGINAL["exclude_fields"](self, doc, fields), "excluded": True}

    def authorize_fields(self: Any, asked: Any) -> Any:
        calls.append("authorize_fields")
        return [*ORIGINAL["authorize_fields"](self, asked), "secret"]

    async def populate_docs(self: Any, ctx: Any, docs: Any, populate_fields: Any) -> Any:
        calls.append("populate_docs")
        for doc in docs:
            doc["populated"] = list(populate_fields)
        return docs

    async def validate_entity(self: Any, entity: Any, partial: bool = False) -> Any:
        calls.append("validate_entity")
        if isinstance(entity, list):
            return [{**e, "checked": True} for e in entity]
        return {**entity, "checked": True}

    async def clear_cache(self: Any) -> None:
        calls.append("clear_cache")
        await ORIGINAL["clear_cache"](self)

    async def entity_changed(self: Any, kind: str, json: Any, ctx: Any, raw: Any = None) -> None:
        calls.append(f"entity_changed:{kind}")
        await ORIGINAL["entity_changed"](self, kind, json, ctx, raw)

    def sanitize_params(self: Any, ctx: Any, params: Any, paging: bool = False) -> Any:
        calls.append("sanitize_params")
        return ORIGINAL["sanitize_params"](self, ctx, params, paging)

    async def get_by_id(self: Any, id: Any, decoding: bool = False) -> Any:
        calls.append("get_by_id")
        return await ORIGINAL["get_by_id"](self, id, decoding)

    async def transform_documents(self: Any, ctx: Any, params: Any, docs: Any) -> Any:
        calls.append("transform_documents")
        return await ORIGINAL["transform_documents"](self, ctx, params, docs)

    def body(name: str) -> Any:
        async def wrapped(self: Any, ctx: Any, params: Any) -> Any:
            calls.append(name)
            return await ORIGINAL[name](self, ctx, params)

        return wrapped

    return {
        "encode_id": encode_id, "decode_id": decode_id, "filter_fields": filter_fields,
        "exclude_fields": exclude_fields, "authorize_fields": authorize_fields, "populate_docs": populate_docs,
        "validate_entity": validate_entity, "clear_cache": clear_cache, "entity_changed": entity_changed,
        "sanitize_params": sanitize_params, "get_by_id": get_by_id, "transform_documents": transform_documents,
        **{name: body(name) for name in BODIES},
    }  # fmt: skip


def schema_of(form: str, calls: list[str]) -> Any:
    settings = {"excludeFields": ["hidden"], "populates": {"author": "users.get"}}
    methods = overrides(calls)
    if form == "dict":
        return {"name": "posts", "mixins": [DbMixin], "settings": settings, "methods": methods}
    return type("Posts", (Service,), {"name": "posts", "mixins": [DbMixin], "settings": settings, **methods})


@pytest.mark.parametrize("form", ["dict", "class"])
async def test_every_overridable_method_is_called_through_self(make_broker, form):
    calls: list[str] = []
    broker = await make_broker(schema_of(form, calls))
    created = await broker.call("posts.create", {"_id": "1", "title": "a", "hidden": 1, "secret": 2})
    assert created["_id"] == "e1" and created["checked"] is True
    assert "filtered" not in created and created["excluded"] is True and "hidden" not in created
    inserted = await broker.call("posts.insert", {"entities": [{"_id": "2", "title": "b"}]})
    assert inserted[0]["checked"] is True
    found = await broker.call("posts.find", {"fields": ["title", "populated"], "populate": ["author"]})
    assert found[0]["filtered"] is True and found[0]["secret"] == 2  # authorize_fields added "secret"
    assert found[0]["populated"] == ["author"]
    assert await broker.call("posts.count") == 2
    assert (await broker.call("posts.list"))["total"] == 2
    assert (await broker.call("posts.get", {"id": "e1"}))["_id"] == "e1"
    assert (await broker.call("posts.update", {"id": "e1", "title": "z"}))["title"] == "z"
    assert (await broker.call("posts.remove", {"id": "e2"}))["_id"] == "e2"
    expected = {
        "encode_id", "decode_id", "filter_fields", "exclude_fields", "authorize_fields", "populate_docs",
        "validate_entity", "clear_cache", "entity_changed:created", "entity_changed:updated",
        "entity_changed:removed", "sanitize_params", "get_by_id", "transform_documents", *BODIES,
    }  # fmt: skip
    assert expected <= set(calls), expected - set(calls)


@pytest.mark.parametrize("form", ["dict", "class"])
async def test_an_overridden_validate_entity_checks_updates_as_whole_entities(make_broker, form):
    calls: list[str] = []
    broker = await make_broker(schema_of(form, calls))
    await broker.call("posts.create", {"_id": "1", "title": "a"})
    calls.clear()
    await broker.call("posts.update", {"id": "e1", "$set": {"title": "b"}})
    assert "validate_entity" in calls
    row = await broker.call("posts.get", {"id": "e1"})
    assert row["title"] == "b" and row["checked"] is True
