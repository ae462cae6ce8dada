"""The ``api`` service: the gateway with the course's routes (post 14, "Complete API Reference"), exactly.

| route | auth | aliases |
|---|---|---|
| ``/api/public`` | none | ``POST /register`` → ``user.create``, ``POST /login`` → ``user.login`` |
| ``/api/product`` | none | ``GET /`` → ``product.list``, ``GET /:id`` → ``product.get`` |
| ``/api/admin`` | token, role ``admin`` | users, products and orders management (below) |
| ``/api`` | token | ``GET /user/me``, ``PUT /user/:id``, ``POST /order``, ``GET /order/my``, ``GET /order/:id`` |

Whitelists are explicit action names (no wildcard) and ``mapping_policy`` is ``restrict``: nothing but these
aliases is reachable. ``authenticate`` verifies the bearer token (401 ``NO_TOKEN``/``INVALID_TOKEN``), then asks
``user.resolve`` for the token's user as stored now: a user removed or deactivated since the token was signed is a
401 ``INVALID_TOKEN`` (``data.reason: "user"``), and the stored role, not the signed one, is put with ``id`` and
``email`` in ``ctx.meta.user``; the admin route's ``authorize`` is a 403 ``FORBIDDEN`` for anyone
else. After ``login`` the token is also sent as the ``Authorization`` response header, as the course's gateway does.
The gateway only does HTTP: verifying the token is the one thing it decides. ``POST /api/public/login`` is rate
limited per client address (``login_limit`` a minute, then 429 ``RATE_LIMIT_EXCEEDED``): passwords cannot be
guessed at the speed of the server (the course's gateway has no limit).
"""

from __future__ import annotations

from typing import Any

from gateway import ApiGateway, ForbiddenError, UnAuthorizedError

from .auth import Tokens

__all__ = ["ROUTES", "routes", "schema"]

_PUBLIC = {"POST /register": "user.create", "POST /login": "user.login"}
_CATALOGUE = {"GET /": "product.list", "GET /:id": "product.get"}
_ADMIN = {
    "GET /user": "user.list",
    "DELETE /user/:id": "user.remove",
    "POST /product": "product.create",
    "PUT /product/:id": "product.update",
    "DELETE /product/:id": "product.remove",
    "GET /order": "order.list",
    "PUT /order/:id/status": "order.update_status",
}
_USER = {
    "GET /user/me": "user.me",
    "PUT /user/:id": "user.update",
    "POST /order": "order.create",
    "GET /order/my": "order.my_orders",
    "GET /order/:id": "order.get",
}


def _send_token(self: Any, ctx: Any, route: Any, request: Any, data: Any) -> Any:
    token = ctx.meta.get("token")
    if token:
        ctx.meta["$responseHeaders"] = {"Authorization": f"Bearer {token}"}
    return data


def _route(path: str, aliases: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"path": path, "aliases": dict(aliases), "whitelist": sorted(set(aliases.values())),
            "mapping_policy": "restrict", **extra}  # fmt: skip


ROUTES = [
    _route("/api/public", _PUBLIC, on_after_call=_send_token),
    _route("/api/product", _CATALOGUE),
    _route("/api/admin", _ADMIN, authentication=True, authorization=True),
    _route("/api", _USER, authentication=True),
]


async def authenticate(self: Any, ctx: Any, route: Any, request: Any) -> dict[str, Any]:
    """The bearer token's user as stored now, ``{"id", "email", "role"}`` (``shop.auth.Tokens.verify`` checks the
    token; ``user.resolve`` the user). Raises ``UnAuthorizedError`` 401 for a bad token or a user who is gone."""
    claims = self.tokens.verify(request.headers.get("authorization"))
    user = await ctx.call("user.resolve", {"id": claims["id"]})
    if not user:
        raise UnAuthorizedError("INVALID_TOKEN", {"reason": "user"}, "Invalid token: its user is gone or deactivated")
    return user


def authorize(self: Any, ctx: Any, route: Any, request: Any) -> None:
    """Admin routes: 403 unless the token's role is ``admin``."""
    user = ctx.meta.get("user") or {}
    if user.get("role") != "admin":
        raise ForbiddenError("FORBIDDEN", None, "Admin access required")


def _login_key(request: Any) -> str | None:
    """The rate-limit key of a request to the public route: the client's address for a login, none otherwise."""
    if not request.scope["path"].endswith("/login"):
        return None
    client = request.client
    return client.host if client is not None else "unknown"


def routes(login_limit: int = 0) -> list[dict[str, Any]]:
    """``ROUTES``, with at most ``login_limit`` logins a minute per client address (0: no limit)."""
    if login_limit <= 0:
        return ROUTES
    limited = {**ROUTES[0], "rate_limit": {"window": 60_000, "limit": login_limit, "key": _login_key}}
    return [limited, *ROUTES[1:]]


def schema(
    tokens: Tokens,
    host: str = "127.0.0.1",
    port: int = 3000,
    server: bool = True,
    login_limit: int = 0,
    trust_proxy: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The gateway schema on ``host:port`` (``port`` 0: any free port; ``server=False``: the ASGI app only), with
    ``login_limit`` logins a minute per client address (0: none), client addresses taken from ``X-Forwarded-For``
    of the ``trust_proxy`` addresses only."""

    def created(self: Any) -> None:
        self.tokens = tokens

    return {
        "name": "api",
        "mixins": [ApiGateway],
        "created": created,
        "settings": {
            "host": host,
            "port": port,
            "server": server,
            "routes": routes(login_limit),
            "trust_proxy": list(trust_proxy) or False,
            "body_limit": "64kb",
            "openapi": {"path": "/openapi.json", "docs_path": "/docs", "title": "Shop API", "version": "1.0.0"},
        },
        "methods": {"authenticate": authenticate, "authorize": authorize},
    }
