"""The product service: admin CRUD, cached reads cleaned on every change, atomic stock operations."""

import asyncio

import pytest
import pytest_asyncio

from broker.errors import MoleculerClientError, ValidationError
from dbmixin import EntityNotFoundError

from .helpers import make_broker

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error")]

KEYBOARD = {"name": "Mechanical Keyboard", "price": 2999, "stock": 50, "category": "electronics"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker():
    broker = make_broker("product")
    await broker.start()
    yield broker
    await broker.stop()


async def test_create_applies_the_model_defaults_and_refuses_unknown_fields(broker):
    product = await broker.call("product.create", {"name": "Mouse", "price": 10})
    assert (product["stock"], product["category"], product["isActive"], product["description"]) == (
        0, "general", True, "")  # fmt: skip
    with pytest.raises(ValidationError) as info:
        await broker.call("product.create", {"name": "Mouse", "price": 10, "_id": "mine"})
    assert info.value.data[0]["actual"] == "_id"


async def test_update_validates_and_cleans_the_cache(broker):
    product = await broker.call("product.create", KEYBOARD)
    assert (await broker.call("product.get", {"id": product["_id"]}))["price"] == 2999  # now cached
    await broker.call("product.update", {"id": product["_id"], "price": 1999})
    assert (await broker.call("product.get", {"id": product["_id"]}))["price"] == 1999
    with pytest.raises(ValidationError) as info:
        await broker.call("product.update", {"id": product["_id"], "stock": -1})
    assert [issue["field"] for issue in info.value.data] == ["stock"]


async def test_reduce_stock_is_atomic_under_200_concurrent_calls(broker):
    product = await broker.call("product.create", KEYBOARD)
    results = await asyncio.gather(*(broker.call("product.reduce_stock", {"id": product["_id"], "quantity": 1})
                                     for _ in range(200)), return_exceptions=True)  # fmt: skip
    assert sum(isinstance(r, dict) for r in results) == 50
    assert {r.type for r in results if isinstance(r, Exception)} == {"INSUFFICIENT_STOCK"}
    assert (await broker.call("product.get", {"id": product["_id"]}))["stock"] == 0


async def test_reduce_stock_is_a_conditional_update_many(broker):
    service = broker.get_local_service("product")
    product = await broker.call("product.create", KEYBOARD)
    calls = []
    original = service.adapter.update_many

    async def spy(query, update):
        calls.append((query, update))
        return await original(query, update)

    service.adapter.update_many = spy
    try:
        await broker.call("product.reduce_stock", {"id": product["_id"], "quantity": 3})
    finally:
        service.adapter.update_many = original
    condition = {"_id": product["_id"], "stock": {"$gte": 3}, "isActive": {"$ne": False}}
    assert calls == [(condition, {"$inc": {"stock": -3}})]


async def test_a_product_deactivated_after_the_orders_check_sells_nothing(broker):
    product = await broker.call("product.create", {**KEYBOARD, "stock": 5})
    await broker.call("product.update", {"id": product["_id"], "isActive": False})
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("product.reduce_stock", {"id": product["_id"], "quantity": 1})
    assert (info.value.code, info.value.type) == (422, "PRODUCT_UNAVAILABLE")
    assert (await broker.call("product.get", {"id": product["_id"]}))["stock"] == 5


async def test_insufficient_stock_and_unknown_products(broker):
    product = await broker.call("product.create", {**KEYBOARD, "stock": 2})
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("product.reduce_stock", {"id": product["_id"], "quantity": 3})
    assert (info.value.code, info.value.type, info.value.data) == (422, "INSUFFICIENT_STOCK",
                                                                   {"available": 2, "requested": 3})  # fmt: skip
    with pytest.raises(EntityNotFoundError):
        await broker.call("product.reduce_stock", {"id": "missing", "quantity": 1})
    with pytest.raises(ValidationError):
        await broker.call("product.reduce_stock", {"id": product["_id"], "quantity": 0})
    restored = await broker.call("product.restore_stock", {"id": product["_id"], "quantity": 5})
    assert restored["stock"] == 7


async def test_stock_actions_are_not_published(broker):
    for name in ("product.reduce_stock", "product.restore_stock"):
        assert broker.registry.actions.get(name).endpoints[0].action.visibility == "public"  # the gateway 404s
    assert broker.registry.actions.get("product.list").endpoints[0].action.visibility == "published"


async def test_an_update_on_one_node_cleans_the_cached_reads_of_another():
    from broker.transporters import FakeBus, FakeTransporter
    from shop.storage import Storage

    from .helpers import until

    bus, shared = FakeBus(), Storage("mongomock://")  # one database, two product instances
    a, b = (make_broker("product", storage=shared, node_id=node, transporter=FakeTransporter(bus=bus))
            for node in ("a", "b"))  # fmt: skip
    async with a, b:
        product = await a.call("product.create", KEYBOARD)
        assert (await b.call("product.get", {"id": product["_id"]}))["price"] == 2999  # cached on b
        assert (await b.call("product.list", {}))["total"] == 1
        await a.call("product.update", {"id": product["_id"], "price": 1999})

        async def fresh() -> bool:
            return (await b.call("product.get", {"id": product["_id"]}))["price"] == 1999

        assert await until(fresh)
        assert (await b.call("product.list", {}))["rows"][0]["price"] == 1999
