"""Keeping cached reads fresh when a service runs on several nodes.

After a write, DbMixin cleans the writer's cache and broadcasts ``cache.clean.<service>``; as in moleculer-db, each
instance must subscribe to it to clean its own cache. ``cache_cleaning(name)`` is that subscription, mixed into the
shop's ``user``, ``product`` and ``order`` services: with each node's memory cacher, a product updated through one
node is never read stale from another. (A shared Redis cacher is cleaned by the writer already; the extra clean is
harmless.)
"""

from __future__ import annotations

from typing import Any

__all__ = ["cache_cleaning"]


async def _clean(self: Any, ctx: Any) -> None:
    cacher = self.broker.cacher
    if cacher is not None:
        await cacher.clean(f"{self.full_name}.**")


def cache_cleaning(name: str) -> dict[str, Any]:
    """A mixin for the service ``name``: clean its cached results when any instance wrote (``cache.clean.<name>``)."""
    return {"events": {f"cache.clean.{name}": _clean}}
