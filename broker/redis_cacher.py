"""The Redis cacher (Moleculer's ``RedisCacher``), over the ``redis`` client's asyncio API (the ``redis`` extra).

Keys: the same keys as the memory cacher (``Cacher.get_cache_key``) behind a prefix: ``prefix + "-"`` when a
``prefix`` option is given, else ``"MOL-"`` plus ``namespace + "-"`` with a broker namespace (``MOL-dev-posts.find:
...``), as Moleculer's. Values are JSON (``null`` is a cached ``None``); ``ttl`` in seconds uses ``SET ... EX``.
The bound is the Redis server's (``maxmemory`` and its eviction policy): nothing is kept in this process.

``clean(pattern)`` has the memory cacher's semantics (``*`` stops at a dot, ``**`` does not): it scans the prefix
with a Redis glob and deletes only the keys the Moleculer wildcard matches. Difference: Moleculer's Redis cacher
hands the pattern to Redis, whose ``*`` crosses dots, so there ``posts.*`` also removes ``posts.find:...``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .cache_keys import MISSING
from .cacher import Cacher
from .serializers import JSONSerializer
from .wildcard import match

__all__ = ["RedisCacher"]


class RedisCacher(Cacher):
    """``RedisCacher(redis="redis://127.0.0.1:6379", prefix=None, ttl=None, ...)``."""

    def __init__(
        self,
        ttl: float | None = None,
        max_params_length: int | None = None,
        clone: Any = False,
        keygen: Any = None,
        *,
        redis: Any = "redis://127.0.0.1:6379",
        prefix: str | None = None,
    ) -> None:
        super().__init__(ttl, max_params_length, clone, keygen)
        self.redis_options = redis
        self.prefix_option = prefix
        self.prefix = f"{prefix}-" if prefix else "MOL-"
        self.client: Any = None
        self.connected = None
        self._json = JSONSerializer()

    def init(self, broker: Any) -> None:
        super().init(broker)
        namespace = getattr(broker, "namespace", "")
        if not self.prefix_option:
            self.prefix = "MOL-" + (f"{namespace}-" if namespace else "")

    async def _connect(self) -> Any:
        if self.client is None:
            from redis import asyncio as aioredis

            options = self.redis_options
            if isinstance(options, str):
                self.client = aioredis.Redis.from_url(options)
            else:
                options = dict(options or {})
                url = options.pop("url", "redis://127.0.0.1:6379")
                self.client = aioredis.Redis.from_url(url, **options)
            self.connected = True
        return self.client

    async def get(self, key: str) -> Any:
        client = await self._connect()
        raw = await client.get(self.prefix + key)
        if raw is None:
            return MISSING
        return json.loads(raw)

    async def set(self, key: str, data: Any, ttl: float | None = None) -> None:
        client = await self._connect()
        if ttl is None:
            ttl = self.ttl
        value = self._json.serialize({"v": data})[5:-1]  # the value's JSON, as the serializer writes it
        if ttl:
            await client.set(self.prefix + key, value, ex=max(1, round(ttl)))
        else:
            await client.set(self.prefix + key, value)

    async def delete(self, key: str | Iterable[str]) -> None:
        keys = [key] if isinstance(key, str) else list(key)
        if keys:
            client = await self._connect()
            await client.delete(*(self.prefix + k for k in keys))

    async def clean(self, pattern: str | Iterable[str] = "**") -> None:
        patterns = [pattern] if isinstance(pattern, str) else list(pattern)
        client = await self._connect()
        for pat in patterns:
            glob = self.prefix + pat.replace("**", "*")
            batch: list[Any] = []
            async for raw in client.scan_iter(match=glob, count=100):
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                if match(name[len(self.prefix) :], pat):
                    batch.append(raw)
                if len(batch) >= 500:
                    await client.delete(*batch)
                    batch = []
            if batch:
                await client.delete(*batch)

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.aclose()
