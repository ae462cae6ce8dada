"""Fixtures: a broker with the sample services and a gateway served by uvicorn on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from broker import ServiceBroker

from .services import ADMIN, GREETER, ORDER, gateway_service, posts_service


class Served:
    """A started broker, its gateway service and an httpx client bound to the gateway's URL."""

    def __init__(self, broker: ServiceBroker, api: Any, client: httpx.AsyncClient) -> None:
        self.broker, self.api, self.client = broker, api, client


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    broker = ServiceBroker(logger=False, cacher="Memory")
    for schema in (GREETER, ORDER, ADMIN, posts_service()):
        broker.create_service(schema)
    api = broker.create_service(gateway_service())
    await broker.start()
    async with httpx.AsyncClient(base_url=api.server.url) as client:
        yield Served(broker, api, client)
    await broker.stop()


class serve:
    """``async with serve(*schemas, **broker_options) as s``: a broker whose last schema is the gateway."""

    def __init__(self, *schemas: Any, **options: Any) -> None:
        options.setdefault("logger", False)
        self.broker = ServiceBroker(**options)
        self.services = [self.broker.create_service(schema) for schema in schemas]

    async def __aenter__(self) -> Served:
        await self.broker.start()
        api = self.services[-1]
        self.client = httpx.AsyncClient(base_url=api.server.url)
        return Served(self.broker, api, self.client)

    async def __aexit__(self, *exc: Any) -> None:
        await self.client.aclose()
        await self.broker.stop()
