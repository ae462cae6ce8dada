"""SQLite reads of one row by id on the event loop (``adapters/sql/sqlite_reads.py``): the same answers as the
engine's path for any stored entity and any id, committed writes seen at once, a transaction's own writes read on
its connection and never seen outside it, the reader closed by ``disconnect``, and which engines get one."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import create_async_engine

from adapters import SQLAdapter
from adapters.query_values import hash_key

from .models import documents_table, products_table

SQLITE = ["memory", "file"]


def sqlite_url(kind: str, folder: Path) -> str:
    return "sqlite+aiosqlite://" if kind == "memory" else f"sqlite+aiosqlite:///{folder / 'reads.db'}"


async def open_adapter(url_or_engine: Any, table: sa.Table, **options: Any) -> SQLAdapter:
    adapter = SQLAdapter(url_or_engine, table, **options)
    adapter.init("items", {}, {"name": "items"})
    await adapter.connect()
    return adapter


async def journal_mode(adapter: SQLAdapter) -> str:
    async with adapter.engine.connect() as conn:
        return str((await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one())


# ------------------------------------------------------------------------------------- same answers, any input

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
NUMBERS = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False))
DATES = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))
AWARE = st.builds(lambda d, m: d.replace(tzinfo=timezone(timedelta(minutes=m))), DATES, st.integers(-720, 720))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, DATES, AWARE)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.sampled_from("abc"), inner, max_size=3)),
                           max_leaves=6)  # fmt: skip
PROBES = st.one_of(st.integers(-5, 40), st.integers(), st.floats(), TEXT, st.sampled_from(["1", "01", "1.0", "-0"]),
                   st.booleans(), st.none())  # fmt: skip

PRODUCTS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "name": st.one_of(st.none(), TEXT),
            "price": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
            "stock": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
            "active": st.one_of(st.none(), st.booleans()),
            "created": st.one_of(st.none(), DATES),
            "attrs": JSON_VALUES,
        },
    ),
    max_size=6,
)
DOCUMENTS = st.lists(
    st.fixed_dictionaries(
        {"_id": st.one_of(st.integers(-(2**63), 2**63 - 1), TEXT)},
        optional={"name": JSON_VALUES, "price": JSON_VALUES, "tags": JSON_VALUES, "at": JSON_VALUES},
    ),
    max_size=6,
    unique_by=lambda d: hash_key(d["_id"]),
)


class PathPair:
    """Two adapters on one SQLite database, on a loop of their own (hypothesis runs examples synchronously): one
    reading by id on the event loop, one (``fast_reads=False``) through the engine."""

    def __init__(self, kind: str, folder: Path, table: sa.Table) -> None:
        self.loop = asyncio.new_event_loop()
        self.fast = self.loop.run_until_complete(open_adapter(sqlite_url(kind, folder), table))
        self.normal = self.loop.run_until_complete(
            open_adapter(self.fast.engine, table, fast_reads=False, create_tables=False)
        )
        assert self.fast._reader is not None and self.normal._reader is None

    def compare(self, entities: list[dict[str, Any]], probes: list[Any]) -> None:
        self.loop.run_until_complete(self._compare(entities, probes))

    async def _compare(self, entities: list[dict[str, Any]], probes: list[Any]) -> None:
        fast, normal, reader = self.fast, self.normal, self.fast._reader
        assert reader is not None
        await fast.clear()
        stored = await fast.insert_many(entities)
        for probe in [*(e["_id"] for e in stored), *probes]:
            if fast.is_lookup_id(probe):
                assert reader.find(probe)[0], probe  # the reader answered (nothing holds a lock here)
            assert await fast.find_by_id(probe) == await normal.find_by_id(probe), probe
        for entity in stored:
            assert await fast.find_by_id(entity["_id"]) == entity

    def close(self) -> None:
        self.loop.run_until_complete(self.normal.disconnect())
        self.loop.run_until_complete(self.fast.disconnect())
        self.loop.close()


TABLES = {"typed": (products_table, PRODUCTS), "json": (documents_table, DOCUMENTS)}


@pytest.fixture(params=[(kind, name) for kind in SQLITE for name in TABLES], ids=lambda p: "-".join(p))
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[PathPair, Any]]:
    kind, name = request.param
    make_table, entities = TABLES[name]
    paths = PathPair(kind, tmp_path, make_table(f"reads_{name}"))
    yield paths, entities
    paths.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), probes=st.lists(PROBES, max_size=6))
def test_rows_read_the_same_on_both_paths(pair: tuple[PathPair, Any], data: st.DataObject, probes: list[Any]) -> None:
    """Typed rows (datetimes, booleans, doubles, JSON) and schemaless ones (``AnyId`` keys, JSON values)."""
    paths, entities = pair
    paths.compare(data.draw(entities), probes)


async def test_other_column_types_decode_the_same(tmp_path: Path) -> None:
    table = sa.Table(
        "reads_types",
        sa.MetaData(),
        sa.Column("code", sa.String(20), primary_key=True),  # a string key: the lookup by text
        sa.Column("amount", sa.Numeric(10, 2)),  # Decimal from the driver, float in entities
        sa.Column("note", sa.Text()),
        sa.Column("size", sa.Enum("S", "M", "L", name="size")),
    )
    fast = await open_adapter(sqlite_url("file", tmp_path), table)
    normal = await open_adapter(fast.engine, table, fast_reads=False, create_tables=False)
    try:
        stored = await fast.insert({"_id": "k1", "amount": 12.5, "note": "é\x00z", "size": "M"})
        assert fast._reader is not None and fast._reader.find("k1")[0]
        read = await fast.find_by_id("k1")
        assert read == await normal.find_by_id("k1") == stored and isinstance(read["amount"], float)
        assert await fast.find_by_id("K1") is None and await fast.find_by_id(1) is None
    finally:
        await normal.disconnect()
        await fast.disconnect()


# ---------------------------------------------------------------------------------- writes and transactions


@pytest.fixture(params=SQLITE)
async def items(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLAdapter]:
    adapter = await open_adapter(sqlite_url(request.param, tmp_path), products_table("reads_tx"))
    yield adapter
    await adapter.disconnect()


async def test_committed_writes_are_read_at_once(items: SQLAdapter) -> None:
    a = await items.insert({"sku": "a", "stock": 1, "created": datetime(2024, 1, 2, 3, 4, 5, 6)})
    assert await items.find_by_id(a["_id"]) == a
    assert (await items.update_by_id(a["_id"], {"$inc": {"stock": 2}}))["stock"] == 3
    assert (await items.find_by_id(a["_id"]))["stock"] == 3
    await items.remove_by_id(a["_id"])
    assert await items.find_by_id(a["_id"]) is None


async def _outsider_read(items: SQLAdapter, go: asyncio.Event, ids: list[Any]) -> dict[str, Any] | None:
    await go.wait()
    return await items.find_by_id(ids[0])


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
async def test_a_transaction_reads_its_own_writes_and_others_never_see_them_uncommitted(
    items: SQLAdapter, outcome: str
) -> None:
    go, ids = asyncio.Event(), []
    outsider = asyncio.create_task(_outsider_read(items, go, ids))  # created outside the block: its own context
    with pytest.raises(RuntimeError) if outcome == "rollback" else nullcontext():
        async with items.transaction():
            a = await items.insert({"sku": "tx", "stock": 5})
            ids.append(a["_id"])
            assert await items.find_by_id(a["_id"]) == a  # the block's own uncommitted row
            go.set()
            for _ in range(20):  # loop turns only: the outsider's read runs now if it can run at all
                await asyncio.sleep(0)
            done_inside = outsider.done()
            if done_inside:
                assert outsider.result() is None  # a file in WAL mode reads the last commit without waiting
            if outcome == "rollback":
                raise RuntimeError("roll back")
    seen = await outsider
    if items.engine.url.query.get("vfs") == "memdb":  # the write lock makes the reader fall back and wait
        assert not done_inside
    else:
        assert done_inside
    assert seen == (a if outcome == "commit" and not done_inside else None)
    assert await items.find_by_id(a["_id"]) == (a if outcome == "commit" else None)


async def test_disconnect_closes_the_reader(items: SQLAdapter) -> None:
    a = await items.insert({"sku": "a"})
    reader = items._reader
    assert reader is not None and reader.find(a["_id"])[0]
    await items.disconnect()
    assert items._reader is None
    assert reader.find(a["_id"]) == (False, None)  # closed: it no longer answers


# ----------------------------------------------------------------------------------- which engines get one


async def test_in_memory_databases_stay_private_to_their_adapter() -> None:
    one = await open_adapter("sqlite+aiosqlite://", products_table("reads_private"))
    two = await open_adapter("sqlite+aiosqlite://", products_table("reads_private"))
    try:
        a = await one.insert({"sku": "only-in-one"})
        assert await two.find_by_id(a["_id"]) is None and await two.count() == 0
        assert one.engine.url.database != two.engine.url.database
    finally:
        await one.disconnect()
        await two.disconnect()


async def test_a_file_the_adapter_opens_is_switched_to_wal(tmp_path: Path) -> None:
    adapter = await open_adapter(sqlite_url("file", tmp_path), products_table("reads_wal"))
    try:
        assert adapter._reader is not None and await journal_mode(adapter) == "wal"
    finally:
        await adapter.disconnect()


async def test_an_application_file_engine_gets_a_reader_and_keeps_its_journal_mode(tmp_path: Path) -> None:
    engine = create_async_engine(sqlite_url("file", tmp_path))
    adapter = await open_adapter(engine, products_table("reads_app"))
    try:
        assert adapter._reader is not None and await journal_mode(adapter) == "delete"
        a = await adapter.insert({"sku": "app"})
        assert adapter._reader.find(a["_id"])[0] and await adapter.find_by_id(a["_id"]) == a
    finally:
        await adapter.disconnect()
        await engine.dispose()


@pytest.mark.parametrize(
    "make",
    [
        lambda path: ("sqlite+aiosqlite://", {"fast_reads": False}),
        lambda path: (create_async_engine("sqlite+aiosqlite://"), {}),  # an application's private memory database
        lambda path: (f"sqlite+aiosqlite:///{path}", {"connect_args": {"timeout": 1}}),  # opened its own way
        lambda path: (f"sqlite+aiosqlite:///file:{path}?mode=rwc&uri=true", {}),  # URI options
    ],
    ids=["fast_reads=False", "application-memory", "connect_args", "uri"],
)
async def test_engines_a_plain_connection_cannot_reach_keep_the_engine_path(
    make: Callable[[Path], tuple[Any, dict[str, Any]]], tmp_path: Path
) -> None:
    url_or_engine, options = make(tmp_path / "other.db")
    adapter = await open_adapter(url_or_engine, products_table("reads_other"), **options)
    try:
        assert adapter._reader is None
        a = await adapter.insert({"sku": "x"})
        assert await adapter.find_by_id(a["_id"]) == a
    finally:
        await adapter.disconnect()
        if not isinstance(url_or_engine, str):
            await url_or_engine.dispose()


async def test_an_id_column_that_is_not_unique_keeps_the_engine_path() -> None:
    table = sa.Table(
        "reads_loose",
        sa.MetaData(),
        sa.Column("_seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(20)),
    )
    adapter = await open_adapter("sqlite+aiosqlite://", table, id_column="code")
    try:
        assert adapter._reader is None  # a lookup by a non-unique column is a scan: it stays off the loop
    finally:
        await adapter.disconnect()


def test_the_sqlite_library_shares_memdb_databases() -> None:
    """The in-memory design rests on ``memdb`` databases shared by name, where a reader blocks a writer's commit."""
    name = f"file:/dbmixin-test-{datetime.now(UTC).timestamp()}?vfs=memdb"
    writer = sqlite3.connect(name, uri=True, timeout=0, isolation_level=None)
    reader = sqlite3.connect(name, uri=True, timeout=0, isolation_level=None)
    try:
        writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
        cursor = reader.execute("SELECT id FROM t")
        cursor.fetchone()  # a read in progress
        with pytest.raises(sqlite3.OperationalError):
            writer.execute("DELETE FROM t")
        cursor.fetchall()
        writer.execute("DELETE FROM t")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
    finally:
        reader.close()
        writer.close()
