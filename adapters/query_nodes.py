"""The nodes of the query tree: small immutable dataclasses, one per operator of the portable language.

``parse_query`` (``query_tree.py``) builds them from a Mongo-flavoured dict; every adapter consumes them. Their
semantics are defined in ``docs/query-language.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

__all__ = [
    "COMPARE_OPS",
    "RANGE_OPS",
    "And",
    "Compare",
    "CompareOp",
    "Exists",
    "In",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "Regex",
    "Search",
]

CompareOp: TypeAlias = Literal["eq", "ne", "gt", "gte", "lt", "lte"]
COMPARE_OPS: tuple[str, ...] = ("eq", "ne", "gt", "gte", "lt", "lte")
RANGE_OPS = frozenset(("gt", "gte", "lt", "lte"))


@dataclass(frozen=True, slots=True)
class MatchAll:
    """Matches every entity (an empty or ``None`` query)."""


@dataclass(frozen=True, slots=True)
class Compare:
    """``path <op> value``; ``op`` is one of ``eq ne gt gte lt lte`` (Mongo's ``$eq`` ... without the ``$``)."""

    path: str
    op: CompareOp
    value: Any


@dataclass(frozen=True, slots=True)
class In:
    """``$in`` (``negate=False``) or ``$nin`` (``negate=True``) over a tuple of literal values."""

    path: str
    values: tuple[Any, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Exists:
    """``$exists``: the field is present (``flag=True``, even when ``None``) or absent (``flag=False``)."""

    path: str
    flag: bool


@dataclass(frozen=True, slots=True)
class Regex:
    """``$regex`` with ``$options``: ``flags`` is a sorted subset of ``"imsx"``; ``pattern`` is portable syntax."""

    path: str
    pattern: str
    flags: str = ""


@dataclass(frozen=True, slots=True)
class Search:
    """The find param ``search``: case-insensitive substring over ``fields`` (all top-level fields if empty).

    ``exclude`` lists paths never searched, nor anything under them (``"secret"`` also hides ``"secret.x"``):
    with ``fields == ()`` it keeps e.g. hidden fields out of a default search; explicit ``fields`` that are, or
    lie under, an excluded path are dropped too (a search left with no field matches nothing).
    """

    text: str
    fields: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class And:
    """All children match (never empty: the parser turns an empty conjunction into ``MatchAll``)."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches (never empty)."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The child does not match (a missing field does not match ``child``, so it matches ``Not(child)``)."""

    child: Node


Node: TypeAlias = MatchAll | Compare | In | Exists | Regex | Search | And | Or | Not
