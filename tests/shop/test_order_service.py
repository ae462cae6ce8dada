"""Post 15's integration test for the order flow across services, and one with the user service mocked."""

import pytest
import pytest_asyncio

from adapters import AdapterError
from broker import ServiceBroker
from broker.errors import MoleculerClientError, ValidationError
from dbmixin import EntityNotFoundError
from shop import order
from shop.storage import Storage

from .helpers import make_broker, until

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.filterwarnings("error")]

KEYBOARD = {"name": "Test Keyboard", "price": 1000, "stock": 10}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker():
    broker = make_broker("user", "product", "order", "email", "notification")
    await broker.start()
    yield broker
    await broker.stop()


async def customer(broker, email):
    user = await broker.call("user.create", {"name": "Rahul", "email": email, "password": "password123"})
    return user, {"user": {"id": user["_id"], "email": email, "role": "user"}}


async def test_an_order_takes_the_price_from_the_catalogue_and_reduces_the_stock(broker):
    _, meta = await customer(broker, "flow@example.com")
    item = await broker.call("product.create", KEYBOARD)
    placed = await broker.call("order.create", {"productId": item["_id"], "quantity": 2}, meta=meta)
    assert (placed["status"], placed["totalPrice"], placed["userId"]) == ("confirmed", 2000, meta["user"]["id"])
    assert (await broker.call("product.get", {"id": item["_id"]}))["stock"] == 8  # before the answer, not after
    with pytest.raises(ValidationError):
        await broker.call("order.create", {"productId": item["_id"], "quantity": 1, "totalPrice": 1}, meta=meta)

    notifier, mailer = broker.get_local_service("notification"), broker.get_local_service("email")

    async def told():
        return any(placed["_id"] in n["text"] for n in notifier.sent) and any(
            placed["_id"] in m["subject"] for m in mailer.sent)

    assert await until(told)


async def test_my_orders_pages_and_populates(broker):
    user, meta = await customer(broker, "pages@example.com")
    item = await broker.call("product.create", KEYBOARD)
    for _ in range(3):
        await broker.call("order.create", {"productId": item["_id"], "quantity": 1}, meta=meta)
    page = await broker.call("order.my_orders", {"pageSize": "2", "page": "2", "populate": ["product", "user"]},
                             meta=meta)  # fmt: skip
    assert (page["total"], page["page"], page["pageSize"], page["totalPages"], len(page["rows"])) == (3, 2, 2, 2, 1)
    row = page["rows"][0]
    assert row["product"]["name"] == "Test Keyboard" and row["user"]["_id"] == user["_id"]
    assert "password" not in row["user"]
    with pytest.raises(ValidationError):  # the caller cannot widen the query
        await broker.call("order.my_orders", {"query": {"userId": {"$exists": True}}}, meta=meta)


async def test_get_answers_only_ones_own_orders(broker):
    _, alice = await customer(broker, "alice@example.com")
    _, bob = await customer(broker, "bob@example.com")
    item = await broker.call("product.create", KEYBOARD)
    placed = await broker.call("order.create", {"productId": item["_id"], "quantity": 1}, meta=alice)
    assert (await broker.call("order.get", {"id": placed["_id"]}, meta=alice))["_id"] == placed["_id"]
    with pytest.raises(EntityNotFoundError):
        await broker.call("order.get", {"id": placed["_id"]}, meta=bob)
    admin = {"user": {"id": "admin", "role": "admin"}}
    assert (await broker.call("order.get", {"id": placed["_id"], "populate": "product"}, meta=admin))["product"]


async def test_status_follows_the_transitions_and_cancelling_restocks(broker):
    _, meta = await customer(broker, "status@example.com")
    item = await broker.call("product.create", KEYBOARD)
    placed = await broker.call("order.create", {"productId": item["_id"], "quantity": 4}, meta=meta)
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("order.update_status", {"id": placed["_id"], "status": "delivered"})
    assert info.value.type == "INVALID_STATUS_TRANSITION"
    cancelled = await broker.call("order.update_status", {"id": placed["_id"], "status": "cancelled"})
    assert cancelled["status"] == "cancelled"
    assert (await broker.call("product.get", {"id": item["_id"]}))["stock"] == 10
    with pytest.raises(MoleculerClientError) as info:
        await broker.call("order.update_status", {"id": placed["_id"], "status": "confirmed"})
    assert info.value.data == {"from": "cancelled", "to": "confirmed", "allowed": []}


async def test_the_stock_comes_back_when_saving_the_order_fails(broker):
    _, meta = await customer(broker, "fails@example.com")
    item = await broker.call("product.create", KEYBOARD)
    service = broker.get_local_service("order")
    original = service.adapter.insert

    async def broken(entity):
        raise AdapterError("disk full")

    service.adapter.insert = broken
    try:
        with pytest.raises(AdapterError):
            await broker.call("order.create", {"productId": item["_id"], "quantity": 3}, meta=meta)
    finally:
        service.adapter.insert = original
    assert (await broker.call("product.get", {"id": item["_id"]}))["stock"] == 10
    assert await broker.call("order.count", {"query": {"productId": item["_id"]}}) == 0


async def test_order_service_with_the_user_service_mocked():
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "user", "actions": {
        "get": lambda self, ctx: {str(i): {"_id": i, "name": "Stub"} for i in ctx.params["id"]}
        if isinstance(ctx.params["id"], list) else {"_id": ctx.params["id"], "name": "Stub"}}})
    broker.create_service({"name": "product", "actions": {
        "get": lambda self, ctx: {"_id": ctx.params["id"], "name": "Stub", "price": 5, "stock": 3},
        "reduce_stock": lambda self, ctx: {"_id": ctx.params["id"]}}})
    broker.create_service(order.schema(Storage.memory()))
    meta = {"user": {"id": "u1", "role": "user"}}
    async with broker:
        placed = await broker.call("order.create", {"productId": "product-1", "quantity": 2}, meta=meta)
        page = await broker.call("order.my_orders", {"populate": "user"}, meta=meta)
    assert placed["totalPrice"] == 10
    assert page["rows"][0]["user"]["name"] == "Stub"
