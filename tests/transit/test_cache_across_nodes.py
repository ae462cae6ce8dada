"""The cache-clean broadcast a DbMixin service sends after a write reaches every node.

As in moleculer-db, the mixin only sends ``cache.clean.<fullName>``; the service subscribes to it (the caching
docs' pattern) to clean its cached results on every node.
"""

from __future__ import annotations

from typing import Any

from broker.cache_keys import MISSING
from dbmixin import DbMixin

from .conftest import settle


async def test_a_write_on_one_node_cleans_the_cache_of_every_node(cluster: Any) -> None:
    async def clean(self: Any, ctx: Any) -> None:
        await self.broker.cacher.clean(f"{self.full_name}.**")

    posts = {"name": "posts", "mixins": [DbMixin], "events": {"cache.clean.posts": clean}}
    a = await cluster("a", posts, cacher="Memory")
    b = await cluster("b", posts, cacher="Memory")
    await settle()
    await b.cacher.set("posts.find:stale", [1])
    await b.cacher.set("users.find:x", [2])
    await a.call("posts.create", {"title": "new"})
    await settle()
    assert await b.cacher.get("posts.find:stale") is MISSING
    assert await b.cacher.get("users.find:x") == [2]
