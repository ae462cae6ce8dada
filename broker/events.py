"""Event delivery: ``emit`` picks one subscriber per group, ``broadcast`` reaches them all.

Fire and forget, as in Moleculer: ``emit``/``broadcast`` pick their subscribers and start delivering *when called*;
the awaitable they return only reports completion (``True``, or the first handler error with ``throw_error=True``).
So the JavaScript habit ``ctx.emit("order.created", data)`` without ``await`` delivers the event. Deliveries run
eagerly: the first step runs in the call, and only a delivery that suspends becomes a task the bus keeps
(``pending``) until it finishes; ``ServiceBroker.stop`` waits for them (``drain``), so an
event emitted just before ``stop`` is not dropped.

A failing handler is logged on its service's logger and never breaks the emitter (``throw_error=True`` makes
``broadcast`` re-raise it, as Moleculer 0.15's option does). A delivery error nobody retrieves is never reported
as "Task exception was never retrieved": handler errors were logged already; any other error is logged here.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

from .context import Context
from .utils import Done

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker
    from .registry import Endpoint

__all__ = ["EventBus"]

_TRUE: Done[bool] = Done(True)
_LOGGED = "_broker_logged"  # set on a handler error once it is logged, so it is not logged twice


class EventBus:
    """Routes events to the registry's subscriptions and keeps the deliveries under way."""

    def __init__(self, broker: ServiceBroker) -> None:
        self.broker = broker
        self.pending: set[asyncio.Future[Any]] = set()
        self.listeners: dict[str, list[Callable[[Any], Any]]] = {}

    def emit(self, event_name: str, payload: Any = None, groups: Any = None, **options: Any) -> Awaitable[bool]:
        """One handler per group, chosen now. As in Moleculer 0.15, local handler errors never reject an emit."""
        options.pop("throw_error", None)
        groups = _groups(groups)
        targets = [
            lst.next()
            for lst in self.broker.registry.event_lists(event_name)
            if lst.endpoints and (groups is None or lst.group in groups)
        ]
        if self.broker.transit is not None:
            targets = self._send_remote(targets, event_name, payload, groups, False, options)
        if not targets:
            return _TRUE
        return self.start(self._deliver(targets, "emit", event_name, payload, groups, options))

    def broadcast(self, event_name: str, payload: Any = None, groups: Any = None, **options: Any) -> Awaitable[bool]:
        """Every handler, chosen now; ``throw_error=True`` re-raises the first handler error after all have run."""
        groups = _groups(groups)
        targets = [
            endpoint
            for lst in self.broker.registry.event_lists(event_name)
            if groups is None or lst.group in groups
            for endpoint in lst.endpoints
        ]
        if self.broker.transit is not None:
            targets = self._send_remote(targets, event_name, payload, groups, True, options)
        if not targets:
            return _TRUE
        return self.start(self._deliver(targets, "broadcast", event_name, payload, groups, options))

    def broadcast_local(
        self, event_name: str, payload: Any = None, groups: Any = None, **options: Any
    ) -> Awaitable[bool]:
        """Every handler of this node, chosen now (never sent to other nodes)."""
        return self.deliver_local(event_name, payload, _groups(groups), True, options)

    def deliver_local(
        self, event_name: str, payload: Any, groups: list[str] | None, broadcast: bool, options: dict[str, Any]
    ) -> Awaitable[bool]:
        """Deliver to this node's subscribers only: all of them (``broadcast``) or one per group (an emit, as an
        EVENT packet from another node asks)."""
        targets: list[Endpoint] = []
        for lst in self.broker.registry.event_lists(event_name):
            if groups is not None and lst.group not in groups:
                continue
            local = lst.local_endpoints()
            if not local:
                continue
            if broadcast:
                targets.extend(local)
            else:
                targets.append(local[0] if len(local) == 1 else lst.strategy.select(local))
        if not targets:
            return _TRUE
        event_type = "broadcast" if broadcast else "emit"
        return self.start(self._deliver(targets, event_type, event_name, payload, groups, options))

    def _send_remote(
        self,
        targets: list[Endpoint],
        event_name: str,
        payload: Any,
        groups: list[str] | None,
        broadcast: bool,
        options: dict[str, Any],
    ) -> list[Endpoint]:
        """Send one EVENT per remote node among ``targets`` (``$`` events stay local); gives the local targets."""
        if event_name.startswith("$"):
            return [ep for ep in targets if ep.local]
        local: list[Endpoint] = []
        per_node: dict[str, list[str]] = {}
        for endpoint in targets:
            if endpoint.local:
                local.append(endpoint)
            else:
                node_groups = per_node.setdefault(endpoint.node_id, [])
                if endpoint.action.group not in node_groups:
                    node_groups.append(endpoint.action.group)
        transit = self.broker.transit
        if transit is not None and transit.disable_balancer and not broadcast and per_node:
            remote_groups = sorted({group for node_groups in per_node.values() for group in node_groups})
            first = next(iter(per_node))
            self.start(transit.calls.send_event(first, event_name, payload, remote_groups, False, dict(options)))
            return local
        if transit is not None:
            for node_id, node_groups in per_node.items():
                sent_groups = groups if broadcast else node_groups
                work = transit.calls.send_event(node_id, event_name, payload, sent_groups, broadcast, dict(options))
                self.start(work)
        return local

    def eager(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """``method`` made to start at once: a coroutine it returns is started (``start``). The broker wraps its
        middleware-wrapped ``emit``/``broadcast`` with it, so they stay fire and forget."""

        def started(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            return self.start(result) if asyncio.iscoroutine(result) else result

        started.__wrapped__ = method  # type: ignore[attr-defined]
        return started

    def on_local(self, event_name: str, listener: Callable[[Any], Any]) -> None:
        """Call ``listener(payload)`` on every ``fire_local`` of ``event_name`` (Moleculer's ``localBus.on``), for
        broker parts that are not services (the memory cachers). A coroutine it returns is started; its errors are
        logged."""
        self.listeners.setdefault(event_name, []).append(listener)

    def fire_local(self, event_name: str, payload: Any) -> None:
        """Broadcast an internal event from synchronous code, without waiting for its handlers."""
        for listener in self.listeners.get(event_name, ()):
            try:
                result = listener(payload)
                if asyncio.iscoroutine(result):
                    self.start(result)
            except Exception:
                self.broker.logger.exception("Error in a '%s' listener.", event_name)
        if not self.broker.registry.event_lists(event_name):
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self.broadcast(event_name, payload)

    def start(self, work: Coroutine[Any, Any, Any]) -> Awaitable[Any]:
        """Start ``work`` now and return an awaitable of its result.

        Like Python 3.12's eager tasks (and a JavaScript async function), the first step runs at once, in a copy
        of the caller's context: a delivery whose handlers never suspend is finished when ``start`` returns (a
        ``Done``, no task, no loop turn). One that suspends continues as a task kept in ``pending`` until it
        ends. Its error is retrieved (and logged unless a handler's logger already has it), so it is never
        "Task exception was never retrieved". Outside a running event loop ``work`` itself is returned.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return work
        context = contextvars.copy_context()
        try:
            yielded = context.run(work.send, None)
        except StopIteration as stop:
            return _TRUE if stop.value is True else Done(stop.value)
        except Exception as err:  # handed to the caller through a finished future, and logged if unseen
            failed: asyncio.Future[Any] = loop.create_future()
            failed.set_exception(err)
            self._settled(failed)
            return failed
        task = loop.create_task(_resume(work, yielded), context=context)
        self.pending.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: asyncio.Future[Any]) -> None:
        self.pending.discard(task)
        if task.cancelled():
            return
        err = task.exception()  # retrieved: never "Task exception was never retrieved"
        if err is not None and not getattr(err, _LOGGED, False):
            self.broker.logger.error("Error while delivering an event.", exc_info=err)

    async def drain(self, timeout: float) -> None:
        """Wait until no delivery is under way (deliveries may start others), at most ``timeout`` ms; deliveries
        still running then are cancelled, with a warning (and given up to one more second to unwind)."""
        deadline = time.monotonic() + max(timeout, 0) / 1000
        while self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await asyncio.wait(list(self.pending), timeout=left)
        if self.pending:
            self.broker.logger.warning(
                "%d event deliveries still running after %s ms: cancelled.", len(self.pending), timeout
            )
            left_over = list(self.pending)
            for task in left_over:
                task.cancel()
            await asyncio.wait(left_over, timeout=1)  # let them see the cancellation (bounded: they may ignore it)

    async def _deliver(
        self,
        targets: list[Endpoint],
        event_type: str,
        event_name: str,
        payload: Any,
        groups: list[str] | None,
        options: dict[str, Any],
    ) -> bool:
        throw_error = options.pop("throw_error", False)
        if len(targets) == 1:
            try:
                await self._call(targets[0], event_type, event_name, payload, groups, options)
            except Exception:
                if throw_error:
                    raise
            return True
        calls = [self._call(ep, event_type, event_name, payload, groups, options) for ep in targets]
        results = await asyncio.gather(*calls, return_exceptions=True)
        if throw_error:
            for result in results:
                if isinstance(result, Exception):
                    raise result
        return True

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
        except Exception as err:
            endpoint.service.logger.exception(
                "Error in the '%s' event handler of '%s' service.", event_name, endpoint.service.full_name
            )
            try:
                setattr(err, _LOGGED, True)
            except AttributeError:  # pragma: no cover - exceptions with __slots__ only
                pass
            raise
        finally:
            if parent is not None and ctx.meta is not parent.meta:
                parent.meta.update(ctx.meta)


async def _resume(work: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    """Continue a coroutine whose first step already ran and yielded ``yielded`` (see ``EventBus.start``)."""
    return await _delegate(work, yielded)


@types.coroutine
def _delegate(work: Coroutine[Any, Any, Any], yielded: Any) -> Generator[Any, Any, Any]:
    """``yield from work``, resumed after its first step: what the task sends or throws goes to ``work``."""
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:  # cancellation and the like: ``work`` decides, as under ``yield from``
            try:
                yielded = work.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            yielded = work.send(sent)
        except StopIteration as stop:
            return stop.value


def _groups(groups: Any) -> list[str] | None:
    if groups is None:
        return None
    return [groups] if isinstance(groups, str) else list(groups)
