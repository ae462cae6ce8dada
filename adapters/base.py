"""The adapter interface: what ``dbmixin`` calls, and the storage primitives each engine implements.

Public API (all data methods are ``async``; the mixin only calls these)::

    init(service_name, settings, schema) -> None          # sync, when the service is created
    connect() / disconnect()
    find(params) -> list[dict]                            # query + search, sort, limit, offset
    find_one(query) -> dict | None
    find_by_id(id) -> dict | None
    find_by_ids(ids) -> list[dict]                        # requested order, no missing ids, no duplicates
    count(params=None) -> int                             # query + search; sort/limit/offset ignored
    insert(entity) -> dict
    insert_many(entities) -> list[dict]                   # all or nothing (409 on any duplicate id)
    update_many(query, update) -> int                     # number of matched entities
    update_by_id(id, update) -> dict | None               # the updated entity
    remove_many(query) -> int
    remove_by_id(id) -> dict | None                       # the removed entity (on every adapter)
    clear() -> int
    entity_to_object(entity) -> dict                      # sync
    before_save_transform_id(entity, id_field) -> dict    # sync: id_field → "_id"
    after_retrieve_transform_id(entity, id_field) -> dict # sync: "_id" → id_field

The base parses every input once (``parse_find_params``, ``parse_query``, ``parse_update``), checks ids and
entities, and hands the concrete adapter validated objects. A concrete adapter implements only these::

    _find(params: FindParams) -> list[dict]               # params.filter / sort / limit / offset
    _count(filter: Node) -> int
    _insert(entities: list[dict]) -> list[dict]           # atomic; "_id" may be absent (generate one)
    _update_many(filter: Node, update: Update) -> int
    _remove_many(filter: Node) -> int
    _clear() -> int

and may override ``_find_by_id``, ``_find_by_ids``, ``_update_by_id``, ``_remove_by_id`` (defaults are built
on the primitives) for speed or atomicity. The storage id key is always ``"_id"`` (``id_key``). Stored ids are
strings or integers; lookups compare ids with the query language's equality (``5`` finds ``5`` and ``5.0``
would too, ``"5"`` and ``True`` do not), and an id of any other type simply finds nothing.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .errors import UnsupportedQueryError, query_error
from .query import (
    Compare,
    FindParams,
    In,
    Node,
    Update,
    parse_find_params,
    parse_query,
    parse_update,
)
from .query_values import hash_key

__all__ = ["BaseAdapter"]


class BaseAdapter(ABC):
    """Storage behind one interface; subclasses implement the ``_``-prefixed primitives."""

    id_key: ClassVar[str] = "_id"

    def __init__(self) -> None:
        self.service_name: str | None = None
        self.settings: Mapping[str, Any] = {}
        self.schema: Mapping[str, Any] = {}

    # ---------------------------------------------------------------------------------------------- lifecycle

    @property
    def adapter_name(self) -> str:
        """The name used in error messages (an SQL adapter may add its dialect: ``"SQLAdapter (sqlite)"``)."""
        return type(self).__name__

    def init(self, service_name: str, settings: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        """Called by the mixin when the service is created; may validate the schema and raise."""
        self.service_name = service_name
        self.settings = settings
        self.schema = schema

    async def connect(self) -> None:
        """Open the connection (no-op by default)."""
        return None

    async def disconnect(self) -> None:
        """Close the connection (no-op by default)."""
        return None

    def unsupported(self, operator: str, field: str | None = None, reason: str | None = None) -> UnsupportedQueryError:
        """The error to raise when this engine cannot give a valid query its portable meaning."""
        return UnsupportedQueryError(operator, self.adapter_name, field, reason)

    # -------------------------------------------------------------------------------------------------- reads

    async def find(self, params: Mapping[str, Any] | FindParams | None = None) -> list[dict[str, Any]]:
        """Entities matching ``query`` AND ``search``, sorted, then ``offset``/``limit`` applied (an already parsed
        ``FindParams`` is used as it is)."""
        return await self._find(params if isinstance(params, FindParams) else parse_find_params(params))

    async def find_one(self, query: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The first matching entity in insertion order, or ``None``."""
        rows = await self._find(FindParams(parse_query(query), limit=1))
        return rows[0] if rows else None

    async def find_by_id(self, id: Any) -> dict[str, Any] | None:
        """The entity with this id, or ``None`` (also for ids of a type no entity can have)."""
        if not self.is_lookup_id(id):
            return None
        return await self._find_by_id(id)

    async def find_by_ids(self, ids: Iterable[Any]) -> list[dict[str, Any]]:
        """Entities in the order of ``ids``; missing ids are skipped and repeated ids collapse to one entity."""
        if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
            raise query_error("ids", "find_by_ids needs a list of ids", repr(ids), "params")
        unique: dict[Any, Any] = {}
        for id in ids:
            if self.is_lookup_id(id):
                unique.setdefault(hash_key(id), id)
        if not unique:
            return []
        return await self._find_by_ids(list(unique.values()))

    async def count(self, params: Mapping[str, Any] | FindParams | None = None) -> int:
        """How many entities match ``query`` AND ``search`` (sort, limit and offset are ignored; an already parsed
        ``FindParams`` is used as it is)."""
        if isinstance(params, FindParams):
            return await self._count(params.filter)
        return await self._count(parse_find_params(params, paging=False).filter)

    # ------------------------------------------------------------------------------------------------- writes

    async def insert(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store one entity (an id is generated when ``_id`` is missing or ``None``); returns the stored copy."""
        return (await self._insert([self._checked_entity(entity, "entity")]))[0]

    async def insert_many(self, entities: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store several entities, all or nothing (a 409 on any duplicate id leaves the store unchanged)."""
        if isinstance(entities, Mapping | str | bytes) or not isinstance(entities, Iterable):
            raise query_error("entities", "insert_many needs a list of entities", repr(entities), "entity")
        checked = [self._checked_entity(e, f"entities.{i}") for i, e in enumerate(entities)]
        return await self._insert(checked) if checked else []

    async def update_many(self, query: Mapping[str, Any] | None, update: Mapping[str, Any]) -> int:
        """Apply the update to every match (validated first: a bad update changes nothing); returns the count."""
        node = parse_query(query)
        return await self._update_many(node, parse_update(update, self.id_key))

    async def update_by_id(self, id: Any, update: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply the update to one entity; returns it updated, or ``None`` if there is no such id."""
        parsed = parse_update(update, self.id_key)
        if not self.is_lookup_id(id):
            return None
        return await self._update_by_id(id, parsed)

    async def remove_many(self, query: Mapping[str, Any] | None) -> int:
        """Remove every match; returns how many were removed."""
        return await self._remove_many(parse_query(query))

    async def remove_by_id(self, id: Any) -> dict[str, Any] | None:
        """Remove one entity and return it (``None`` if there is no such id)."""
        if not self.is_lookup_id(id):
            return None
        return await self._remove_by_id(id)

    async def clear(self) -> int:
        """Remove everything; returns how many entities there were."""
        return await self._clear()

    # -------------------------------------------------------------------------------------------- conversions

    def entity_to_object(self, entity: Any) -> dict[str, Any]:
        """A plain dict of a stored entity (adapters already return fresh dicts, so dicts pass through)."""
        return entity if type(entity) is dict else dict(entity)

    def before_save_transform_id(self, entity: Mapping[str, Any], id_field: str) -> dict[str, Any]:
        """A copy of ``entity`` with ``id_field`` renamed to the storage key ``_id`` (in place; it wins over
        an existing ``_id``). Unchanged copy when ``id_field`` is ``_id`` or absent."""
        if id_field == self.id_key or id_field not in entity:
            return dict(entity)
        return _rename(entity, id_field, self.id_key)

    def after_retrieve_transform_id(self, entity: Mapping[str, Any], id_field: str) -> dict[str, Any]:
        """``entity`` with the storage key ``_id`` renamed to ``id_field`` (a new dict; the input is untouched)."""
        if id_field == self.id_key or self.id_key not in entity:
            return entity if type(entity) is dict else dict(entity)
        return _rename(entity, self.id_key, id_field)

    # ------------------------------------------------------------------------------------------------- checks

    @staticmethod
    def is_lookup_id(id: Any) -> bool:
        """Whether an entity could have this id (strings and numbers; never bools, ``None`` or containers)."""
        t = type(id)
        return t is str or t is int or (t is float and not math.isnan(id))

    def _checked_entity(self, entity: Any, where: str) -> dict[str, Any]:
        if not isinstance(entity, Mapping):
            raise query_error(where, "an entity must be an object", repr(entity)[:80], "entity")
        id = entity.get(self.id_key)
        if id is not None and type(id) not in (str, int):
            raise query_error(f"{where}.{self.id_key}", "an id must be a string or an integer", repr(id)[:80], "entity")
        return entity if type(entity) is dict else dict(entity)

    # --------------------------------------------------------------------------------------------- primitives

    @abstractmethod
    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        """Matches of ``params.filter``, sorted by ``params.sort`` (ties in insertion order), paged."""

    @abstractmethod
    async def _count(self, filter: Node) -> int:
        """The number of matches of ``filter``."""

    @abstractmethod
    async def _insert(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store all entities or none; generate missing ids; raise ``EntityAlreadyExistsError`` on duplicates."""

    @abstractmethod
    async def _update_many(self, filter: Node, update: Update) -> int:
        """Apply ``update`` to all matches atomically (all or none); return the number of matches."""

    @abstractmethod
    async def _remove_many(self, filter: Node) -> int:
        """Remove all matches; return their number."""

    @abstractmethod
    async def _clear(self) -> int:
        """Remove everything; return how many there were."""

    async def _find_by_id(self, id: Any) -> dict[str, Any] | None:
        rows = await self._find(FindParams(Compare(self.id_key, "eq", id), limit=1))
        return rows[0] if rows else None

    async def _find_by_ids(self, ids: list[Any]) -> list[dict[str, Any]]:
        rows = await self._find(FindParams(In(self.id_key, tuple(ids))))
        by_key = {hash_key(row[self.id_key]): row for row in rows}
        return [by_key[k] for k in (hash_key(i) for i in ids) if k in by_key]

    async def _update_by_id(self, id: Any, update: Update) -> dict[str, Any] | None:
        filter = Compare(self.id_key, "eq", id)
        if not await self._update_many(filter, update):
            return None
        return await self._find_by_id(id)

    async def _remove_by_id(self, id: Any) -> dict[str, Any] | None:
        doc = await self._find_by_id(id)
        if doc is not None:
            await self._remove_many(Compare(self.id_key, "eq", id))
        return doc


def _rename(entity: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy with key ``old`` renamed ``new`` at the same position; an existing ``new`` key is replaced."""
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key == old:
            out[new] = value
        elif key != new:
            out[key] = value
    return out
