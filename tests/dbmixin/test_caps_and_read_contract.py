"""Items 7 and 10: the caps hold on every read path; the read params are sanitised once into one typed value and
the adapter receives a parsed FindParams; ``list`` reads the page and the total concurrently."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters import FindParams, MemoryAdapter
from broker.errors import ValidationError
from dbmixin.read import SanitizedParams

from .conftest import posts_schema, seed

ROWS = [{"n": i} for i in range(30)]


class SpyAdapter(MemoryAdapter):
    """Records what ``find``/``count`` receive and how many run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Any] = []
        self.running = 0
        self.peak = 0

    async def _track(self) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        await asyncio.sleep(0)
        self.running -= 1

    async def find(self, params: Any = None) -> list[dict[str, Any]]:
        self.received.append(params)
        await self._track()
        return await super().find(params)

    async def count(self, params: Any = None) -> int:
        self.received.append(params)
        await self._track()
        return await super().count(params)


def custom_actions() -> dict[str, Any]:
    async def raw_find(self: Any, ctx: Any) -> Any:
        return await self.find_entities(ctx, dict(ctx.params))

    async def raw_list(self: Any, ctx: Any) -> Any:
        return await self.list_entities(ctx, dict(ctx.params))

    async def raw_get(self: Any, ctx: Any) -> Any:
        return await self.get_entities(ctx, dict(ctx.params))

    async def sanitized_list(self: Any, ctx: Any) -> Any:
        return await self.list_entities(ctx, self.sanitize_params(ctx, dict(ctx.params)))

    return {"rawFind": raw_find, "rawList": raw_list, "rawGet": raw_get, "sanitizedList": sanitized_list}


async def capped(make_broker: Any, adapter: Any = None, **settings: Any) -> Any:
    schema = posts_schema(settings={"maxPageSize": 5, "maxLimit": 7, **settings}, actions=custom_actions())
    if adapter is not None:
        schema["adapter"] = adapter
    broker = await make_broker(schema)
    await seed(broker, rows=ROWS)
    return broker


async def test_caps_hold_in_the_actions_and_in_custom_actions_calling_the_bodies(make_broker):
    broker = await capped(make_broker)
    assert len(await broker.call("posts.find", {"limit": 100})) == 7
    assert len(await broker.call("posts.find")) == 7
    assert len(await broker.call("posts.rawFind", {"limit": 100})) == 7
    assert len(await broker.call("posts.rawFind", {})) == 7
    page = await broker.call("posts.rawList", {"pageSize": 50})
    assert page["pageSize"] == 5 and len(page["rows"]) == 5 and page["totalPages"] == 6
    page = await broker.call("posts.sanitizedList", {"pageSize": 50, "page": 2})
    assert page["page"] == 2 and len(page["rows"]) == 5


async def test_raw_params_in_a_body_are_checked_like_the_actions(make_broker):
    broker = await capped(make_broker)
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.rawFind", {"limit": "abc"})
    assert info.value.data[0]["field"] == "limit"
    with pytest.raises(ValidationError) as info:
        await broker.call("posts.rawList", {"page": 0})
    assert info.value.data[0]["field"] == "page"


async def test_get_with_too_many_ids_is_a_422(make_broker):
    broker = await capped(make_broker)
    ids = [r["_id"] for r in await broker.call("posts.find", {"limit": 7})]
    assert len(await broker.call("posts.get", {"id": ids})) == 7
    for action in ("posts.get", "posts.rawGet"):
        with pytest.raises(ValidationError) as info:
            await broker.call(action, {"id": [*ids, "x"]})
        assert info.value.data[0]["field"] == "id" and info.value.data[0]["type"] == "arrayMax"


async def test_the_adapter_gets_parsed_find_params_and_list_runs_find_and_count_together(make_broker):
    spy = SpyAdapter()
    broker = await capped(make_broker, adapter=spy)
    spy.received.clear()
    await broker.call("posts.list", {"query": '{"n": {"$gte": 3}}', "sort": "-n"})
    assert len(spy.received) == 2 and all(isinstance(p, FindParams) for p in spy.received)
    assert spy.peak == 2
    find = spy.received[0]
    assert (find.limit, find.offset, find.sort[0].path, find.sort[0].descending) == (5, 0, "n", True)


async def test_sanitize_params_returns_a_mapping_carrying_the_typed_value(make_broker):
    broker = await capped(make_broker)
    service = broker.get_local_service("posts")
    out = service.sanitize_params(None, {"limit": "3", "sort": "n"})
    assert isinstance(out, dict) and isinstance(out, SanitizedParams)
    assert out["limit"] == 3 and out.read.find.limit == 3 and not out.read.paging
    paged = service.sanitize_params(None, {"page": "2"}, paging=True)
    assert (paged["limit"], paged["offset"], paged.read.page) == (5, 5, 2)
