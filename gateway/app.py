"""``GatewayApp``: the ASGI application of a gateway service (served by uvicorn, or mounted/tested in-process).

One request, in moleculer-web's order: find the route group by prefix, answer a CORS pre-flight, resolve the alias
(or, with ``mapping_policy: "all"``, the action named by the path), check the whitelist (404
``SERVICE_NOT_FOUND`` when refused, as moleculer-web), count it against the rate limit, read the body (413 over the
limit, 415 when not JSON, 400 when it does not parse), merge parameters (body, then query string, then path
parameters: later ones win, as moleculer-web's ``Object.assign(params, body, query)`` then alias params), run
``on_before_call``, ``authenticate`` (its result becomes ``ctx.meta["user"]``), ``authorize``, call the action,
run ``on_after_call`` and send the result with the ``$statusCode``/``$responseHeaders``/``$responseType`` the action
put in ``ctx.meta``. ``X-Request-ID`` (from the request, or generated) becomes ``ctx.request_id`` and is echoed.

Hostile input: a request id that is not 1-128 visible ASCII characters is replaced by a generated one; a JSON body
with ``NaN``/``Infinity``, a number out of the double range or nesting too deep for the parser is a 400 (Python's
``json`` would accept the first two and crash on the last); a response header (``$responseHeaders``, ``$location``,
``$responseType``) that HTTP cannot carry (a bad name, CR/LF or another control character, not latin-1) is a 500
``INVALID_RESPONSE_HEADER`` sent without it. Results are always standard JSON: ``NaN`` and the infinities become
``null`` as ``JSON.stringify`` writes them, and a lone surrogate is escaped (``\\udc00``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import re
import time
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from broker.context import Context
from broker.errors import MoleculerError, ServiceNotFoundError, ValidationError
from broker.utils import call_maybe_async

from .cors import cors_headers
from .errors import (
    BadRequestError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
    error_body,
)
from .routes import Route

if TYPE_CHECKING:  # pragma: no cover
    from broker.service import Service

    from .aliases import Alias

__all__ = ["GatewayApp", "RawResponse", "build_response", "json_dumps"]

_JSON = "application/json; charset=utf-8"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# one, not one per call; ``allow_nan=False``: Python's ``NaN``/``Infinity`` tokens are not JSON
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=False)
_ASCII_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=_default, allow_nan=False)


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (``JSON.stringify``'s ``null``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_finite(item) for item in value]
    return value


def json_dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON (dates as ISO strings, ``NaN``/``Infinity`` as ``null``, as ``JSON.stringify`` does).

    The fast path encodes as is; only a value it refuses (a non-finite float, or a lone surrogate that UTF-8 cannot
    carry) takes the slower one, which replaces the floats and escapes every non-ASCII character.
    """
    try:
        return _ENCODER.encode(data).encode("utf-8")
    except ValueError:  # UnicodeEncodeError is one too
        return _ASCII_ENCODER.encode(_finite(data)).encode("ascii")


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"Number out of range: {text[:32]}")
    return value


_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")  # visible ASCII: safe to echo in a header and to log
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110 token)
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")  # no CR, LF, NUL or other control character; latin-1


def _header(headers: dict[str, str], name: Any, value: Any) -> None:
    text = str(value)
    if not isinstance(name, str) or _TOKEN.fullmatch(name) is None or _FIELD_VALUE.fullmatch(text) is None:
        raise MoleculerError(f"Invalid response header {name!r}: {text[:64]!r}", 500, "INVALID_RESPONSE_HEADER")
    headers[name] = text


def _query_params(query_string: bytes) -> dict[str, Any]:
    """``a=1&b=x&a=2`` → ``{"a": ["1", "2"], "b": "x"}`` (strings; a repeated key gives a list, in order)."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def _id_factory() -> Any:
    """Request and context ids: a random per-process prefix and a counter (unique, and far cheaper than uuid4)."""
    prefix = os.urandom(6).hex()
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter):x}"


class RawResponse:
    """A bytes response sent with two ASGI messages: the hot path skips Starlette's ``Response`` header handling.

    ``status_code`` and ``headers`` (a plain dict) mirror Starlette's names for code that inspects a response.
    """

    __slots__ = ("_raw", "body", "headers", "status_code")

    def __init__(self, body: bytes, status: int, headers: dict[str, str], media_type: str | None) -> None:
        self.body = body
        self.status_code = status
        self.headers = headers
        if media_type is not None and body:
            headers["content-type"] = media_type
        # encoded here, so that a header that is not latin-1 fails inside the request's error handling
        self._raw = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        self._raw.append((b"content-length", str(len(body)).encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self._raw})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else self.body})


class GatewayApp:
    """The ASGI callable of one gateway service; ``routes`` are compiled from ``service.settings``."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.broker = service.broker
        self.logger = service.logger
        settings = service.settings
        self.settings = settings
        global_path = settings.get("path", "") or ""
        self.routes = [Route(opts, global_path, settings) for opts in settings.get("routes") or []]
        log = settings.get("logging", True)
        self.log_requests = bool(log)
        self._signature: tuple[int, ...] | None = None
        self.next_id = _id_factory()
        self.extra: dict[str, Any] = {}  # exact path → async handler(request) -> Response (OpenAPI, docs)

    # -- routes --------------------------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        """Rebuild auto aliases when the registered services changed since the last request."""
        services = self.broker.registry.services
        signature = tuple(map(id, services))
        if force or signature != self._signature:
            self._signature = signature
            for route in self.routes:
                route.refresh(list(services))
            if self.log_requests:
                self.logger.debug("Gateway routes regenerated (%d services).", len(services))

    def _find(self, method: str, path: str) -> tuple[Route, Alias | None, dict[str, str], str] | None:
        fallback: tuple[Route, Alias | None, dict[str, str], str] | None = None
        for route in self.routes:
            rel = route.relative(path)
            if rel is None:
                continue
            found = route.resolve(method, rel)
            if found is not None:
                return route, found[0], found[1], rel
            if fallback is None and (route.mapping_policy == "all" or method == "OPTIONS"):
                fallback = (route, None, {}, rel)
        return fallback

    # -- ASGI ----------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        sent_id = request.headers.get("x-request-id")
        request_id = sent_id if sent_id and _REQUEST_ID.fullmatch(sent_id) else self.next_id()
        started = time.monotonic() if self.log_requests else 0.0
        headers: dict[str, str] = {"X-Request-ID": request_id}
        try:
            response = await self._handle(request, request_id, headers)
        except Exception as err:
            response = self._error(err, request, request_id, headers)
        except asyncio.CancelledError:
            # uvicorn cancels what is still running past ``shutdown_timeout``: answer a retryable 503 instead of a
            # bare 500, and end the request's task normally (nothing awaits it)
            stopping = ServiceUnavailableError("SHUTTING_DOWN", {"requestID": request_id}, "The gateway is stopping")
            response = self._error(stopping, request, request_id, headers)
        await response(scope, receive, send)
        if self.log_requests:
            self.logger.info(
                "<= %d %s %s [+%.3f ms] (request %s)", response.status_code, request.method, scope["path"],
                (time.monotonic() - started) * 1000, request_id,
            )

    def _error(self, err: BaseException, request: Request, request_id: str, headers: dict[str, str]) -> RawResponse:
        status, body, internal = error_body(err, request_id)
        if internal:
            self.logger.error(
                "Request %s %s failed (request %s).", request.method, request.scope["path"], request_id, exc_info=err
            )
        return RawResponse(json_dumps(body), status, headers, _JSON)

    async def _handle(self, request: Request, request_id: str, headers: dict[str, str]) -> Response | RawResponse:
        path = request.scope["path"]
        extra = self.extra.get(path)
        if extra is not None:
            response: Response = await extra(request)
            response.headers.update(headers)
            return response
        self.refresh()
        method = request.method
        found = self._find(method, path)
        if found is None:
            raise NotFoundError()
        route, alias, path_params, rel = found
        if route.cors is not None:
            preflight = method == "OPTIONS" and "access-control-request-method" in request.headers
            headers.update(cors_headers(route.cors, request.headers, preflight))
            if preflight:
                return RawResponse(b"", 204, headers, None)
        if alias is None:
            if route.mapping_policy != "all" or rel.strip("/") == "":
                raise NotFoundError()
            action = rel.strip("/").replace("/", ".")
        else:
            action = alias.action
        if not route.whitelisted(action):
            raise ServiceNotFoundError({"action": action})
        if route.rate_limiter is not None:
            route.rate_limiter.hit(request, headers)
        endpoints = self.broker.registry.actions.get(action)
        if endpoints is None or not endpoints.endpoints:
            if not self.broker.started:  # starting or stopping: the action may be (or have been) there, retry
                raise ServiceUnavailableError("NOT_STARTED", {"action": action}, "The broker is not running")
            raise ServiceNotFoundError({"action": action})
        if endpoints.endpoints[0].action.visibility != "published":
            raise ServiceNotFoundError({"action": action})
        body = await self._body(request, route) if method in _BODY_METHODS else None
        params: dict[str, Any] = dict(body) if body else {}
        query_string = request.scope.get("query_string")
        if query_string:
            params.update(_query_params(query_string))
        if path_params:
            params.update(path_params)
        return await self._call(route, action, params, request, request_id, headers)

    async def _body(self, request: Request, route: Route) -> dict[str, Any] | None:
        limit = route.body_limit
        length = request.headers.get("content-length")
        if limit is not None and length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLargeError({"limit": limit})
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if limit is not None and size > limit:
                raise PayloadTooLargeError({"limit": limit})
            chunks.append(chunk)
        raw = b"".join(chunks)
        if not raw.strip():
            return None
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype != "application/json" and not ctype.endswith("+json"):
            raise UnsupportedMediaTypeError({"contentType": ctype or None})
        try:
            data = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
        except ValueError as err:
            raise BadRequestError("INVALID_REQUEST_BODY", {"error": str(err)}, "Invalid JSON body") from None
        except RecursionError:
            raise BadRequestError("INVALID_REQUEST_BODY", {"error": "Nested too deeply"}, "Invalid JSON body") from None
        if not isinstance(data, dict):
            raise ValidationError(data=[{
                "type": "object", "field": "body", "message": "The request body must be a JSON object.",
                "actual": type(data).__name__,
            }])
        return data

    async def _call(
        self, route: Route, action: str, params: dict[str, Any], request: Request, request_id: str,
        headers: dict[str, str],
    ) -> RawResponse:
        service = self.service
        ctx = Context(self.broker)  # the request's root context (moleculer-web's ``rest`` action context)
        ctx.id = self.next_id()
        ctx.request_id = request_id
        ctx.service = service
        if route.on_before_call is not None:
            await call_maybe_async(route.on_before_call, service, ctx, route, request)
        if route.authentication:
            user = await call_maybe_async(service.authenticate, ctx, route, request)  # type: ignore[attr-defined]
            ctx.meta["user"] = user or None
        if route.authorization:
            await call_maybe_async(service.authorize, ctx, route, request)  # type: ignore[attr-defined]
        data = await self.broker.call(action, params, parent_ctx=ctx, **route.call_options)
        if route.on_after_call is not None:
            data = await call_maybe_async(route.on_after_call, service, ctx, route, request, data)
        return build_response(ctx.meta, data, headers)


def build_response(meta: dict[str, Any], data: Any, headers: dict[str, str] | None = None) -> RawResponse:
    """The HTTP response for an action's result, honouring ``$statusCode``, ``$responseHeaders``, ``$responseType``
    and ``$location`` in ``meta`` (moleculer-web's ``sendResponse``); ``headers`` (not changed) are sent too.

    Raises ``MoleculerError`` (500, ``INVALID_STATUS_CODE`` or ``INVALID_RESPONSE_HEADER``) for a status or a header
    that HTTP cannot carry."""
    status = meta.get("$statusCode") or 200
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise MoleculerError(f"Invalid $statusCode {status!r}", 500, "INVALID_STATUS_CODE")
    response_type = meta.get("$responseType")
    headers = {} if headers is None else dict(headers)  # the caller's stay clean for an error response
    for key, value in (meta.get("$responseHeaders") or {}).items():
        if isinstance(key, str) and key.lower() == "content-type" and not response_type:
            response_type = value
        else:
            _header(headers, key, value)
    if response_type:
        _header({}, "Content-Type", response_type)
    if 300 <= status < 400 and meta.get("$location"):
        _header(headers, "Location", meta["$location"])
    if data is None:
        return RawResponse(b"", status, headers, None)
    if isinstance(data, bytes | bytearray):
        return RawResponse(bytes(data), status, headers, response_type or "application/octet-stream")
    if isinstance(data, dict | list) or not response_type:
        return RawResponse(json_dumps(data), status, headers, response_type or _JSON)
    return RawResponse(str(data).encode("utf-8"), status, headers, response_type)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
