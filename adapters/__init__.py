"""Storage behind one interface: the adapter base, the portable query language and the memory adapter.

    from adapters import MemoryAdapter, BaseAdapter, parse_query, UnsupportedQueryError

See ``adapters/base.py`` for the interface, ``adapters/query.py`` and ``docs/query-language.md`` for the
language.
"""

from .base import BaseAdapter
from .errors import EntityAlreadyExistsError, UnsupportedQueryError
from .memory import MemoryAdapter
from .query import (
    And,
    Compare,
    Exists,
    FindParams,
    In,
    MatchAll,
    Node,
    Not,
    Or,
    Regex,
    Search,
    SortKey,
    Update,
    parse_find_params,
    parse_query,
    parse_sort,
    parse_update,
)
from .updates import apply_update

__all__ = [
    "And",
    "BaseAdapter",
    "Compare",
    "EntityAlreadyExistsError",
    "Exists",
    "FindParams",
    "In",
    "MatchAll",
    "MemoryAdapter",
    "Node",
    "Not",
    "Or",
    "Regex",
    "Search",
    "SortKey",
    "UnsupportedQueryError",
    "Update",
    "apply_update",
    "parse_find_params",
    "parse_query",
    "parse_sort",
    "parse_update",
]
