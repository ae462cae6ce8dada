"""What dbmixin needs from the broker is importable from ``broker`` itself (its public API)."""

from __future__ import annotations

import ast
from pathlib import Path

import broker

DBMIXIN = Path(__file__).resolve().parents[2] / "dbmixin"


def test_public_names_are_exported() -> None:
    for name in ("ServiceBroker", "Context", "Service", "action", "event", "call_maybe_async", "Validator",
                 "js_string"):  # fmt: skip
        assert name in broker.__all__ and hasattr(broker, name)
    assert broker.call_maybe_async is broker.utils.call_maybe_async
    assert broker.Validator is broker.validation.Validator


def test_every_name_dbmixin_takes_from_a_broker_submodule_is_public() -> None:
    """``from broker.<module> import X`` in dbmixin (``broker.errors`` aside) must be reachable as ``broker.X``."""
    for path in DBMIXIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("broker."):
                if node.module == "broker.errors":
                    continue
                for alias in node.names:
                    assert alias.name in broker.__all__, f"{path.name}: {node.module}.{alias.name}"
