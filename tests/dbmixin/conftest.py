"""Fixtures for the mixin's integration tests: a broker with DbMixin services, started and stopped per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from broker import ServiceBroker
from dbmixin import DbMixin

POSTS = [
    {"title": "Hello world", "content": "First post", "votes": 3, "status": "published", "author": 1},
    {"title": "Second", "content": "More words", "votes": 10, "status": "draft", "author": 2},
    {"title": "Third hello", "content": "Even more", "votes": 5, "status": "published", "author": 1},
]


@pytest.fixture
async def make_broker() -> AsyncIterator[Callable[..., Any]]:
    """``await make_broker(*schemas, **broker_options)`` → a started broker; every one is stopped afterwards."""
    brokers: list[ServiceBroker] = []

    async def factory(*schemas: Any, **options: Any) -> ServiceBroker:
        options.setdefault("logger", False)
        broker = ServiceBroker(**options)
        for schema in schemas:
            broker.create_service(schema)
        brokers.append(broker)
        await broker.start()
        return broker

    yield factory
    for broker in brokers:
        await broker.stop()


def posts_schema(**extra: Any) -> dict[str, Any]:
    """A posts service; ``settings`` and other keys can be overridden."""
    settings = extra.pop("settings", {})
    return {"name": "posts", "mixins": [DbMixin], "settings": settings, **extra}


async def seed(broker: ServiceBroker, service: str = "posts", rows: list[dict[str, Any]] | None = None) -> list:
    """Insert rows through the ``insert`` action and return the created entities."""
    return await broker.call(f"{service}.insert", {"entities": [dict(r) for r in (rows or POSTS)]})
