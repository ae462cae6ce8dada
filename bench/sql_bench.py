"""The mixin on SQLAdapter against the same statements hand-written with SQLAlchemy Core, in one run: the ratio.

    python bench/sql_bench.py                       # SQLite file, SQLite in memory, PostgreSQL; 10,000 rows
    python bench/sql_bench.py --quick               # smoke run: few rows, one short round
    python bench/sql_bench.py --engines postgresql  # one engine (sqlite-file, sqlite-memory, postgresql)
    DBMIXIN_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test_a python bench/sql_bench.py

Each engine gets a typed table of ``--rows`` rows (``id`` autoincrement key, ``name``, ``category`` indexed,
``price``, ``stock``). Per operation, rounds alternate between the mixin (``broker.call`` on a ``DbMixin`` service
over ``SQLAdapter``) and the hand-written Core statement on the adapter's own ``AsyncEngine`` (same database, same
pool), each round running calls for ``--budget`` seconds; the figures are the medians of the rounds and their ratio
``core / mixin`` (how many times the mixin costs the hand-written statement; under 1 when the mixin is faster):

* get: ``items.get {id}`` / ``SELECT … WHERE id = ?``
* find: ``items.find {query: {category}, sort: "price", limit: 10}`` / ``… WHERE category = ? ORDER BY price
  LIMIT 10``
* list: ``items.list {page: 2, pageSize: 10}`` / the page (``ORDER BY id LIMIT 10 OFFSET 10``) and ``count(*)``
* create: ``items.create {…}`` / ``INSERT … RETURNING …``
* update: ``items.update {id, $set: {price}, $inc: {stock: 1}}`` / ``UPDATE … SET price = ?, stock = stock + 1
  WHERE id = ? RETURNING …``

For SQLite the line ``sqlite3 get`` gives, for scale, the synchronous ``sqlite3`` module reading the same rows by
key on its own connection (file only). PostgreSQL is skipped, with the reason printed, when it does not answer.
Nothing is asserted (no timing tests); ``tests/test_sql_bench_smoke.py`` runs ``--quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project's packages must be importable
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from adapters import SQLAdapter  # noqa: E402
from broker import ServiceBroker  # noqa: E402
from dbmixin import DbMixin  # noqa: E402

__all__ = ["ENGINES", "OPS", "BenchConfig", "format_table", "main", "run_engine"]

ENGINES = ("sqlite-file", "sqlite-memory", "postgresql")
OPS = ("get", "find", "list", "create", "update")
PG_URL = os.environ.get("DBMIXIN_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PG_TARGET = 1.5  # the mixin may cost at most 1.5x the hand-written statements on PostgreSQL
Op = Callable[[int], Awaitable[Any]]


@dataclass(frozen=True)
class BenchConfig:
    """``rows`` seeded, ``rounds`` per side and operation, ``budget`` seconds per round."""

    rows: int = 10_000
    rounds: int = 5
    budget: float = 0.5


def items_table(name: str) -> sa.Table:
    """The bench's typed table."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100)),
        sa.Column("category", sa.String(20), index=True),
        sa.Column("price", sa.Double()),
        sa.Column("stock", sa.Integer()),
    )


def row(i: int) -> dict[str, Any]:
    """The ``i``-th seeded row."""
    return {"name": f"item {i}", "category": f"c{i % 50}", "price": float(i % 997), "stock": i % 100}


def engine_url(name: str, folder: Path) -> tuple[str | None, str]:
    """``(url, "")`` for an engine, or ``(None, reason)`` when it cannot run here."""
    if name == "sqlite-file":
        return f"sqlite+aiosqlite:///{folder / 'bench.db'}", ""
    if name == "sqlite-memory":
        return "sqlite+aiosqlite://", ""
    parts = urlsplit(PG_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1.0):
            pass
    except OSError as err:
        return None, f"PostgreSQL is not reachable at {parts.hostname}:{parts.port} ({err}); set DBMIXIN_PG_URL"
    return PG_URL, ""


async def rate(op: Op, budget: float) -> float:
    """Calls per second of ``op(0)``, ``op(1)``… run one after the other for ``budget`` seconds (at least 5 calls)."""
    calls = 0
    start = time.perf_counter()
    while True:
        await op(calls)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget and calls >= 5:
            return calls / elapsed


def core_ops(engine: Any, table: sa.Table, ids: list[int], picks: list[int]) -> dict[str, Op]:
    """The hand-written SQLAlchemy Core side of each operation, written as an application would: each statement
    built where it runs (SQLAlchemy's compiled cache serves the SQL), reads on ``connect()``, writes in
    ``begin()``."""
    c = table.c
    cols = (c.id, c.name, c.category, c.price, c.stock)

    async def get(i: int) -> Any:
        async with engine.connect() as conn:
            stmt = sa.select(*cols).where(c.id == ids[picks[i % len(picks)]])
            return dict((await conn.execute(stmt)).one()._mapping)

    async def find(i: int) -> Any:
        async with engine.connect() as conn:
            stmt = sa.select(*cols).where(c.category == f"c{i % 50}").order_by(c.price).limit(10)
            return [dict(r._mapping) for r in await conn.execute(stmt)]

    async def list_(i: int) -> Any:
        async with engine.connect() as conn:
            page = [dict(r._mapping) for r in await conn.execute(sa.select(*cols).order_by(c.id).limit(10).offset(10))]
            return page, (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()

    async def create(i: int) -> Any:
        async with engine.begin() as conn:
            return dict((await conn.execute(table.insert().values(row(i)).returning(*cols))).one()._mapping)

    async def update(i: int) -> Any:
        key = ids[picks[i % len(picks)]]
        stmt = table.update().where(c.id == key).values(price=float(i), stock=c.stock + 1).returning(*cols)
        async with engine.begin() as conn:
            return dict((await conn.execute(stmt)).one()._mapping)

    return {"get": get, "find": find, "list": list_, "create": create, "update": update}


def mixin_ops(broker: ServiceBroker, ids: list[int], picks: list[int]) -> dict[str, Op]:
    """The same operations through ``broker.call`` on the ``items`` service."""

    def pick(i: int) -> int:
        return ids[picks[i % len(picks)]]

    def find_params(i: int) -> dict[str, Any]:
        return {"query": {"category": f"c{i % 50}"}, "sort": "price", "limit": 10}

    def update_params(i: int) -> dict[str, Any]:
        return {"id": pick(i), "$set": {"price": float(i)}, "$inc": {"stock": 1}}

    return {
        "get": lambda i: broker.call("items.get", {"id": pick(i)}),
        "find": lambda i: broker.call("items.find", find_params(i)),
        "list": lambda i: broker.call("items.list", {"page": 2, "pageSize": 10}),
        "create": lambda i: broker.call("items.create", row(i)),
        "update": lambda i: broker.call("items.update", update_params(i)),
    }


def sqlite3_get_rate(path: str, table: str, ids: list[int], picks: list[int], budget: float) -> float:
    """For scale: point reads by key with the synchronous ``sqlite3`` module on its own connection."""
    conn = sqlite3.connect(path)
    try:
        sql = f"SELECT id, name, category, price, stock FROM {table} WHERE id = ?"
        calls = 0
        start = time.perf_counter()
        while True:
            conn.execute(sql, (ids[picks[calls % len(picks)]],)).fetchall()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= budget and calls >= 5:
                return calls / elapsed
    finally:
        conn.close()


async def run_engine(url: str, config: BenchConfig) -> dict[str, tuple[float, float]]:
    """``{operation: (mixin calls/s, core calls/s)}`` on one engine (medians of ``config.rounds``), plus
    ``"sqlite3 get"`` ``(rate, rate)`` for a SQLite file."""
    table = items_table(f"bench_items_{os.getpid()}")
    adapter = SQLAdapter(url, table)
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "items", "mixins": [DbMixin], "adapter": adapter})
    await broker.start()
    try:
        async with adapter.engine.begin() as conn:
            await conn.execute(table.insert(), [row(i) for i in range(config.rows)])
            ids = list((await conn.execute(sa.select(table.c.id).order_by(table.c.id))).scalars())
        rng = random.Random(7)
        picks = [rng.randrange(len(ids)) for _ in range(4096)]
        mixin = mixin_ops(broker, ids, picks)
        core = core_ops(adapter.engine, table, ids, picks)
        results: dict[str, tuple[float, float]] = {}
        for name in OPS:
            await mixin[name](0), await core[name](0)  # warm caches (compiled statements, prepared plans)
            mixed: list[float] = []
            raw: list[float] = []
            for _ in range(config.rounds):
                mixed.append(await rate(mixin[name], config.budget))
                raw.append(await rate(core[name], config.budget))
            results[name] = (statistics.median(mixed), statistics.median(raw))
        database = adapter.engine.url.database
        if adapter.dialect == "sqlite" and database and not database.startswith("file:"):
            sync = sqlite3_get_rate(database, table.name, ids, picks, config.budget)
            results["sqlite3 get"] = (sync, sync)
        return results
    finally:
        try:
            async with adapter.engine.begin() as conn:
                await conn.run_sync(table.drop, checkfirst=True)
        finally:
            await broker.stop()


def format_table(engine: str, results: dict[str, tuple[float, float]]) -> list[str]:
    """The printed lines of one engine: both rates and the ratio per operation."""
    lines = [f"{engine}", f"  {'operation':<12} {'mixin/s':>10} {'core/s':>10} {'core/mixin':>11}", "  " + "-" * 46]
    for name, (mixin, core) in results.items():
        if name == "sqlite3 get":
            lines.append(f"  {name:<12} {'':>10} {core:>10.0f} {'(scale)':>11}")
            continue
        ratio = core / mixin
        mark = ""
        if engine == "postgresql":
            mark = "  ok" if ratio <= PG_TARGET else f"  over {PG_TARGET}x"
        lines.append(f"  {name:<12} {mixin:>10.0f} {core:>10.0f} {ratio:>10.2f}x{mark}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench and print one table per engine; 0 (nothing is asserted)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 rows, one round of 0.02 s")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--budget", type=float, default=None, help="seconds per round and side")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: " + ", ".join(ENGINES))
    args = parser.parse_args(argv)
    base = BenchConfig(rows=300, rounds=1, budget=0.02) if args.quick else BenchConfig()
    config = BenchConfig(
        rows=args.rows if args.rows is not None else base.rows,
        rounds=args.rounds if args.rounds is not None else base.rounds,
        budget=args.budget if args.budget is not None else base.budget,
    )
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    print(f"SQLAdapter bench: {config.rows} rows, {config.rounds} rounds of {config.budget} s per side")
    with tempfile.TemporaryDirectory(prefix="dbmixin-sql-bench-") as folder:
        for engine in engines:
            url, reason = engine_url(engine, Path(folder))
            if url is None:
                print(f"{engine}: skipped: {reason}")
                continue
            results = asyncio.run(run_engine(url, config))
            print("\n".join(format_table(engine, results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
