"""Post 15's integration test and its mocked-service test, ported: a second broker from the same service modules."""

import asyncio

import pytest
import pytest_asyncio

from broker import ServiceBroker

from .services import order, product, user

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error")]  # "never awaited" fails


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker():
    broker = ServiceBroker(logger=False, cacher="Memory")
    for schema in (user.schema, order.schema, product.schema):
        broker.create_service(schema)
    await broker.start()
    yield broker
    await broker.stop()


async def until(predicate, rounds=200):
    """Let the event loop run until ``predicate()`` holds (events are delivered asynchronously)."""
    for _ in range(rounds):
        if await predicate():
            return True
        await asyncio.sleep(0)
    return False


async def test_the_same_email_registers_again_in_a_new_broker(broker):
    created = await broker.call(
        "user.create", {"name": "Rahul Sharma", "email": "rahul@example.com", "password": "password123"}
    )
    assert created["email"] == "rahul@example.com"


async def test_an_order_reduces_product_stock_through_a_fire_and_forget_event(broker):
    item = await broker.call("product.create", {"name": "Test Keyboard", "price": 1000, "stock": 10})
    placed = await broker.call(
        "order.create", {"productId": str(item["_id"]), "quantity": 2}, meta={"user": {"id": "user-1", "role": "user"}}
    )
    assert placed["status"] == "confirmed"
    assert placed["totalPrice"] == 2000

    async def stock_is_8():
        return (await broker.call("product.get", {"id": str(item["_id"])}))["stock"] == 8

    assert await until(stock_is_8)
    mine = await broker.call("order.my_orders", {}, meta={"user": {"id": "user-1"}})
    assert [o["_id"] for o in mine] == [placed["_id"]]


async def test_order_service_with_a_mocked_product_service():
    broker = ServiceBroker(logger=False)
    broker.create_service({
        "name": "product",
        "actions": {"get": lambda self, ctx: {"_id": ctx.params["id"], "name": "Stub", "price": 5, "stock": 3}},
    })
    broker.create_service(order.schema)
    async with broker:
        placed = await broker.call(
            "order.create", {"productId": "product-1", "quantity": 1}, meta={"user": {"id": "1"}}
        )
    assert placed["totalPrice"] == 5
