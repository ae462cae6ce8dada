"""bench/sql_bench.py keeps working: ``--quick`` runs every engine end to end (PostgreSQL when it answers, else a
printed skip), printing one rate pair and ratio per operation (no timing is asserted)."""

from __future__ import annotations

import pytest

from tests.bench_scripts import load_bench

pytest.importorskip("sqlalchemy")


def test_quick_run_prints_every_operation_of_every_engine(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("sql_bench")
    assert bench.main(["--quick", "--rows", "120"]) == 0
    out = capsys.readouterr().out
    for engine in bench.ENGINES:
        assert f"{engine}\n" in out or f"{engine}: skipped: " in out
    assert out.count("  get ") >= 2 and out.count("  update ") >= 2  # both SQLite engines ran
    assert "sqlite3 get" in out  # the scale line of the SQLite file
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("  ") and parts[0] in bench.OPS:
            assert float(parts[1]) > 0 and float(parts[2]) > 0 and parts[3].endswith("x"), line
