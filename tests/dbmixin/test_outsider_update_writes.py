"""Outsider testing: an ``update`` may not store what ``create`` refuses — field names that cannot be queried
(``$``-prefixed or dotted keys inside a value), integers beyond 64 bits or infinities reached through ``$inc`` —
with or without an entity validator. Such an entity could otherwise never be updated again through the validated
path (its compare-and-set condition would hold an operator-like key)."""

from __future__ import annotations

from typing import Any

import pytest

from broker.errors import ValidationError

from .conftest import posts_schema

SETTINGS = [{}, {"entityValidator": {"n": "number|optional"}}, {"useDotNotation": True}]


async def one(make_broker: Any, settings: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    broker = await make_broker(posts_schema(settings=settings))
    return broker, await broker.call("posts.create", {"n": 2**62, "f": 1e308, "q": {"ok": 1}})


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"$set": {"q": {"$gt": 1}}}, "$set.q.$gt"),
        ({"$set": {"q": {"a.b": 1}}}, "$set.q.a.b"),
        ({"$set": {"q.r": [{"": 1}]}}, "$set.q.r.0."),
        ({"q": {"$where": "1"}}, "q.$where"),
        ({"$inc": {"n": 2**62}}, "$inc.n"),
        ({"$inc": {"n": -(2**63)}}, "$inc.n"),
        ({"$inc": {"f": 1e308}}, "$inc.f"),
    ],
)
async def test_update_cannot_store_what_create_refuses(make_broker, settings, change, field):
    broker, created = await one(make_broker, settings)
    if settings.get("useDotNotation") and "q" in change:
        field = "$set.q.$where"  # flattened to the path q.$where, which the update parser refuses
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.update", {"id": created["_id"], **change})
    assert info.value.code == 422
    assert info.value.data[0]["field"] == field
    assert await broker.call("posts.get", {"id": created["_id"]}) == created  # nothing written
    with pytest.raises(ValidationError):
        await broker.call("posts.create", {key.lstrip("$"): value for key, value in change.items()}
                          if "$inc" not in change else {"n": 2**64})  # fmt: skip


@pytest.mark.parametrize("settings", SETTINGS)
async def test_updates_within_the_bounds_still_work(make_broker, settings):
    broker, created = await one(make_broker, settings)
    out = await broker.call("posts.update", {"id": created["_id"], "$inc": {"n": 2**62 - 1, "f": -1e308},
                                             "$set": {"q.deep": {"x": [1, {"y": None}]}}})  # fmt: skip
    assert (out["n"], out["f"], out["q"]) == (2**63 - 1, 0.0, {"ok": 1, "deep": {"x": [1, {"y": None}]}})
    again = await broker.call("posts.update", {"id": created["_id"], "$inc": {"n": -1}})
    assert again["n"] == 2**63 - 2
