"""Engines of the SQL adapter tests: SQLite (in memory and in a file), PostgreSQL and MariaDB.

Server URLs come from ``DBMIXIN_PG_URL`` / ``DBMIXIN_MYSQL_URL`` (defaults: the CI machine's
``postgres@127.0.0.1:5432/test`` and ``root@127.0.0.1:3306/test``). A server that does not answer skips its tests
with the reason, except under ``CI=true`` where it fails them: CI never skips a database silently.
Each test gets a fresh adapter (its own engine and pool, disposed at the end) on a table emptied first.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip("sqlalchemy")

from adapters import SQLAdapter

from .models import products_table

PG_URL = os.environ.get("DBMIXIN_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("DBMIXIN_MYSQL_URL", "mysql+asyncmy://root@127.0.0.1:3306/test")
SERVERS = {"postgresql": PG_URL, "mariadb": MYSQL_URL}
ENGINES = ["sqlite", "sqlite-file", "postgresql", "mariadb"]


@cache
def reachable(url: str) -> bool:
    """Whether the server of ``url`` accepts TCP connections (checked once per run)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1.0):
            return True
    except OSError:
        return False


def engine_url(name: str, tmp_path: Path) -> str:
    """The URL of an engine for one test; skips (or fails under ``CI=true``) an unreachable server."""
    if name == "sqlite":
        return "sqlite+aiosqlite://"
    if name == "sqlite-file":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    url = SERVERS[name]
    if not reachable(url):
        message = f"{name} is not reachable at {urlsplit(url).netloc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI=true: a database may not be skipped)")
        pytest.skip(message)
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
