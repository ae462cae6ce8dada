"""Fixtures of the MongoAdapter tests: an adapter on a fresh mongomock-motor client (and the raw collection)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

pytest.importorskip("pymongo")
pytest.importorskip("mongomock_motor")

from mongomock_motor import AsyncMongoMockClient

from adapters.mongo import MongoAdapter


def make(declared: Any = None, **options: Any) -> MongoAdapter:
    """A not yet connected adapter on its own mongomock client, ``settings["indexes"]`` initialised."""
    adapter = MongoAdapter(AsyncMongoMockClient(), "items", "test", **options)
    adapter.init("test.items", {"indexes": declared} if declared is not None else {}, {"name": "items"})
    return adapter


@pytest.fixture
async def mongo() -> AsyncIterator[MongoAdapter]:
    """A connected MongoAdapter on a fresh mongomock client."""
    adapter = make()
    await adapter.connect()
    yield adapter
    await adapter.disconnect()
