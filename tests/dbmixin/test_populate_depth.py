"""Populate cannot recurse without end: deep paths and self-referencing rules over cyclic data end in a 422."""

from __future__ import annotations

import asyncio

import pytest

from broker.errors import ValidationError
from dbmixin import DbMixin
from dbmixin.populate import MAX_POPULATE_LEVEL


async def test_a_self_referencing_rule_over_cyclic_data_is_a_422_not_a_hang(make_broker):
    broker = await make_broker({
        "name": "nodes", "mixins": [DbMixin],
        "settings": {"populates": {"parent": {"action": "nodes.get", "populate": ["parent"]}}},
    })  # fmt: skip
    await broker.call("nodes.insert", {"entities": [{"_id": "a", "parent": "b"}, {"_id": "b", "parent": "a"}]})
    with pytest.raises(ValidationError) as info:
        await asyncio.wait_for(broker.call("nodes.get", {"id": "a", "populate": ["parent"]}), 10)
    assert info.value.data[0]["field"] == "populate"
    assert info.value.data[0]["type"] == "populateDepth"


async def test_a_deep_populate_path_is_a_422_and_a_shallow_one_works(make_broker):
    broker = await make_broker({
        "name": "nodes", "mixins": [DbMixin], "settings": {"populates": {"parent": "nodes.get"}},
    })  # fmt: skip
    chain = [{"_id": f"n{i}", "parent": f"n{i + 1}"} for i in range(40)]
    await broker.call("nodes.insert", {"entities": chain})
    shallow = await broker.call("nodes.get", {"id": "n0", "populate": ["parent.parent.parent"]})
    assert shallow["parent"]["parent"]["parent"]["_id"] == "n3"
    with pytest.raises(ValidationError):
        await broker.call("nodes.get", {"id": "n0", "populate": [".".join(["parent"] * (MAX_POPULATE_LEVEL + 2))]})
