"""A long query on SQLite never holds up reads by id: while a ``find`` is stuck in the engine's worker thread, ``get``
calls through the mixin keep being answered on the event loop (``adapters/sql/sqlite_reads.py``).

No clock is read: the slow query runs a registered function that blocks until the test releases it, so it cannot
finish before the test says so, and the order of events is the proof. The same scene with ``fast_reads=False``
shows what the reader changes: there a ``get`` waits behind the query (SQLite statements are serialised).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from adapters import SQLAdapter
from broker import ServiceBroker
from dbmixin import DbMixin

from .models import products_table

ROWS = 20


@dataclass
class Scene:
    broker: ServiceBroker
    ids: list[Any]
    started: threading.Event  # the slow query is inside the worker thread, holding the adapter's lock
    release: threading.Event  # lets it finish

    def slow_find(self) -> asyncio.Task[Any]:
        """A mixin ``find`` whose ``$regex`` blocks in the worker thread until ``release``."""
        return asyncio.create_task(self.broker.call("items.find", {"query": {"name": {"$regex": "^item"}}}))

    async def wait_started(self) -> None:
        assert await asyncio.to_thread(self.started.wait, 30), "the slow query never started"


@asynccontextmanager
async def _scene(url: str, fast_reads: bool) -> AsyncIterator[Scene]:
    started, release = threading.Event(), threading.Event()

    def blocking_regex(text: str | None, pattern: str, flags: str) -> int:
        started.set()
        release.wait(30)  # bounded: a broken test fails instead of hanging (once, not once per row)
        release.set()
        return 0 if text is None else 1

    adapter = SQLAdapter(url, products_table("loop_items"), fast_reads=fast_reads)
    # registered after the adapter's own functions on every new connection: $regex now blocks the worker thread
    listener = lambda conn, _record: conn.create_function("dbm_regex", 3, blocking_regex)  # noqa: E731
    event.listen(adapter.engine.sync_engine, "connect", listener)
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "items", "mixins": [DbMixin], "adapter": adapter, "settings": {"idField": "id"}})
    await broker.start()
    try:
        rows = [{"sku": f"s{i}", "name": f"item {i}"} for i in range(ROWS)]
        created = await broker.call("items.insert", {"entities": rows})
        yield Scene(broker, [e["id"] for e in created], started, release)
    finally:
        release.set()
        await broker.stop()


@pytest.fixture(params=["memory", "file"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "sqlite+aiosqlite://" if request.param == "memory" else f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}"


async def test_gets_are_answered_while_a_long_query_holds_the_engine(url: str) -> None:
    async with _scene(url, fast_reads=True) as scene:
        events: list[str] = []
        slow = scene.slow_find()
        slow.add_done_callback(lambda _: events.append("slow find done"))
        await scene.wait_started()
        for i in range(200):
            got = await scene.broker.call("items.get", {"id": scene.ids[i % ROWS]})
            assert got["sku"] == f"s{i % ROWS}"
            events.append("get")
        assert not slow.done()  # still blocked in the worker thread, holding the adapter's lock
        scene.release.set()
        assert len(await slow) == ROWS
        assert events == ["get"] * 200 + ["slow find done"]


async def test_without_the_reader_a_get_waits_behind_the_long_query(url: str) -> None:
    async with _scene(url, fast_reads=False) as scene:
        slow = scene.slow_find()
        await scene.wait_started()
        get = asyncio.create_task(scene.broker.call("items.get", {"id": scene.ids[0]}))
        for _ in range(50):  # loop turns only
            await asyncio.sleep(0)
        assert not get.done() and not slow.done()  # queued behind the query on the adapter's lock
        scene.release.set()
        assert len(await slow) == ROWS
        assert (await get)["sku"] == "s0"
