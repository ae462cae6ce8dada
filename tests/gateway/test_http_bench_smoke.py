"""bench/http_bench.py keeps working: its two Python servers start and answer alike (no load, no timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "http_bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("http_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("http_bench", module)
    spec.loader.exec_module(module)
    return module


def test_python_servers_start_and_answer_the_same_json(bench: ModuleType) -> None:
    servers = {side: bench.Server(side) for side in ("python", "starlette")}
    try:
        bench.check_answers(servers)
    finally:
        for server in servers.values():
            server.close()


def test_table_reports_ratios_and_targets(bench: ModuleType) -> None:
    table = bench.format_table({
        "get": {"python": [12_000.0, 13_000.0, 14_000.0], "node": [20_000.0], "starlette": [20_000.0]},
        "list": {"python": [5_000.0], "node": [20_000.0], "starlette": [8_000.0]},
    })
    assert table[2] == ("| GET /api/posts/:id | 13,000 | 20,000 | 20,000 | 0.65x | 0.65x | yes |")
    assert table[3].endswith("| 0.25x | 0.62x | NO |")


async def test_in_process_rates_are_positive_for_both_apps(bench: ModuleType) -> None:
    rates = await bench.asgi_rates(20, 1)
    assert set(rates) == set(bench.SCENARIOS)
    for per_side in rates.values():
        assert set(per_side) == {"python", "starlette"}
        assert all(values and values[0] > 0 for values in per_side.values())
