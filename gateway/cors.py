"""CORS headers as moleculer-web writes them (its ``writeCorsHeaders``, itself after expressjs/cors).

Options (a dict, global in ``settings.cors`` or per route): ``origin`` (``"*"``, a string with ``*`` wildcards or a
list of them), ``methods``, ``allowed_headers``, ``exposed_headers`` (lists or comma strings), ``credentials``
(bool) and ``max_age`` (seconds). A request whose ``Origin`` is not allowed is refused with 403
``ORIGIN_NOT_ALLOWED``; a request without ``Origin`` gets no CORS headers.

Where we differ from moleculer-web: a ``*`` inside an origin pattern matches within the host and port only (never
``/``, ``?``, ``#``, ``@`` or white space; moleculer-web's is ``.*``); a ``"*"`` in an origin list allows every
origin with ``Access-Control-Allow-Origin: *`` (moleculer-web reflects the request's origin); and
``credentials: true`` with an origin that allows everyone is refused when the route is built (``check_cors``):
moleculer-web sends ``*`` with credentials, which browsers reject, and reflecting every origin would let any site
make credentialed requests.
"""

from __future__ import annotations

import re
from typing import Any

from broker.errors import ServiceSchemaError

from .errors import ForbiddenError

__all__ = ["check_cors", "cors_headers", "origin_allowed"]

_DEFAULT_METHODS = "GET, HEAD, PUT, PATCH, POST, DELETE"


def _option(opts: dict[str, Any], snake: str, camel: str) -> Any:
    return opts.get(snake, opts.get(camel))


def _joined(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return None


def _any_origin(allowed: Any) -> bool:
    return allowed is None or allowed == "*" or (isinstance(allowed, list | tuple) and "*" in allowed)


def check_cors(opts: dict[str, Any], route: str) -> None:
    """Raise ``ServiceSchemaError`` when ``credentials`` is true and ``origin`` allows every origin."""
    if opts.get("credentials") is True and _any_origin(opts.get("origin", "*")):
        raise ServiceSchemaError(
            f"Route '{route}': CORS 'credentials: True' needs an explicit 'origin' (a string or list without '*'), "
            "not every origin.", {"route": route, "origin": opts.get("origin", "*")},
        )


def origin_allowed(origin: str, allowed: Any) -> bool:
    """Whether ``origin`` matches ``allowed``: exact, ``*`` wildcards, or any of a list."""
    if isinstance(allowed, str):
        if allowed == origin or allowed == "*":
            return True
        if "*" in allowed:
            pattern = re.escape(allowed).replace(r"\*", r"[^/?#@\s]*")  # within the host and port
            return re.fullmatch(pattern, origin) is not None
        return False
    if isinstance(allowed, list | tuple):
        return any(origin_allowed(origin, item) for item in allowed)
    return False


def cors_headers(opts: dict[str, Any], headers: Any, preflight: bool) -> dict[str, str]:
    """The CORS response headers for a request with these ``headers``; raises ``ForbiddenError`` for a bad origin."""
    origin = headers.get("origin")
    if not origin:
        return {}
    out: dict[str, str] = {}
    allowed = opts.get("origin", "*")
    if _any_origin(allowed):
        out["Access-Control-Allow-Origin"] = "*"
    elif origin_allowed(origin, allowed):
        out["Access-Control-Allow-Origin"] = origin
        out["Vary"] = "Origin"
    else:
        raise ForbiddenError("ORIGIN_NOT_ALLOWED", {"origin": origin}, "Origin not allowed")
    if opts.get("credentials") is True:
        out["Access-Control-Allow-Credentials"] = "true"
    exposed = _joined(_option(opts, "exposed_headers", "exposedHeaders"))
    if exposed:
        out["Access-Control-Expose-Headers"] = exposed
    if preflight:
        allow_headers = _joined(_option(opts, "allowed_headers", "allowedHeaders"))
        if allow_headers is None:
            allow_headers = headers.get("access-control-request-headers")
            if allow_headers:
                out["Vary"] = ", ".join(filter(None, [out.get("Vary"), "Access-Control-Request-Headers"]))
        if allow_headers:
            out["Access-Control-Allow-Headers"] = allow_headers
        out["Access-Control-Allow-Methods"] = _joined(opts.get("methods")) or _DEFAULT_METHODS
        max_age = _option(opts, "max_age", "maxAge")
        if isinstance(max_age, int):
            out["Access-Control-Max-Age"] = str(max_age)
    return out
