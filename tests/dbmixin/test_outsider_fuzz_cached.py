"""Outsider testing: the eight actions' random params (``test_fuzz_actions.calls``) through a broker WITH a cacher
(the cache key is computed before any param check) and with the settings the other fuzz does not cover: a pydantic
model, a raising function validator, ``idField: "id"``, string-form settings, a unique index, ``queryHiddenFields``.
Nothing but a ``MoleculerError`` may come out, and every success must be strict JSON (no NaN/Infinity stored)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker import ServiceBroker
from broker.errors import MoleculerError
from dbmixin import DbMixin

from .test_fuzz_actions import calls


class Post(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    title: str = "t"
    votes: int = 0


def picky(entity: dict[str, Any]) -> bool:
    if entity.get("title") == "bad":
        raise ValueError("bad title")
    return True


VARIANTS = [
    {"idField": "id", "entityValidator": Post, "excludeFields": "votes nested.deep", "cacheCleanEventType": "emit"},
    {"idField": "uid", "entityValidator": picky, "useDotNotation": True, "fields": "uid title nested",
     "indexes": [{"fields": ["title"], "unique": True}]},
    {"queryHiddenFields": ["votes"], "excludeFields": ["votes"], "maxPageSize": 3, "pageSize": 2, "maxLimit": 1,
     "populates": {"author": {"action": "posts.get", "params": {"fields": ["title"]}}}},
]  # fmt: skip


async def _run(variant: int, sequence: list[tuple[str, dict[str, Any]]]) -> None:
    broker = ServiceBroker(logger=False, cacher="Memory")
    broker.create_service({"name": "posts", "mixins": [DbMixin], "settings": dict(VARIANTS[variant])})
    await broker.start()
    try:
        await broker.call("posts.insert", {"entities": [{"title": "a", "votes": 1}, {"title": "b", "author": "x"}]})
        for action, params in sequence:
            try:
                result = await asyncio.wait_for(broker.call(f"posts.{action}", params), 10)
            except MoleculerError:
                continue
            except BaseException as exc:  # pragma: no cover - the assertion message is the point
                raise AssertionError(f"posts.{action} {sorted(params)} raised {type(exc).__name__}") from exc
            json.dumps(result, default=str, allow_nan=False)
    finally:
        await broker.stop()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.integers(0, len(VARIANTS) - 1), st.lists(calls(), min_size=1, max_size=5))
def test_random_params_with_a_cacher_only_ever_produce_moleculer_errors(variant: int, sequence: list[Any]) -> None:
    asyncio.run(_run(variant, sequence))
