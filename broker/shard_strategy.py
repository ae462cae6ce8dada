"""The ``Shard`` strategy: a call with the same shard key always goes to the same node (Moleculer's ``shard.js``).

Consistent hashing as Moleculer's: the sorted node IDs of the endpoint list get ``vnodes`` equal slices each of a
ring of ``ringSize`` (default 2**32) points; a key's point is the first 8 hex digits of its MD5 as an integer
(modulo ``ringSize`` when set), and the key goes to the node of the first slice that ends at or after that point.
So Python and Node.js callers send one key to the same node. The ring is rebuilt when the list's nodes change;
``cacheSize`` key -> node answers are kept (least recently used dropped), for keys of at most ``MAX_CACHED_KEY``
characters.

Options: ``shardKey`` (``"userID"`` or ``"user.id"`` from the params, ``"#tenant"`` from the meta, or a function of
the context; ``None``: every call is random), ``vnodes`` (10, at most 1000), ``ringSize`` (``None``, else 1 to
2**32), ``cacheSize`` (1000, at most 10**6).
A call without a key (or an event, which carries no call context here) gets a random endpoint.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from .cache_keys import MISSING, get_path
from .errors import BrokerOptionsError
from .jsvalues import js_string
from .strategies import Strategy

__all__ = ["ShardStrategy", "shard_hash"]

T = TypeVar("T")

MAX_CACHED_KEY = 256  # longer keys are hashed every time: ``cacheSize`` huge keys would hold their memory


def shard_hash(key: str, ring_size: int | None = None) -> int:
    """The ring point of a key: the first 32 bits of its MD5 (hex digits 0-7), modulo ``ring_size`` if given."""
    number = int(hashlib.md5(key.encode()).hexdigest()[:8], 16)
    return number % ring_size if ring_size else number


class ShardStrategy(Strategy):
    """See the module doc; ``select(items, ctx)`` reads the key from ``ctx.params`` / ``ctx.meta``."""

    DEFAULTS: ClassVar[dict[str, Any]] = {"shardKey": None, "vnodes": 10, "ringSize": None, "cacheSize": 1000}
    RANGES: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "vnodes": (1, 1000), "ringSize": (1, 2**32), "cacheSize": (0, 10**6),
    }  # fmt: skip

    def __init__(self, registry: Any = None, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(registry, options)
        key = self.options["shardKey"]
        if key is not None and not isinstance(key, str) and not callable(key):
            raise BrokerOptionsError(
                f"Invalid Shard option 'shardKey': {key!r} (expected a path string or a function)",
                {"strategyOptions": "shardKey"},
            )
        ring_size = self.options["ringSize"]
        if ring_size is not None and (not isinstance(ring_size, int) or isinstance(ring_size, bool)):
            raise BrokerOptionsError(
                f"Invalid Shard option 'ringSize': {ring_size!r} (expected a positive integer)",
                {"strategyOptions": "ringSize"},
            )
        self.vnodes = int(self.options["vnodes"])
        self.ring_size: int | None = ring_size
        self.cache_size = int(self.options["cacheSize"])
        self.cache: OrderedDict[str, str] = OrderedDict()
        self._ring_nodes: tuple[str, ...] = ()
        self._points: list[int] = []
        self._owners: list[str] = []

    def key_of(self, ctx: Any) -> Any:
        """The shard key of a call, or ``None``."""
        shard_key = self.options["shardKey"]
        if shard_key is None or ctx is None:
            return None
        if callable(shard_key):
            return shard_key(ctx)
        if shard_key.startswith("#"):
            value = get_path(getattr(ctx, "meta", None), shard_key[1:])
        else:
            value = get_path(getattr(ctx, "params", None), shard_key)
        return None if value is MISSING else value

    def select(self, items: Sequence[T], ctx: Any = None) -> T:
        key = self.key_of(ctx)
        if key is not None:
            node_ids = tuple(item.node_id for item in items)  # type: ignore[attr-defined]
            node_id = self.node_for(js_string(key), node_ids)
            for item in items:
                if item.node_id == node_id:  # type: ignore[attr-defined]
                    return item
        return items[random.randrange(len(items))]

    def node_for(self, key: str, node_ids: Sequence[str]) -> str:
        """The node of ``key`` on the ring of ``node_ids`` (rebuilt, and the cache emptied, when they change)."""
        if tuple(node_ids) != self._ring_nodes:
            self._rebuild(tuple(node_ids))
        cached = self.cache.get(key)
        if cached is not None:
            self.cache.move_to_end(key)
            return cached
        point = shard_hash(key, self.ring_size)
        index = min(bisect.bisect_left(self._points, point), len(self._points) - 1)
        node_id = self._owners[index]
        if self.cache_size > 0 and len(key) <= MAX_CACHED_KEY:
            self.cache[key] = node_id
            if len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return node_id

    def _rebuild(self, node_ids: tuple[str, ...]) -> None:
        self.cache.clear()
        self._ring_nodes = node_ids
        ordered = sorted(node_ids)
        total = len(ordered) * self.vnodes
        size = self.ring_size or 2**32
        width = size / total
        self._points = [int(width * (i + 1)) for i in range(total)]
        self._owners = [ordered[i % len(ordered)] for i in range(total)]
        self._points[-1] = size
