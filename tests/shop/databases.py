"""Fresh storage for the end-to-end suite: SQLite files and mongomock always; PostgreSQL and MariaDB when reachable;
a MongoDB server when ``MONGO_URI`` is set.

Server URLs come from ``DBMIXIN_PG_URL`` / ``DBMIXIN_MYSQL_URL`` (as the SQL adapter's tests; defaults: the CI
machine's ``postgres@127.0.0.1:5432/test`` and ``root@127.0.0.1:3306/test``) and ``MONGO_URI`` (as the Mongo
adapter's tests, ``tests/adapters/mongo/servers.py``). Each run creates its own database (``shop_e2e_<random>``)
beside the configured one and drops it afterwards. An unreachable SQL server skips its run, except under
``CI=true`` where it fails. ``mongomock`` runs ``python -m shop`` on ``MONGO_URI=mongomock://`` (in the shop's
process, no server).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.servers import MYSQL_URL, PG_URL, require

MONGO_URI = os.environ.get("MONGO_URI")


async def _execute(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def fresh_database(kind: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """``(DATABASE_URL, drop)`` of a new, empty database of ``kind`` (``sqlite``, ``postgresql``, ``mariadb``)."""
    if kind == "memory":
        return "memory://", lambda: None
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'shop.db'}", lambda: None
    import sqlalchemy as sa

    server = sa.make_url(PG_URL if kind == "postgresql" else MYSQL_URL)
    require(server.render_as_string(hide_password=False), kind)
    name = f"shop_e2e_{secrets.token_hex(4)}"
    admin_url = server.render_as_string(hide_password=False)
    asyncio.run(_execute(admin_url, f"CREATE DATABASE {name}"))
    url = server.set(database=name).render_as_string(hide_password=False)
    return url, lambda: asyncio.run(_execute(admin_url, f"DROP DATABASE {name}"))


PERSISTENT = {"sqlite", "postgresql", "mariadb", "mongo-server"}
"""The kinds whose data outlives the shop's process (``memory`` and ``mongomock`` are gone on exit)."""


def storage_kinds(sql: bool) -> list[str]:
    """The kinds the end-to-end suite runs on: the SQL ones (``memory`` without SQLAdapter), then ``mongomock``
    (with PyMongo and mongomock-motor installed), then ``mongo-server`` when ``MONGO_URI`` is set."""
    kinds = ["sqlite", "postgresql", "mariadb"] if sql else ["memory"]
    try:
        import mongomock_motor  # noqa: F401
        import pymongo  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs both
        return kinds
    return [*kinds, "mongomock", *(["mongo-server"] if MONGO_URI else [])]


def _drop_mongo(uri: str, name: str) -> None:
    from pymongo import MongoClient

    with MongoClient(uri) as client:
        client.drop_database(name)


def fresh_storage(kind: str, tmp: Path) -> tuple[dict[str, str], Callable[[], None]]:
    """``(environment, drop)`` choosing a new, empty storage of ``kind`` for ``python -m shop``: ``DATABASE_URL`` for
    the SQL kinds and ``memory``, ``MONGO_URI`` for ``mongomock`` and ``mongo-server``."""
    if kind == "mongomock":
        return {"MONGO_URI": "mongomock://"}, lambda: None
    if kind == "mongo-server":
        assert MONGO_URI is not None
        name = f"shop_e2e_{secrets.token_hex(4)}"
        uri = urlunsplit(urlsplit(MONGO_URI)._replace(path=f"/{name}"))
        return {"MONGO_URI": uri}, lambda: _drop_mongo(MONGO_URI, name)
    url, drop = fresh_database(kind, tmp)
    return {"DATABASE_URL": url}, drop
