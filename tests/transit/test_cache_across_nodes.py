"""The cache-clean broadcast a DbMixin service sends after a write reaches every node, and cleans there.

moleculer-db only sends ``cache.clean.<fullName>`` and leaves the subscription to the user; here every DbMixin
service subscribes to its own event, so each node's cacher drops the service's entries (and only those). A schema
that handles the event itself keeps its own handler. (Fake transporter; ``test_cluster_balancing`` does it over
NATS.)
"""

from __future__ import annotations

from typing import Any

from broker.cache_keys import MISSING
from dbmixin import DbMixin

from .conftest import settle


async def test_a_write_on_one_node_cleans_the_cache_of_every_node(cluster: Any) -> None:
    posts = {"name": "posts", "mixins": [DbMixin]}
    a = await cluster("a", posts, cacher="Memory")
    b = await cluster("b", posts, cacher="MemoryLRU")
    await settle()
    for broker in (a, b):
        await broker.cacher.set("posts.find:stale", [1])
        await broker.cacher.set("users.find:x", [2])
        await broker.cacher.set("posts2.find:x", [3])
    await a.call("posts.create", {"title": "new"})
    await settle()
    for broker in (a, b):
        assert await broker.cacher.get("posts.find:stale") is MISSING
        assert await broker.cacher.get("users.find:x") == [2]
        assert await broker.cacher.get("posts2.find:x") == [3]


async def test_a_versioned_service_cleans_its_full_name(cluster: Any) -> None:
    posts = {"name": "posts", "version": 2, "mixins": [DbMixin]}
    a = await cluster("a", posts, cacher="Memory")
    b = await cluster("b", posts, cacher="Memory")
    await settle()
    await b.cacher.set("v2.posts.get:1", {"id": 1})
    await b.cacher.set("posts.get:1", {"id": 1})
    await a.call("v2.posts.create", {"title": "new"})
    await settle()
    assert await b.cacher.get("v2.posts.get:1") is MISSING
    assert await b.cacher.get("posts.get:1") == {"id": 1}


async def test_a_schema_that_handles_its_clean_event_keeps_its_handler(cluster: Any) -> None:
    seen: list[str] = []

    async def mine(self: Any, ctx: Any) -> None:
        seen.append(self.broker.node_id)

    posts = {"name": "posts", "mixins": [DbMixin], "events": {"cache.clean.posts": mine}}
    a = await cluster("a", posts, cacher="Memory")
    b = await cluster("b", posts, cacher="Memory")
    await settle()
    await b.cacher.set("posts.find:kept", [1])
    await a.call("posts.create", {"title": "new"})
    await settle()
    assert sorted(seen) == ["a", "b"]
    assert await b.cacher.get("posts.find:kept") == [1]  # the user's handler replaced the default clean


async def test_a_node_without_a_cacher_does_not_subscribe_nor_get_the_cleans(cluster: Any) -> None:
    posts = {"name": "posts", "mixins": [DbMixin]}
    a = await cluster("a", posts, cacher="Memory")
    b = await cluster("b", posts)  # no cacher: nothing to clean there
    await settle()
    assert "cache.clean.posts" in a.get_local_service("posts").schema["events"]
    assert "cache.clean.posts" not in (b.get_local_service("posts").schema.get("events") or {})
    await a.cacher.set("posts.find:stale", [1])
    await b.call("posts.create", {"title": "written on the node without a cacher"})
    await settle()
    assert await a.cacher.get("posts.find:stale") is MISSING  # the other node still cleans
