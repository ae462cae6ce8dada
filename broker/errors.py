"""Moleculer's error hierarchy, with the codes, types and retryable flags Node.js nodes expect.

Every error carries ``message``, ``code``, ``type``, ``data`` and ``retryable``; ``to_dict`` / ``from_dict`` turn
it into the fields of a protocol ``RES.error`` and back, recreating the class by its ``name``.
"""

from __future__ import annotations

import traceback
from typing import Any

__all__ = [
    "BrokerDisconnectedError",
    "BrokerOptionsError",
    "GracefulStopTimeoutError",
    "InvalidPacketDataError",
    "MaxCallLevelError",
    "MoleculerClientError",
    "MoleculerError",
    "MoleculerRetryableError",
    "MoleculerServerError",
    "ProtocolVersionMismatchError",
    "QueueIsFullError",
    "RequestRejectedError",
    "RequestSkippedError",
    "RequestTimeoutError",
    "ServiceNotAvailableError",
    "ServiceNotFoundError",
    "ServiceSchemaError",
    "ValidationError",
    "error_from_dict",
    "register_error",
]

_REGISTRY: dict[str, type[MoleculerError]] = {}


def register_error(cls: type[MoleculerError]) -> type[MoleculerError]:
    """Make ``error_from_dict`` able to recreate ``cls`` by name (usable as a class decorator)."""
    _REGISTRY[cls.__name__] = cls
    return cls


class MoleculerError(Exception):
    """Base of every broker error: ``MoleculerError(message, code=500, type=None, data=None)``."""

    retryable: bool = False
    default_code: int = 500

    def __init__(self, message: str = "", code: int | None = None, type: str | None = None, data: Any = None):
        super().__init__(message)
        self.message = message
        self.code = self.default_code if code is None else code
        self.type = type
        self.data = data
        self.node_id: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_error(cls)

    @property
    def name(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{self.name}({self.message!r}, code={self.code}, type={self.type!r}, data={self.data!r})"

    def to_dict(self, node_id: str | None = None) -> dict[str, Any]:
        """The protocol's ``RES.error`` fields (``nodeID`` defaults to the node that raised it)."""
        return {
            "name": self.name,
            "message": self.message,
            "nodeID": self.node_id or node_id,
            "code": self.code,
            "type": self.type,
            "retryable": self.retryable,
            "stack": "".join(traceback.format_exception(self)) if self.__traceback__ else None,
            "data": self.data,
        }

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> MoleculerError:
        return cls(message, code, type, data)

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses have other constructor signatures than ``args``: rebuild from the attributes instead,
        # so ``copy``, ``deepcopy`` and ``pickle`` (multiprocessing, executors) work for every class.
        return (_rebuild_error, (type(self), dict(self.__dict__)))


def _rebuild_error(cls: type[MoleculerError], state: dict[str, Any]) -> MoleculerError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


register_error(MoleculerError)


class MoleculerRetryableError(MoleculerError):
    """A server-side failure worth retrying (``retryable`` is true)."""

    retryable = True


class MoleculerServerError(MoleculerRetryableError):
    """A retryable server error (500)."""


class MoleculerClientError(MoleculerError):
    """The caller's fault (400 by default); never retried."""

    default_code = 400


class _DataOnlyError(MoleculerError):
    """Errors whose constructor takes only ``data`` and build their own message, code and type."""

    _code: int = 500
    _type: str = ""

    def __init__(self, data: Any = None):
        super().__init__(self._message(data or {}), self._code, self._type, data)

    @staticmethod
    def _message(data: dict[str, Any]) -> str:  # pragma: no cover - overridden
        return ""

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> MoleculerError:
        err = cls(data)
        err.message = message or err.message
        err.args = (err.message,)
        return err


def _on_node(data: dict[str, Any]) -> str:
    return f" on '{data['nodeID']}' node" if data.get("nodeID") else ""


class ServiceNotFoundError(_DataOnlyError, MoleculerRetryableError):
    """No service (or action) of that name is registered: ``data`` is ``{action, nodeID?}``."""

    _code, _type = 404, "SERVICE_NOT_FOUND"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        if data.get("action"):
            return f"Service '{data['action']}' is not found{_on_node(data)}."
        if data.get("service") and data.get("version"):
            return f"Service '{data['version']}.{data['service']}' is not found{_on_node(data)}."
        return f"Service '{data.get('service', '')}' is not found{_on_node(data)}."


class ServiceNotAvailableError(_DataOnlyError, MoleculerRetryableError):
    """The action is known but has no available endpoint."""

    _code, _type = 404, "SERVICE_NOT_AVAILABLE"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return f"Service '{data.get('action')}' is not available{_on_node(data)}."


class RequestTimeoutError(_DataOnlyError, MoleculerRetryableError):
    """The call did not finish within its timeout: ``data`` is ``{action, nodeID}``."""

    _code, _type = 504, "REQUEST_TIMEOUT"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return f"Request is timed out when call '{data.get('action')}' action on '{data.get('nodeID')}' node."


class RequestSkippedError(_DataOnlyError):
    """A sub-call was skipped because the parent's distributed timeout had already run out."""

    _code, _type = 514, "REQUEST_SKIPPED"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return f"Calling '{data.get('action')}' is skipped because timeout reached on '{data.get('nodeID')}' node."


class RequestRejectedError(_DataOnlyError, MoleculerRetryableError):
    """The target node went away before answering."""

    _code, _type = 503, "REQUEST_REJECTED"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return f"Request is rejected when call '{data.get('action')}' action on '{data.get('nodeID')}' node."


class QueueIsFullError(_DataOnlyError, MoleculerRetryableError):
    """A bulkhead queue is full."""

    _code, _type = 429, "QUEUE_FULL"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return (
            f"Queue is full. Request '{data.get('action')}' action on '{data.get('nodeID')}' node is rejected."
        )


class MaxCallLevelError(_DataOnlyError):
    """The call chain went deeper than the broker's ``max_call_level``."""

    _code, _type = 500, "MAX_CALL_LEVEL"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return f"Request level is reached the limit ({data.get('level')}) on '{data.get('nodeID')}' node."


class ValidationError(MoleculerClientError):
    """Invalid input (422). ``data`` is a list of ``{type, field, message, actual, ...}`` entries."""

    default_code = 422

    def __init__(self, message: str = "Parameters validation error!", type: str | None = None, data: Any = None):
        super().__init__(message, 422, type or "VALIDATION_ERROR", data)

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> MoleculerError:
        return cls(message, type, data)


class _MessageDataError(MoleculerError):
    """Errors constructed as ``(message, data)`` with a fixed code and type."""

    _type: str = ""

    def __init__(self, message: str = "", data: Any = None):
        super().__init__(message, 500, self._type, data)

    @classmethod
    def _from_fields(cls, message: str, code: int | None, type: str | None, data: Any) -> MoleculerError:
        return cls(message, data)


class ServiceSchemaError(_MessageDataError):
    """A service schema is invalid; raised when the service is created, never at the first call."""

    _type = "SERVICE_SCHEMA_ERROR"


class BrokerOptionsError(_MessageDataError):
    """An invalid broker option."""

    _type = "BROKER_OPTIONS_ERROR"


class GracefulStopTimeoutError(_DataOnlyError):
    """A service (or the broker) did not stop within its shutdown timeout: ``data`` is ``{name, version}``."""

    _code, _type = 500, "GRACEFUL_STOP_TIMEOUT"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        if data.get("name"):
            return f"Unable to stop '{data['name']}' service gracefully."
        return "Unable to stop ServiceBroker gracefully."


class ProtocolVersionMismatchError(_DataOnlyError):
    """A packet with another protocol version: ``data`` is ``{nodeID, actual, received}``."""

    _code, _type = 500, "PROTOCOL_VERSION_MISMATCH"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return "Protocol version mismatch."


class InvalidPacketDataError(_DataOnlyError):
    """A packet that cannot be decoded."""

    _code, _type = 500, "INVALID_PACKET_DATA"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return "Invalid packet data."


class BrokerDisconnectedError(_DataOnlyError, MoleculerRetryableError):
    """The transporter disconnected (502, retryable)."""

    _code, _type = 502, "BAD_GATEWAY"

    @staticmethod
    def _message(data: dict[str, Any]) -> str:
        return (
            "The broker's transporter has disconnected. Please try again when a connection is reestablished."
        )


def error_from_dict(payload: dict[str, Any]) -> Exception:
    """Recreate an error from its protocol fields; an unknown ``name`` gives a ``MoleculerError`` that keeps it.

    The fields come from another node, so each is used only with the type §7 gives it: ``name``, ``message``,
    ``type`` and ``nodeID`` strings, ``code`` an integer, ``retryable`` a boolean; another type is ignored (the
    class's default is kept; a ``message`` is shown with ``str``). A class whose message is built from ``data``
    (``ServiceNotFoundError``...) gets ``data`` only when it is an object."""
    name = payload.get("name")
    name = name if isinstance(name, str) and name else "MoleculerError"
    cls = _REGISTRY.get(name)
    message = payload.get("message")
    message = "" if message is None else message if isinstance(message, str) else str(message)
    code = payload.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    err_type = payload.get("type")
    err_type = err_type if isinstance(err_type, str) else None
    data = payload.get("data")
    if cls is None:
        err: MoleculerError = MoleculerError(message, code, err_type, data)
        err.remote_name = name  # type: ignore[attr-defined]
    else:
        if issubclass(cls, _DataOnlyError) and not isinstance(data, dict):
            data = None
        err = cls._from_fields(message, code, err_type, data)
        if code is not None:
            err.code = code
    retryable = payload.get("retryable")
    if isinstance(retryable, bool):
        err.retryable = retryable
    node_id = payload.get("nodeID")
    err.node_id = node_id if isinstance(node_id, str) else None
    return err
