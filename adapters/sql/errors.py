"""Engine exceptions translated into the toolkit's typed errors (the SQL adapter's one ``translate_error`` place).

* unique-constraint violation → ``EntityAlreadyExistsError`` (409) naming the id, or the field when the driver
  says which (``data={"id": ..., "field": ...}``);
* a lost, refused or timed-out connection → ``AdapterConnectionError`` (503, a ``MoleculerRetryableError``: the
  broker's retry policy may call again; the pool pre-pings, so the next call gets a fresh connection);
* a deadlock, a serialization failure or a lock wait timeout (SQLSTATE ``40001``/``40P01``, MariaDB 1213/1205) →
  ``AdapterConflictError`` (503, retryable; ``engine_call`` retries it outside a transaction);
* a pattern the engine gave up on (MariaDB's PCRE2 match limit, PostgreSQL's "too complex") →
  ``UnsupportedQueryError`` (400), never a silently different answer;
* anything else from the driver → ``AdapterError`` (500) with a generic message (no SQL nor driver text travels).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from typing import Any

from sqlalchemy import exc as sa_exc

from broker.errors import MoleculerError

from ..errors import (
    AdapterConflictError,
    AdapterConnectionError,
    AdapterError,
    EntityAlreadyExistsError,
    UnsupportedQueryError,
)
from .regex_sql import REGEXP_ERROR, RegexUnsupported

__all__ = ["AdapterConnectionError", "AdapterError", "is_out_of_range", "translate_sql_error"]

_DUPLICATE_MARKERS = ("unique", "duplicate")


_CONNECTION_MARKERS = (
    "connect",
    "server has gone away",
    "lost",
    "terminat",
    "closed",
    "timeout",
    "timed out",
    "refused",
    "broken pipe",
    "reset by peer",
    "shutdown",
)


def _driver_code_in(exc: BaseException, sqlstates: tuple[str, ...], codes: tuple[int, ...]) -> bool:
    """Whether ``exc`` is a driver error with one of ``sqlstates`` (PostgreSQL) or one of the MariaDB/MySQL error
    ``codes`` (the driver exception's first argument)."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    args: tuple[Any, ...] = getattr(exc.orig, "args", ())
    return getattr(exc.orig, "sqlstate", None) in sqlstates or (bool(args) and args[0] in codes)


_REGEX_SQLSTATES = ("2201B",)  # invalid_regular_expression


def _is_regex_error(exc: BaseException) -> bool:
    """The engine gave up on a (translated) pattern: PostgreSQL's ``invalid_regular_expression`` (e.g. "too
    complex"), MariaDB's ``ER_REGEXP_ERROR`` (its PCRE2 match limit; an error in a strict-mode write, a warning in
    a read: ``regex_sql.watch_regex_warnings``)."""
    return _driver_code_in(exc, _REGEX_SQLSTATES, (REGEXP_ERROR,))


_CONFLICT_SQLSTATES = ("40001", "40P01")  # serialization_failure, deadlock_detected
_CONFLICT_CODES = (1205, 1213)  # MariaDB/MySQL: lock wait timeout, deadlock


def _is_conflict(exc: BaseException) -> bool:
    """The engine aborted the statement (and its transaction) in a conflict with concurrent ones."""
    return _driver_code_in(exc, _CONFLICT_SQLSTATES, _CONFLICT_CODES)


_RANGE_SQLSTATES = ("22003",)  # numeric_value_out_of_range
_RANGE_CODES = (1264, 1690)  # MariaDB/MySQL: out of range value, BIGINT value is out of range


def is_out_of_range(exc: BaseException) -> bool:
    """The engine refused a number its column (or arithmetic) cannot hold: an ``$inc`` past the column's range."""
    return _driver_code_in(exc, _RANGE_SQLSTATES, _RANGE_CODES)


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.DisconnectionError):
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        text = str(exc.orig).lower()
        return any(marker in text for marker in _CONNECTION_MARKERS)
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror | OSError):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and isinstance(cause, ConnectionError | OSError)


_CLASH_PATTERNS = (
    re.compile(r"Key \((?P<cols>[^)]*)\)=\((?P<vals>.*?)\) already exists"),  # PostgreSQL
    re.compile(r"UNIQUE constraint failed: (?P<cols>[\w., ]+)"),  # SQLite: "table.col, table.col2"
    re.compile(r"Duplicate entry '(?P<vals>.*?)' for key '(?P<cols>[^']+)'"),  # MariaDB/MySQL: the index name
)


def _clash(text: str) -> tuple[list[str], list[Any]]:
    """The column names (and values, where the driver says them) of a unique violation message."""
    for pattern in _CLASH_PATTERNS:
        match = pattern.search(text)
        if match:
            cols = [c.strip().rsplit(".", 1)[-1] for c in match.group("cols").split(",")]
            vals = match.groupdict().get("vals")
            values: list[Any] = [v.strip() for v in vals.split(",")] if vals is not None and len(cols) > 1 else [vals]
            return cols, values if vals is not None else [None] * len(cols)
    return [], []


def translate_sql_error(
    exc: BaseException,
    adapter: str,
    id: Any = None,
    columns: Mapping[str, str] | None = None,
    id_column: str | None = None,
) -> MoleculerError:
    """The typed error for an engine exception (see the module docstring). ``columns`` maps column names to entity
    keys so that a unique clash names the entity's fields; a clash on ``id_column`` is an id clash."""
    if isinstance(exc, MoleculerError):
        return exc
    if isinstance(exc, RegexUnsupported) or _is_regex_error(exc):
        reason = str(exc) if isinstance(exc, RegexUnsupported) else "the database cannot run this pattern"
        return UnsupportedQueryError("$regex", adapter, None, reason)
    if isinstance(exc, sa_exc.IntegrityError):
        native = getattr(exc.orig, "__cause__", None)  # asyncpg keeps "Key (col)=(value) already exists" in detail
        text = f"{exc.orig} {getattr(native, 'detail', '') or ''}"
        if any(marker in text.lower() for marker in _DUPLICATE_MARKERS):
            cols, values = _clash(text)
            if not cols or cols == [id_column] or cols == ["PRIMARY"]:
                return EntityAlreadyExistsError(id)
            names = [(columns or {}).get(c, c) for c in cols]
            return EntityAlreadyExistsError(fields=names, values=values)
    if _is_conflict(exc):
        err: MoleculerError = AdapterConflictError(adapter)
    elif _is_connection_error(exc):
        err = AdapterConnectionError(adapter)
    else:
        err = AdapterError(adapter)
    err.original = exc  # type: ignore[attr-defined]
    return err
