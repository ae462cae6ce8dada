"""The engines of ``SQLAdapter``: how the adapter creates or adopts one, and what it derives from it per dialect.

* ``EngineSetup.of(url_or_engine, engine_options, fast_reads)``: the ``AsyncEngine`` (created from a URL with
  ``pool_pre_ping`` on servers; SQLite has no connection to lose), whether the adapter owns it, the SQLite reader's
  target (``sqlite_reads.py``) and, on PostgreSQL, the engine for single read statements in autocommit.
* ``sqlite_lock(engine)``: the ``asyncio.Lock`` serialising the adapter's SQLite statements, one per engine.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .regex_sql import watch_regex_warnings
from .sqlite_functions import register_on_engine
from .sqlite_reads import ReadTarget, read_plan, reader_target

__all__ = ["EngineSetup", "sqlite_lock"]

_SQLITE_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class EngineSetup:
    """``engine``; ``owned``: the adapter created it (and disposes it); ``read_target``: where the SQLite reader
    connects (``None``: no fast reads); ``reads``: PostgreSQL's autocommit engine for single reads, else ``None``."""

    engine: AsyncEngine
    owned: bool
    read_target: ReadTarget | None
    reads: AsyncEngine | None

    @classmethod
    def of(cls, url_or_engine: Any, engine_options: Mapping[str, Any], fast_reads: bool) -> EngineSetup:
        """The setup for a URL (the adapter creates the engine) or an application's ``AsyncEngine`` (a plain SQLite
        file gets the reader, its journal mode untouched; an in-memory one cannot be shared: no reader).
        ``TypeError`` for anything else."""
        target: ReadTarget | None = None
        if isinstance(url_or_engine, AsyncEngine):
            engine, owned = url_or_engine, False
            if engine.dialect.name == "sqlite":
                target = reader_target(engine.url)
        elif isinstance(url_or_engine, str):
            url, owned = sa.make_url(url_or_engine), True
            if url.get_backend_name() == "sqlite":
                url, target = read_plan(url, engine_options)
                engine = create_async_engine(url, **engine_options)
            else:
                engine = create_async_engine(url, **{"pool_pre_ping": True, **engine_options})
        else:
            raise TypeError("SQLAdapter needs a SQLAlchemy URL or an AsyncEngine")
        if engine.dialect.name == "sqlite":
            register_on_engine(engine.sync_engine)
        elif engine.dialect.name in ("mysql", "mariadb"):
            watch_regex_warnings(engine)
        return cls(engine, owned, target if fast_reads else None, _autocommit_reads(engine))


def _autocommit_reads(engine: AsyncEngine) -> AsyncEngine | None:
    """On PostgreSQL at the default isolation, the engine running single read statements in autocommit (no
    ``BEGIN``/``COMMIT`` round trips; one statement is one snapshot either way); ``None`` elsewhere."""
    sync = engine.sync_engine
    if sync.dialect.name != "postgresql" or getattr(sync.dialect, "isolation_level", None) is not None:
        return None
    if "isolation_level" in engine.get_execution_options():
        return None
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def sqlite_lock(engine: AsyncEngine) -> asyncio.Lock:
    """The lock serialising the adapter's statements on this SQLite engine (SQLite has one writer; adapters
    sharing an engine share it)."""
    sync = engine.sync_engine
    lock = _SQLITE_LOCKS.get(sync)
    if lock is None:
        lock = _SQLITE_LOCKS[sync] = asyncio.Lock()
    return lock
