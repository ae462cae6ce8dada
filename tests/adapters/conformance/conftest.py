"""Seed data for the conformance suite: mixed types, so that adapters that differ on them would show it.

Ids are explicit integers so expectations can name entities. Per entity: ``price`` is an int, a float, ``None``, a
numeric *string* or missing; ``active`` is a bool or the int ``1``; ``tags`` is an array, an empty array, a
scalar string, or holds a nested array; ``address`` is an object, ``None`` or missing.

Capabilities: ``@requires("regex")`` (or ``pytest.param(..., marks=requires("regex"))``) marks a case that needs an
optional capability (``adapters/capabilities.py``). On an adapter that declares it the case runs as written; on one
that does not, the case must raise ``UnsupportedQueryError`` (and fails if it passes or raises anything else). Inside a
test, ``with expect_supported(adapter, "regex"): ...`` does the same for one block.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from adapters import AdapterCapabilities, BaseAdapter, UnsupportedQueryError

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


def requires(*capabilities: str) -> pytest.MarkDecorator:
    """Mark a test or a param as needing these capabilities (names are checked now: a typo fails collection)."""
    AdapterCapabilities().has(*capabilities)
    return pytest.mark.requires(*capabilities)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requires(*capabilities): a conformance case needing optional capabilities")


@contextmanager
def expect_supported(adapter: BaseAdapter, *capabilities: str) -> Iterator[None]:
    """Run the block as written if ``adapter`` declares every capability; otherwise the block must raise
    ``UnsupportedQueryError`` (swallowed here) and may not complete."""
    missing = adapter.capabilities.missing(*capabilities)
    if not missing:
        yield
        return
    try:
        yield
    except UnsupportedQueryError:
        return
    pytest.fail(
        f"{adapter.adapter_name} does not declare {', '.join(missing)}, but did not raise UnsupportedQueryError"
    )


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
    """Apply ``@requires`` to the whole test body, for the test's ``adapter``."""
    marker = pyfuncitem.get_closest_marker("requires")
    adapter = pyfuncitem.funcargs.get("adapter")
    if marker is None or not isinstance(adapter, BaseAdapter):
        return (yield)
    capabilities = tuple(arg for mark in pyfuncitem.iter_markers("requires") for arg in mark.args)
    with expect_supported(adapter, *capabilities):
        return (yield)
    return True  # the adapter lacks a capability and refused as it must


def cases_with_needs(cases: list[tuple[Any, ...]], needs: dict[str, tuple[str, ...]]) -> list[Any]:
    """``pytest.param`` per case (``(name, *values)``), marked ``requires(*needs[name])`` where listed."""
    unknown = set(needs) - {case[0] for case in cases}
    assert not unknown, f"needs for unknown cases: {unknown}"
    return [
        pytest.param(*case[1:], id=case[0], marks=[requires(*needs[case[0]])] if case[0] in needs else [])
        for case in cases
    ]
