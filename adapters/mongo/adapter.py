"""``MongoAdapter``: the adapter contract on MongoDB, through PyMongo's native async API (or a motor client).

    MongoAdapter("mongodb://localhost:27017/shop", "products")              # database from the URI
    MongoAdapter("mongodb://db1,db2/?replicaSet=rs0", "products", "shop")   # or given
    MongoAdapter(AsyncIOMotorClient(...), "products", "shop")               # a client the application owns

* A connection string gets an ``AsyncMongoClient`` (PyMongo >= 4.9; motor is deprecated by MongoDB in its favour),
  created in ``connect()`` and closed in ``disconnect()``; ``**options`` go to it. A client object (PyMongo async,
  motor's ``AsyncIOMotorClient`` or mongomock-motor's ``AsyncMongoMockClient``) is used as is and never closed.
* ``adapter.client`` / ``adapter.db`` / ``adapter.collection`` are the native objects, for what the portable layer
  does not cover (aggregations, change streams), as in moleculer-db's Mongo adapter.
* Ids: ``ObjectId`` in storage, 24-hex strings on the wire (``adapters/mongo/ids.py``); a missing id is generated.
* Queries: the portable tree rendered by ``MongoCompiler`` (``adapters/mongo/compiler.py``).
* Updates: ``$set``/``$unset``/``$inc`` natively; ``update_by_id``/``remove_by_id``/``find_one_and_*`` are single
  server operations (``findAndModify``). An ``$inc`` of a non-number (or a ``$set`` through a non-object) is a
  422 checked before writing, as in the memory adapter.
* Indexes declared in ``settings["indexes"]`` (or ``indexes=`` here) become MongoDB indexes in ``connect()``, named
  by their declaration (``IndexSpec.name``), ``unique`` ones too.
* Errors: ``adapters/mongo/errors.py`` (duplicate key → 409 naming the fields; connection loss → retryable 503).
* Transactions: only on a replica set or sharded cluster (detected in ``connect()``: ``capabilities.transactions``
  is then true on the instance); elsewhere ``transaction()`` raises ``UnsupportedQueryError``.

``insert_many`` and an ``update_many`` that writes a unique field are all or nothing as the contract asks: inside a
transaction by the transaction, outside one by compensation (what the batch wrote before the clash is deleted or
put back), so other clients may briefly see the partial write on a real server.

Where we differ from MongoDB used directly: unsorted results and "the first match" follow the server's natural
order (insertion order for a collection scan, as the contract asks); a query served by an index returns index
order. Sort ties on a real server are not guaranteed to keep insertion order.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any, ClassVar

from bson import ObjectId
from bson.errors import InvalidDocument
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from broker.errors import MoleculerError

from ..base import BaseAdapter
from ..capabilities import FULL, AdapterCapabilities
from ..errors import EntityAlreadyExistsError, query_error
from ..indexes import parse_indexes
from ..query import FindParams, MatchAll, Node, Update
from ..query_values import hash_key
from ..transactions import Transaction
from .compiler import Filter, MongoCompiler
from .errors import translate
from .ids import decode_id, encode_id, to_wire
from .update_checks import check_update, update_document

__all__ = ["MongoAdapter", "MongoTransaction"]

MONGO_CAPABILITIES = replace(FULL, search_without_fields=False, transactions=False)
"""What MongoDB gives exactly (``adapters/capabilities.py``): everything but a search without ``searchFields``;
transactions are switched on per instance when the server is a replica set or a sharded cluster."""


class MongoTransaction(Transaction):
    """An open MongoDB transaction: the client ``session`` every call inside it passes to the server."""

    __slots__ = ("session",)

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session


class MongoAdapter(BaseAdapter):
    """MongoDB behind the adapter contract (module docstring). ``collection`` is the collection name; ``database``
    defaults to the one in the connection string (or the client's default database)."""

    capabilities: ClassVar[AdapterCapabilities] = MONGO_CAPABILITIES

    def __init__(self, uri_or_client: Any, collection: str, database: str | None = None, **options: Any) -> None:
        super().__init__()
        if not isinstance(collection, str) or not collection or "$" in collection:
            raise ValueError(f"MongoAdapter needs a collection name, not {collection!r}")
        if database is not None and (not isinstance(database, str) or not database):
            raise ValueError(f"MongoAdapter's database must be a non-empty name, not {database!r}")
        self.index_specs = tuple(parse_indexes(options.pop("indexes", ()), ValueError))
        self.collection_name = collection
        self.database_name = database
        self.options = options
        self._compiler = MongoCompiler(self.adapter_name)
        self._uri: str | None = None
        self._client: Any = None
        self._db: Any = None
        self._collection: Any = None
        if isinstance(uri_or_client, str):
            if not uri_or_client:
                raise ValueError("MongoAdapter needs a connection string or a client")
            self._uri = uri_or_client
            if database is None and uri_or_client.startswith("mongodb://"):  # +srv needs DNS: checked in connect
                from pymongo.uri_parser import parse_uri

                self.database_name = parse_uri(uri_or_client).get("database") or None
                if self.database_name is None:
                    raise ValueError("MongoAdapter needs a database: give it as `database` or in the connection string")
        elif uri_or_client is None:
            raise ValueError("MongoAdapter needs a connection string or a client")
        else:
            self._client = uri_or_client
            self._bind()

    # ---------------------------------------------------------------------------------------------- lifecycle

    @property
    def owns_client(self) -> bool:
        """Whether the adapter created its client (from a connection string) and so closes it."""
        return self._uri is not None

    @property
    def client(self) -> Any:
        """The native client (``AsyncMongoClient``, or the motor client given); ``RuntimeError`` before
        ``connect()`` when the adapter creates it."""
        if self._client is None:
            raise RuntimeError("MongoAdapter is not connected")
        return self._client

    @property
    def db(self) -> Any:
        """The native database object."""
        self.client  # noqa: B018 - the "not connected" error
        return self._db

    @property
    def collection(self) -> Any:
        """The native collection object (aggregations, change streams...)."""
        self.client  # noqa: B018
        return self._collection

    async def connect(self) -> None:
        """Create the client (for a connection string), find out whether the server has transactions, and create
        the declared indexes. A server that cannot be reached is an ``AdapterConnectionError`` (503)."""
        try:
            if self._client is None:
                from pymongo import AsyncMongoClient

                self._client = AsyncMongoClient(self._uri, **self.options)
                self._bind()
            await self._detect_transactions()
            for spec in self.index_specs:
                if spec.fields == (self.id_key,):
                    continue
                keys = [(field, ASCENDING) for field in spec.fields]
                await self._collection.create_index(keys, unique=spec.unique, name=spec.name)
        except MoleculerError:
            raise
        except Exception as exc:
            raise self._translated(exc) from None

    async def disconnect(self) -> None:
        """Close the client if the adapter created it (a client given to it is left open)."""
        if self._uri is not None and self._client is not None:
            client, self._client = self._client, None
            self._db = self._collection = None
            await _maybe_await(client.close())

    def _bind(self) -> None:
        client = self._client
        if self.database_name is not None:
            self._db = client[self.database_name]
        else:
            try:
                self._db = client.get_default_database()
            except Exception:
                raise ValueError(
                    "MongoAdapter needs a database: give it as `database` or in the connection string"
                ) from None
            self.database_name = self._db.name
        self._collection = self._db[self.collection_name]

    async def _detect_transactions(self) -> None:
        """Transactions need a replica set or a sharded cluster (``hello`` tells); mongomock has none."""
        try:
            hello = await self._client.admin.command("hello")
        except NotImplementedError:  # mongomock
            return
        except Exception as exc:
            if type(exc).__module__.startswith("mongomock"):
                return
            raise
        if hello.get("setName") or hello.get("msg") == "isdbgrid":
            # per instance: one class serves standalone servers and replica sets
            self.__dict__["capabilities"] = replace(type(self).capabilities, transactions=True)

    # ------------------------------------------------------------------------------------------------- errors

    def translate_error(self, exc: Exception) -> MoleculerError:
        """PyMongo's exceptions via ``adapters/mongo/errors.py``; an unstorable value (a ``set``, an integer past
        64 bits) is a 422; the rest as the base adapter."""
        typed = translate(exc, self.adapter_name, self.index_specs)
        if typed is not None:
            return typed
        if isinstance(exc, InvalidDocument | OverflowError):
            return query_error("entity", "a value cannot be stored in MongoDB", str(exc)[:80], "entity")
        return super().translate_error(exc)

    # -------------------------------------------------------------------------------------------------- reads

    def compile(self, node: Node) -> Filter:
        """The MongoDB filter of a query tree (``UnsupportedQueryError`` where it cannot be exact)."""
        return {} if isinstance(node, MatchAll) else self._compiler.compile(node)

    def _session(self) -> dict[str, Any]:
        tx = self._tx.current()
        return {"session": tx.session} if isinstance(tx, MongoTransaction) else {}

    async def _find(self, params: FindParams) -> list[dict[str, Any]]:
        cursor = self._collection.find(self.compile(params.filter), **self._session())
        if params.sort:
            cursor = cursor.sort([(k.path, DESCENDING if k.descending else ASCENDING) for k in params.sort])
        if params.offset:
            cursor = cursor.skip(params.offset)
        if params.limit is not None:
            cursor = cursor.limit(params.limit)
        return [to_wire(doc) for doc in await cursor.to_list(None)]

    async def _count(self, filter: Node) -> int:
        return int(await self._collection.count_documents(self.compile(filter), **self._session()))

    def _id_filters(self, id: Any) -> list[Filter]:
        """The filters that find an entity by id, most likely first: the stored form (an ``ObjectId`` for
        canonical hex), then the hex string itself (an id another application stored as a string). Plain
        equality on ``_id`` is one index lookup on a server (and mongomock's fastest form)."""
        stored = decode_id(id)
        return [{self.id_key: stored}] if stored is id else [{self.id_key: stored}, {self.id_key: id}]

    async def _find_by_id(self, id: Any) -> dict[str, Any] | None:
        for flt in self._id_filters(id):
            doc = await self._collection.find_one(flt, **self._session())
            if doc is not None:
                return to_wire(doc)
        return None

    # ------------------------------------------------------------------------------------------------- writes

    async def _insert(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        id_key = self.id_key
        docs: list[dict[str, Any]] = []
        seen: set[Any] = set()
        for entity in entities:
            id = entity.get(id_key)
            stored = ObjectId() if id is None else decode_id(id)
            doc = {id_key: stored, **entity} if id_key not in entity else {**entity, id_key: stored}
            key = hash_key(encode_id(stored))
            if key in seen:
                raise EntityAlreadyExistsError(encode_id(stored))
            seen.add(key)
            docs.append(doc)
        session = self._session()
        try:
            await self._collection.insert_many(docs, ordered=True, **session)
        except BulkWriteError as exc:
            inserted = int((exc.details or {}).get("nInserted", 0))
            if inserted and not session:  # all or nothing: take back what the batch wrote before the clash
                await self._collection.delete_many({id_key: {"$in": [d[id_key] for d in docs[:inserted]]}})
            raise
        return [to_wire(doc) for doc in docs]

    async def _update_many(self, filter: Node, update: Update) -> int:
        flt = self.compile(filter)
        if not update:
            return int(await self._collection.count_documents(flt, **self._session()))
        await self._check_update(flt, update)
        session = self._session()
        before: list[dict[str, Any]] | None = None
        if not session and self._touches_unique(update):  # MongoDB stops at a clash, after earlier writes
            before = await self._collection.find(flt).to_list(None)
        try:
            result = await self._collection.update_many(flt, update_document(update), **session)
        except (DuplicateKeyError, WriteError):
            if before:  # all or nothing: put the matched entities back as they were
                for doc in before:
                    await self._collection.replace_one({self.id_key: doc[self.id_key]}, doc)
            raise
        return int(result.matched_count)

    def _touches_unique(self, update: Update) -> bool:
        """Whether the update writes a field of a unique index (so it may clash half-way)."""
        return any(
            spec.unique and any(p == f or f.startswith(p + ".") or p.startswith(f + ".") for p in update.paths)
            for spec in self.index_specs
            for f in spec.fields
        )

    async def _find_one_and_update(self, filter: Node, update: Update) -> dict[str, Any] | None:
        flt = self.compile(filter)
        if not update:
            doc = await self._collection.find_one(flt, **self._session())
        else:
            await self._check_update(flt, update)
            doc = await self._collection.find_one_and_update(
                flt, update_document(update), return_document=ReturnDocument.AFTER, **self._session()
            )
        return None if doc is None else to_wire(doc)

    async def _update_by_id(self, id: Any, update: Update) -> dict[str, Any] | None:
        if not update:
            return await self._find_by_id(id)
        for flt in self._id_filters(id):
            await self._check_update(flt, update)
            doc = await self._collection.find_one_and_update(
                flt, update_document(update), return_document=ReturnDocument.AFTER, **self._session()
            )
            if doc is not None:
                return to_wire(doc)
        return None

    async def _remove_by_id(self, id: Any) -> dict[str, Any] | None:
        for flt in self._id_filters(id):
            doc = await self._collection.find_one_and_delete(flt, **self._session())
            if doc is not None:
                return to_wire(doc)
        return None

    async def _find_one_and_delete(self, filter: Node) -> dict[str, Any] | None:
        doc = await self._collection.find_one_and_delete(self.compile(filter), **self._session())
        return None if doc is None else to_wire(doc)

    async def _remove_many(self, filter: Node) -> int:
        result = await self._collection.delete_many(self.compile(filter), **self._session())
        return int(result.deleted_count)

    async def _clear(self) -> int:
        result = await self._collection.delete_many({}, **self._session())
        return int(result.deleted_count)

    async def _check_update(self, flt: Filter, update: Update) -> None:
        """The memory adapter's 422s (and a 400 where MongoDB would mean another thing) before anything is written:
        ``update_checks.py``. (The server refuses some of these too, but possibly after writing other matches.)"""
        await check_update(self._collection, flt, update, self._session(), self.adapter_name)

    # ------------------------------------------------------------------------------------------- transactions

    async def _begin_transaction(self) -> Transaction:
        if not self.capabilities.transactions:
            raise self.unsupported("transaction", None, "MongoDB has transactions on replica sets and sharded clusters")
        session = await _maybe_await(self.client.start_session())
        try:
            await _maybe_await(session.start_transaction())
        except BaseException:
            await _maybe_await(session.end_session())
            raise
        return MongoTransaction(session)

    async def _commit_transaction(self, tx: Transaction) -> None:
        assert isinstance(tx, MongoTransaction)
        try:
            await _maybe_await(tx.session.commit_transaction())
        finally:
            await _maybe_await(tx.session.end_session())

    async def _rollback_transaction(self, tx: Transaction) -> None:
        assert isinstance(tx, MongoTransaction)
        try:
            await _maybe_await(tx.session.abort_transaction())
        finally:
            await _maybe_await(tx.session.end_session())


async def _maybe_await(value: Any) -> Any:
    """PyMongo's async API and motor differ on which session calls are coroutines: await those that are."""
    return await value if inspect.isawaitable(value) else value
