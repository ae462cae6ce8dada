"""``ApiGateway``: the schema a service lists in ``mixins`` to become the HTTP API gateway (moleculer-web's
``ApiService``).

Settings (moleculer-web's, snake_case): ``port`` (3000; 0 picks a free one), ``host`` ("0.0.0.0"), ``path`` (global
prefix), ``routes`` (route groups, see ``gateway.routes``), ``cors``, ``rate_limit``, ``body_limit`` ("1mb"),
``logging`` (log each request with its id), ``server`` (false: build the ASGI app only, for mounting or in-process
tests), ``shutdown_timeout`` (seconds in-flight requests get on stop), ``trust_proxy`` (false: the client address is
the socket's peer; ``True`` or a list of proxy addresses: ``X-Forwarded-For``/``-Proto`` from those are believed) and
``openapi`` (``{"path", "docs_path", "title", "version"}`` or false).

The service gets ``self.gateway`` (the ASGI app, ``GatewayApp``) and, once started, ``self.server``
(``GatewayServer``: ``.port``, ``.url``). A route with ``authentication``/``authorization`` needs the service's
``authenticate(self, ctx, route, request)``/``authorize(...)`` methods; without them the service refuses to be
created (moleculer-web only logs a warning and skips the check: an unauthenticated route by accident is worse).
"""

from __future__ import annotations

from typing import Any

from broker.errors import ServiceSchemaError

from .app import GatewayApp
from .openapi import install_openapi
from .server import GatewayServer

__all__ = ["DEFAULT_SETTINGS", "ApiGateway"]

DEFAULT_SETTINGS: dict[str, Any] = {
    "port": 3000,
    "host": "0.0.0.0",
    "path": "",
    "routes": [],
    "cors": None,
    "rate_limit": None,
    "body_limit": "1mb",
    "logging": True,
    "server": True,
    "shutdown_timeout": 10.0,
    "trust_proxy": False,
    "openapi": {"path": "/openapi.json", "docs_path": "/docs"},
}


def _created(self: Any) -> None:
    self.gateway = GatewayApp(self)
    self.server = None
    self._proxy_options = _proxy_options(self.settings.get("trust_proxy"))
    for route in self.gateway.routes:
        for flag in ("authentication", "authorization"):
            method = "authenticate" if flag == "authentication" else "authorize"
            if getattr(route, flag) and not callable(getattr(self, method, None)):
                raise ServiceSchemaError(
                    f"Route '{route.name}' of '{self.full_name}' sets '{flag}' but the service has no "
                    f"'{method}(self, ctx, route, request)' method.", {"route": route.name, "method": method},
                )
    install_openapi(self)


async def _started(self: Any) -> None:
    if self.settings.get("server") is False:
        return
    self.server = GatewayServer(
        self.gateway, str(self.settings.get("host", "0.0.0.0")), int(self.settings.get("port", 3000)),
        float(self.settings.get("shutdown_timeout", 10.0)), **self._proxy_options,
    )
    await self.server.start()
    self.logger.info("API Gateway listening on %s", self.server.url)


def _proxy_options(trust: Any) -> dict[str, Any]:
    """uvicorn's proxy options for ``trust_proxy``: by default no forwarding header is believed (uvicorn would
    believe them from 127.0.0.1, so any local client could pick its own rate-limit key and address)."""
    if not trust:
        return {"proxy_headers": False}
    if trust is True:
        return {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1"}
    if isinstance(trust, str):
        trust = [trust]
    if not isinstance(trust, list | tuple) or not all(isinstance(ip, str) and ip for ip in trust):
        raise ServiceSchemaError("Setting 'trust_proxy' must be true, false or a list of proxy addresses.", trust)
    return {"proxy_headers": True, "forwarded_allow_ips": list(trust)}


async def _stopped(self: Any) -> None:
    if self.server is not None:
        await self.server.stop()
        self.server = None
        self.logger.info("API Gateway stopped.")


ApiGateway: dict[str, Any] = {
    "name": "api",
    "settings": DEFAULT_SETTINGS,
    "created": _created,
    "started": _started,
    "stopped": _stopped,
}
