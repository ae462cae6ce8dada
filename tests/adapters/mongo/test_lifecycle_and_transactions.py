"""Client ownership, the native objects, the conditional decrement under concurrency, and transactions (the session
plumbing against a recording replica-set stand-in; mongomock has no sessions, so it must refuse)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient

import adapters
from adapters import UnsupportedQueryError
from adapters.mongo import MongoAdapter

from .conftest import make


class SpyClient(AsyncMongoMockClient):  # type: ignore[misc]
    closed = 0

    def close(self) -> None:
        SpyClient.closed += 1


async def test_a_client_given_to_the_adapter_is_never_closed() -> None:
    SpyClient.closed = 0
    client = SpyClient()
    adapter = MongoAdapter(client, "items", "shop")
    assert not adapter.owns_client
    assert adapter.client is client and adapter.db.name == "shop" and adapter.collection.name == "items"
    await adapter.connect()
    await adapter.insert({"_id": 1})
    await adapter.disconnect()
    assert SpyClient.closed == 0
    assert await client["shop"]["items"].count_documents({}) == 1


async def test_a_connection_string_gets_an_owned_client_closed_on_disconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    import pymongo

    made: list[tuple[Any, Any]] = []

    def factory(uri: str, **options: Any) -> SpyClient:
        made.append((uri, options))
        return SpyClient(uri)

    SpyClient.closed = 0
    monkeypatch.setattr(pymongo, "AsyncMongoClient", factory)
    adapter = MongoAdapter("mongodb://h1:27017/shop", "items", tz_aware=False)
    assert adapter.owns_client
    with pytest.raises(RuntimeError):
        adapter.collection  # noqa: B018
    await adapter.connect()
    assert made == [("mongodb://h1:27017/shop", {"tz_aware": False})]
    assert adapter.database_name == "shop" and adapter.collection.name == "items"
    await adapter.disconnect()
    assert SpyClient.closed == 1
    await adapter.connect()  # a new client after a disconnect
    assert len(made) == 2


@pytest.mark.parametrize(("args", "kwargs"), [((None, "c"), {}), (("", "c"), {}), (("mongodb://h", ""), {}),
                                              (("mongodb://h", "c"), {"database": ""})])  # fmt: skip
def test_bad_constructor_arguments_are_refused(args: Any, kwargs: Any) -> None:
    with pytest.raises(ValueError):
        MongoAdapter(*args, **kwargs)


def test_a_client_or_connection_string_without_a_database_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a database"):
        MongoAdapter(AsyncMongoMockClient(), "items")
    with pytest.raises(ValueError, match="needs a database"):
        MongoAdapter("mongodb://h1:27017/?replicaSet=rs0", "items")
    assert MongoAdapter("mongodb://h1:27017/?replicaSet=rs0", "items", "shop").database_name == "shop"
    assert MongoAdapter("mongodb://u:p@h1,h2/shop?authSource=admin", "items").database_name == "shop"


def test_the_lazy_export() -> None:
    assert adapters.MongoAdapter is MongoAdapter
    with pytest.raises(AttributeError):
        adapters.NoSuchAdapter  # noqa: B018


async def test_the_conditional_decrement_holds_under_200_concurrent_tasks(mongo: MongoAdapter) -> None:
    await mongo.insert({"_id": "sku", "stock": 50})

    async def buy() -> int:
        return await mongo.update_many({"_id": "sku", "stock": {"$gt": 0}}, {"$inc": {"stock": -1}})

    results = await asyncio.gather(*(buy() for _ in range(200)))
    assert sorted(results) == [0] * 150 + [1] * 50
    assert (await mongo.find_by_id("sku"))["stock"] == 0


async def test_compare_and_set_under_concurrency(mongo: MongoAdapter) -> None:
    await mongo.insert({"_id": 1, "version": 0})

    async def bump(seen: int) -> bool:
        return await mongo.find_one_and_update({"_id": 1, "version": seen}, {"$inc": {"version": 1}}) is not None

    assert sum(await asyncio.gather(*(bump(0) for _ in range(200)))) == 1
    assert (await mongo.find_by_id(1))["version"] == 1


async def test_transactions_are_refused_on_a_server_without_them(mongo: MongoAdapter) -> None:
    assert not mongo.capabilities.transactions
    with pytest.raises(UnsupportedQueryError) as info:
        async with mongo.transaction():
            pass
    assert info.value.code == 400


# ------------------------------------------------------------------- a replica set stand-in (session plumbing)


class Session:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def start_transaction(self) -> None:  # motor: sync
        self.log.append("start")

    async def commit_transaction(self) -> None:
        self.log.append("commit")

    async def abort_transaction(self) -> None:
        self.log.append("abort")

    async def end_session(self) -> None:
        self.log.append("end")


class SessionCollection:
    """Drops the ``session`` argument (mongomock has none) after recording which calls carried one."""

    def __init__(self, real: Any, log: list[str]) -> None:
        self.real, self.log = real, log

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)

        def call(*args: Any, session: Any = None, **kwargs: Any) -> Any:
            self.log.append(f"{name}:{'tx' if session is not None else '-'}")
            return attr(*args, **kwargs)

        return call


class ReplicaSetStandIn(AsyncMongoMockClient):  # type: ignore[misc]
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log
        outer = self

        class Admin:
            async def command(self, name: str) -> dict[str, Any]:
                return {"setName": "rs0"} if name == "hello" else {}

        self._admin = Admin()
        self._outer = outer

    @property
    def admin(self) -> Any:
        return self._admin

    async def start_session(self) -> Session:  # motor: a coroutine
        self.log.append("session")
        return Session(self.log)


async def replica_set() -> tuple[MongoAdapter, list[str]]:
    log: list[str] = []
    adapter = MongoAdapter(ReplicaSetStandIn(log), "items", "rs")
    await adapter.connect()
    adapter._collection = SessionCollection(adapter.collection, log)
    return adapter, log


async def test_a_replica_set_declares_transactions_on_the_instance_only() -> None:
    adapter, _ = await replica_set()
    assert adapter.capabilities.transactions and not MongoAdapter.capabilities.transactions
    assert not make().capabilities.transactions


async def test_calls_inside_a_transaction_carry_its_session_and_commit() -> None:
    adapter, log = await replica_set()
    async with adapter.transaction() as tx:
        await adapter.insert({"_id": 1})
        async with adapter.transaction() as inner:  # nested joins
            assert inner is tx
            await adapter.update_by_id(1, {"$set": {"a": 1}})
    await adapter.find_by_id(1)
    assert log == ["session", "start", "insert_many:tx", "find_one_and_update:tx", "commit", "end", "find_one:-"]


async def test_an_exception_aborts_the_transaction_and_other_tasks_stay_outside() -> None:
    adapter, log = await replica_set()
    gate = asyncio.Event()

    async def other() -> None:
        await gate.wait()
        await adapter.count()

    task = asyncio.create_task(other())  # created outside the block: its own context, no session
    with pytest.raises(KeyError):
        async with adapter.transaction():
            await adapter.count()
            gate.set()
            await task
            raise KeyError("boom")
    assert log == ["session", "start", "count_documents:tx", "count_documents:-", "abort", "end"]


async def test_a_motor_client_is_accepted_and_left_open() -> None:
    from motor.motor_asyncio import AsyncIOMotorClient

    client = AsyncIOMotorClient("mongodb://127.0.0.1:9/shop", serverSelectionTimeoutMS=50)
    adapter = MongoAdapter(client, "items")
    assert adapter.db.name == "shop" and adapter.collection.name == "items" and not adapter.owns_client
    with pytest.raises(adapters.AdapterConnectionError):  # no server here: a retryable 503, not a 500
        await adapter.connect()
    await adapter.disconnect()
    assert adapter.client is client
    client.close()
