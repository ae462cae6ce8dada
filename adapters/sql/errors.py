"""Engine exceptions translated into the toolkit's typed errors (the SQL adapter's one ``translate_error`` place).

* unique-constraint violation → ``EntityAlreadyExistsError`` (409) naming the id, or the field when the driver
  says which (``data={"id": ..., "field": ...}``);
* a lost, refused or timed-out connection → ``AdapterConnectionError`` (503, a ``MoleculerRetryableError``: the
  broker's retry policy may call again; the pool pre-pings, so the next call gets a fresh connection);
* anything else from the driver → ``AdapterError`` (500) with a generic message (no SQL nor driver text travels).
"""

from __future__ import annotations

import socket
from typing import Any

from sqlalchemy import exc as sa_exc

from broker.errors import MoleculerError

from ..errors import AdapterConnectionError, AdapterError, EntityAlreadyExistsError

__all__ = ["AdapterConnectionError", "AdapterError", "translate_sql_error"]

_DUPLICATE_MARKERS = ("unique", "duplicate")


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.DisconnectionError):
        text = str(exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc).lower()
        return "locked" not in text or "connection" in text
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror | OSError):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and isinstance(cause, ConnectionError | OSError)


def translate_sql_error(exc: BaseException, adapter: str, id: Any = None) -> MoleculerError:
    """The typed error for an engine exception (see the module docstring)."""
    if isinstance(exc, MoleculerError):
        return exc
    if isinstance(exc, sa_exc.IntegrityError):
        text = str(exc.orig).lower()
        if any(marker in text for marker in _DUPLICATE_MARKERS):
            return EntityAlreadyExistsError(id)
    if _is_connection_error(exc):
        err: MoleculerError = AdapterConnectionError(adapter)
    else:
        err = AdapterError(adapter)
    err.original = exc  # type: ignore[attr-defined]
    return err
