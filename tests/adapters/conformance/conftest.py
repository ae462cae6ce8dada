"""Seed data for the conformance suite: mixed types, so that adapters that differ on them would show it.

Ids are explicit integers so expectations can name entities. Per entity: ``price`` is an int, a float, ``None``, a
numeric *string* or missing; ``active`` is a bool or the int ``1``; ``tags`` is an array, an empty array, a
scalar string, or holds a nested array; ``address`` is an object, ``None`` or missing.
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters import BaseAdapter

SEED: list[dict[str, Any]] = [
    {"_id": 1, "name": "Apple", "price": 3, "qty": 10, "category": "fruit", "tags": ["red", "sweet"],
     "address": {"city": "Paris", "zip": "75001"}, "active": True},
    {"_id": 2, "name": "banana", "price": 1.5, "qty": 0, "category": "fruit", "tags": ["yellow"],
     "address": {"city": "Lyon"}, "active": False},
    {"_id": 3, "name": "Carrot", "price": 2, "category": "vegetable", "tags": [], "address": None, "active": True},
    {"_id": 4, "name": "date", "price": None, "qty": 5, "category": "fruit", "tags": ["sweet", "brown"],
     "active": 1},
    {"_id": 5, "name": "Eggplant", "price": "4", "qty": 7, "category": "vegetable", "tags": "purple",
     "address": {"city": "Paris"}},
    {"_id": 6, "name": "fig", "qty": 3.5, "category": None, "tags": ["sweet"],
     "address": {"city": "Nice", "geo": {"lat": 43.7}}, "active": False},
    {"_id": 7, "name": "Grape", "price": 3.0, "qty": 12, "tags": [["nested"], "green"], "ratings": [4, 5],
     "active": True},
]  # fmt: skip

ALL_IDS = [entity["_id"] for entity in SEED]


@pytest.fixture
async def seeded(adapter: BaseAdapter) -> BaseAdapter:
    """The adapter holding ``SEED`` (inserted in id order)."""
    await adapter.insert_many(SEED)
    return adapter
