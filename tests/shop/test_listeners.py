"""The email and notification services log the course's events and never break the emitter."""

import pytest

from .helpers import make_broker

pytestmark = pytest.mark.filterwarnings("error")


async def test_listeners_record_what_they_would_send():
    broker = make_broker("email", "notification")
    async with broker:
        await broker.emit("user.registered", {"userId": "u1", "name": "Rahul", "email": "rahul@example.com"})
        await broker.emit("order.created", {"orderId": "o1", "userId": "u1", "productId": "p1", "quantity": 2,
                                            "totalPrice": 20, "productName": "Keyboard"})  # fmt: skip
        await broker.emit("order.statusUpdated", {"orderId": "o1", "userId": "u1", "status": "shipped"})
        mailer, notifier = broker.get_local_service("email"), broker.get_local_service("notification")
        assert [m["to"] for m in mailer.sent] == ["rahul@example.com", "user:u1", "user:u1"]
        assert [n["text"] for n in notifier.sent] == ["Order o1 placed: 2 x Keyboard", "Order o1 is shipped"]


async def test_a_failing_listener_never_reaches_the_emitter():
    broker = make_broker("email", "notification")
    async with broker:
        for event in ("user.registered", "order.created", "order.statusUpdated"):
            await broker.broadcast(event, {"unexpected": "payload"}, throw_error=True)  # raises if a handler did
        assert broker.get_local_service("email").sent == []
