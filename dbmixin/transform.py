"""Service methods that turn stored entities into what callers see (moleculer-db's ``transformDocuments``).

Order, as moleculer-db: adapter object → id rename (``idField``) and ``encode_id`` → populate → field
whitelist (request ``fields`` authorised against ``settings.fields``) → exclusions (settings and request merged,
so a client can never see an excluded field).

Every step is called through ``self`` (``self.encode_id``, ``self.populate_docs``, ``self.authorize_fields``,
``self.filter_fields``, ``self.exclude_fields``), as moleculer-db calls ``this.filterFields``, so a service that
overrides one of them changes what callers get.
"""

from __future__ import annotations

from typing import Any

from .fields import authorize_fields as _authorize_fields
from .fields import exclude_fields as _exclude_fields
from .fields import filter_fields as _filter_fields
from .fields import merge_excludes
from .populate import populate_docs as _populate_docs

__all__ = ["TRANSFORM_METHODS"]


def encode_id(self: Any, id: Any) -> Any:
    """Turn a stored id into the id callers see (identity; override to e.g. hash ids)."""
    return id


def decode_id(self: Any, id: Any) -> Any:
    """The inverse of ``encode_id``."""
    return id


async def get_by_id(self: Any, id: Any, decoding: bool = False) -> Any:
    """Raw entity (or entities, for a list of ids) from the adapter, decoding ids when asked."""
    if isinstance(id, list | tuple):
        ids = [self.decode_id(i) for i in id] if decoding else list(id)
        if not ids:
            return []
        return await self.adapter.find_by_ids(ids)
    return await self.adapter.find_by_id(self.decode_id(id) if decoding else id)


def filter_fields(self: Any, doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Keep only ``fields`` (dotted paths, ``$`` array wildcard); ``None`` keeps everything."""
    return _filter_fields(doc, fields)


def exclude_fields(self: Any, doc: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """A copy of ``doc`` without ``fields``."""
    return _exclude_fields(doc, fields or [])


def authorize_fields(self: Any, asked: list[str] | None) -> list[str] | None:
    """The subset of the requested fields that ``settings.fields`` allows (all of them when it is unset)."""
    return _authorize_fields(asked, self.settings.get("fields"))


async def populate_docs(self: Any, ctx: Any, docs: Any, populate_fields: list[str] | None) -> Any:
    """Fill related entities from other services according to ``settings.populates``."""
    rules = self.settings.get("populates")
    if not rules or not populate_fields:
        return docs
    return await _populate_docs(ctx, docs, list(populate_fields), rules, self)


async def transform_documents(self: Any, ctx: Any, params: dict[str, Any], docs: Any) -> Any:
    """Stored entities → response entities (a single dict stays a dict, a list stays a list)."""
    if isinstance(docs, dict):
        single, items = True, [docs]
    elif isinstance(docs, list):
        single, items = False, docs
    else:
        return docs
    adapter, id_field = self.adapter, self.settings.get("idField", "_id")
    out = []
    for doc in items:
        obj = adapter.after_retrieve_transform_id(adapter.entity_to_object(doc), id_field)
        if id_field in obj:
            obj[id_field] = self.encode_id(obj[id_field])
        out.append(obj)
    if ctx is not None and params.get("populate"):
        out = await self.populate_docs(ctx, out, params["populate"])
    if ctx is not None and params.get("fields") is not None:
        allowed = self.authorize_fields(params["fields"])
        out = [self.filter_fields(doc, allowed) for doc in out]
    elif self.settings.get("fields"):
        allowed = self.settings["fields"]
        out = [self.filter_fields(doc, allowed) for doc in out]
    excludes = merge_excludes(
        self.settings.get("excludeFields"), params.get("excludeFields") if ctx is not None else None
    )
    if excludes:
        out = [self.exclude_fields(doc, excludes) for doc in out]
    return out[0] if single else out


TRANSFORM_METHODS = {
    "encode_id": encode_id,
    "decode_id": decode_id,
    "get_by_id": get_by_id,
    "filter_fields": filter_fields,
    "exclude_fields": exclude_fields,
    "authorize_fields": authorize_fields,
    "populate_docs": populate_docs,
    "transform_documents": transform_documents,
}
