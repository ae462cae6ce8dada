"""Where the shop keeps its data: chosen here, in one place, from ``DATABASE_URL`` or ``MONGO_URI``.

* unset → the embedded SQLite file ``shop.db`` in the working directory (``sqlite+aiosqlite:///shop.db``);
* any SQLAlchemy URL → ``SQLAdapter`` on a table generated from the entity's pydantic model (``shop.tables``);
* ``mongodb://host/db`` (or ``mongodb+srv://``) → one ``MongoAdapter`` per service on one shared client, a collection
  per entity (``users``, ``products``, ``orders``) in the URI's database;
* ``mongomock://`` (or ``mongomock:///db``) → the same on an in-process mongomock-motor client: no server, gone on
  exit (tests and demos);
* ``memory://`` → one ``MemoryAdapter`` per service (in process, gone on exit: tests and demos).

When ``SQLAdapter`` is not available (SQLAlchemy not installed), an unset ``DATABASE_URL`` falls back to memory with
a warning; an explicit SQL URL is then a ``ConfigError``, and so is a Mongo URI without PyMongo (or mongomock-motor).
Unique fields are enforced by the database: a unique constraint generated from the model on SQL, a unique index
declared from the model on MongoDB and in memory (``model_indexes``). Either way a clash is a 409
``EntityAlreadyExistsError`` the services turn into their own error. On MongoDB ids are 24-hex strings.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from adapters import MemoryAdapter

from .config import MONGO_SCHEMES, MONGOMOCK_SCHEME, ConfigError, redact
from .tables import _flag, _unique

__all__ = ["DEFAULT_URL", "MEMORY_URL", "Storage", "model_indexes"]

DEFAULT_URL = "sqlite+aiosqlite:///shop.db"
MEMORY_URL = "memory://"
MONGOMOCK_DATABASE = "shop"


def _sql_adapter_class() -> Any:
    """``adapters.SQLAdapter``, or ``None`` when it is missing or SQLAlchemy is not installed."""
    import adapters

    try:
        return getattr(adapters, "SQLAdapter", None)
    except ImportError:
        return None


def model_indexes(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The indexes a model declares in its fields' JSON schema extra: ``[{"fields": [name], "unique": bool}]`` for
    each ``unique`` field (the e-mail) and each ``index`` field (the order's ``userId``)."""
    return [{"fields": [name], "unique": _unique(info)} for name, info in model.model_fields.items()
            if _unique(info) or _flag(info, "index")]  # fmt: skip


def _kind(url: str) -> str:
    if url == MEMORY_URL:
        return "memory"
    if url.startswith(MONGOMOCK_SCHEME):
        return "mongomock"
    if url.startswith(MONGO_SCHEMES):
        return "mongo"
    return "sql"


def _mongo_database(url: str) -> str:
    """The database named by a Mongo URI (``ConfigError`` when it names none)."""
    if url.startswith(MONGOMOCK_SCHEME):
        return urlsplit(url).path.strip("/") or MONGOMOCK_DATABASE
    from pymongo.uri_parser import parse_uri

    try:
        database = parse_uri(url).get("database")
    except Exception as err:  # pymongo's InvalidURI, ConfigurationError (an unresolvable +srv host)...
        raise ConfigError(f"MONGO_URI is not a usable MongoDB URI: {err}") from None
    if not database:
        raise ConfigError("MONGO_URI must name the database: mongodb://host:27017/shop")
    return str(database)


def _sql_engine(url: str) -> Any:
    """The async engine of a SQLAlchemy URL (no connection yet); ``ConfigError`` naming ``DATABASE_URL`` (password
    hidden) for a URL that does not parse, a bad port, an unknown dialect or a driver that is missing or not async."""
    from sqlalchemy.ext.asyncio import create_async_engine

    try:
        return create_async_engine(url, pool_pre_ping=True)
    except Exception as err:  # ArgumentError, NoSuchModuleError, ValueError (port), ImportError (driver)...
        raise ConfigError(f"DATABASE_URL is not a usable SQLAlchemy async URL ({err}): {redact(url)!r}") from None


class Storage:
    """Builds each service's adapter for one storage URL (a SQLAlchemy URL, a Mongo URI or ``memory://``).

    Raises ``ConfigError`` when the URL's driver is not installed or a Mongo URI names no database.
    """

    def __init__(self, url: str | None = None) -> None:
        self.warnings: list[str] = []
        sql = _sql_adapter_class()
        if url is None:
            if sql is None:
                url = MEMORY_URL
                self.warnings.append("SQLAdapter is not available: the data is kept in memory and lost on exit")
            else:
                url = DEFAULT_URL
        self.url = url
        self.kind = _kind(url)
        if self.kind == "sql" and sql is None:
            raise ConfigError(f"DATABASE_URL={redact(url)!r} needs SQLAdapter: pip install 'dbmixin[sql]'")
        if self.kind in ("mongo", "mongomock"):
            try:
                import pymongo  # noqa: F401

                if self.kind == "mongomock":
                    import mongomock_motor  # noqa: F401
            except ImportError as err:
                extra = "mongomock-motor" if self.kind == "mongomock" else "'dbmixin[mongo]'"
                raise ConfigError(f"MONGO_URI={redact(url)!r} needs {err.name}: pip install {extra}") from None
        self.database = _mongo_database(url) if self.kind in ("mongo", "mongomock") else None
        self._engine: Any = _sql_engine(url) if self.kind == "sql" else None
        self._metadata: Any = None
        self._client: Any = None

    @classmethod
    def memory(cls) -> Storage:
        """In-process storage (a fresh store for each broker start): unit tests."""
        return cls(MEMORY_URL)

    def describe(self) -> str:
        """The URL without its password, for the startup banner."""
        if self.kind == "memory":
            return "memory (not persisted)"
        if self.kind == "mongomock":
            return f"mongomock (in process, not persisted), database {self.database}"
        if self.kind == "mongo":
            return redact(self.url)
        try:
            import sqlalchemy as sa

            return sa.make_url(self.url).render_as_string(hide_password=True)
        except Exception:  # pragma: no cover - any URL the adapter accepts renders
            return self.url

    def adapter(self, table: str, model: type[BaseModel]) -> Any:
        """The adapter for the entity stored in ``table`` (a collection on MongoDB) and validated by ``model``."""
        if self.kind == "memory":
            # given to the adapter, not as settings.indexes: dbmixin's settings check refuses the dict form
            return MemoryAdapter(indexes=model_indexes(model))
        if self.kind in ("mongo", "mongomock"):
            return self._mongo_adapter(table, model)
        import sqlalchemy as sa

        from .tables import table_for

        if self._metadata is None:
            self._metadata = sa.MetaData()
        if self._engine is None:
            self._engine = _sql_engine(self.url)
        sql = _sql_adapter_class()
        return sql(self._engine, table_for(table, model, self._metadata))

    def _mongo_adapter(self, collection: str, model: type[BaseModel]) -> Any:
        from adapters.mongo import MongoAdapter

        if self._client is None:
            if self.kind == "mongomock":
                from mongomock_motor import AsyncMongoMockClient

                self._client = AsyncMongoMockClient(tz_aware=True)
            else:
                from pymongo import AsyncMongoClient

                self._client = AsyncMongoClient(self.url, tz_aware=True)
        return MongoAdapter(self._client, collection, self.database, indexes=model_indexes(model))

    async def close(self) -> None:
        """Dispose of the shared engine or close the shared Mongo client (the adapters never close what they were
        given)."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        if self._client is not None:
            client, self._client = self._client, None
            closed = client.close()
            if inspect.isawaitable(closed):
                await closed
