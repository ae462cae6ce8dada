"""``DbMixin``: the schema a service lists in ``mixins`` to get moleculer-db's eight actions.

It is a plain dict schema, as moleculer-db's export is, so it mixes into dict-form and class-form services
alike. Action names, params, cache keys, ``rest`` annotations and settings keep moleculer-db's wire names.

Settings are checked when the service is created (``dbmixin.settings``); besides moleculer-db's ten,
``queryHiddenFields`` (``dbmixin.read``), ``indexes`` and the schema keys ``connect_retries`` /
``connect_retry_delay`` are understood. Read params: ``dbmixin.params`` (bounds, falsy values) and
``dbmixin.read`` (typed value, public id name, hidden fields); writes: ``dbmixin.crud`` and ``dbmixin.update``.
"""

from __future__ import annotations

from typing import Any

from .crud import CRUD_METHODS, guarded
from .lifecycle import LIFECYCLE_METHODS, created, merged, started, stopped
from .transform import TRANSFORM_METHODS

__all__ = ["DEFAULT_SETTINGS", "DbMixin"]

DEFAULT_SETTINGS: dict[str, Any] = {
    "idField": "_id",
    "fields": None,
    "excludeFields": None,
    "populates": None,
    "pageSize": 10,
    "maxPageSize": 100,
    "maxLimit": -1,
    "entityValidator": None,
    "useDotNotation": False,
    "cacheCleanEventType": "broadcast",
}

_STRINGS = [
    {"type": "string", "optional": True},
    {"type": "array", "optional": True, "items": "string"},
]
_COUNTER = {"type": "number", "integer": True, "min": 0, "optional": True, "convert": True}
_QUERY = [{"type": "object", "optional": True}, {"type": "string", "optional": True}]
_SEARCH = {
    "search": {"type": "string", "optional": True},
    "iSearch": {"type": "string", "optional": True},
    "searchFields": _STRINGS,
    "query": _QUERY,
}
_SHAPE = {"populate": _STRINGS, "fields": _STRINGS, "excludeFields": _STRINGS}


async def _find(self: Any, ctx: Any) -> Any:
    return await self.find_entities(ctx, guarded(self, self.sanitize_params(ctx, ctx.params)))


async def _count(self: Any, ctx: Any) -> Any:
    return await self.count_entities(ctx, guarded(self, self.sanitize_params(ctx, ctx.params)))


async def _list(self: Any, ctx: Any) -> Any:
    return await self.list_entities(ctx, guarded(self, self.sanitize_params(ctx, ctx.params, paging=True), True))


async def _create(self: Any, ctx: Any) -> Any:
    return await self.create_entity(ctx, ctx.params)


async def _insert(self: Any, ctx: Any) -> Any:
    return await self.insert_entities(ctx, ctx.params)


async def _get(self: Any, ctx: Any) -> Any:
    return await self.get_entities(ctx, guarded(self, self.sanitize_params(ctx, ctx.params)))


async def _update(self: Any, ctx: Any) -> Any:
    return await self.update_entity(ctx, ctx.params)


async def _remove(self: Any, ctx: Any) -> Any:
    return await self.remove_entity(ctx, ctx.params)


DbMixin: dict[str, Any] = {
    "metadata": {
        "$category": "database",
        "$description": "Database access service (dbmixin)",
        "$official": False,
        "$package": {"name": "dbmixin", "version": "0.1.0"},
    },
    "settings": DEFAULT_SETTINGS,
    "actions": {
        "find": {
            "cache": {"keys": ["populate", "fields", "excludeFields", "limit", "offset", "sort", "search",
                               "iSearch", "searchFields", "query"]},
            "params": {**_SHAPE, "limit": _COUNTER, "offset": _COUNTER, "sort": _STRINGS, **_SEARCH},
            "handler": _find,
        },
        "count": {
            "cache": {"keys": ["search", "iSearch", "searchFields", "query"]},
            "params": dict(_SEARCH),
            "handler": _count,
        },
        "list": {
            "rest": "GET /",
            "cache": {"keys": ["populate", "fields", "excludeFields", "page", "pageSize", "sort", "search",
                               "iSearch", "searchFields", "query"]},
            "params": {
                **_SHAPE,
                "page": {**_COUNTER, "min": 1},
                "pageSize": {**_COUNTER, "min": 1},
                "sort": _STRINGS,
                **_SEARCH,
            },
            "handler": _list,
        },
        "create": {"rest": "POST /", "handler": _create},
        "insert": {
            "params": {
                "entity": {"type": "object", "optional": True},
                "entities": {"type": "array", "optional": True, "items": "object"},
            },
            "handler": _insert,
        },
        "get": {
            "rest": "GET /:id",
            "cache": {"keys": ["id", "populate", "fields", "excludeFields", "mapping"]},
            "params": {
                "id": [{"type": "string"}, {"type": "number"}, {"type": "array"}],
                **_SHAPE,
                "mapping": {"type": "boolean", "optional": True},
            },
            "handler": _get,
        },
        # ``id`` is optional in the schema so the public ``idField`` name can carry the id; the bodies 422 without
        "update": {"rest": "PUT /:id", "params": {"id": {"type": "any", "optional": True}}, "handler": _update},
        "remove": {"rest": "DELETE /:id", "params": {"id": {"type": "any", "optional": True}}, "handler": _remove},
    },
    "methods": {**TRANSFORM_METHODS, **CRUD_METHODS, **LIFECYCLE_METHODS},
    "merged": merged,
    "created": created,
    "started": started,
    "stopped": stopped,
}
