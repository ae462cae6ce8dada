"""``examples/two_nodes.py`` (the README's "Running on several machines" example) runs and prints what the docs say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.servers import NATS_URL, require

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = "Hello Ada from node-1\nnode-2 heard that Ada was greeted\n"


def test_the_two_node_example_runs_over_nats() -> None:
    require(NATS_URL, "NATS")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "examples/two_nodes.py"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == EXPECTED


def test_docs_show_the_example_and_its_output() -> None:
    doc = (ROOT / "docs" / "transit.md").read_text()
    block = re.search(r"`examples/two_nodes.py`:\n\n```python\n(.*?)```\n\nprints\n\n```text\n(.*?)```", doc, re.S)
    assert block is not None
    assert block.group(1) == (ROOT / "examples" / "two_nodes.py").read_text()
    assert block.group(2) == EXPECTED
