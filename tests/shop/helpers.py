"""Build brokers from the shop's service modules, as post 15's tests do (``logger=False``, memory storage)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from broker import ServiceBroker
from shop import email, notification, order, product, user
from shop.auth import Passwords, Tokens
from shop.storage import Storage

SECRET = "unit-test-secret-of-at-least-32-bytes"
TOKENS = Tokens(SECRET, 3600)
PASSWORDS = Passwords(4)


def make_broker(*names: str, storage: Storage | None = None, cacher: Any = "Memory", **options: Any) -> ServiceBroker:
    """A broker with the named shop services on ``storage`` (default: memory); ``options`` go to the broker."""
    storage = storage or Storage.memory()
    factories = {
        "user": lambda: user.schema(storage, TOKENS, PASSWORDS),
        "product": lambda: product.schema(storage),
        "order": lambda: order.schema(storage),
        "email": email.schema,
        "notification": notification.schema,
    }
    broker = ServiceBroker(logger=False, cacher=cacher, **options)
    for name in names:
        broker.create_service(factories[name]())
    return broker


async def until(predicate: Callable[[], Awaitable[bool]], rounds: int = 200) -> bool:
    """Let the loop run until ``predicate()`` holds (events are delivered asynchronously)."""
    for _ in range(rounds):
        if await predicate():
            return True
        await asyncio.sleep(0)
    return False
