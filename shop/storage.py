"""Where the shop keeps its data: chosen here, in one place, from ``DATABASE_URL``.

* unset → the embedded SQLite file ``shop.db`` in the working directory (``sqlite+aiosqlite:///shop.db``);
* any SQLAlchemy URL → ``SQLAdapter`` on a table generated from the entity's pydantic model (``shop.tables``);
* ``memory://`` → one ``MemoryAdapter`` per service (in process, gone on exit: tests and demos).

When ``SQLAdapter`` is not available (SQLAlchemy not installed), an unset ``DATABASE_URL`` falls back to memory with
a warning; an explicit SQL URL is then an error. Unique fields are enforced by the database (a unique constraint
generated from the model) on SQL, by the memory adapter's unique index in memory: either way a clash is a 409
``EntityAlreadyExistsError`` the services turn into their own error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from adapters import MemoryAdapter

from .tables import _unique

__all__ = ["DEFAULT_URL", "MEMORY_URL", "Storage"]

DEFAULT_URL = "sqlite+aiosqlite:///shop.db"
MEMORY_URL = "memory://"


def _sql_adapter_class() -> Any:
    """``adapters.SQLAdapter``, or ``None`` when it is missing or SQLAlchemy is not installed."""
    import adapters

    try:
        return getattr(adapters, "SQLAdapter", None)
    except ImportError:
        return None


class Storage:
    """Builds each service's adapter for one database URL."""

    def __init__(self, url: str | None = None) -> None:
        self.warnings: list[str] = []
        sql = _sql_adapter_class()
        if url is None:
            if sql is None:
                url = MEMORY_URL
                self.warnings.append("SQLAdapter is not available: the data is kept in memory and lost on exit")
            else:
                url = DEFAULT_URL
        if url != MEMORY_URL and sql is None:
            raise RuntimeError(f"DATABASE_URL={url!r} needs SQLAdapter: pip install 'dbmixin[sql]'")
        self.url = url
        self.kind = "memory" if url == MEMORY_URL else "sql"
        self._engine: Any = None
        self._metadata: Any = None

    @classmethod
    def memory(cls) -> Storage:
        """In-process storage (a fresh store for each broker start): unit tests."""
        return cls(MEMORY_URL)

    def describe(self) -> str:
        """The URL without its password, for the startup banner."""
        if self.kind == "memory":
            return "memory (not persisted)"
        try:
            import sqlalchemy as sa

            return sa.make_url(self.url).render_as_string(hide_password=True)
        except Exception:  # pragma: no cover - any URL the adapter accepts renders
            return self.url

    def adapter(self, table: str, model: type[BaseModel]) -> Any:
        """The adapter for the entity stored in ``table`` and validated by ``model``."""
        unique = [name for name, info in model.model_fields.items() if _unique(info)]
        if self.kind == "memory":
            # given to the adapter, not as settings.indexes: dbmixin's settings check refuses the dict form
            return MemoryAdapter(indexes=[{"fields": [name], "unique": True} for name in unique])
        import sqlalchemy as sa

        from .tables import table_for

        if self._metadata is None:
            self._metadata = sa.MetaData()
        if self._engine is None:
            from sqlalchemy.ext.asyncio import create_async_engine

            self._engine = create_async_engine(self.url, pool_pre_ping=True)
        sql = _sql_adapter_class()
        return sql(self._engine, table_for(table, model, self._metadata))

    async def close(self) -> None:
        """Dispose of the shared engine (the adapters never dispose an engine they were given)."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
