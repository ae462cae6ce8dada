"""The broker benchmark still runs: its smallest configuration gives positive figures (speed is never asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "broker_bench.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("broker_bench_under_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_smallest_configuration_reports_positive_figures():
    bench = load_bench()
    report = await bench.measure(calls=200, runs=1)
    results = report["results"]
    assert {(r["case"], r["mode"]) for r in results} == {
        (case, mode) for case in ("bare", "emit", "validated", "cached") for mode in bench.MODES
    }
    assert report["skipped"] == []
    for r in results:
        assert r["calls_per_s"] > 0 and r["baseline_per_s"] > 0 and r["ratio"] > 0
    table = bench.format_table(report)
    assert table.count("\n") == len(results) + 1


def test_command_line_quick_run(capsys):
    load_bench().main(["--calls", "200", "--runs", "1"])
    out = capsys.readouterr().out
    assert "| bare | sequential |" in out and "| cached | 100 in flight |" in out
    assert "| emit | sequential |" in out


def test_cases_option_runs_only_those(capsys):
    load_bench().main(["--calls", "200", "--runs", "1", "--cases", "emit"])
    out = capsys.readouterr().out
    assert "| emit | sequential |" in out and "| bare |" not in out
