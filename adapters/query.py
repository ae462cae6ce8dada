"""The portable query language: one Mongo-flavoured language for every adapter, parsed once into a small tree.

    parse_query({"price": {"$gt": 5}, "tags": "new"})
    → And((Compare("price", "gt", 5), Compare("tags", "eq", "new")))

* ``parse_query(query) -> Node``: ``None``/``{}`` → ``MatchAll()``. Field operators ``$eq $ne $gt $gte $lt
  $lte $in $nin $exists $regex``(+``$options``) ``$not``; logical ``$and $or`` and a top-level ``$not``;
  dotted paths.
* ``parse_sort(sort) -> tuple[SortKey, ...]``, ``parse_update(update) -> Update``,
  ``parse_find_params(params) -> FindParams`` (``FindParams.filter`` is ``query`` AND ``search``).
* Node types: ``MatchAll``, ``Compare(path, op, value)``, ``In(path, values, negate)``, ``Exists(path,
  flag)``, ``Regex(path, pattern, flags)``, ``Search(text, fields, exclude)``, ``And(children)``, ``Or(children)``,
  ``Not(child)``.

Anything malformed is a 422 ``ValidationError`` whose ``data`` names the path (``price.$gt``); adapters only
ever see valid trees, and raise ``UnsupportedQueryError`` when they cannot give a valid tree its exact
meaning. The semantics are specified in ``docs/query-language.md``; value rules (equality, MongoDB's sort order)
live in ``query_values``, the portable regex subset and its RE2 evaluation in ``query_regex``, the input bounds
(depth 100, 64-bit integers, 32 sort keys...) in ``query_limits``.
"""

from __future__ import annotations

from .query_params import (
    FindParams,
    SortKey,
    Update,
    parse_find_params,
    parse_sort,
    parse_update,
    split_list,
)
from .query_tree import (
    COMPARE_OPS,
    And,
    Compare,
    Exists,
    In,
    MatchAll,
    Node,
    Not,
    Or,
    Regex,
    Search,
    check_path,
    check_value,
    conjunction,
    parse_query,
    split_path,
)

__all__ = [
    "COMPARE_OPS",
    "And",
    "Compare",
    "Exists",
    "FindParams",
    "In",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "Regex",
    "Search",
    "SortKey",
    "Update",
    "check_path",
    "check_value",
    "conjunction",
    "parse_find_params",
    "parse_query",
    "parse_sort",
    "parse_update",
    "split_list",
    "split_path",
]
