"""Engines of the SQL adapter tests: SQLite (in memory and in a file), PostgreSQL and MariaDB.

Server URLs and the rule for one that does not answer (skipped, failed under ``CI=true``) are ``tests/servers.py``'s.
Each test gets a fresh adapter (its own engine and pool, disposed at the end) on a table emptied first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from adapters import SQLAdapter
from tests.servers import MYSQL_URL, PG_URL, require

from .models import products_table

SERVERS = {"postgresql": PG_URL, "mariadb": MYSQL_URL}
ENGINES = ["sqlite", "sqlite-file", "postgresql", "mariadb"]


def engine_url(name: str, tmp_path: Path) -> str:
    """The URL of an engine for one test; skips (or fails under ``CI=true``) an unreachable server."""
    if name == "sqlite":
        return "sqlite+aiosqlite://"
    if name == "sqlite-file":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url = SERVERS[name]
    require(url, name)
    return url


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """Each engine in turn."""
    return str(request.param)


@pytest.fixture
def make_adapter(engine_name: str, tmp_path: Path) -> Callable[..., SQLAdapter]:
    """``make_adapter(table, **options)``: an adapter on this test's engine (not yet connected)."""
    url = engine_url(engine_name, tmp_path)

    def make(table: Any = None, **options: Any) -> SQLAdapter:
        return SQLAdapter(url, table if table is not None else products_table(), **options)

    return make


@pytest.fixture
async def products(make_adapter: Callable[..., SQLAdapter]) -> AsyncIterator[SQLAdapter]:
    """A connected adapter on an empty typed ``products`` table."""
    adapter = make_adapter()
    adapter.init("products", {}, {"name": "products"})
    await adapter.connect()
    async with adapter.engine.begin() as conn:
        if adapter.dialect == "postgresql":
            await conn.exec_driver_sql("TRUNCATE dbm_products RESTART IDENTITY")
        elif adapter.dialect == "sqlite":
            await conn.execute(adapter.table.delete())
        else:
            await conn.exec_driver_sql("TRUNCATE TABLE dbm_products")
    yield adapter
    await adapter.disconnect()
