"""Storage behind one interface: the adapter contract, the portable query language and the memory adapter.

    from adapters import MemoryAdapter, BaseAdapter, parse_query, UnsupportedQueryError
    from adapters import MongoAdapter        # imported on first use: needs the ``mongo`` extra (pymongo >= 4.9)

See ``adapters/base.py`` for the contract (and ``docs/architecture.md``, "Adapters"), ``adapters/compiler.py`` for
the query-tree walk engines specialise, ``adapters/capabilities.py`` for what an engine declares, and
``adapters/query.py`` and ``docs/query-language.md`` for the language.
"""

import runpy
from pathlib import Path
from typing import TYPE_CHECKING

# The toolkit's siblings must be its own, not a project folder of the same name (see broker/siblings.py, loaded by
# path so that a shadowing 'broker' cannot hide the check itself).
runpy.run_path(str(Path(__file__).resolve().parent.parent / "broker" / "siblings.py"))["require_siblings"](
    __file__, "broker"
)

from .base import BaseAdapter, engine_call
from .capabilities import FULL, AdapterCapabilities
from .compiler import QueryCompiler
from .errors import (
    AdapterConflictError,
    AdapterConnectionError,
    AdapterError,
    EntityAlreadyExistsError,
    UnsupportedQueryError,
)
from .indexes import IndexSpec, parse_indexes
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
from .transactions import Transaction
from .updates import apply_update

if TYPE_CHECKING:
    from .mongo import MongoAdapter as MongoAdapter

__all__ = [
    "FULL",
    "AdapterCapabilities",
    "AdapterConflictError",
    "AdapterConnectionError",
    "AdapterError",
    "And",
    "BaseAdapter",
    "Compare",
    "EntityAlreadyExistsError",
    "Exists",
    "FindParams",
    "In",
    "IndexSpec",
    "MatchAll",
    "MemoryAdapter",
    "Node",
    "Not",
    "Or",
    "QueryCompiler",
    "Regex",
    "SQLAdapter",
    "Search",
    "SortKey",
    "Transaction",
    "UnsupportedQueryError",
    "Update",
    "apply_update",
    "engine_call",
    "parse_find_params",
    "parse_indexes",
    "parse_query",
    "parse_sort",
    "parse_update",
]


def __getattr__(name: str) -> object:
    """``SQLAdapter`` and ``MongoAdapter`` are imported on first use, so ``import adapters`` works without the
    ``sql`` or ``mongo`` extra installed."""
    if name == "SQLAdapter":
        from .sql import SQLAdapter

        return SQLAdapter
    if name == "MongoAdapter":
        from .mongo import MongoAdapter

        return MongoAdapter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
