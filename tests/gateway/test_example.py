"""examples/gateway_api.py (the README's gateway example) runs and prints what the README shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gateway_example_prints_its_documented_output() -> None:
    run = subprocess.run([sys.executable, "examples/gateway_api.py"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "Hello\n404 ENTITY_NOT_FOUND\n['/api/posts', '/api/posts/{id}']\n"
