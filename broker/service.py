"""A live service: the merged schema turned into bound methods, wrapped actions and event subscriptions.

A dict schema becomes an instance of ``Service``; a class-form schema becomes an instance of that class. Either
way every function of the schema receives the service as its first argument (``this`` in JavaScript).
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .errors import ServiceSchemaError
from .registry import Action, EventSubscription
from .schema import apply_mixins, to_schema
from .signatures import check_call, check_hooks
from .utils import call_maybe_async, clone_structure, ensure_list, to_async

if TYPE_CHECKING:  # pragma: no cover
    import logging

    from .broker import ServiceBroker

__all__ = ["Service", "full_service_name"]

RESERVED_METHOD_NAMES = frozenset(
    {
        "name", "version", "settings", "metadata", "dependencies", "schema", "broker", "actions", "logger",
        "created", "started", "stopped", "full_name", "original_schema", "action_definitions",
        "event_subscriptions", "wait_for_services", "_start", "_stop", "_init", "apply_mixins",
        "_started_handlers", "_stopped_handlers",
    }
)  # fmt: skip


def full_service_name(name: str, version: Any = None, settings: dict[str, Any] | None = None) -> str:
    """``v2.posts`` for a numeric version, ``staging.posts`` for a string one, ``posts`` without a version."""
    if version is None or (settings or {}).get("$noVersionPrefix"):
        return name
    if isinstance(version, int | float) and not isinstance(version, bool):
        return f"v{version}.{name}"
    return f"{version}.{name}"


class ServiceActions:
    """``self.actions.<name>(params, **opts)``: call this service's own actions directly, private ones included."""

    __slots__ = ("_service",)

    def __init__(self, service: Service) -> None:
        self._service = service

    def __getitem__(self, raw_name: str) -> Callable[..., Any]:
        act = self._service.action_definitions.get(raw_name)
        if act is None:
            raise KeyError(raw_name)
        broker = self._service.broker

        async def invoke(params: Any = None, **options: Any) -> Any:
            return await broker.call_action(act, params, **options)

        return invoke

    def __getattr__(self, raw_name: str) -> Callable[..., Any]:
        try:
            return self[raw_name]
        except KeyError:
            raise AttributeError(f"Service '{self._service.full_name}' has no action '{raw_name}'") from None

    def __contains__(self, raw_name: object) -> bool:
        return raw_name in self._service.action_definitions

    def __iter__(self) -> Iterator[str]:
        return iter(self._service.action_definitions)


class Service:
    """Base class of class-form services, and the type of every live service."""

    __moleculer_base__ = True

    name: str
    version: Any
    full_name: str
    settings: dict[str, Any]
    metadata: dict[str, Any]
    dependencies: list[Any]
    schema: dict[str, Any]
    broker: ServiceBroker
    logger: logging.Logger

    def __init__(self, broker: ServiceBroker, schema: Any = None) -> None:
        """Build the service from ``schema`` (a dict, or ``None`` to use this class's own definition)."""
        self.broker = broker
        raw = clone_structure(to_schema(type(self) if schema is None else schema))
        self.original_schema = raw
        merged = apply_mixins(raw, type(self))
        for handler in ensure_list(merged.get("merged")):
            check_call(str(merged.get("name")), "'merged' lifecycle handler", handler, ("schema",))
            handler(self, merged)
        broker.middlewares.call_sync("service_creating", self, merged)
        self._set_fields(merged)
        self._create_methods(merged.get("methods") or {})
        check_hooks(self.full_name, merged.get("hooks"), self._method_named)
        for kind in ("created", "started", "stopped"):
            for handler in ensure_list(merged.get(kind)):
                check_call(self.full_name, f"'{kind}' lifecycle handler", handler, ())
        self.actions = ServiceActions(self)
        self.action_definitions: dict[str, Action] = {}
        for key, definition in (merged.get("actions") or {}).items():
            if definition is not False and definition is not None:
                self._create_action(key, definition)
        self.event_subscriptions: list[EventSubscription] = [
            self._create_event(key, definition) for key, definition in (merged.get("events") or {}).items()
        ]
        self._started_handlers = [to_async(fn) for fn in ensure_list(merged.get("started"))]
        self._stopped_handlers = [to_async(fn) for fn in ensure_list(merged.get("stopped"))]
        created = ensure_list(merged.get("created"))
        if any(inspect.iscoroutinefunction(handler) for handler in created):
            raise self._async_created_error()
        for handler in created:
            result = handler(self)
            if inspect.isawaitable(result):  # a sync function returning a coroutine: never awaited, refuse it
                if inspect.iscoroutine(result):
                    result.close()
                raise self._async_created_error()

    def _async_created_error(self) -> ServiceSchemaError:
        return ServiceSchemaError(
            f"The 'created' handler of '{self.full_name}' must be synchronous; do async work in 'started'.",
            {"service": self.full_name},
        )

    def _set_fields(self, schema: dict[str, Any]) -> None:
        name = schema.get("name")
        if not name or not isinstance(name, str):
            raise ServiceSchemaError(
                "Service name can't be empty! Maybe it is not a valid Service schema.", {"schema": schema}
            )
        self.name = name
        self.version = schema.get("version")
        self.settings = schema.get("settings") or {}
        self.metadata = schema.get("metadata") or {}
        self.dependencies = ensure_list(schema.get("dependencies"))
        self.schema = schema
        self.full_name = full_service_name(name, self.version, self.settings)
        self.logger = self.broker.get_logger(self.full_name)

    def _create_methods(self, methods: dict[str, Any]) -> None:
        for method_name, method in methods.items():
            if method_name in RESERVED_METHOD_NAMES or method_name.startswith("merge_schema"):
                raise ServiceSchemaError(
                    f"Invalid method name '{method_name}' in '{self.name}' service!", {"method": method_name}
                )
            func = method.get("handler") if isinstance(method, dict) else method
            if not callable(func):
                raise ServiceSchemaError(f"Method '{method_name}' of '{self.name}' service is not callable!")
            check_call(self.full_name, f"method '{method_name}'", func, (), partial=True)
            setattr(self, method_name, types.MethodType(func, self))

    def _create_action(self, key: str, value: Any) -> None:
        definition = {"handler": value} if callable(value) else dict(value) if isinstance(value, dict) else {}
        handler = definition.get("handler")
        if not callable(handler):
            raise ServiceSchemaError(
                f"Missing action handler on '{key}' action in '{self.name}' service!", {"action": key}
            )
        check_call(self.full_name, f"handler of action '{key}'", handler, ("ctx",))
        check_hooks(self.full_name, definition.get("hooks"), self._method_named, f" of action '{key}'", keyed=False)
        raw_name = definition.get("name") or key
        if "cache" not in definition and "$cache" in self.settings:
            definition["cache"] = self.settings["$cache"]
        full = raw_name if self.settings.get("$noServiceNamePrefix") else f"{self.full_name}.{raw_name}"
        act = Action(full, raw_name, self, definition)
        bound = to_async(types.MethodType(handler, self))
        act.handler = self.broker.middlewares.wrap("local_action", bound, act)
        self.action_definitions[raw_name] = act

    def _create_event(self, key: str, value: Any) -> EventSubscription:
        definition = {"handler": value} if callable(value) or isinstance(value, list) else dict(value or {})
        functions = ensure_list(definition.get("handler"))
        if not functions or not all(callable(fn) for fn in functions):
            raise ServiceSchemaError(
                f"Missing event handler on '{key}' event in '{self.name}' service!", {"event": key}
            )
        for fn in functions:
            check_call(self.full_name, f"handler of event '{key}'", fn, ("ctx",))
        handlers = [to_async(types.MethodType(fn, self)) for fn in functions]
        sub = EventSubscription(definition.get("name") or key, definition.get("group") or self.name, self, definition)
        if len(handlers) == 1:
            inner = handlers[0]
        else:

            async def inner(ctx: Any) -> None:
                await asyncio.gather(*(h(ctx) for h in handlers))

        sub.handler = self.broker.middlewares.wrap("local_event", inner, sub)
        return sub

    def _method_named(self, name: str) -> Any:
        method = getattr(self, name, None)
        return method if callable(method) else None

    async def wait_for_services(self, services: Any, timeout: float = 0, interval: float | None = None) -> Any:
        """Wait until the named services are registered (see ``ServiceBroker.wait_for_services``)."""
        return await self.broker.wait_for_services(services, timeout, interval)

    async def _start(self) -> None:
        """Service start: middleware hook, dependencies, ``started`` handlers in order, then registration."""
        broker = self.broker
        await broker.middlewares.call_async("service_starting", self)
        if self.dependencies:
            timeout = self.settings.get("$dependencyTimeout", broker.dependency_timeout)
            interval = self.settings.get("$dependencyInterval", broker.dependency_interval)
            await broker.wait_for_services(self.dependencies, timeout, interval)
        for handler in self._started_handlers:
            await handler(self)
        broker.register_local_service(self)
        await broker.middlewares.call_async("service_started", self)

    async def _stop(self) -> None:
        """Service stop: ``stopped`` handlers in reverse merge order; errors are logged, never raised."""
        broker = self.broker
        await broker.middlewares.call_async("service_stopping", self, reverse=True)
        for handler in reversed(self._stopped_handlers):
            try:
                await call_maybe_async(handler, self)
            except Exception:
                self.logger.exception("Unable to stop '%s' service.", self.full_name)
        await broker.middlewares.call_async("service_stopped", self, reverse=True)

    def __repr__(self) -> str:
        return f"<Service {getattr(self, 'full_name', '?')}>"

