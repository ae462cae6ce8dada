"""Outsider testing: the list params are applied to every returned entity, so their size is bounded like
``sort`` (32 keys) and ``searchFields`` (100): 100,000 ``excludeFields`` blocked the event loop for two minutes."""

from __future__ import annotations

import pytest

from broker.errors import ValidationError
from dbmixin.params import MAX_LIST_ITEMS

from .conftest import posts_schema, seed


@pytest.mark.parametrize("action", ["posts.find", "posts.list", "posts.get"])
@pytest.mark.parametrize("name", ["fields", "excludeFields", "populate"])
@pytest.mark.parametrize("as_string", [False, True])
async def test_too_many_list_items_are_a_422_naming_the_param(make_broker, action, name, as_string):
    broker = await make_broker(posts_schema())
    rows = await seed(broker)
    items = [f"f{i}" for i in range(MAX_LIST_ITEMS + 1)]
    params = {name: " ".join(items) if as_string else items}
    if action == "posts.get":
        params["id"] = rows[0]["_id"]
    with pytest.raises(ValidationError) as info:
        await broker.call(action, params)
    entry = info.value.data[0]
    assert (entry["type"], entry["field"], entry["actual"], entry["expected"]) == (
        "arrayMax", name, MAX_LIST_ITEMS + 1, MAX_LIST_ITEMS)


async def test_up_to_the_bound_is_fine(make_broker):
    broker = await make_broker(posts_schema())
    await seed(broker)
    fields = ["title", *(f"f{i}" for i in range(MAX_LIST_ITEMS - 1))]
    found = await broker.call("posts.find", {"fields": fields, "excludeFields": fields[1:], "sort": "title"})
    assert [r["title"] for r in found] == ["Hello world", "Second", "Third hello"]
