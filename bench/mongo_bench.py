"""The mixin on MongoAdapter against the same calls made directly with the client, in one run: the ratio.

    python bench/mongo_bench.py                          # mongomock-motor, 10,000 documents
    MONGO_URI=mongodb://localhost:27017 python bench/mongo_bench.py --docs 10000 --calls 2000

Each operation runs in interleaved rounds (mixin, direct, mixin, direct...) on the same collection, so drifts of the
machine hit both sides; the figure printed per operation is the median calls per second of each side and their
ratio (direct / mixin: how many times slower the mixin is). mongomock is far slower than a server (about 85
``find_one`` by ``_id`` per second at 10,000 documents), which hides the mixin's cost in the server's: on mongomock
only the ratio means anything, and it should stay under 1.5x. Nothing here is asserted (no timing tests).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bson import ObjectId

from adapters.mongo import MongoAdapter
from broker import ServiceBroker
from dbmixin import DbMixin

Op = Callable[[int], Awaitable[Any]]


def make_adapter(uri: str | None, collection: str) -> MongoAdapter:
    """A MongoAdapter on ``uri`` (a real server) or on a fresh mongomock-motor client."""
    if uri:
        return MongoAdapter(uri, collection, "dbmixin_bench")
    from mongomock_motor import AsyncMongoMockClient

    return MongoAdapter(AsyncMongoMockClient(), collection, "dbmixin_bench")


async def rate(op: Op, calls: int) -> float:
    """Calls per second of ``op(i)`` for ``i`` in ``range(calls)``."""
    start = time.perf_counter()
    for i in range(calls):
        await op(i)
    return calls / (time.perf_counter() - start)


async def run(docs: int, calls: int, rounds: int, uri: str | None = None) -> dict[str, tuple[float, float]]:
    """``{operation: (mixin calls/s, direct calls/s)}`` (medians over ``rounds``)."""
    adapter = make_adapter(uri, f"bench_{ObjectId()}")
    broker = ServiceBroker(logger=False)
    broker.create_service({"name": "items", "mixins": [DbMixin], "adapter": adapter})
    await broker.start()
    try:
        await adapter.clear()
        rows = [{"name": f"item {i}", "category": f"c{i % 50}", "price": i % 100} for i in range(docs)]
        created = await adapter.insert_many(rows)
        ids = [row["_id"] for row in created]
        oids = [ObjectId(i) for i in ids]
        rng = random.Random(7)
        picks = [rng.randrange(len(ids)) for _ in range(calls)]
        coll = adapter.collection

        def find_params(i: int) -> dict[str, Any]:
            return {"query": {"category": f"c{i % 50}"}, "sort": "price", "limit": 10}

        async def direct_get(i: int) -> Any:
            doc = await coll.find_one({"_id": oids[picks[i]]})
            doc["_id"] = str(doc["_id"])
            return doc

        async def direct_find(i: int) -> Any:
            return await coll.find({"category": f"c{i % 50}"}).sort("price", 1).limit(10).to_list(None)

        async def direct_update(i: int) -> Any:
            return await coll.find_one_and_update({"_id": oids[picks[i]]}, {"$set": {"price": i}}, return_document=True)

        ops: dict[str, tuple[Op, Op]] = {
            "get by id": (lambda i: broker.call("items.get", {"id": ids[picks[i]]}), direct_get),
            "find (query, sort, limit 10)": (lambda i: broker.call("items.find", find_params(i)), direct_find),
            "update by id": (lambda i: broker.call("items.update", {"id": ids[picks[i]], "price": i}), direct_update),
        }
        results: dict[str, tuple[float, float]] = {}
        for name, (mixin, direct) in ops.items():
            mixed: list[float] = []
            raw: list[float] = []
            for _ in range(rounds):
                mixed.append(await rate(mixin, calls))
                raw.append(await rate(direct, calls))
            results[name] = (statistics.median(mixed), statistics.median(raw))
        return results
    finally:
        await adapter.clear()
        await broker.stop()


def format_table(results: dict[str, tuple[float, float]]) -> list[str]:
    """The printed table: one line per operation with both rates and the ratio."""
    lines = [f"{'operation':<30} {'mixin/s':>10} {'direct/s':>10} {'ratio':>7}", "-" * 60]
    for name, (mixin, direct) in results.items():
        lines.append(f"{name:<30} {mixin:>10.0f} {direct:>10.0f} {direct / mixin:>6.2f}x")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    uri = os.environ.get("MONGO_URI")
    print(f"MongoAdapter bench on {'MONGO_URI' if uri else 'mongomock-motor'}: {args.docs} documents")
    results = asyncio.run(run(args.docs, args.calls, args.rounds, uri))
    print("\n".join(format_table(results)))


if __name__ == "__main__":
    main()
