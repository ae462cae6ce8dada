"""bench/http_bench.py keeps working: its two Python servers start and answer alike (no load, no timing)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("http_bench")


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
