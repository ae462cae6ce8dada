"""The errors adapters raise, on top of the broker's hierarchy so they travel like any other Moleculer error.

* ``UnsupportedQueryError`` (400, ``UNSUPPORTED_QUERY``): the query is valid, but this adapter cannot give the
  exact portable semantics for it (say ``$regex`` on an SQL engine without regular expressions). Better a
  clear error than a silently different result.
* ``EntityAlreadyExistsError`` (409, ``ENTITY_ALREADY_EXISTS``): a write reused an id (``data: {"id": id}``) or
  a value of a unique index (``data: {"fields": [...], "values": [...]}``); nothing was written.
* ``AdapterConnectionError`` (503, ``ADAPTER_CONNECTION_ERROR``, retryable): the engine could not be reached.
* ``AdapterConflictError`` (503, ``ADAPTER_CONFLICT``, retryable): the database aborted the call in a conflict with
  concurrent ones (deadlock, serialization failure, lock wait timeout); ``engine_call`` runs it again outside a
  transaction.
* ``AdapterError`` (500, ``ADAPTER_ERROR``, a ``MoleculerServerError``): any other engine failure, with a generic
  message that does not leak the engine's internals (the original exception is kept on ``.original``, locally).
* A malformed query, sort, update or paging value is a ``broker.errors.ValidationError`` (422) whose ``data``
  is a list of ``{"type", "field", "message", "actual"}`` entries; ``query_error`` builds one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from broker.errors import MoleculerClientError, MoleculerRetryableError, MoleculerServerError, ValidationError

__all__ = [
    "AdapterConflictError",
    "AdapterConnectionError",
    "AdapterError",
    "EntityAlreadyExistsError",
    "UnsupportedQueryError",
    "ValidationError",
    "query_error",
]


class UnsupportedQueryError(MoleculerClientError):
    """A valid query that this adapter cannot run with the portable semantics (400, ``UNSUPPORTED_QUERY``)."""

    def __init__(self, operator: str, adapter: str, field: str | None = None, reason: str | None = None):
        message = f"The {operator} operator is not supported by {adapter}"
        if reason:
            message = f"{message}: {reason}"
        super().__init__(message, 400, "UNSUPPORTED_QUERY", {"operator": operator, "field": field, "adapter": adapter})

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> UnsupportedQueryError:
        data = data if isinstance(data, dict) else {}
        err = cls(str(data.get("operator", "")), str(data.get("adapter", "")), data.get("field"))
        err.message = message or err.message
        err.args = (err.message,)
        return err


class EntityAlreadyExistsError(MoleculerClientError):
    """A write clashed with a stored id or unique-index value (409); the whole write was refused.

    ``EntityAlreadyExistsError(5)`` → ``data == {"id": 5}`` (an id clash);
    ``EntityAlreadyExistsError(fields=["email"], values=["a@b.c"])`` → ``data == {"fields": ["email"], "values":
    ["a@b.c"]}`` (a unique index: its fields and the clashing value of each, in the same order).
    """

    def __init__(self, id: Any = None, *, fields: list[str] | None = None, values: list[Any] | None = None):
        data: dict[str, Any] = {"id": id} if fields is None else {"fields": list(fields), "values": list(values or [])}
        super().__init__("Entity already exists", 409, "ENTITY_ALREADY_EXISTS", data)

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> EntityAlreadyExistsError:
        data = data if isinstance(data, dict) else {}
        if "fields" in data:
            return cls(fields=list(data.get("fields") or []), values=list(data.get("values") or []))
        return cls(data.get("id"))


class _AdapterFailure(MoleculerRetryableError):
    """The adapter's own failures: ``data={"adapter": name}`` and a default message naming the adapter (the
    subclass gives the status, the type and the message)."""

    _status: ClassVar[int] = 503
    _kind: ClassVar[str] = ""
    _text: ClassVar[str] = ""

    def __init__(self, adapter: str = "", message: str | None = None):
        text = message or self._text.format(adapter or "the adapter")
        super().__init__(text, self._status, self._kind, {"adapter": adapter})

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> _AdapterFailure:
        adapter = data.get("adapter", "") if isinstance(data, dict) else ""
        return cls(str(adapter), message or None)


class AdapterConnectionError(_AdapterFailure):
    """The storage engine could not be reached or the connection was lost (503, retryable)."""

    _kind = "ADAPTER_CONNECTION_ERROR"
    _text = "The database of {} is not reachable"


class AdapterConflictError(_AdapterFailure):
    """The database aborted the call in a conflict with concurrent ones (a deadlock, a serialization failure, a lock
    wait timeout): nothing of it was written, and it may simply be run again (503, retryable). Outside a
    ``transaction()`` the adapter retries such a call itself (``calls.engine_call``); inside one, the whole
    transaction was rolled back and only its caller can run it again."""

    _kind = "ADAPTER_CONFLICT"
    _text = "The database of {} aborted the call in a conflict; retry it"


class AdapterError(_AdapterFailure, MoleculerServerError):
    """An unexpected engine failure (500); the message is generic so no internals travel to the caller."""

    _status = 500
    _kind = "ADAPTER_ERROR"
    _text = "Internal storage error in {}"


def query_error(field: str, message: str, actual: Any = None, type: str = "query") -> ValidationError:
    """A 422 naming the offending ``field`` (a path such as ``price.$gt``), as the broker's validator reports."""
    return ValidationError(
        f"Invalid {type}: {message}",
        data=[{"type": type, "field": field, "message": message, "actual": actual}],
    )
