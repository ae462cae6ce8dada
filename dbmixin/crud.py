"""The bodies of the eight actions as service methods, so custom actions can reuse them.

moleculer-db calls them ``_find``, ``_count``, ``_list``, ``_create``, ``_insert``, ``_get``, ``_update`` and
``_remove``; here they are ``find_entities``, ``count_entities``, ``list_entities``, ``create_entity``,
``insert_entities``, ``get_entities``, ``update_entity`` and ``remove_entity``. Each takes ``(ctx, params)``.

The read bodies accept what ``self.sanitize_params`` returns *or raw params* (which they sanitise themselves), so
``maxPageSize``/``maxLimit`` and the param checks hold on every path; the adapter gets a parsed ``FindParams``.
Hidden fields (``dbmixin.read``) are guarded for the public actions; a custom action passing raw params has full
access, like ``self.adapter`` (pass ``self.sanitize_params(ctx, params)`` to get the guard). Writes run the entity
hooks, validate whole entities and clean the cache as moleculer-db does
(reference §6); a write that fails leaves the store unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from broker.errors import MoleculerClientError

from .errors import EntityNotFoundError
from .params import sanitize_params as _sanitize_params
from .read import ReadParams, SanitizedParams, Visibility, build_read_params
from .transform import decode_id
from .update import check_entity, entity_id_of, invalid, update_entity

__all__ = ["CRUD_METHODS", "guarded"]

_OPEN = Visibility({})  # custom actions' raw params: no hidden-field guard


def sanitize_params(self: Any, ctx: Any, params: Mapping[str, Any], paging: bool = False) -> dict[str, Any]:
    """Convert, check and cap the read params (``dbmixin.params``); ``paging=True`` (the ``list`` action) adds
    ``page``/``pageSize`` → ``limit``/``offset``. Returns a mapping (moleculer-db's contract) that carries the typed
    value the bodies use (``SanitizedParams.read``). An override should keep the ``paging`` keyword."""
    return _wrap(self, _sanitize_params(params, self.settings, is_list=paging), paging)


def _wrap(self: Any, params: dict[str, Any], paging: bool, guarded: bool = True) -> SanitizedParams:
    def build(p: Mapping[str, Any]) -> ReadParams:
        return build_read_params(
            p,
            visibility=self._visibility if guarded else _OPEN,
            id_field=self._id_field(),
            id_key=self.adapter.id_key,
            decode=None if getattr(self.decode_id, "__func__", None) is decode_id else self.decode_id,
            paging=paging,
        )

    return SanitizedParams(params, build, paging)


def guarded(self: Any, params: Mapping[str, Any], paging: bool = False) -> SanitizedParams:
    """What a public read action hands its body: ``self.sanitize_params``'s result with hidden fields guarded.

    An override of ``sanitize_params`` may return a plain dict (moleculer-db's ``sanitizeParams`` returns a plain
    object, and ``{**super_result, ...}`` is one too); that dict is checked and capped again here and keeps the
    guard, so overriding ``sanitize_params`` never re-opens hidden fields to callers."""
    if isinstance(params, SanitizedParams) and (params.paging or not paging):
        return params
    return _wrap(self, _sanitize_params(params, self.settings, is_list=paging), paging)


def _read(self: Any, ctx: Any, params: Any, paging: bool) -> SanitizedParams:
    """The sanitised params of a read body: as given when ``self.sanitize_params`` made them (the public actions:
    hidden fields guarded), else raw params of a custom action, sanitised here through ``self.sanitize_params`` —
    caps and checks apply — but with full access to hidden fields, as ``self.adapter`` has."""
    if isinstance(params, SanitizedParams) and (params.paging or not paging):
        return params
    out = self.sanitize_params(ctx, params, paging=True) if paging else self.sanitize_params(ctx, params)
    return _wrap(self, _sanitize_params(out, self.settings, is_list=paging), paging, guarded=False)


async def find_entities(self: Any, ctx: Any, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entities matching ``query``/``search``, sorted and paged, transformed for the caller."""
    p = _read(self, ctx, params, paging=False)
    docs = await self.adapter.find(p.read.find)
    return await self.transform_documents(ctx, p, docs)


async def count_entities(self: Any, ctx: Any, params: Mapping[str, Any]) -> int:
    """How many entities match (paging params are ignored)."""
    p = _read(self, ctx, params, paging=False)
    return await self.adapter.count(p.read.find)


async def list_entities(self: Any, ctx: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """One page of entities with the total: ``{rows, total, page, pageSize, totalPages}``; the total is counted in
    a task that runs concurrently with the page's read (as ``asyncio.gather`` would, with one task fewer)."""
    p = _read(self, ctx, params, paging=True)
    read = p.read
    page_size = read.page_size or 1
    counting = asyncio.ensure_future(self.adapter.count(read.find))  # runs while the page is read
    try:
        docs = await self.adapter.find(read.find)
    except BaseException:
        counting.cancel()
        raise
    total = await counting
    rows = await self.transform_documents(ctx, p, docs)
    return {
        "rows": rows,
        "total": total,
        "page": read.page,
        "pageSize": page_size,
        "totalPages": (total + page_size - 1) // page_size,
    }


async def _store_one(self: Any, ctx: Any, entity: Any, field: str) -> dict[str, Any]:
    """Hook → validation → one bounds check of what will be stored (the params were checked on entry) → insert."""
    entity = await self.before_entity_change("create", entity, ctx)
    entity = await self.validate_entity(entity)
    check_entity(entity, field, keys=True)
    return await self.adapter.insert(self.adapter.before_save_transform_id(entity, self._id_field()))


async def create_entity(self: Any, ctx: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Insert one entity (the params): before hook → validation → insert → transform → cache clean →
    ``entity_created``. What the validator returns (conversions, defaults) is what is stored."""
    check_entity(params, "params")
    stored = await _store_one(self, ctx, params, "params")
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("created", json, ctx, stored)
    return json


async def insert_entities(self: Any, ctx: Any, params: Mapping[str, Any]) -> Any:
    """``{"entities": [...]}`` (all or nothing, one ``entity_created`` call) or ``{"entity": {...}}``.

    ``entities`` wins when both are given (moleculer-db's order). ``entity: {}`` inserts an empty entity;
    ``entities: []`` returns ``[]`` and writes nothing (no ``entity_created``, no cache clean). Neither given
    (or only ``None``) is moleculer-db's 400.
    """
    check_entity(params, "params")
    id_field = self._id_field()
    if params.get("entities") is not None:
        given = params["entities"]
        if not isinstance(given, list | tuple):
            raise invalid("entities", "The 'entities' field must be an array.", type(given).__name__)
        for i, item in enumerate(given):
            check_entity(item, f"entities.{i}")
        if not given:
            return []
        entities = await asyncio.gather(*(self.before_entity_change("create", entity, ctx) for entity in given))
        for i, item in enumerate(entities):
            check_entity(item, f"entities.{i}", keys=True)
        entities = await self.validate_entity(list(entities))
        for i, item in enumerate(entities):
            check_entity(item, f"entities.{i}", keys=True)
        stored: Any = await self.adapter.insert_many(
            [self.adapter.before_save_transform_id(entity, id_field) for entity in entities]
        )
    elif params.get("entity") is not None:
        check_entity(params["entity"], "entity")
        stored = await _store_one(self, ctx, params["entity"], "entity")
    else:
        raise MoleculerClientError("Invalid request! The 'params' must contain 'entity' or 'entities'!", 400)
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("created", json, ctx, stored)
    return json


async def get_entities(self: Any, ctx: Any, params: Mapping[str, Any]) -> Any:
    """One entity (404 if missing), a list for a list of ids, or ``{id: entity}`` with ``mapping: true``.

    A list takes at most ``maxLimit`` ids when ``maxLimit`` > 0 (else ``dbmixin.params.MAX_IDS``): more is a 422.
    """
    p = _read(self, ctx, params, paging=False)
    requested = p.get("id")
    docs = await self.get_by_id(requested, True)
    if docs is None or (not isinstance(requested, list | tuple) and not docs):
        raise EntityNotFoundError(requested)
    if p.get("mapping") is not True:
        return await self.transform_documents(ctx, p, docs)
    items = docs if isinstance(docs, list) else [docs]
    id_field = self._id_field()
    keys = [
        str(self.encode_id(self.adapter.after_retrieve_transform_id(dict(doc), id_field).get(id_field)))
        for doc in items
    ]
    json = await self.transform_documents(ctx, p, items)
    return dict(zip(keys, json, strict=False))


async def remove_entity(self: Any, ctx: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """Remove one entity and return it (moleculer-db's MemoryAdapter returned the count ``1``)."""
    check_entity(params, "params")
    raw_id = entity_id_of(self, params)
    if raw_id is None:
        raise invalid("id", "The 'id' field is required.", None, "required")
    entity_id = self.decode_id(raw_id)
    await self.before_entity_change("remove", params, ctx)
    stored = await self.adapter.remove_by_id(entity_id)
    if stored is None:
        raise EntityNotFoundError(raw_id)
    json = await self.transform_documents(ctx, {}, stored)
    await self.entity_changed("removed", json, ctx, stored)
    return json


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
