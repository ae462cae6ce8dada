"""moleculer-web's HTTP errors, and how any error becomes the JSON body and status of a response.

The body is ``{"name", "message", "code", "type", "data"}`` (moleculer-web's ``sendError`` picks the same five
fields) and the status is the error's ``code``. Where we differ from moleculer-web:

- an error whose ``type`` is ``None`` (moleculer-db's ``EntityNotFoundError``) gets one derived from its class name
  (``ENTITY_NOT_FOUND``), so an unknown entity and an unknown route (``NOT_FOUND``) differ by ``type``;
- a retryable error with a 5xx code other than 502/504 answers 503 (``Retry-After`` is left to the client);
- any other 500, and every exception that is not a ``MoleculerError``, answers a generic body with the request id in
  ``data``: internals (messages, stacks) stay in the log, never in the response.
"""

from __future__ import annotations

import re
from typing import Any

from broker.errors import MoleculerClientError, MoleculerError, MoleculerRetryableError

__all__ = [
    "BadRequestError",
    "ForbiddenError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitExceededError",
    "ServiceUnavailableError",
    "UnAuthorizedError",
    "UnsupportedMediaTypeError",
    "error_body",
]


class BadRequestError(MoleculerClientError):
    """400: the request could not be read (a JSON body that does not parse)."""

    def __init__(self, type: str = "BAD_REQUEST", data: Any = None, message: str = "Bad request") -> None:
        super().__init__(message, 400, type, data)


class UnAuthorizedError(MoleculerClientError):
    """401: no or invalid credentials (moleculer-web types: ``NO_TOKEN``, ``INVALID_TOKEN``)."""

    def __init__(self, type: str = "NO_TOKEN", data: Any = None, message: str = "Unauthorized") -> None:
        super().__init__(message, 401, type, data)


class ForbiddenError(MoleculerClientError):
    """403: authenticated but not allowed (also a CORS origin that is not allowed: ``ORIGIN_NOT_ALLOWED``)."""

    def __init__(self, type: str = "FORBIDDEN", data: Any = None, message: str = "Forbidden") -> None:
        super().__init__(message, 403, type, data)


class NotFoundError(MoleculerClientError):
    """404 for a path no route or alias serves (type ``NOT_FOUND``)."""

    def __init__(self, type: str = "NOT_FOUND", data: Any = None, message: str = "Not found") -> None:
        super().__init__(message, 404, type, data)


class PayloadTooLargeError(MoleculerClientError):
    """413: the body is over ``body_limit`` bytes; ``data`` is ``{"limit": bytes}``."""

    def __init__(self, data: Any = None) -> None:
        super().__init__("Payload too large", 413, "PAYLOAD_TOO_LARGE", data)


class UnsupportedMediaTypeError(MoleculerClientError):
    """415: a body that is not JSON; ``data`` is ``{"contentType": ...}``."""

    def __init__(self, data: Any = None) -> None:
        super().__init__("Unsupported media type: send the body as application/json", 415,
                         "UNSUPPORTED_MEDIA_TYPE", data)


class RateLimitExceededError(MoleculerClientError):
    """429: more requests in the current window than the rate limit allows (moleculer-web's ``RateLimitExceeded``)."""

    def __init__(self, data: Any = None) -> None:
        super().__init__("Rate limit exceeded", 429, "RATE_LIMIT_EXCEEDED", data)


class ServiceUnavailableError(MoleculerRetryableError):
    """503: the gateway is stopping and the request ran past ``shutdown_timeout`` (retry elsewhere or later)."""

    def __init__(self, type: str = "SERVICE_UNAVAILABLE", data: Any = None,
                 message: str = "Service unavailable") -> None:
        super().__init__(message, 503, type, data)


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _derived_type(name: str) -> str:
    base = name[:-5] if name.endswith("Error") and len(name) > 5 else name
    return _CAMEL.sub("_", base).upper()


def error_body(err: BaseException, request_id: str) -> tuple[int, dict[str, Any], bool]:
    """``(status, body, internal)`` for an error; ``internal`` is true when the details must only be logged."""
    if isinstance(err, MoleculerError):
        code = err.code if isinstance(err.code, int) and 400 <= err.code <= 599 else 500
        if err.retryable and code >= 500 and code not in (502, 504):
            code = 503
        if code != 500:
            return code, {
                "name": err.name,
                "message": err.message,
                "code": code,
                "type": err.type or _derived_type(err.name),
                "data": err.data,
            }, False
    return 500, {
        "name": "InternalServerError",
        "message": "Internal server error",
        "code": 500,
        "type": "INTERNAL_SERVER_ERROR",
        "data": {"requestID": request_id},
    }, True
