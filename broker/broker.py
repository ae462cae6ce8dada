"""``ServiceBroker``: creates services, starts and stops them in Moleculer's order, routes calls and events.

Timeouts and delays are in milliseconds, as in Moleculer (they travel in the protocol's ``timeout`` field);
cache TTLs are in seconds, as in Moleculer's cachers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any

from . import loader
from .builtin_middlewares import _normalise_policy, builtin_middlewares
from .context import Context
from .dependencies import check_dependency_cycles
from .dependencies import wait_for_services as _wait_for_services
from .errors import BrokerOptionsError, MoleculerError
from .events import EventBus
from .logger import create_broker_logger
from .middleware import MiddlewareHandler
from .registry import Action, Registry
from .service import Service
from .strategies import resolve_strategy
from .transit import create_transit, ping_nodes
from .utils import ensure_list, generate_node_id

if TYPE_CHECKING:  # pragma: no cover
    from .cacher import Cacher
    from .transit import Transit

__all__ = ["ServiceBroker"]

_NO_FALLBACK = object()

DEFAULT_RETRY_POLICY: dict[str, Any] = {
    "enabled": False,
    "retries": 5,
    "delay": 100,
    "max_delay": 1000,
    "factor": 2,
    "check": lambda err: bool(getattr(err, "retryable", False)),
}


class ServiceBroker:
    """The service broker: ``create_service``, ``start``/``stop``, ``call``, ``emit``, ``broadcast``.

    ``event_drain_timeout`` (ms, not a Moleculer option): how long ``stop`` waits for event deliveries still under
    way (fire-and-forget emits) before it stops the services; deliveries left after it are cancelled.

    Across machines (``docs/transit.md``): ``transporter`` (``"nats://127.0.0.1:4222"``, ``"NATS"``,
    ``{"type": "NATS", "options": {...}}``, ``"Fake"`` or a ``Transporter``), ``serializer`` (``"JSON"``),
    ``protocol_version`` (``"4"`` for Moleculer 0.14 peers, ``"5"`` for 0.15), ``heartbeat_interval`` and
    ``heartbeat_timeout`` (seconds), ``registry`` (``{"strategy": "RoundRobin" | "Random" | "CpuUsage" | "Latency" |
    "Shard", "strategyOptions": {...}, "preferLocal": True, "cleanOfflineNodesTimeout": 600}``) and
    ``disable_balancer`` (NATS queue groups balance instead of this broker). ``internal_services``: the ``$node``
    service (``broker.node_service``); by default only on a broker with a transporter.
    """

    def __init__(
        self,
        namespace: str = "",
        node_id: str | None = None,
        logger: bool | logging.Logger = True,
        log_level: str | int = "info",
        cacher: Any = None,
        validator: Any = True,
        middlewares: Iterable[Any] | None = None,
        request_timeout: float = 0,
        retry_policy: dict[str, Any] | None = None,
        max_call_level: int = 0,
        dependency_interval: float = 1000,
        dependency_timeout: float = 0,
        event_drain_timeout: float = 5000,
        transporter: Any = None,
        serializer: Any = "JSON",
        protocol_version: str = "4",
        heartbeat_interval: float = 10,
        heartbeat_timeout: float = 30,
        registry: dict[str, Any] | None = None,
        disable_balancer: bool = False,
        internal_services: bool | None = None,
        metadata: dict[str, Any] | None = None,
        created: Any = None,
        started: Any = None,
        stopped: Any = None,
    ) -> None:
        self.namespace = namespace
        self.node_id = node_id or generate_node_id()
        self.metadata = {} if metadata is None else metadata
        self.logger = create_broker_logger(self.node_id, logger, log_level)
        self.request_timeout = request_timeout
        self.retry_policy = {**DEFAULT_RETRY_POLICY, **_normalise_policy(retry_policy or {})}
        self.max_call_level = max_call_level
        self.dependency_interval = dependency_interval
        self.dependency_timeout = dependency_timeout
        self.event_drain_timeout = event_drain_timeout
        self.options = {"created": created, "started": started, "stopped": stopped}
        self.validator = _resolve_validator(validator)
        self.events = EventBus(self)
        self.cacher: Cacher | None = None
        if cacher is not None and cacher is not False:
            from .cacher import resolve_cacher

            resolved = resolve_cacher(cacher)
            if resolved is not None:
                resolved.init(self)
            self.cacher = resolved
        registry_options = registry or {}
        self.registry = Registry(
            self.node_id,
            resolve_strategy(registry_options.get("strategy")),
            bool(registry_options.get("prefer_local", registry_options.get("preferLocal", True))),
            registry_options.get("strategyOptions", registry_options.get("strategy_options")),
        )
        self.transit: Transit | None = create_transit(
            self, transporter, serializer, protocol_version, heartbeat_interval, heartbeat_timeout, registry_options,
            disable_balancer,
        )  # fmt: skip
        self.services: list[Service] = []
        self.started = False
        self.stopping = False
        self._starting = False
        self._start_tasks: set[asyncio.Task[Any]] = set()
        self._services_changed = asyncio.Event()
        self.middlewares = MiddlewareHandler(self)
        for middleware in ensure_list(middlewares):
            self.middlewares.add(middleware)
        for middleware in builtin_middlewares(self):
            self.middlewares.add(middleware)
        self.call = self.middlewares.wrap_method("call", self.call)  # type: ignore[method-assign]
        for name in ("emit", "broadcast"):
            raw = getattr(self, name)
            wrapped = self.middlewares.wrap_method(name, raw)
            setattr(self, name, raw if wrapped is raw else self.events.eager(wrapped))
        if internal_services or (internal_services is None and self.transit is not None):
            from .node_service import node_service_schema

            self.create_service(node_service_schema(self))
        self.middlewares.call_sync("created", self)
        if created is not None:
            created(self)

    # -- services -------------------------------------------------------------------------------------------

    def get_logger(self, module: str) -> logging.Logger:
        """The logger of one module or service (a child of the broker's logger)."""
        return self.logger.getChild(module.replace(".", "_"))

    def create_service(self, schema: Any, schema_mods: dict[str, Any] | None = None) -> Service:
        """Create a service from a dict schema or a ``Service`` subclass (started at once if the broker runs)."""
        if schema_mods:
            schema = {"mixins": [schema], **schema_mods}
        service_cls = schema if isinstance(schema, type) and issubclass(schema, Service) else Service
        service = service_cls(self, schema)
        self.services.append(service)
        self.middlewares.call_sync("service_created", service)
        self.logger.debug("Service '%s' is created.", service.full_name)
        if self.started or self._starting:
            self._start_service(service)
        return service

    def _start_service(self, service: Service) -> asyncio.Task[None]:
        """Start one service as a task; its failure is logged here so no exception goes unretrieved."""
        task = asyncio.get_running_loop().create_task(service._start())
        self._start_tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            self._start_tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                self.logger.error("Unable to start '%s' service.", service.full_name, exc_info=task.exception())

        task.add_done_callback(done)
        return task

    def load_service(self, path: str) -> Service:
        """Load one ``*.service.py`` file (see ``broker.loader``)."""
        return self.create_service(loader.load_schema(path))

    def load_services(self, folder: str = "./services", file_mask: str = "**/*.service.py") -> int:
        """Load every service file under ``folder``; returns how many were created."""
        paths = loader.find_service_files(folder, file_mask)
        for path in paths:
            self.load_service(path)
        return len(paths)

    def get_local_service(self, name: str | dict[str, Any], version: Any = None) -> Service | None:
        """A local service by name (and version), or by full name such as ``v2.posts``."""
        if isinstance(name, dict):
            spec: dict[str, Any] = name
            name, version = str(spec.get("name", "")), spec.get("version")
        for service in self.services:
            if version is None and (service.full_name == name or service.name == name):
                return service
            if version is not None and service.name == name and service.version == version:
                return service
        return None

    async def destroy_service(self, service: Service | str) -> None:
        """Stop one service and remove it from the broker."""
        svc = self.get_local_service(service) if isinstance(service, str) else service
        if svc is None:
            return
        self.unregister_local_service(svc)
        await svc._stop()
        self.services.remove(svc)

    def register_local_service(self, service: Service) -> None:
        """Called by a service once its ``started`` handlers finished: from now on it is callable."""
        self.registry.register_service(service)
        self._notify_services_changed()

    def unregister_local_service(self, service: Service) -> None:
        self.registry.unregister_service(service)
        self._notify_services_changed()

    def _notify_services_changed(self, local: bool = True) -> None:
        self._services_changed.set()
        self._services_changed = asyncio.Event()
        if not self.stopping:
            self.events.fire_local("$services.changed", {"localService": local})
        if local and self.transit is not None:
            self.transit.services_changed()

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every service in parallel; raise the first ``started`` failure (the others keep starting)."""
        check_dependency_cycles(self.services)
        self._starting = True
        if self.transit is not None:
            await self.transit.connect()
        await self.middlewares.call_async("starting", self)
        tasks = [self._start_service(service) for service in list(self.services)]
        if tasks:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = [task for task in done if not task.cancelled() and task.exception() is not None]
            if failed:
                self._starting = False
                self.logger.error("Unable to start all services.")
                if self.transit is not None:
                    await self._logged("transit", self.transit.disconnect)
                raise failed[0].exception()  # type: ignore[misc]
        self._starting = False
        self.started = True
        if self.transit is not None:
            await self.transit.ready()
        self.events.fire_local("$broker.started", None)
        await self.middlewares.call_async("started", self)
        if self.options["started"] is not None:
            await _maybe_await(self.options["started"](self))
        self.logger.info("ServiceBroker with %d service(s) started successfully.", len(self.services))

    async def stop(self) -> None:
        """Let pending event deliveries finish, unregister every service, stop them in parallel, close the cacher.

        As in Moleculer, nothing in ``stop`` raises: each failing step is logged and the next one still runs,
        so one broken hook never leaves services running or the cacher open. Unlike Moleculer, events emitted
        (and not awaited) just before ``stop`` are delivered first, for up to ``event_drain_timeout`` ms.
        """
        self.started = False
        for task in list(self._start_tasks):
            task.cancel()
        await self._logged("draining events", lambda: self.events.drain(self.event_drain_timeout))
        for service in list(self.registry.services):
            self.registry.unregister_service(service)
        if self.transit is not None:  # an INFO without services first, so peers stop routing here
            await self._logged("transit info", self.transit.send_info)
        self.stopping = True
        await self._logged("stopping", lambda: self.middlewares.call_async("stopping", self, reverse=True))
        results = await asyncio.gather(*(s._stop() for s in self.services), return_exceptions=True)
        for service, result in zip(self.services, results):
            if isinstance(result, BaseException):
                self.logger.error("Unable to stop '%s' service.", service.full_name, exc_info=result)
        if self.transit is not None:
            await self._logged("transit", self.transit.disconnect)
        if self.cacher is not None:
            await self._logged("cacher", self.cacher.close)
        await self._logged("stopped", lambda: self.middlewares.call_async("stopped", self, reverse=True))
        if self.options["stopped"] is not None:
            await self._logged("stopped option", lambda: self.options["stopped"](self))
        self.events.fire_local("$broker.stopped", None)
        self.stopping = False
        self.logger.info("ServiceBroker is stopped. Good bye.")

    async def _logged(self, step: str, fn: Any) -> None:
        try:
            await _maybe_await(fn())
        except Exception:
            self.logger.exception("Error in the '%s' step of stopping the broker.", step)

    async def __aenter__(self) -> ServiceBroker:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    async def wait_for_services(
        self, services: Any, timeout: float = 0, interval: float | None = None
    ) -> dict[str, Any]:
        """Wait (without polling) until every named service is registered; ``timeout`` in ms, 0 = forever."""
        return await _wait_for_services(self, services, timeout, interval)

    # -- calls and events ----------------------------------------------------------------------------------

    async def call(
        self,
        action_name: str,
        params: Any = None,
        *,
        meta: dict[str, Any] | None = None,
        parent_ctx: Context | None = None,
        node_id: str | None = None,
        **options: Any,
    ) -> Any:
        """Call an action by its full name: ``await broker.call("posts.get", {"id": 5}, meta={...})``."""
        if node_id is not None:
            options["node_id"] = node_id
        ctx = Context.create(self, None, params, meta, parent_ctx, options)
        endpoints = self.registry.actions.get(action_name)
        if endpoints is None or node_id is not None:
            endpoint = self.registry.get_action_endpoint(action_name, node_id, ctx)
        else:
            endpoint = endpoints.next(ctx)  # the strategy may read the call's params and meta (Shard)
        ctx.endpoint, ctx.action, ctx.service = endpoint, endpoint.action, endpoint.service
        return await self._run(ctx, endpoint.action, endpoint.handler, parent_ctx, options)

    async def call_action(self, act: Action, params: Any = None, **options: Any) -> Any:
        """Call a local action object directly (``service.actions.x()``), bypassing the registry."""
        parent_ctx = options.pop("parent_ctx", None)
        ctx = Context.create(self, None, params, options.pop("meta", None), parent_ctx, options)
        ctx.action, ctx.service = act, act.service
        return await self._run(ctx, act, act.handler, parent_ctx, options)

    async def _run(self, ctx: Context, act: Action, handler: Any, parent: Context | None, options: dict) -> Any:
        timeout = options.get("timeout") if options else None
        if timeout is None:  # call option > action ``timeout`` (0 disables it) > broker ``request_timeout``
            timeout = act.definition.get("timeout")
            if timeout is None:
                timeout = self.request_timeout
        if timeout:
            ctx.timeout = timeout  # the Timeout middleware starts the clock
        try:
            return await handler(ctx)
        except Exception as err:
            fallback = options.get("fallback_response", _NO_FALLBACK) if options else _NO_FALLBACK
            if fallback is _NO_FALLBACK:
                if isinstance(err, MoleculerError) and err.node_id is None:
                    err.node_id = self.node_id
                raise
            return await _maybe_await(fallback(ctx, err)) if callable(fallback) else fallback
        finally:
            if parent is not None and ctx.meta is not parent.meta:
                parent.meta.update(ctx.meta)

    def emit(self, event_name: str, payload: Any = None, groups: Any = None, **options: Any) -> Awaitable[bool]:
        """Balanced event: one handler per subscribing group; handler errors are logged, never raised.

        Delivery starts now, whether or not the result is awaited (Moleculer's fire and forget); awaiting it waits
        for the local handlers and gives ``True``.
        """
        return self.events.emit(event_name, payload, groups, **options)

    def broadcast(self, event_name: str, payload: Any = None, groups: Any = None, **options: Any) -> Awaitable[bool]:
        """Deliver an event to every subscriber, starting now (``throw_error=True``: awaiting re-raises the first
        handler error)."""
        return self.events.broadcast(event_name, payload, groups, **options)

    def broadcast_local(
        self, event_name: str, payload: Any = None, groups: Any = None, **options: Any
    ) -> Awaitable[bool]:
        """Broadcast to this node's subscribers only, starting now."""
        return self.events.broadcast_local(event_name, payload, groups, **options)

    async def ping(self, node_id: str | None = None, timeout: float = 2000) -> Any:
        """PING a node: ``{"nodeID", "elapsedTime", "timeDiff"}`` (ms), or ``None`` if no PONG in ``timeout`` ms.
        Without ``node_id``: a dict of every connected node's answer. Without a transporter: ``None`` / ``{}``."""
        return await ping_nodes(self.transit, node_id, timeout)


def _resolve_validator(option: Any) -> Any:
    if option is False or option is None:
        return None
    if option is True:
        from .validation import Validator

        return Validator()
    if hasattr(option, "compile"):
        return option
    raise BrokerOptionsError(f"Invalid validator option: {option!r}", {"validator": repr(option)})


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value
