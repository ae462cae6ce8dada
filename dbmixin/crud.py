"""The bodies of the eight actions as service methods, so custom actions can reuse them.

moleculer-db calls them ``_find``, ``_count``, ``_list``, ``_create``, ``_insert``, ``_get``, ``_update`` and
``_remove``; here they are ``find_entities``, ``count_entities``, ``list_entities``, ``create_entity``,
``insert_entities``, ``get_entities``, ``update_entity`` and ``remove_entity``. Each takes ``(ctx, params)``.
Writes run the entity hooks and clean the cache exactly as moleculer-db does (reference §6).
"""

from __future__ import annotations

import asyncio
from typing import Any

from broker.errors import MoleculerClientError, ValidationError

from .errors import EntityNotFoundError
from .fields import flatten
from .params import sanitize_params as _sanitize_params

__all__ = ["CRUD_METHODS"]

_UPDATE_OPERATORS = ("$set", "$unset", "$inc")


def sanitize_params(self: Any, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Convert and cap the read params; ``list`` also gets its paging (``page``/``pageSize`` → limit/offset)."""
    action = getattr(ctx, "action", None)
    is_list = bool(action is not None and (action.raw_name == "list" or action.name.endswith(".list")))
    return _sanitize_params(params, self.settings, is_list=is_list)


async def find_entities(self: Any, ctx: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Entities matching ``query``/``search``, sorted and paged, transformed for the caller."""
    docs = await self.adapter.find(params)
    return await self.transform_documents(ctx, params, docs)


async def count_entities(self: Any, ctx: Any, params: dict[str, Any]) -> int:
    """How many entities match (paging params are ignored)."""
    return await self.adapter.count(_without_paging(params))


async def list_entities(self: Any, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """One page of entities with the total: ``{rows, total, page, pageSize, totalPages}``."""
    params = dict(params)
    page_size = params.get("pageSize") or self.settings.get("pageSize", 10)
    page = params.get("page") or 1
    if params.get("limit") is None:
        params["limit"] = page_size
        params["offset"] = (page - 1) * page_size
    docs = await self.adapter.find(params)
    total = await self.adapter.count(_without_paging(params))
    rows = await self.transform_documents(ctx, params, docs)
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "pageSize": page_size,
        "totalPages": (total + page_size - 1) // page_size,
    }


async def create_entity(self: Any, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Insert one entity: before hook → validation → insert → transform → cache clean → ``entity_created``."""
    entity = await self.before_entity_change("create", params, ctx)
    entity = await self.validate_entity(entity)
    stored = await self.adapter.insert(self.adapter.before_save_transform_id(entity, self._id_field()))
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("created", json, ctx, stored)
    return json


async def insert_entities(self: Any, ctx: Any, params: dict[str, Any]) -> Any:
    """``{"entities": [...]}`` (all or nothing, one ``entity_created`` call) or ``{"entity": {...}}``."""
    id_field = self._id_field()
    if isinstance(params.get("entities"), list):
        entities = await asyncio.gather(
            *(self.before_entity_change("create", entity, ctx) for entity in params["entities"])
        )
        entities = await self.validate_entity(list(entities))
        stored: Any = await self.adapter.insert_many(
            [self.adapter.before_save_transform_id(entity, id_field) for entity in entities]
        )
    elif params.get("entity"):
        entity = await self.before_entity_change("create", params["entity"], ctx)
        entity = await self.validate_entity(entity)
        stored = await self.adapter.insert(self.adapter.before_save_transform_id(entity, id_field))
    else:
        raise MoleculerClientError("Invalid request! The 'params' must contain 'entity' or 'entities'!", 400)
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("created", json, ctx, stored)
    return json


async def get_entities(self: Any, ctx: Any, params: dict[str, Any]) -> Any:
    """One entity (404 if missing), a list for a list of ids, or ``{id: entity}`` with ``mapping: true``."""
    requested = params.get("id")
    docs = await self.get_by_id(requested, True)
    if docs is None or (not isinstance(requested, list | tuple) and not docs):
        raise EntityNotFoundError(requested)
    if params.get("mapping") is not True:
        return await self.transform_documents(ctx, params, docs)
    items = docs if isinstance(docs, list) else [docs]
    id_field = self._id_field()
    keys = [
        str(self.encode_id(self.adapter.after_retrieve_transform_id(dict(doc), id_field).get(id_field)))
        for doc in items
    ]
    json = await self.transform_documents(ctx, params, items)
    return dict(zip(keys, json))


async def update_entity(self: Any, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Change the given fields of one entity (``$set``; ``$unset``/``$inc`` keys are honoured too)."""
    params = await self.before_entity_change("update", params, ctx)
    id_field = self._id_field()
    entity_id: Any = None
    changes: dict[str, Any] = {}
    update: dict[str, Any] = {}
    for key, value in params.items():
        if key in ("id", id_field):
            entity_id = self.decode_id(value)
        elif key in _UPDATE_OPERATORS:
            update[key] = value
        elif key.startswith("$"):
            raise ValidationError(
                "Parameters validation error!",
                data=[{"type": "updateOperator", "field": key, "message": f"Unknown update operator '{key}'.",
                       "actual": key}],
            )  # fmt: skip
        else:
            changes[key] = value
    if changes:
        changes = await self.validate_entity(changes, partial=True)
        if self.settings.get("useDotNotation"):
            changes = flatten(changes)
        update["$set"] = {**update.get("$set", {}), **changes}
    if update:
        stored = await self.adapter.update_by_id(entity_id, update)
    else:
        stored = await self.adapter.find_by_id(entity_id)
    if stored is None:
        raise EntityNotFoundError(entity_id)
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("updated", json, ctx, stored)
    return json


async def remove_entity(self: Any, ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Remove one entity and return it (moleculer-db's MemoryAdapter returned the count ``1``)."""
    entity_id = self.decode_id(params.get("id"))
    await self.before_entity_change("remove", params, ctx)
    stored = await self.adapter.remove_by_id(entity_id)
    if stored is None:
        raise EntityNotFoundError(params.get("id"))
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("removed", json, ctx, stored)
    return json


def _without_paging(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in ("limit", "offset")}


def _id_field(self: Any) -> str:
    return self.settings.get("idField", "_id")


CRUD_METHODS = {
    "sanitize_params": sanitize_params,
    "find_entities": find_entities,
    "count_entities": count_entities,
    "list_entities": list_entities,
    "create_entity": create_entity,
    "insert_entities": insert_entities,
    "get_entities": get_entities,
    "update_entity": update_entity,
    "remove_entity": remove_entity,
    "_id_field": _id_field,
}
