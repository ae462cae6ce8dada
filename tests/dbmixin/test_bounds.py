"""Item 9, deterministic part: malformed or abusive input is a 422 naming the field, with documented bounds."""

from __future__ import annotations

from typing import Any

import pytest

from broker.errors import ValidationError
from dbmixin.params import MAX_COUNT, MAX_DEPTH, MAX_INT

from .conftest import posts_schema, refused, seed


def _nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("posts.find", {"limit": 2**64}, "limit"),
        ("posts.find", {"offset": str(2**64)}, "offset"),
        ("posts.find", {"limit": "1" * 5000}, "limit"),
        ("posts.find", {"limit": "nan"}, "limit"),
        ("posts.find", {"offset": "inf"}, "offset"),
        ("posts.find", {"limit": "1e400"}, "limit"),
        ("posts.list", {"page": MAX_COUNT, "pageSize": 100}, "page"),
        ("posts.list", {"pageSize": str(2**70)}, "pageSize"),
        ("posts.find", {"query": '{"a": ' * 5000 + "1" + "}" * 5000}, "query"),
        ("posts.find", {"query": _nest(MAX_DEPTH + 1)}, "query"),
        ("posts.count", {"query": _nest(3000)}, "query"),
        ("posts.get", {"id": list(range(100_001))}, "id"),
        ("posts.get", {"id": [[1]]}, "id.0"),
        ("posts.create", {"deep": _nest(100)}, "params"),
        ("posts.create", {"big": 2**64}, "big"),
        ("posts.create", {"a.b": 1}, "a.b"),
        ("posts.create", {"x": [float("nan")]}, "x.0"),
        ("posts.insert", {"entity": {"x": float("-inf")}}, "entity.x"),
        ("posts.create", {"$where": 1}, "$where"),
        ("posts.insert", {"entities": [{"ok": 1}, {"n": [10**5000]}]}, "entities.1.n.0"),
        ("posts.insert", {"entity": {"y.z": 2}}, "entity.y.z"),
        ("posts.insert", {"entity": {"x": {"$gt": 1}}}, "entity.x.$gt"),
        ("posts.create", {"x": [{"a": {"": 1}}]}, "x.0.a."),
        # what no engine stores exactly: a 422 from the adapter (a 500 on MongoDB before issue 9's attack)
        ("posts.create", {"title": "x\ud800"}, "entity.title"),
        ("posts.create", {"content": {"a\x00": 1}}, "entity.content.a\\x00"),
        ("posts.insert", {"entities": [{"title": "ok"}, {"title": {"\udfff": 1}}]}, "entities.1.title.\\udfff"),
        ("posts.insert", {"entity": {"content": [{1, 2}]}}, "entity.content.0"),
        ("posts.update", {"id": "<first>", "title": "\ud800"}, "$set.title"),
    ],
)
async def test_abusive_input_is_a_422_naming_the_field(make_broker, action, params, field):
    broker = await make_broker(posts_schema())
    first = (await seed(broker))[0]
    if params.get("id") == "<first>":
        params = {**params, "id": first["_id"]}
    entry = await refused(broker, action, params)
    assert entry["field"] == field
    assert await broker.call("posts.count") == 3  # nothing written


async def test_bounds_themselves_are_accepted(make_broker, adapter_kind):
    broker = await make_broker(posts_schema())
    await seed(broker)
    assert await broker.call("posts.find", {"limit": MAX_COUNT, "offset": MAX_COUNT}) == []
    assert len(await broker.call("posts.find", {"query": _nest(MAX_DEPTH - 1)})) == 0
    if adapter_kind == "mariadb":  # MariaDB's JSON holds 31 levels: deeper is a 422 naming the field, not a 500
        with pytest.raises(ValidationError) as info:
            await broker.call("posts.create", {"deep": _nest(50)})
        assert info.value.data[0]["field"].startswith("entity.deep")
    deep = _nest(30 if adapter_kind == "mariadb" else 50)
    post = await broker.call("posts.create", {"big": MAX_INT, "small": -MAX_INT, "deep": deep})
    assert post["big"] == MAX_INT


async def test_update_bounds(make_broker):
    broker = await make_broker(posts_schema())
    post = await broker.call("posts.create", {"n": 1})
    assert (await refused(broker, "posts.update", {"id": post["_id"], "$set": {"n": 2**64}}))["field"] == "$set.n"
    assert (await refused(broker, "posts.update", {"id": post["_id"], "n": _nest(100)}))["type"] == "depth"
    assert (await broker.call("posts.get", {"id": post["_id"]}))["n"] == 1


async def test_insert_validation_errors_name_the_entity(make_broker):
    broker = await make_broker(posts_schema(settings={"entityValidator": {"title": "string"}}))
    entry = await refused(broker, "posts.insert", {"entities": [{"title": "a"}, {"title": 5}]})
    assert entry["field"] == "entities.1.title"
