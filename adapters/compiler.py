"""``QueryCompiler[T]``: the walk over a query tree that every engine specialises.

An engine turns the validated tree (``adapters/query_tree.py``) into its own form ``T``: a Python predicate for the
memory adapter, an SQLAlchemy clause for SQL, a filter document for MongoDB. It subclasses ``QueryCompiler[T]`` and
implements one method per node kind it supports::

    match_all(node: MatchAll) -> T        compare(node: Compare) -> T     in_(node: In) -> T
    exists(node: Exists) -> T             regex(node: Regex) -> T         search(node: Search) -> T
    and_(node: And) -> T                  or_(node: Or) -> T              not_(node: Not) -> T

Every method receives the node itself (so a field added to a node later, such as ``Search.exclude``, reaches the
engine without a signature change) and, unless overridden, raises ``UnsupportedQueryError`` naming the operator and
the path: an engine refuses what it cannot do *by construction* instead of silently giving another meaning.
``compile(node)`` dispatches on the node's exact type (one dict lookup); logical methods call ``compile`` on their
children.

    class SqlCompiler(QueryCompiler[ColumnElement[bool]]):
        def compare(self, node: Compare) -> ColumnElement[bool]: ...

    clause = SqlCompiler("SQLAdapter (sqlite)").compile(params.filter)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import UnsupportedQueryError
from .query_tree import And, Compare, Exists, In, MatchAll, Node, Not, Or, Regex, Search

__all__ = ["QueryCompiler", "operator_name"]

T = TypeVar("T")

_METHODS: dict[type, str] = {
    MatchAll: "match_all",
    Compare: "compare",
    In: "in_",
    Exists: "exists",
    Regex: "regex",
    Search: "search",
    And: "and_",
    Or: "or_",
    Not: "not_",
}


def operator_name(node: Node) -> str:
    """The query-language name of a node's operator, for error messages: ``$gt``, ``$nin``, ``search``, ..."""
    if isinstance(node, Compare):
        return f"${node.op}"
    if isinstance(node, In):
        return "$nin" if node.negate else "$in"
    if isinstance(node, Search):
        return "search"
    if isinstance(node, MatchAll):
        return "match-all"
    return "$" + type(node).__name__.lower()


def _path(node: Node) -> str | None:
    path = getattr(node, "path", None)
    if path is None and isinstance(node, Search) and node.fields:
        return ",".join(node.fields)
    return path


class QueryCompiler(Generic[T]):
    """Walks a query tree into an engine's form ``T``; each node method refuses its node unless overridden.

    ``adapter_name`` is used in the ``UnsupportedQueryError`` message ("... not supported by SQLAdapter (sqlite)").
    Compilers are cheap to build but may be reused: ``compile`` keeps no state between calls unless a subclass adds
    some.
    """

    def __init__(self, adapter_name: str) -> None:
        self.adapter_name = adapter_name
        self._dispatch: dict[type, Callable[[Any], T]] = {kind: getattr(self, name) for kind, name in _METHODS.items()}

    def compile(self, node: Node) -> T:
        """The engine form of ``node``; raises ``UnsupportedQueryError`` for a node kind this engine refuses."""
        method = self._dispatch.get(type(node))
        if method is None:  # pragma: no cover - the parser only builds the node types above
            raise TypeError(f"not a query node: {node!r}")
        return method(node)

    def unsupported(self, node: Node, reason: str | None = None) -> UnsupportedQueryError:
        """The 400 ``UNSUPPORTED_QUERY`` error for ``node`` (its operator and path, if it has one)."""
        return UnsupportedQueryError(operator_name(node), self.adapter_name, _path(node), reason)

    # one method per node kind: the defaults refuse -----------------------------------------------------------

    def match_all(self, node: MatchAll) -> T:
        """Everything matches (an empty query)."""
        raise self.unsupported(node)

    def compare(self, node: Compare) -> T:
        """``node.path <node.op> node.value`` (``eq ne gt gte lt lte``)."""
        raise self.unsupported(node)

    def in_(self, node: In) -> T:
        """``$in`` (or ``$nin`` when ``node.negate``) over ``node.values``."""
        raise self.unsupported(node)

    def exists(self, node: Exists) -> T:
        """``$exists: node.flag``."""
        raise self.unsupported(node)

    def regex(self, node: Regex) -> T:
        """``$regex: node.pattern`` with ``node.flags``."""
        raise self.unsupported(node)

    def search(self, node: Search) -> T:
        """The ``search`` find param: case-insensitive substring over ``node.fields`` (all when empty)."""
        raise self.unsupported(node)

    def and_(self, node: And) -> T:
        """All of ``node.children``."""
        raise self.unsupported(node)

    def or_(self, node: Or) -> T:
        """Any of ``node.children``."""
        raise self.unsupported(node)

    def not_(self, node: Not) -> T:
        """Not ``node.child``."""
        raise self.unsupported(node)
