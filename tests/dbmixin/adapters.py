"""The adapters the mixin's integration suite runs on: every test that builds its services with ``make_broker`` runs
once per adapter, so a service moves from memory to MongoDB or SQL by changing its ``adapter`` line and answers the
same.

* ``memory``: no ``adapter`` key (the mixin's default ``MemoryAdapter``);
* ``mongomock``: ``MongoAdapter`` on a fresh mongomock-motor client (and ``mongo-server`` when ``MONGO_URI`` is set);
* ``sqlite``, ``postgresql``, ``mariadb``: ``SQLAdapter`` on a schemaless table (a JSON column per field name the
  suite uses, ``tests/adapters/sql/models.py``), a fresh table per service and test. A server that does not answer
  is left out, except under ``CI=true`` where its tests fail.

``REQUIRES`` names the tests that need an optional capability. Where mongomock is known to answer unlike MongoDB,
the case is in the one list of such cases, ``MONGOMOCK_DIFFERS`` in ``tests/adapters/mongo/servers.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

from adapters import BaseAdapter
from tests.servers import CI

MONGO_URI = os.environ.get("MONGO_URI")

# Every field name the suite's entities use (a column each on SQL); other names are a 422 there, by design.
FIELDS = (
    "a", "address", "age", "ages", "author", "b", "balance", "big", "bio", "born", "by", "c", "cars", "category",
    "checked", "city", "content", "count", "createdBy", "creator", "d", "deep", "e", "edited", "email", "extra",
    "f", "g", "geo", "group", "guarded", "hidden", "items", "lat", "likes", "list", "lng", "max", "meta", "min",
    "myID", "n", "name", "no", "nope", "ok", "other", "owner", "parent", "password", "pin", "plates", "price",
    "profile", "pw", "q", "raw", "readers", "reviewer", "reviewerId", "roles", "secret", "shop", "slug", "small",
    "state", "status", "stock", "t", "tags", "title", "type", "u", "user", "users", "values", "votes", "writer",
    "x", "y", "zip",
)  # fmt: skip


def _mongomock(service: str) -> BaseAdapter:
    from mongomock_motor import AsyncMongoMockClient

    from adapters import MongoAdapter

    return MongoAdapter(AsyncMongoMockClient(), service, "dbmixin")


def _mongo_server(service: str) -> BaseAdapter:
    from adapters import MongoAdapter

    assert MONGO_URI is not None
    return MongoAdapter(MONGO_URI, f"{service}_{uuid.uuid4().hex[:12]}", "dbmixin_test")


def _sql(url: str) -> Callable[[str], BaseAdapter]:
    def make(service: str) -> BaseAdapter:
        from adapters import SQLAdapter
        from tests.adapters.sql.models import documents_table

        name = f"dbm_{service.replace('.', '_')}_{uuid.uuid4().hex[:10]}"
        return SQLAdapter(url, documents_table(name, fields=FIELDS))

    return make


@cache
def adapter_kinds() -> dict[str, Callable[[str], BaseAdapter] | None]:
    """Adapter name → factory of a fresh adapter for one service (``None``: the mixin's default memory adapter)."""
    kinds: dict[str, Callable[[str], BaseAdapter] | None] = {"memory": None}
    try:
        import mongomock_motor  # noqa: F401
        import pymongo  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs both
        pass
    else:
        kinds["mongomock"] = _mongomock
        if MONGO_URI:
            kinds["mongo-server"] = _mongo_server
    try:
        import sqlalchemy  # noqa: F401

        from tests.servers import MYSQL_URL, PG_URL, reachable
    except ImportError:  # pragma: no cover - without the sql extra
        return kinds
    kinds["sqlite"] = _sql("sqlite+aiosqlite://")
    for name, url in (("postgresql", PG_URL), ("mariadb", MYSQL_URL)):
        if reachable(url) or CI:
            kinds[name] = _sql(url)
    return kinds


async def drop_table(adapter: Any) -> None:
    """Drop an SQL adapter's per-test table (server databases keep tables between runs)."""
    table, engine = getattr(adapter, "table", None), getattr(adapter, "engine", None)
    if table is None or engine is None or engine.dialect.name == "sqlite":
        return
    async with engine.begin() as conn:
        await conn.run_sync(table.drop, checkfirst=True)


# Tests that need an optional adapter capability (``adapters/capabilities.py``): on an adapter without it they are
# skipped here (the conformance suite checks that such an adapter raises ``UnsupportedQueryError`` instead).
REQUIRES: dict[str, str] = {
    "test_search_without_search_fields_skips_excluded_fields": "search_without_fields",
    "test_query_hidden_fields_reopens_them_and_custom_actions_keep_full_access": "search_without_fields",
    "test_the_override_still_takes_effect_and_the_caps_hold": "search_without_fields",
    "test_custom_actions_have_full_access_unless_they_sanitise_first": "regex",
    "test_a_unique_clash_reached_by_inc_does_not_reveal_the_hidden_value": "unique_indexes",
    "test_index_declarations_the_readme_documents_are_accepted_and_honoured": "unique_indexes",
    "test_indexes_may_name_the_public_id_field": "unique_indexes",
}

@cache
def capabilities(kind: str) -> Any:
    """The declared capabilities of an adapter kind (read from an instance that is never connected)."""
    make = adapter_kinds()[kind]
    if make is None:
        from adapters import MemoryAdapter

        return MemoryAdapter().capabilities
    return make("probe").capabilities
