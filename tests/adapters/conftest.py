"""Fixtures of the adapter suites: the list of adapter factories the conformance suite runs against.

To put a new adapter through the conformance suite, append a factory to ``ADAPTER_FACTORIES``: a callable that
returns a fresh, not yet initialised adapter. The ``adapter`` fixture initialises and connects it, empties it, and
clears and disconnects it afterwards. Every conformance test must pass unchanged for every factory; a test marked
``@requires("capability")`` (``tests/adapters/conformance/conftest.py``) must instead raise ``UnsupportedQueryError``
on an adapter whose ``capabilities`` lack it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters import BaseAdapter, MemoryAdapter

from .fakes import LimitedMemoryAdapter
from .mongo.servers import mark_mongomock_differences, mongo_factories

# The fields the conformance tests query by equality / $in: the indexed memory adapter serves them from its hash
# indexes, the plain one scans, and both must give identical results.
INDEXED_FIELDS = ("category", "price", "name", "tags", "active", "address.city", "qty", "ratings")

ADAPTER_FACTORIES: list[tuple[str, Callable[[], BaseAdapter]]] = [
    ("memory", MemoryAdapter),
    ("memory-indexed", lambda: MemoryAdapter(indexes=INDEXED_FIELDS[:4])),  # the rest via settings["indexes"]
    # declares no regex, no search without fields, no transactions: those cases must raise UnsupportedQueryError
    ("memory-limited", LimitedMemoryAdapter),
]

SETTINGS: dict[str, dict[str, Any]] = {"memory-indexed": {"indexes": list(INDEXED_FIELDS[4:])}}

# MongoAdapter: on mongomock-motor always; on a real server too when MONGO_URI is set (tests/adapters/mongo/servers.py
# builds both; cases where mongomock answers differently from MongoDB are marked there, see MONGOMOCK_DIFFERS).
ADAPTER_FACTORIES.extend(mongo_factories())


@pytest.fixture(params=[factory for _, factory in ADAPTER_FACTORIES], ids=[n for n, _ in ADAPTER_FACTORIES])
async def adapter(request: pytest.FixtureRequest) -> AsyncIterator[BaseAdapter]:
    """A fresh, connected, empty adapter of each registered kind."""
    name = ADAPTER_FACTORIES[request.param_index][0]
    instance = request.param()
    instance.init("conformance.items", SETTINGS.get(name, {}), {"name": "items"})
    await instance.connect()
    await instance.clear()
    yield instance
    await instance.clear()
    await instance.disconnect()


def ids(rows: list[dict[str, Any]]) -> list[Any]:
    """The ``_id`` of each row, in order."""
    return [row["_id"] for row in rows]


def drive(coro: Any) -> Any:
    """Run a coroutine that never suspends (every memory adapter method) and return its result.

    Fails if it does suspend: the memory adapter's atomicity rests on having no ``await`` inside a call.
    """
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise AssertionError("the coroutine suspended")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Cases where mongomock is known to differ from MongoDB must fail on mongomock (strict xfail, so a mongomock
    that is fixed shows up) and run normally against a real server (``MONGO_URI``)."""
    mark_mongomock_differences(items)
