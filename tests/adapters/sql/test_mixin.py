"""The mixin's actions through a broker on SQLAdapter, on every engine: a service moves from the memory adapter to
SQL by changing its ``adapter`` line, and answers the same (the ``id`` field maps to the primary key; a malformed
id is a 404; a unique clash is a 409; a hostile ``fields``/``sort`` changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters import EntityAlreadyExistsError, SQLAdapter
from broker import ServiceBroker
from broker.errors import ValidationError
from dbmixin import DbMixin, EntityNotFoundError


async def _broker(adapter: SQLAdapter, **settings: Any) -> ServiceBroker:
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "products", "mixins": [DbMixin], "adapter": adapter, "settings": settings})
    await broker.start()
    async with adapter.engine.begin() as conn:
        await conn.execute(adapter.table.delete())
    return broker


async def test_the_actions_on_sql(make_adapter: Callable[..., SQLAdapter]) -> None:
    broker = await _broker(make_adapter(), idField="id")
    try:
        a = await broker.call("products.create", {"sku": "a", "name": "Apple", "price": 2.5, "stock": 3})
        b = await broker.call("products.create", {"sku": "b", "name": "Banana", "price": 1.0, "stock": 0})
        assert isinstance(a["id"], int) and a["name"] == "Apple" and "_id" not in a
        assert await broker.call("products.get", {"id": a["id"]}) == a
        assert await broker.call("products.get", {"id": str(a["id"])}) == a  # moleculer-db decodes string ids
        with pytest.raises(EntityNotFoundError):
            await broker.call("products.get", {"id": "not-a-number"})
        found = await broker.call("products.find", {"query": {"stock": {"$gt": 0}}, "fields": ["id", "name"]})
        assert found == [{"id": a["id"], "name": "Apple"}]
        page = await broker.call("products.list", {"sort": "-price", "pageSize": 1, "page": 2})
        assert [r["sku"] for r in page["rows"]] == ["b"] and page["total"] == 2 and page["totalPages"] == 2
        assert await broker.call("products.count", {"search": "ban", "searchFields": "name"}) == 1
        updated = await broker.call("products.update", {"id": b["id"], "stock": 5})
        assert updated["stock"] == 5
        with pytest.raises(EntityAlreadyExistsError):
            await broker.call("products.create", {"sku": "a"})
        removed = await broker.call("products.remove", {"id": a["id"]})
        assert removed["id"] == a["id"]
        assert await broker.call("products.count", {}) == 1
    finally:
        await broker.stop()


async def test_hostile_action_params_change_nothing(make_adapter: Callable[..., SQLAdapter]) -> None:
    broker = await _broker(make_adapter())
    try:
        await broker.call("products.create", {"sku": "a", "name": "Apple"})
        with pytest.raises(ValidationError):
            await broker.call("products.find", {"sort": "name; DROP TABLE dbm_products"})
        with pytest.raises(ValidationError):
            await broker.call("products.find", {"query": {"name) OR (1=1": 1}})
        rows = await broker.call("products.find", {"fields": ["name; DROP TABLE dbm_products", "sku"]})
        assert rows == [{"sku": "a"}]  # fields are picked from entities, never put into SQL
        assert await broker.call("products.find", {"search": "' OR 1=1 --", "searchFields": "name"}) == []
        assert await broker.call("products.count", {}) == 1
    finally:
        await broker.stop()
