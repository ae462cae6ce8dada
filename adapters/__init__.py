"""Storage behind one interface: the adapter base, the portable query language and the memory adapter.

    from adapters import MemoryAdapter, BaseAdapter, parse_query, UnsupportedQueryError

See ``adapters/base.py`` for the interface, ``adapters/query.py`` and ``docs/query-language.md`` for the
language.
"""

import runpy
from pathlib import Path

# The toolkit's siblings must be its own, not a project folder of the same name (see broker/siblings.py, loaded by
# path so that a shadowing 'broker' cannot hide the check itself).
runpy.run_path(str(Path(__file__).resolve().parent.parent / "broker" / "siblings.py"))["require_siblings"](
    __file__, "broker"
)

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
    "SQLAdapter",
    "Search",
    "SortKey",
    "UnsupportedQueryError",
    "Update",
    "parse_find_params",
    "parse_query",
    "parse_sort",
    "parse_update",
]


def __getattr__(name: str) -> object:
    """``SQLAdapter`` is imported on first use, so ``import adapters`` works without SQLAlchemy installed."""
    if name == "SQLAdapter":
        from .sql import SQLAdapter

        return SQLAdapter
    raise AttributeError(f"module 'adapters' has no attribute {name!r}")
