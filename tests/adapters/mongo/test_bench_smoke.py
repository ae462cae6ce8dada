"""bench/mongo_bench.py keeps working: it runs end to end on a tiny mongomock dataset (no timing asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "mongo_bench.py"


async def test_the_bench_runs_and_prints_a_ratio_per_operation() -> None:
    spec = importlib.util.spec_from_file_location("mongo_bench", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = await bench.run(docs=60, calls=5, rounds=1)
    assert set(results) == {"get by id", "find (query, sort, limit 10)", "update by id"}
    assert all(mixin > 0 and direct > 0 for mixin, direct in results.values())
    assert len(bench.format_table(results)) == 2 + len(results)
