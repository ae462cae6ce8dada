"""Fixtures for the broker tests: silent brokers that are always stopped after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from broker import ServiceBroker


@pytest.fixture
async def make_broker() -> AsyncIterator[Callable[..., ServiceBroker]]:
    """``make_broker(*schemas, **options)`` → a silent, not yet started broker; all are stopped afterwards."""
    brokers: list[ServiceBroker] = []

    def factory(*schemas: Any, **options: Any) -> ServiceBroker:
        options.setdefault("logger", False)
        broker = ServiceBroker(**options)
        for schema in schemas:
            broker.create_service(schema)
        brokers.append(broker)
        return broker

    yield factory
    for broker in brokers:
        if broker.started:
            await broker.stop()


@pytest.fixture
async def start_broker(make_broker: Callable[..., ServiceBroker]) -> Callable[..., Any]:
    """``await start_broker(*schemas, **options)`` → a started silent broker."""

    async def factory(*schemas: Any, **options: Any) -> ServiceBroker:
        broker = make_broker(*schemas, **options)
        await broker.start()
        return broker

    return factory
