"""Fixtures for the transit tests: brokers joined by an in-process ``FakeBus`` (or the real NATS server)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from broker import ServiceBroker
from broker.transporters import FakeBus, FakeTransporter

from .hostile import Peer


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
async def peer(bus: FakeBus) -> Peer:
    """A hostile raw client of the test's fake bus, posing as node ``evil`` (``tests/transit/hostile.py``)."""
    return await Peer(bus).start()


@pytest.fixture
async def cluster(bus: FakeBus) -> AsyncIterator[Callable[..., Any]]:
    """``await cluster(node_id, *schemas, **options)`` → a started broker on the test's fake bus."""
    brokers: list[ServiceBroker] = []

    async def factory(node_id: str, *schemas: Any, **options: Any) -> ServiceBroker:
        options.setdefault("logger", False)
        options.setdefault("transporter", FakeTransporter(bus=bus))
        broker = ServiceBroker(node_id=node_id, **options)
        for schema in schemas:
            broker.create_service(schema)
        brokers.append(broker)
        await broker.start()
        return broker

    yield factory
    await stop_all(brokers)


def server_cluster(url: str, brokers: list[ServiceBroker]) -> Callable[..., Any]:
    """``await factory(node_id, *schemas, **options)`` → a started broker on the real server at ``url``, in a fresh
    namespace (so tests and other users of the server never see each other's packets). Every broker made is added
    to ``brokers``; the fixture stops them (``stop_all``)."""
    namespace = f"t{uuid.uuid4().hex[:8]}"

    async def factory(node_id: str, *schemas: Any, **options: Any) -> ServiceBroker:
        options.setdefault("logger", False)
        broker = ServiceBroker(node_id=node_id, namespace=namespace, transporter=url, **options)
        for schema in schemas:
            broker.create_service(schema)
        brokers.append(broker)
        await broker.start()
        return broker

    factory.namespace = namespace  # type: ignore[attr-defined]
    factory.url = url  # type: ignore[attr-defined]
    return factory


async def stop_all(brokers: list[ServiceBroker]) -> None:
    """Stop every broker of the list that is still running."""
    for broker in brokers:
        if broker.started:
            await broker.stop()


async def until(predicate: Callable[[], bool], timeout: float = 5) -> None:
    """Wait until ``predicate()`` holds (checked every 10 ms), at most ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def settle(rounds: int = 20) -> None:
    """Let queued fake-bus deliveries (and what they trigger) run: loop turns, no clock."""
    for _ in range(rounds):
        await asyncio.sleep(0)
