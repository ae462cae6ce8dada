"""A sample service set behind a gateway: greeter (rest annotations), order (aliases), admin (auth), posts (DbMixin)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from adapters import MemoryAdapter
from broker.errors import MoleculerClientError, MoleculerRetryableError
from dbmixin import DbMixin
from gateway import ApiGateway, ForbiddenError, UnAuthorizedError

USERS = {"alice": {"id": 1, "name": "alice", "role": "admin"}, "bob": {"id": 2, "name": "bob", "role": "user"}}


async def _slow(self: Any, ctx: Any) -> Any:
    self.entered.set()
    await self.release.wait()
    return {"slow": True}


def _created_greeter(self: Any) -> None:
    self.entered = asyncio.Event()
    self.release = asyncio.Event()


def _raise_boom(self: Any, ctx: Any) -> Any:
    raise RuntimeError("secret internals: password=hunter2")


def _raise_busy(self: Any, ctx: Any) -> Any:
    raise MoleculerRetryableError("Try again later", 500, "BUSY")


def _raise_conflict(self: Any, ctx: Any) -> Any:
    raise MoleculerClientError("Already exists", 409, "CONFLICT", {"field": "name"})


def _status(self: Any, ctx: Any) -> Any:
    ctx.meta["$statusCode"] = 201
    ctx.meta["$responseHeaders"] = {"X-Custom": "yes"}
    return {"created": True}


def _text(self: Any, ctx: Any) -> Any:
    ctx.meta["$responseType"] = "text/plain; charset=utf-8"
    return "plain words"


GREETER: dict[str, Any] = {
    "name": "greeter",
    "created": _created_greeter,
    "actions": {
        "hello": {
            "rest": "GET /hello",
            "params": {"name": {"type": "string", "optional": True, "min": 1}},
            "handler": lambda self, ctx: {"hello": ctx.params.get("name", "world")},
        },
        "echo": {"rest": {"method": "POST", "path": "/echo/:id"}, "handler": lambda self, ctx: ctx.params},
        "add": {
            "rest": "GET /add",
            "params": {"a": {"type": "number", "convert": True}, "b": {"type": "number", "convert": True}},
            "handler": lambda self, ctx: {"sum": ctx.params["a"] + ctx.params["b"]},
        },
        "whoami": {
            "rest": "GET /whoami",
            "handler": lambda self, ctx: {"user": ctx.meta.get("user"), "requestID": ctx.request_id},
        },
        "status": {"rest": "POST /status", "handler": _status},
        "text": {"rest": "GET /text", "handler": _text},
        "boom": {"rest": "GET /boom", "handler": _raise_boom},
        "busy": {"rest": "GET /busy", "handler": _raise_busy},
        "conflict": {"rest": "POST /conflict", "handler": _raise_conflict},
        "hidden": {"rest": "GET /hidden", "visibility": "public", "handler": lambda self, ctx: "hidden"},
        "slow": {"rest": "GET /slow", "handler": _slow},
    },
}

ORDER: dict[str, Any] = {
    "name": "order",
    "actions": {
        "my_orders": lambda self, ctx: [{"id": 1, "user": (ctx.meta.get("user") or {}).get("name")}],
        "update_status": {
            "params": {"id": "string", "status": {"type": "enum", "values": ["paid", "shipped"]}},
            "handler": lambda self, ctx: {"id": ctx.params["id"], "status": ctx.params["status"]},
        },
    },
}

ADMIN: dict[str, Any] = {
    "name": "admin",
    "actions": {"stats": lambda self, ctx: {"user": ctx.meta["user"]["name"], "orders": 42}},
}


def posts_service() -> dict[str, Any]:
    """A DbMixin posts service over a MemoryAdapter (with a cached get)."""
    return {
        "name": "posts",
        "mixins": [DbMixin],
        "adapter": MemoryAdapter(),
        "settings": {"fields": ["_id", "title", "votes"]},
        "actions": {"get": {"cache": {"keys": ["id"]}}},
    }


def _authenticate(self: Any, ctx: Any, route: Any, request: Any) -> Any:
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        raise UnAuthorizedError("NO_TOKEN")
    user = USERS.get(auth[len("Bearer ") :])
    if user is None:
        raise UnAuthorizedError("INVALID_TOKEN")
    return user


def _authorize(self: Any, ctx: Any, route: Any, request: Any) -> None:
    if ctx.meta["user"]["role"] != "admin":
        raise ForbiddenError("NOT_ADMIN")


def gateway_service(**settings: Any) -> dict[str, Any]:
    """The gateway under test, on a free loopback port."""
    base: dict[str, Any] = {
        "port": 0,
        "host": "127.0.0.1",
        "logging": False,
        "routes": [
            {
                "path": "/api",
                "whitelist": ["greeter.*", "posts.*", "order.*", "late.*"],
                "auto_aliases": True,
                "aliases": {"GET /my": "order.my_orders", "PUT /orders/:id/status": "order.update_status"},
                "cors": {"origin": ["http://allowed.test", "http://*.example.test"], "credentials": True},
                "body_limit": 1024,
                "mapping_policy": "restrict",
            },
            {
                "path": "/admin",
                "whitelist": [re.compile(r"^admin\.")],
                "authentication": True,
                "authorization": True,
                "mapping_policy": "restrict",
                "aliases": {"GET /stats": "admin.stats"},
            },
            {
                "path": "/auth",
                "authentication": True,
                "mapping_policy": "restrict",
                "aliases": {"GET /whoami": "greeter.whoami"},
            },
            {
                "path": "/limited",
                "rate_limit": {"limit": 2, "window": 3_600_000},
                "mapping_policy": "restrict",
                "aliases": {"GET /ping": "greeter.hello"},
            },
            {"path": "/raw", "whitelist": ["greeter.hello", "greeter.add"]},
        ],
        **settings,
    }
    return {
        "name": "api",
        "mixins": [ApiGateway],
        "settings": base,
        "methods": {"authenticate": _authenticate, "authorize": _authorize},
    }
