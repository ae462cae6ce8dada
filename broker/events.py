"""Event delivery: ``emit`` picks one subscriber per group, ``broadcast`` reaches them all.

A failing handler is logged on its service's logger and never breaks the emitter (``throw_error=True`` makes
``broadcast`` re-raise it, as Moleculer 0.15's option does). Internal ``$`` events are fired from synchronous
code (registration, start, stop) as background tasks that the bus keeps a reference to.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .context import Context

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker
    from .registry import Endpoint

__all__ = ["EventBus"]


class EventBus:
    """Routes events to the registry's subscriptions."""

    def __init__(self, broker: ServiceBroker) -> None:
        self.broker = broker
        self._background: set[asyncio.Task[Any]] = set()

    async def emit(self, event_name: str, payload: Any = None, groups: Any = None, **options: Any) -> bool:
        """One handler per group. As in Moleculer 0.15, local handler errors never reject an emit."""
        options.pop("throw_error", None)
        groups = _groups(groups)
        targets = [
            lst.next()
            for lst in self.broker.registry.event_lists(event_name)
            if lst.endpoints and (groups is None or lst.group in groups)
        ]
        await self._deliver(targets, "emit", event_name, payload, groups, options)
        return True

    async def broadcast(self, event_name: str, payload: Any = None, groups: Any = None, **options: Any) -> bool:
        """Every handler; ``throw_error=True`` re-raises the first handler error after all have run."""
        groups = _groups(groups)
        targets = [
            endpoint
            for lst in self.broker.registry.event_lists(event_name)
            if groups is None or lst.group in groups
            for endpoint in lst.endpoints
        ]
        await self._deliver(targets, "broadcast", event_name, payload, groups, options)
        return True

    def fire_local(self, event_name: str, payload: Any) -> None:
        """Broadcast an internal event from synchronous code, without waiting for its handlers."""
        if not self.broker.registry.event_lists(event_name):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.broadcast(event_name, payload))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _deliver(
        self,
        targets: list[Endpoint],
        event_type: str,
        event_name: str,
        payload: Any,
        groups: list[str] | None,
        options: dict[str, Any],
    ) -> None:
        if not targets:
            return
        throw_error = options.pop("throw_error", False)
        calls = [self._call(ep, event_type, event_name, payload, groups, options) for ep in targets]
        if len(calls) == 1:
            results: list[Any] = [await _capture(calls[0])]
        else:
            results = await asyncio.gather(*calls, return_exceptions=True)
        errors = [r for r in results if isinstance(r, Exception)]
        if errors and throw_error:
            raise errors[0]

    async def _call(
        self,
        endpoint: Endpoint,
        event_type: str,
        event_name: str,
        payload: Any,
        groups: list[str] | None,
        options: dict[str, Any],
    ) -> None:
        parent = options.get("parent_ctx")
        ctx = Context.create(self.broker, None, payload, options.get("meta"), parent, options)
        ctx.endpoint = endpoint
        ctx.event = endpoint.action
        ctx.service = endpoint.service
        ctx.event_name = event_name
        ctx.event_type = event_type
        ctx.event_groups = groups
        try:
            await endpoint.handler(ctx)
        except Exception:
            endpoint.service.logger.exception(
                "Error in the '%s' event handler of '%s' service.", event_name, endpoint.service.full_name
            )
            raise
        finally:
            if parent is not None and ctx.meta is not parent.meta:
                parent.meta.update(ctx.meta)


async def _capture(coro: Any) -> Any:
    try:
        return await coro
    except Exception as err:
        return err


def _groups(groups: Any) -> list[str] | None:
    if groups is None:
        return None
    return [groups] if isinstance(groups, str) else list(groups)
