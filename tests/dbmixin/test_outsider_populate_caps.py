"""Outsider testing: a related service's ``maxLimit`` (which caps how many ids one ``get`` takes) must not make a
legitimate populate fail; populate fetches the ids in slices of the callee's cap instead."""

from __future__ import annotations

from typing import Any

import pytest

from broker.errors import ValidationError
from dbmixin import DbMixin

from .conftest import posts_schema


async def shop(make_broker: Any, max_limit: int) -> Any:
    users = {"name": "users", "mixins": [DbMixin],
             "settings": {"maxLimit": max_limit, "excludeFields": ["password"], "idField": "uid"}}  # fmt: skip
    posts = posts_schema(settings={"populates": {"author": "users.get", "readers": "users.get",
                                                 "list.$.u": "users.get"}})  # fmt: skip
    broker = await make_broker(users, posts)
    await broker.call("users.insert", {"entities": [{"uid": f"u{i}", "name": f"n{i}", "password": "pw"}
                                                    for i in range(5)]})  # fmt: skip
    await broker.call("posts.insert", {"entities": [
        {"n": i, "author": f"u{i}", "readers": ["u0", "u1", "u2", "u9"], "list": [{"u": "u3"}, {"u": "u4"}]}
        for i in range(5)
    ]})  # fmt: skip
    return broker


@pytest.mark.parametrize("max_limit", [1, 2, 3])
async def test_populate_reads_more_ids_than_the_callee_cap_in_slices(make_broker, max_limit):
    broker = await shop(make_broker, max_limit)
    rows = await broker.call("posts.find", {"populate": ["author", "readers", "list.$.u"], "sort": "n"})
    assert [r["author"] for r in rows] == [{"uid": f"u{i}", "name": f"n{i}"} for i in range(5)]
    assert [u["uid"] for u in rows[0]["readers"]] == ["u0", "u1", "u2"]  # the missing u9 is dropped
    assert rows[0]["list"] == [{"u": {"uid": "u3", "name": "n3"}}, {"u": {"uid": "u4", "name": "n4"}}]
    page = await broker.call("posts.list", {"populate": "author", "sort": "-n"})
    assert [r["author"]["uid"] for r in page["rows"]] == ["u4", "u3", "u2", "u1", "u0"]


async def test_the_get_action_itself_still_refuses_too_many_ids(make_broker):
    broker = await shop(make_broker, 2)
    with pytest.raises(ValidationError) as info:
        await broker.call("users.get", {"id": ["u0", "u1", "u2"]})
    entry = info.value.data[0]
    assert (entry["type"], entry["field"], entry["expected"], entry["actual"]) == ("arrayMax", "id", 2, 3)


async def test_other_validation_errors_of_the_callee_still_propagate(make_broker):
    broker = await shop(make_broker, 2)
    await broker.call("posts.create", {"n": 9, "author": {"not": "an id"}})
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.find", {"populate": "author", "query": {"n": 9}})
    assert info.value.data[0]["field"].startswith("id")
