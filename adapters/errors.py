"""The errors adapters raise, on top of the broker's hierarchy so they travel like any other Moleculer error.

* ``UnsupportedQueryError`` (400, ``UNSUPPORTED_QUERY``): the query is valid, but this adapter cannot give the
  exact portable semantics for it (say ``$regex`` on an SQL engine without regular expressions). Better a
  clear error than a silently different result.
* ``EntityAlreadyExistsError`` (409, ``ENTITY_ALREADY_EXISTS``): an insert reused an id; nothing was written.
* A malformed query, sort, update or paging value is a ``broker.errors.ValidationError`` (422) whose ``data``
  is a list of ``{"type", "field", "message", "actual"}`` entries; ``query_error`` builds one.
"""

from __future__ import annotations

from typing import Any

from broker.errors import MoleculerClientError, ValidationError

__all__ = ["EntityAlreadyExistsError", "UnsupportedQueryError", "ValidationError", "query_error"]


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
    """An insert used an id that is already stored (409); the whole insert was refused."""

    def __init__(self, id: Any = None):
        super().__init__("Entity already exists", 409, "ENTITY_ALREADY_EXISTS", {"id": id})

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> EntityAlreadyExistsError:
        return cls(data.get("id") if isinstance(data, dict) else None)


def query_error(field: str, message: str, actual: Any = None, type: str = "query") -> ValidationError:
    """A 422 naming the offending ``field`` (a path such as ``price.$gt``), as the broker's validator reports."""
    return ValidationError(
        f"Invalid {type}: {message}",
        data=[{"type": type, "field": field, "message": message, "actual": actual}],
    )
