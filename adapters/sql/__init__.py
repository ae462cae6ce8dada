"""The SQL adapter (SQLAlchemy 2 async): ``from adapters import SQLAdapter``; needs the ``sql`` extra (plus
``postgres`` or ``mysql`` for those servers). See ``docs/sql-adapter.md``."""

from .adapter import SQLAdapter
from .errors import AdapterConnectionError, AdapterError
from .types import AnyId, JSONText

__all__ = ["AdapterConnectionError", "AdapterError", "AnyId", "JSONText", "SQLAdapter"]
