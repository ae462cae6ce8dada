"""The adapter contract: what ``dbmixin`` calls (``BaseAdapter`` is the interface it types against), and what an
engine implements. ``docs/architecture.md`` ("Adapters") walks through it for SQL and MongoDB implementers.

Public API — all data methods are ``async``, validate their input once (a 422 ``ValidationError`` naming the field),
and run inside the error translation (see "Errors")::

    init(service_name, settings, schema) -> None          sync, at service creation; parses settings["indexes"]
    connect() / disconnect()
    capabilities: AdapterCapabilities                     class attribute: what this engine does exactly
    find(params: Mapping | FindParams | None) -> list[dict]        query AND search, sorted, offset, limit
    count(params: Mapping | FindParams | None) -> int              query AND search (paging ignored)
    find_one(query) -> dict | None                        first match in insertion order
    find_by_id(id) -> dict | None
    find_by_ids(ids) -> list[dict]                        requested order, missing skipped, repeats collapsed
    insert(entity) -> dict                                the stored copy ("_id" generated when missing/None)
    insert_many(entities) -> list[dict]                   all or nothing
    update_many(query, update) -> int                     matched count; all or nothing
    update_by_id(id, update) -> dict | None               the updated entity (atomic)
    find_one_and_update(query, update) -> dict | None     first match (insertion order) updated atomically
    find_one_and_delete(query) -> dict | None             first match removed atomically, returned
    remove_many(query) -> int
    remove_by_id(id) -> dict | None                       the removed entity (atomic)
    clear() -> int
    transaction() -> async context manager                group calls; nested joins; exception → rollback
    entity_to_object / before_save_transform_id / after_retrieve_transform_id      sync

Inputs: ``query`` is the portable language (``docs/query-language.md``), ``update`` uses ``$set``/``$unset``/
``$inc`` (a plain dict means ``$set``), ``params`` are moleculer-db's find params or an already parsed
``FindParams`` (used as is). Ids are strings or integers; the storage id key is always ``"_id"`` (``id_key``).

Errors: ``ValidationError`` 422 (bad input), ``UnsupportedQueryError`` 400 (valid, but not by this engine),
``EntityAlreadyExistsError`` 409 (id or unique-index clash; nothing written), ``AdapterConnectionError`` 503
(retryable), ``AdapterConflictError`` 503 (retryable), ``AdapterError`` 500 (anything else, generic message). Every
public data method runs its engine code inside one wrapper (``calls.engine_call``) that passes ``MoleculerError``
through and turns any other exception into ``translate_error(exc)``: engines override ``translate_error`` to
recognise their duplicate-key, connection and conflict errors; a conflict outside a transaction is run again there.

An engine implements these primitives on validated objects (``adapters/query.py``)::

    _find(params: FindParams) -> list[dict]                   params.filter / sort / limit / offset
    _count(filter: Node) -> int
    _insert(entities: list[dict]) -> list[dict]               atomic; generate missing "_id" (fresh checked copies)
    _update_many(filter: Node, update: Update) -> int         atomic
    _find_one_and_update(filter: Node, update: Update) -> dict | None     one atomic statement
    _find_one_and_delete(filter: Node) -> dict | None                     one atomic statement
    _remove_many(filter: Node) -> int
    _clear() -> int
    _begin_transaction() / _commit_transaction(tx) / _rollback_transaction(tx)     if capabilities.transactions

and may override ``_find_by_id``, ``_find_by_ids`` (built on ``_find``) and ``_update_by_id``, ``_remove_by_id``
(built on the two atomic primitives, never on a read then a write). It compiles ``Node`` trees with a
``QueryCompiler`` subclass (``adapters/compiler.py``) so anything it does not implement is refused with a 400.
"""

from __future__ import annotations

import asyncio
import math
import socket
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar

from broker.errors import MoleculerError, ServiceSchemaError

from .calls import engine_call
from .capabilities import FULL, AdapterCapabilities
from .errors import AdapterConnectionError, AdapterError, UnsupportedQueryError, query_error
from .indexes import IndexSpec, parse_indexes
from .query import Compare, FindParams, In, Node, Update, check_value, parse_find_params, parse_query, parse_update
from .query_limits import check_shape
from .query_values import hash_key
from .transactions import Transaction, TransactionState

__all__ = ["BaseAdapter", "engine_call"]


class BaseAdapter(ABC):
    """Storage behind one interface; subclasses implement the ``_``-prefixed primitives (module docstring)."""

    id_key: ClassVar[str] = "_id"
    capabilities: ClassVar[AdapterCapabilities] = FULL

    def __init__(self) -> None:
        self.service_name: str | None = None
        self.settings: Mapping[str, Any] = {}
        self.schema: Mapping[str, Any] = {}
        self.index_specs: tuple[IndexSpec, ...] = ()
        self._tx = TransactionState(type(self).__name__)
        self._exclusive: tuple[Transaction, asyncio.Lock] | None = None

    # ---------------------------------------------------------------------------------------------- lifecycle

    @property
    def adapter_name(self) -> str:
        """The name used in error messages (an SQL adapter may add its dialect: ``"SQLAdapter (sqlite)"``)."""
        return type(self).__name__

    def init(self, service_name: str, settings: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        """Called by the mixin when the service is created; parses ``settings["indexes"]`` into ``index_specs``
        (appended to any the adapter already declared; a malformed one is a ``ServiceSchemaError``). Engines may
        validate the schema further and raise ``ServiceSchemaError``."""
        self.service_name = service_name
        self.settings = settings
        self.schema = schema
        declared = parse_indexes(settings.get("indexes"), ServiceSchemaError)
        self.index_specs = tuple(parse_indexes([*self.index_specs, *declared], ValueError))

    async def connect(self) -> None:
        """Open the connection (no-op by default); an engine creates its declared indexes here."""
        return None

    async def disconnect(self) -> None:
        """Close the connection (no-op by default)."""
        return None

    def unsupported(self, operator: str, field: str | None = None, reason: str | None = None) -> UnsupportedQueryError:
        """The error to raise when this engine cannot give a valid query its portable meaning."""
        return UnsupportedQueryError(operator, self.adapter_name, field, reason)

    def translate_error(self, exc: Exception) -> MoleculerError:
        """The typed error for an engine exception; engines override it for their own exception types and call
        ``super()`` for the rest. The default: connection failures (``ConnectionError``, ``TimeoutError``, DNS
        errors) → ``AdapterConnectionError`` 503; anything else → ``AdapterError`` 500 with a generic message."""
        if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
            return AdapterConnectionError(self.adapter_name)
        return AdapterError(self.adapter_name)

    def _translated(self, exc: Exception) -> MoleculerError:
        err = self.translate_error(exc)
        if err is not exc and getattr(err, "original", None) is None:
            err.original = exc  # type: ignore[attr-defined]
        return err

    # -------------------------------------------------------------------------------------------------- reads

    @engine_call
    async def find(self, params: Mapping[str, Any] | FindParams | None = None) -> list[dict[str, Any]]:
        """Entities matching ``query`` AND ``search``, sorted, then ``offset``/``limit`` applied."""
        return await self._find(params if isinstance(params, FindParams) else parse_find_params(params))

    @engine_call
    async def find_one(self, query: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The first matching entity in insertion order, or ``None``."""
        rows = await self._find(FindParams(parse_query(query), limit=1))
        return rows[0] if rows else None

    @engine_call
    async def find_by_id(self, id: Any) -> dict[str, Any] | None:
        """The entity with this id, or ``None`` (also for ids of a type no entity can have)."""
        if not self.is_lookup_id(id):
            return None
        return await self._find_by_id(id)

    @engine_call
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

    @engine_call
    async def count(self, params: Mapping[str, Any] | FindParams | None = None) -> int:
        """How many entities match ``query`` AND ``search`` (sort, limit and offset are ignored)."""
        if isinstance(params, FindParams):
            return await self._count(params.filter)
        return await self._count(parse_find_params(params, paging=False).filter)

    # ------------------------------------------------------------------------------------------------- writes

    @engine_call
    async def insert(self, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store one entity (an id is generated when ``_id`` is missing or ``None``); returns the stored copy."""
        return (await self._insert([self._checked_entity(entity, "entity")]))[0]

    @engine_call
    async def insert_many(self, entities: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store several entities, all or nothing (a 409 on any duplicate id or unique value writes nothing)."""
        if isinstance(entities, Mapping | str | bytes) or not isinstance(entities, Iterable):
            raise query_error("entities", "insert_many needs a list of entities", repr(entities), "entity")
        checked = [self._checked_entity(e, f"entities.{i}") for i, e in enumerate(entities)]
        return await self._insert(checked) if checked else []

    @engine_call
    async def update_many(self, query: Mapping[str, Any] | None, update: Mapping[str, Any]) -> int:
        """Apply the update to every match (validated first: a bad update changes nothing); returns the count."""
        node = parse_query(query)
        return await self._update_many(node, parse_update(update, self.id_key))

    @engine_call
    async def update_by_id(self, id: Any, update: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply the update to one entity atomically; returns it updated, or ``None`` if there is no such id."""
        parsed = parse_update(update, self.id_key)
        if not self.is_lookup_id(id):
            return None
        return await self._update_by_id(id, parsed)

    @engine_call
    async def find_one_and_update(
        self, query: Mapping[str, Any] | None, update: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Update the first match (insertion order) atomically and return it *after* the update; ``None`` when
        nothing matches. MongoDB's ``findOneAndUpdate`` with ``returnDocument: "after"``: a compare-and-set is
        ``find_one_and_update({"_id": 1, "version": 3}, {"$inc": {"version": 1}})``."""
        node = parse_query(query)
        return await self._find_one_and_update(node, parse_update(update, self.id_key))

    @engine_call
    async def find_one_and_delete(self, query: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """Remove the first match (insertion order) atomically and return it; ``None`` when nothing matches."""
        return await self._find_one_and_delete(parse_query(query))

    @engine_call
    async def remove_many(self, query: Mapping[str, Any] | None) -> int:
        """Remove every match; returns how many were removed."""
        return await self._remove_many(parse_query(query))

    @engine_call
    async def remove_by_id(self, id: Any) -> dict[str, Any] | None:
        """Remove one entity atomically and return it (``None`` if there is no such id)."""
        if not self.is_lookup_id(id):
            return None
        return await self._remove_by_id(id)

    @engine_call
    async def clear(self) -> int:
        """Remove everything; returns how many entities there were."""
        return await self._clear()

    # ------------------------------------------------------------------------------------------- transactions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """``async with adapter.transaction():`` — the calls inside commit together or, on an exception, roll back
        together. A nested block joins the outer transaction; other tasks never see into it (a ``ContextVar``; see
        ``adapters/transactions.py``). Engines without ``capabilities.transactions`` raise ``UnsupportedQueryError``.
        """
        current = self._tx.current()
        if current is not None:
            yield current
            return
        try:
            tx = await self._begin_transaction()
        except MoleculerError:
            raise
        except Exception as exc:
            raise self._translated(exc) from None
        token = self._tx.var.set(tx)
        try:
            yield tx
        except BaseException:
            try:
                await self._rollback_transaction(tx)
            finally:
                tx.active = False
                self._tx.var.reset(token)
            raise
        try:
            await self._commit_transaction(tx)
        except MoleculerError:
            raise
        except Exception as exc:
            raise self._translated(exc) from None
        finally:
            tx.active = False
            self._tx.var.reset(token)

    def current_transaction(self) -> Transaction | None:
        """The open transaction the current call runs in (``None`` outside one)."""
        return self._tx.current()

    async def _begin_transaction(self) -> Transaction:
        raise self.unsupported("transaction", None, "this engine has no transactions")

    async def _commit_transaction(self, tx: Transaction) -> None:  # pragma: no cover - engines with transactions
        return None

    async def _rollback_transaction(self, tx: Transaction) -> None:  # pragma: no cover - engines with transactions
        return None

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
        """A validated copy of an entity to store: an object whose id (if any) is a string or an integer and whose
        values are storable (``check_value``: no sets, ``Decimal``, bytes, integers past 64 bits, lone surrogates,
        ``$``/NUL field names...), nested at most ``MAX_DEPTH`` levels; a 422 naming the path."""
        if not isinstance(entity, Mapping):
            raise query_error(where, "an entity must be an object", repr(entity)[:80], "entity")
        id = entity.get(self.id_key)
        if id is not None and type(id) not in (str, int):
            raise query_error(f"{where}.{self.id_key}", "an id must be a string or an integer", repr(id)[:80], "entity")
        check_shape(entity, where, "entity")
        checked: dict[str, Any] = check_value(entity, where, "entity", stored=True)
        return checked

    # --------------------------------------------------------------------------------------------- primitives

    @abstractmethod
    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        """Matches of ``params.filter``, sorted by ``params.sort`` (ties in insertion order), paged."""

    @abstractmethod
    async def _count(self, filter: Node) -> int:
        """The number of matches of ``filter``."""

    @abstractmethod
    async def _insert(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store all entities or none; generate missing ids; raise ``EntityAlreadyExistsError`` on a clash.
        ``entities`` are validated copies made for this call (``_checked_entity``): the engine may keep them."""

    @abstractmethod
    async def _update_many(self, filter: Node, update: Update) -> int:
        """Apply ``update`` to all matches atomically (all or none); return the number of matches."""

    @abstractmethod
    async def _find_one_and_update(self, filter: Node, update: Update) -> dict[str, Any] | None:
        """Atomically update the first match in insertion order; return it after the update, or ``None``."""

    @abstractmethod
    async def _find_one_and_delete(self, filter: Node) -> dict[str, Any] | None:
        """Atomically remove the first match in insertion order and return it, or ``None``."""

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
        return await self._find_one_and_update(Compare(self.id_key, "eq", id), update)

    async def _remove_by_id(self, id: Any) -> dict[str, Any] | None:
        return await self._find_one_and_delete(Compare(self.id_key, "eq", id))


def _rename(entity: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy with key ``old`` renamed ``new`` at the same position; an existing ``new`` key is replaced."""
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key == old:
            out[new] = value
        elif key != new:
            out[key] = value
    return out
