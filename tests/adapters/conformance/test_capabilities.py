"""Conformance: the capability mechanism itself, and the ``QueryCompiler`` refusing what an engine leaves out."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import (
    FULL,
    AdapterCapabilities,
    And,
    BaseAdapter,
    Compare,
    Exists,
    In,
    MatchAll,
    MemoryAdapter,
    Node,
    Not,
    Or,
    QueryCompiler,
    Regex,
    Search,
    UnsupportedQueryError,
)

from ..conftest import ids
from ..fakes import LimitedMemoryAdapter
from .conftest import expect_supported, requires


def test_capability_names_are_checked() -> None:
    assert "regex" in AdapterCapabilities.names() and FULL.has("regex", "transactions")
    with pytest.raises(ValueError, match="unknown adapter capability 'regexp'"):
        requires("regexp")
    limited = LimitedMemoryAdapter.capabilities
    assert limited.missing("regex", "unique_indexes", "transactions") == ("regex", "transactions")
    assert MemoryAdapter.capabilities == FULL


def test_expect_supported_works_both_ways() -> None:
    full, limited = MemoryAdapter(), LimitedMemoryAdapter()
    with expect_supported(full, "regex"):  # declared: runs as written
        pass
    with pytest.raises(UnsupportedQueryError), expect_supported(full, "regex"):  # declared: a refusal is a failure
        raise full.unsupported("$regex", "name")
    with expect_supported(limited, "regex"):  # not declared: the refusal is what is expected
        raise limited.unsupported("$regex", "name")
    with pytest.raises(pytest.fail.Exception, match="does not declare regex"), expect_supported(limited, "regex"):
        pass  # not declared but no refusal: the adapter lies about its capabilities
    with pytest.raises(KeyError), expect_supported(limited, "regex"):
        raise KeyError("another error is not a refusal")


@requires("regex")
async def test_a_requires_marked_test_runs_or_must_refuse(seeded: BaseAdapter) -> None:
    assert ids(await seeded.find({"query": {"name": {"$regex": "^[A-C]"}}})) == [1, 3]


async def test_a_regex_deep_inside_a_query_is_run_or_refused(seeded: BaseAdapter) -> None:
    with expect_supported(seeded, "regex"):
        assert await seeded.count({"query": {"$or": [{"qty": 0}, {"name": {"$regex": "^G", "$options": "i"}}]}}) == 2


async def test_limited_adapter_error_shape() -> None:
    adapter = LimitedMemoryAdapter()
    adapter.init("items", {}, {})
    await adapter.insert({"_id": 1, "name": "a"})
    with pytest.raises(UnsupportedQueryError) as info:
        await adapter.find({"query": {"qty": 1, "name": {"$not": {"$regex": "x"}}}})
    assert info.value.code == 400
    assert info.value.data == {"operator": "$regex", "field": "name", "adapter": "LimitedMemoryAdapter"}
    with pytest.raises(UnsupportedQueryError) as info:
        await adapter.count({"search": "a"})
    assert info.value.data["operator"] == "search" and "searchFields" in info.value.message
    assert ids(await adapter.find({"search": "A", "searchFields": "name"})) == [1]  # with fields it can


NODES: list[tuple[Node, str, str | None]] = [
    (MatchAll(), "match-all", None),
    (Compare("a.b", "gte", 1), "$gte", "a.b"),
    (In("a", (1,), negate=True), "$nin", "a"),
    (In("a", (1,)), "$in", "a"),
    (Exists("a", True), "$exists", "a"),
    (Regex("a", "x"), "$regex", "a"),
    (Search("x", ("a", "b")), "search", "a,b"),
    (Search("x"), "search", None),
    (And((Compare("a", "eq", 1), Compare("b", "eq", 2))), "$and", None),
    (Or((Compare("a", "eq", 1), Compare("b", "eq", 2))), "$or", None),
    (Not(Compare("a", "eq", 1)), "$not", None),
]


@pytest.mark.parametrize(("node", "operator", "field"), NODES, ids=[n[1] + str(i) for i, n in enumerate(NODES)])
def test_the_compiler_refuses_every_node_it_does_not_implement(node: Node, operator: str, field: str | None) -> None:
    with pytest.raises(UnsupportedQueryError) as info:
        QueryCompiler[Any]("SQLAdapter (sqlite)").compile(node)
    assert info.value.data == {"operator": operator, "field": field, "adapter": "SQLAdapter (sqlite)"}
    assert info.value.message == f"The {operator} operator is not supported by SQLAdapter (sqlite)"


class EchoCompiler(QueryCompiler[Any]):
    """Implements equality and conjunction only: enough to show the walk and the refusal of the rest."""

    def compare(self, node: Compare) -> Any:
        if node.op != "eq":
            raise self.unsupported(node, "only equality")
        return node  # the node itself reaches the method, with any field a later version adds

    def and_(self, node: And) -> Any:
        return ("and", [self.compile(child) for child in node.children])


def test_a_partial_compiler_walks_what_it_implements_and_refuses_the_rest() -> None:
    compiler = EchoCompiler("Echo")
    a, b = Compare("a", "eq", 1), Compare("b", "eq", 2)
    assert compiler.compile(And((a, b))) == ("and", [a, b])
    with pytest.raises(UnsupportedQueryError, match=r"\$gt operator is not supported by Echo: only equality"):
        compiler.compile(And((a, Compare("c", "gt", 3))))
    with pytest.raises(UnsupportedQueryError, match=r"\$or"):
        compiler.compile(Or((a, b)))
