"""Conformance: ``Search.exclude`` keeps paths (and anything under them) out of a search.

The mixin builds this node itself (to keep hidden fields out of a default search), so these tests drive the adapter
interface (``_find``/``_count``) with a hand-built tree, as the mixin will.
"""

from __future__ import annotations

import pytest

from adapters import BaseAdapter
from adapters.query import FindParams, Search

from ..conftest import ids

ROWS = [
    {"_id": 1, "name": "alpha", "secret": "zeta", "meta": {"note": "zeta"}},
    {"_id": 2, "name": "zeta", "secret": "alpha"},
    {"_id": 3, "name": "beta", "secret": ["zeta"], "tags": ["zeta-tag"]},
    {"_id": 4, "name": "gamma", "password": "ZETA"},
]

CASES = [
    ("no-exclude", Search("zeta"), [1, 2, 3, 4]),
    ("exclude-one-field", Search("zeta", exclude=("secret",)), [2, 3, 4]),
    ("exclude-two-fields", Search("zeta", exclude=("secret", "password")), [2, 3]),
    ("exclude-array-field", Search("zeta", exclude=("secret", "tags", "password")), [2]),
    ("exclude-a-dotted-path-leaves-top-level-alone", Search("zeta", exclude=("secret.x",)), [1, 2, 3, 4]),
    ("explicit-fields-are-filtered", Search("zeta", ("name", "secret"), exclude=("secret",)), [2]),
    ("explicit-field-under-an-excluded-path", Search("zeta", ("meta.note", "name"), exclude=("meta",)), [2]),
    ("explicit-field-kept", Search("zeta", ("meta.note",), exclude=("secret",)), [1]),
    ("every-explicit-field-excluded-matches-nothing", Search("zeta", ("secret",), exclude=("secret",)), []),
]


@pytest.mark.parametrize(("node", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_search_exclude(adapter: BaseAdapter, node: Search, expected: list[int]) -> None:
    await adapter.insert_many(ROWS)
    assert ids(await adapter._find(FindParams(node))) == expected
    assert await adapter._count(node) == len(expected)


async def test_the_id_stays_out_of_a_default_search_with_exclude(adapter: BaseAdapter) -> None:
    await adapter.insert_many([{"_id": "abc", "t": "x", "s": "y"}, {"_id": "k", "t": "abc"}])
    node = Search("ab", exclude=("s",))
    assert ids(await adapter._find(FindParams(node))) == ["k"]
