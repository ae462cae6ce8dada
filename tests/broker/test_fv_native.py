"""The compiled pydantic-core fast path against the Python reference of FV's check (``fv_explain``).

A valid call never leaves pydantic-core, so it must never accept what the reference rejects, and what it
accepts it must convert the same way; it may reject more (the reference then decides). No Node.js needed.
"""

from __future__ import annotations

import random

import pytest
from pydantic_core import SchemaValidator

from broker.fv_core import build
from broker.fv_explain import run
from broker.fv_rules import root_rule

from . import fv_gen
from .fv_compare import _same_value


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_path_is_never_looser_than_the_reference_and_converts_alike(seed):
    rng = random.Random(seed)
    accepted = 0
    for _ in range(1500):
        schema, params = fv_gen.case(rng)
        params = None if params is fv_gen.ABSENT else params
        root = root_rule(schema)
        native = SchemaValidator(build(root)).validate_python
        value, errors = run(root, params)
        try:
            fast = native(params)
        except Exception:
            continue
        assert not errors, f"the fast path accepted what FV rejects: {schema!r} {params!r} {errors!r}"
        assert _same_value(fast, value), f"{schema!r} {params!r}: fast {fast!r}, reference {value!r}"
        accepted += 1
    assert accepted > 200  # the generator produces enough valid calls for this to mean something
