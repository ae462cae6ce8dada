"""Fixtures of the adapter suites: the list of adapter factories the conformance suite runs against.

To put a new adapter through the conformance suite, append a factory to ``ADAPTER_FACTORIES``: a callable that
returns a fresh, not yet initialised adapter. The ``adapter`` fixture initialises and connects it, empties it, and
clears and disconnects it afterwards. Every conformance test must pass unchanged for every factory; a test marked
``@requires("capability")`` (``tests/adapters/conformance/conftest.py``) must instead raise ``UnsupportedQueryError``
on an adapter whose ``capabilities`` lack it.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
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

try:  # the SQL adapter's factories, when SQLAlchemy is installed (the ``sql`` extra)
    from adapters import SQLAdapter

    from .sql.models import documents_table

    _CONFORMANCE_TABLE = documents_table()
    # savepoints=False: the contract's conformance case expects a nested transaction() to join the outer one;
    # SQLAdapter's default (issue 8) makes it a savepoint, tested in tests/adapters/sql/test_transactions.py.
    _SQLITE_FILE = Path(tempfile.mkdtemp(prefix="dbmixin-conformance-")) / "conformance.db"  # emptied per test
    ADAPTER_FACTORIES += [
        ("sqlite-memory", lambda: SQLAdapter("sqlite+aiosqlite://", _CONFORMANCE_TABLE, savepoints=False)),
        (
            "sqlite-file",
            lambda: SQLAdapter(f"sqlite+aiosqlite:///{_SQLITE_FILE}", _CONFORMANCE_TABLE, savepoints=False),
        ),
    ]
    from tests.servers import CI, MYSQL_URL, PG_URL, reachable

    # under CI an unreachable server fails instead of being left out
    if reachable(PG_URL) or CI:
        ADAPTER_FACTORIES.append(("postgresql", lambda: SQLAdapter(PG_URL, _CONFORMANCE_TABLE, savepoints=False)))
    if reachable(MYSQL_URL) or CI:
        ADAPTER_FACTORIES.append(("mariadb", lambda: SQLAdapter(MYSQL_URL, _CONFORMANCE_TABLE, savepoints=False)))
except ImportError:  # pragma: no cover - without the sql extra
    pass


# Known differences of an engine, as strict xfails (they fail loudly once fixed): PostgreSQL's lower() and MariaDB's
# LOWER() fold the dotted capital I (U+0130) to "i", where the language uses Unicode simple case folding (no match).
# MariaDB's PCRE2 backtracks: on the ReDoS pattern it gives up (its match limit) and the adapter refuses the call with
# UnsupportedQueryError rather than answer "no match" (adapters/sql/regex_sql.py).
_KNOWN_GAPS: dict[str, str] = {
    "test_regex.py::test_regex_semantics[mariadb-query0-expected0]": "PCRE2 match limit: UnsupportedQueryError",
    "test_regex.py::test_search_folds_like_a_case_insensitive_regex[postgresql-istanbul-expected3]": "lower('İ')",
    "test_regex.py::test_search_folds_like_a_case_insensitive_regex[postgresql-\\u0130STANBUL-expected4]": "lower('İ')",
    "test_regex.py::test_search_folds_like_a_case_insensitive_regex[mariadb-istanbul-expected3]": "LOWER('İ')",
    "test_regex.py::test_search_folds_like_a_case_insensitive_regex[mariadb-\\u0130STANBUL-expected4]": "LOWER('İ')",
}

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
    """Known differences, as strict xfails (a difference that goes away shows up): an engine's (``_KNOWN_GAPS``),
    and cases where mongomock differs from MongoDB (on mongomock only; they run normally on a real server)."""
    for item in items:
        reason = _KNOWN_GAPS.get(item.nodeid.rsplit("/", 1)[-1])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=f"known difference: {reason}", strict=True))
    mark_mongomock_differences(items)
