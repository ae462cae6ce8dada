"""MongoDB exceptions → the adapters' typed errors (``MongoAdapter.translate_error`` calls ``translate``).

=====================================================  ===========================================================
PyMongo exception                                      typed error
=====================================================  ===========================================================
``DuplicateKeyError`` (11000) on ``_id``               ``EntityAlreadyExistsError(id)`` 409
``DuplicateKeyError`` on another unique index          ``EntityAlreadyExistsError(fields=..., values=...)`` 409
``BulkWriteError`` whose first error is 11000          the same, for the clashing document
``ConnectionFailure`` (``AutoReconnect``,              ``AdapterConnectionError`` 503, retryable (PyMongo
``NetworkTimeout``, ``ServerSelectionTimeoutError``)    reconnects by itself on the next call once the server is
``ExecutionTimeout``, ``WTimeoutError``                back)
``OperationFailure`` 14 / 28 (``$inc`` on a            ``ValidationError`` 422 naming the update path
non-number, a path through a non-object), 10334 /
17419 / 17420 (a document past 16 MB)
anything else                                          ``AdapterError`` 500 (generic message; original kept)
=====================================================  ===========================================================

The fields of a unique-index clash come from the server's ``keyPattern``/``keyValue`` (MongoDB 4.4+); an older
server's message only names the index, which is mapped back to the declared index of that name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    WTimeoutError,
)

from broker.errors import MoleculerError

from ..errors import AdapterConnectionError, EntityAlreadyExistsError, query_error
from ..indexes import IndexSpec
from .ids import encode_id, to_wire

__all__ = ["duplicate_key_error", "translate"]

_DUPLICATE = 11000
_INDEX_NAME = re.compile(r"index: (\S+)")
_TOO_LARGE = "the document would exceed MongoDB's 16 MB limit"
_BAD_UPDATE = {
    14: "cannot apply the update to a value of this type",
    28: "the path runs through a non-object",
    10334: _TOO_LARGE,  # BSONObjectTooLarge (recent servers)
    17419: _TOO_LARGE,  # "Resulting document after update is larger than 16777216" (older servers)
    17420: _TOO_LARGE,
}


def translate(exc: Exception, adapter: str, indexes: Iterable[IndexSpec]) -> MoleculerError | None:
    """The typed error for a PyMongo exception, or ``None`` when it is not one this module knows."""
    if isinstance(exc, DuplicateKeyError):
        return duplicate_key_error(dict(exc.details or {}), str(exc), indexes)
    if isinstance(exc, BulkWriteError):
        errors = (exc.details or {}).get("writeErrors") or []
        if errors and errors[0].get("code") == _DUPLICATE:
            first = errors[0]
            details = {**_parse_full_error(str(first.get("errmsg", ""))), **first}
            return duplicate_key_error(details, str(first.get("errmsg", "")), indexes, first.get("op"))
        return None
    if isinstance(exc, ConnectionFailure | ExecutionTimeout | WTimeoutError):
        return AdapterConnectionError(adapter)
    if isinstance(exc, OperationFailure) and exc.code in _BAD_UPDATE:
        return query_error("update", _BAD_UPDATE[exc.code], (exc.details or {}).get("errmsg"), "update")
    return None


def duplicate_key_error(
    details: dict[str, Any], message: str, indexes: Iterable[IndexSpec], doc: Any = None
) -> EntityAlreadyExistsError:
    """The 409 for a duplicate-key failure: ``{"id": ...}`` for the id, else the index's fields and values."""
    pattern = details.get("keyPattern")
    values = details.get("keyValue") or {}
    fields: list[str] | None = list(pattern) if isinstance(pattern, dict) else None
    if fields is None:
        match = _INDEX_NAME.search(message)
        name = match.group(1) if match else None
        if name == "_id_":
            fields = ["_id"]
        else:
            spec = next((s for s in indexes if s.name == name), None)
            fields = list(spec.fields) if spec is not None else None
    if fields is None or fields == ["_id"]:
        id = values.get("_id") if "_id" in values else (doc or {}).get("_id") if isinstance(doc, dict) else None
        return EntityAlreadyExistsError(encode_id(id))
    return EntityAlreadyExistsError(fields=fields, values=[to_wire(values.get(f)) for f in fields])


def _parse_full_error(errmsg: str) -> dict[str, Any]:
    """``keyPattern``/``keyValue`` from a write error's message (mongomock only puts them there; a real server's
    write errors carry them as fields, which win). Parsed as a Python literal, never evaluated."""
    start = errmsg.find("full error: ")
    if start < 0:
        return {}
    try:
        parsed = ast.literal_eval(errmsg[start + len("full error: ") :])
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return {}
    return {k: parsed[k] for k in ("keyPattern", "keyValue") if isinstance(parsed, dict) and k in parsed}
