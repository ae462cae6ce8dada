"""Fixtures for the mixin's integration tests: a broker with DbMixin services, started and stopped per test.

``make_broker`` runs each test once per adapter of ``tests/dbmixin/adapters.py``: a DbMixin schema (a dict) without
an ``adapter`` key gets that adapter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from broker import ServiceBroker
from broker.errors import ValidationError
from dbmixin import DbMixin
from tests.adapters.mongo.servers import mark_mongomock_differences

from .adapters import REQUIRES, adapter_kinds, capabilities, drop_table

ADAPTER_KINDS = adapter_kinds()

POSTS = [
    {"title": "Hello world", "content": "First post", "votes": 3, "status": "published", "author": 1},
    {"title": "Second", "content": "More words", "votes": 10, "status": "draft", "author": 2},
    {"title": "Third hello", "content": "Even more", "votes": 5, "status": "published", "author": 1},
]


@pytest.fixture(params=list(ADAPTER_KINDS))
def adapter_kind(request: pytest.FixtureRequest) -> str:
    """The adapter this test's DbMixin services run on (``memory``: the mixin's default)."""
    kind = str(request.param)
    needed = REQUIRES.get(request.node.originalname)
    if needed is not None and capabilities(kind).missing(needed):
        pytest.skip(f"the {kind} adapter does not declare {needed}")
    return kind


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Cases where mongomock differs from MongoDB: strict expected failures on the ``mongomock`` adapter only."""
    mark_mongomock_differences(items)


@pytest.fixture
async def make_broker(adapter_kind: str) -> AsyncIterator[Callable[..., Any]]:
    """``await make_broker(*schemas, **broker_options)`` → a started broker; every one is stopped afterwards."""
    brokers: list[ServiceBroker] = []
    adapters: list[Any] = []
    make_adapter = ADAPTER_KINDS[adapter_kind]

    async def factory(*schemas: Any, **options: Any) -> ServiceBroker:
        options.setdefault("logger", False)
        broker = ServiceBroker(**options)
        for schema in schemas:
            is_db = isinstance(schema, dict) and DbMixin in schema.get("mixins", ())
            if make_adapter is not None and is_db and "adapter" not in schema:
                schema = {**schema, "adapter": make_adapter(schema["name"])}
                adapters.append(schema["adapter"])
            broker.create_service(schema)
        brokers.append(broker)
        await broker.start()
        return broker

    yield factory
    for adapter in adapters:
        await drop_table(adapter)
    for broker in brokers:
        await broker.stop()


def posts_schema(**extra: Any) -> dict[str, Any]:
    """A posts service; ``settings`` and other keys can be overridden."""
    settings = extra.pop("settings", {})
    return {"name": "posts", "mixins": [DbMixin], "settings": settings, **extra}


async def seed(broker: ServiceBroker, service: str = "posts", rows: list[dict[str, Any]] | None = None) -> list:
    """Insert rows through the ``insert`` action and return the created entities."""
    return await broker.call(f"{service}.insert", {"entities": [dict(r) for r in (rows or POSTS)]})


async def refused(broker: ServiceBroker, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Call ``action``, which must fail with a 422 ``ValidationError``; its first error entry."""
    with pytest.raises(ValidationError) as info:
        await broker.call(action, params)
    assert info.value.code == 422
    return info.value.data[0]
