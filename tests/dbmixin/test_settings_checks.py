"""Item 6: every setting works as documented or is refused with a ServiceSchemaError when the service is created."""

from __future__ import annotations

from typing import Any

import pytest

from broker import ServiceBroker
from broker.errors import ServiceSchemaError

from .conftest import posts_schema


@pytest.mark.parametrize(
    ("settings", "extra"),
    [
        ({"idField": ""}, {}),
        ({"idField": "a.b"}, {}),
        ({"idField": 5}, {}),
        ({"fields": 5}, {}),
        ({"fields": ""}, {}),
        ({"excludeFields": [1]}, {}),
        ({"populates": ["author"]}, {}),
        ({"populates": {"author": 5}}, {}),
        ({"populates": {"author": {"field": "authorId"}}}, {}),
        ({"populates": {"author": {"action": "users.get", "handler": lambda *a: None}}}, {}),
        ({"populates": {"author": {"action": "users.get", "parms": {}}}}, {}),
        ({"populates": {"author": {"action": "users.get", "params": 3}}}, {}),
        ({"populates": {"values.$.category": {"action": "c.get", "field": "other"}}}, {}),
        ({"pageSize": 0}, {}),
        ({"pageSize": "10"}, {}),
        ({"maxPageSize": "x"}, {}),
        ({"maxLimit": 1.5}, {}),
        ({"entityValidator": "string"}, {}),
        ({"useDotNotation": "yes"}, {}),
        ({"cacheCleanEventType": "shout"}, {}),
        ({"indexes": 5}, {}),
        ({"queryHiddenFields": 5}, {}),
        ({}, {"connect_retries": 0}),
        ({}, {"connect_retries": "3"}),
        ({}, {"connect_retry_delay": -1}),
    ],
)
def test_a_setting_of_the_wrong_shape_is_refused_at_creation(settings, extra):
    broker = ServiceBroker(logger=False)
    with pytest.raises(ServiceSchemaError):
        broker.create_service(posts_schema(settings=settings, **extra))


async def test_string_forms_of_list_settings_split_like_the_request_params(make_broker):
    broker = await make_broker(posts_schema(settings={"fields": "_id, title votes", "excludeFields": "votes"}))
    await broker.call("posts.create", {"title": "a", "votes": 1, "secret": 2})
    rows = await broker.call("posts.find", {"fields": "title, votes"})
    assert rows == [{"title": "a"}]
    assert list((await broker.call("posts.find"))[0]) == ["_id", "title"]


async def test_dollar_populate_paths_populate_every_array_element(make_broker):
    categories = {"name": "categories", "mixins": posts_schema()["mixins"], "settings": {}}
    schema = posts_schema(settings={"populates": {"values.$.category": "categories.get"}})
    broker = await make_broker(schema, categories)
    c1 = await broker.call("categories.create", {"name": "one"})
    c2 = await broker.call("categories.create", {"name": "two"})
    await broker.call("posts.create", {"values": [{"category": c1["_id"]}, {"category": c2["_id"]}, {"x": 1}]})
    row = (await broker.call("posts.find", {"populate": "values.$.category"}))[0]
    assert [v.get("category") for v in row["values"]] == [c1, c2, None]


async def test_dollar_populate_with_a_handler(make_broker):
    seen: list[Any] = []

    def handler(self: Any, ids: list[Any], docs: list[Any], rule: Any, ctx: Any) -> None:
        seen.append(ids)

    broker = await make_broker(posts_schema(settings={"populates": {"tags.$.id": handler}}))
    await broker.call("posts.create", {"tags": [{"id": 1}, {"id": 2}]})
    await broker.call("posts.find", {"populate": ["tags.$.id"]})
    assert seen == [[1, 2]]
