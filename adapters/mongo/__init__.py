"""MongoDB storage: ``MongoAdapter`` on PyMongo's async API (or motor). Needs the ``mongo`` extra
(``pip install dbmixin[mongo]``); see ``docs/mongo-adapter.md``."""

from .adapter import MONGO_CAPABILITIES, MongoAdapter, MongoTransaction
from .compiler import MongoCompiler
from .ids import decode_id, encode_id

__all__ = ["MONGO_CAPABILITIES", "MongoAdapter", "MongoCompiler", "MongoTransaction", "decode_id", "encode_id"]
