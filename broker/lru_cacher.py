"""``MemoryLRU``: the memory cacher with a bound, as Moleculer's ``MemoryLRUCacher`` (``lru-cache``).

At most ``max`` entries (default 1000, as Moleculer's): storing one more evicts the least recently used entry (a
hit counts as a use). ``ttl`` (seconds) works as in ``MemoryCacher``. So the memory a node spends on its cache is
bounded by ``max`` times the size of one cached result, whatever the clients ask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cache_keys import MISSING
from .cacher import KeyGen, MemoryCacher

__all__ = ["MemoryLRUCacher"]


class MemoryLRUCacher(MemoryCacher):
    """``MemoryLRUCacher(max=1000, ttl=None, ...)``; other options as ``MemoryCacher``'s."""

    def __init__(
        self,
        ttl: float | None = None,
        max_params_length: int | None = None,
        clone: bool | Callable[[Any], Any] = False,
        keygen: KeyGen | None = None,
        *,
        max: int = 1000,
        **options: Any,
    ) -> None:
        super().__init__(ttl, max_params_length, clone, keygen, **options)
        if not isinstance(max, int) or isinstance(max, bool) or max < 1:
            raise ValueError(f"MemoryLRU 'max' must be a positive integer, not {max!r}")
        self.max = max

    async def get(self, key: str) -> Any:
        """As ``MemoryCacher.get``; a hit makes the entry the most recently used."""
        value = await super().get(key)
        if value is not MISSING:
            item = self.cache.pop(key)
            self.cache[key] = item
        return value

    async def set(self, key: str, data: Any, ttl: float | None = None) -> None:
        """Store, then evict the least recently used entries beyond ``max``."""
        self.cache.pop(key, None)
        await super().set(key, data, ttl)
        while len(self.cache) > self.max:
            del self.cache[next(iter(self.cache))]
