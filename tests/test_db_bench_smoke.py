"""bench/db_bench.py keeps working: its Python side runs end to end on a tiny dataset (no Node, no timing)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("db_bench")


async def test_python_side_gives_a_positive_rate_for_every_op_and_mode(bench: ModuleType) -> None:
    config = bench.BenchConfig(entities=300, rounds=1, budget=5.0, max_calls=100, create_cap=50, picks=100)
    results = await bench.run_python(config)
    assert set(results) == set(bench.MODES)
    for mode in bench.MODES:
        assert set(results[mode]) == set(bench.OPS)
        for op, figures in results[mode].items():
            assert figures["median"] > 0, (mode, op)
    table = bench.format_table(results, None)
    assert len(table) == 2 + len(bench.MODES) * len(bench.OPS)


async def test_indexed_reads_run_on_a_bigger_dataset(bench: ModuleType) -> None:
    config = bench.BenchConfig(entities=200, rounds=1, budget=5.0, max_calls=50, picks=50)
    small, big = await bench.run_python_scale(config, 2_000)
    lines = bench.format_scale_table(small, big, 200, 2_000)
    assert all(big[mode][op]["median"] > 0 for mode in bench.MODES for op in bench.SCALE_OPS)
    assert len(lines) == 2 + len(bench.MODES) * len(bench.SCALE_OPS)


def test_no_node_command_line_prints_the_table(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--no-node", "--quick", "--entities", "200", "--budget", "0.02"]) == 0
    out = capsys.readouterr().out
    assert "| op | mode | node calls/s | python calls/s | ratio | target | ok? |" in out
    assert all(f"| {op} | seq |" in out for op in bench.OPS)
