"""Outsider testing: overriding ``sanitize_params`` (an override point the README lists) must not re-open hidden
fields to callers of the public actions, whether the override returns a plain dict of its own or a copy of the
original's result; the caps keep holding too."""

from __future__ import annotations

from typing import Any

import pytest

from broker.errors import ValidationError
from dbmixin.crud import CRUD_METHODS

from .conftest import posts_schema

ORIGINAL = CRUD_METHODS["sanitize_params"]


def plain(self: Any, ctx: Any, params: Any, paging: bool = False) -> dict[str, Any]:
    return {**params, "sort": params.get("sort") or "name"}  # moleculer-db style: a plain object


def copy_of_original(self: Any, ctx: Any, params: Any, paging: bool = False) -> dict[str, Any]:
    return {**ORIGINAL(self, ctx, params, paging), "sort": params.get("sort") or "name"}


def in_place(self: Any, ctx: Any, params: Any, paging: bool = False) -> Any:
    out = ORIGINAL(self, ctx, params, paging)
    out["sort"] = out.get("sort") or "name"
    return out


@pytest.fixture(params=[plain, copy_of_original, in_place], ids=["plain", "copy", "in_place"])
async def users(request: Any, make_broker: Any) -> Any:
    schema = posts_schema(name="users", settings={"excludeFields": ["password"], "maxLimit": 2, "maxPageSize": 2},
                          methods={"sanitize_params": request.param})  # fmt: skip
    broker = await make_broker(schema)
    await broker.call("users.insert", {"entities": [{"name": n, "password": f"pw-{n}"} for n in "dcba"]})
    return broker


@pytest.mark.parametrize("action", ["users.find", "users.count", "users.list"])
@pytest.mark.parametrize(
    "params",
    [{"query": {"password": "pw-a"}}, {"query": {"$or": [{"name": "x"}, {"password": {"$regex": "^pw"}}]}},
     {"sort": "-password"}, {"search": "pw", "searchFields": "password"}],
)  # fmt: skip
async def test_an_overridden_sanitize_params_keeps_hidden_fields_hidden(users, action, params):
    if action == "users.count" and "sort" in params:
        params = {"query": {"password": {"$exists": True}}}
    with pytest.raises(ValidationError) as info:
        await users.call(action, params)
    assert info.value.data[0]["type"] == "hiddenField"


async def test_the_override_still_takes_effect_and_the_caps_hold(users):
    assert [u["name"] for u in await users.call("users.find", {"limit": 10})] == ["a", "b"]
    page = await users.call("users.list", {"pageSize": 50})
    assert (page["pageSize"], [u["name"] for u in page["rows"]], page["total"]) == (2, ["a", "b"], 4)
    assert await users.call("users.find", {"search": "pw"}) == []  # the default search skips the hidden field
    assert "password" not in (await users.call("users.find", {}))[0]
