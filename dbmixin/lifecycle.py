"""The mixin's lifecycle and write plumbing: adapter set-up, connection, entity hooks, validation, cache cleaning.

Entity hooks are looked up first as top-level schema keys (moleculer-db's place: ``before_entity_create``,
``entity_created``, ``after_connected``, ...) and then as methods, which is where a class-form service has them.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable
from typing import Any

from adapters import MemoryAdapter
from broker.errors import MoleculerServerError, ServiceSchemaError, ValidationError
from broker.utils import call_maybe_async

__all__ = ["LIFECYCLE_METHODS", "created", "started", "stopped"]

_CLEAN_EVENT_METHODS = {"broadcast": "broadcast", "emit": "emit", "broadcastLocal": "broadcast_local"}


def created(self: Any) -> None:
    """Normalise settings, attach the adapter (a fresh ``MemoryAdapter`` when none is given), compile validators."""
    settings = self.settings
    for key in ("fields", "excludeFields"):
        if isinstance(settings.get(key), str):
            settings[key] = settings[key].split()
    if settings.get("fields") == []:
        raise ServiceSchemaError(f"settings.fields of '{self.full_name}' is empty: no field could ever be returned.")
    if settings.get("cacheCleanEventType", "broadcast") not in _CLEAN_EVENT_METHODS:
        raise ServiceSchemaError(
            f"settings.cacheCleanEventType must be one of {sorted(_CLEAN_EVENT_METHODS)}.",
            {"cacheCleanEventType": settings.get("cacheCleanEventType")},
        )
    self.adapter = self.schema.get("adapter") or MemoryAdapter()
    self.adapter.init(self.full_name, settings, self.schema)
    self._entity_checks = _compile_entity_validator(self, settings.get("entityValidator"))


def _compile_entity_validator(self: Any, rule: Any) -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """``(full_check, partial_check)`` for a pydantic model, a params-style dict or a function."""
    if rule is None:
        return None
    if inspect.isfunction(rule) or inspect.ismethod(rule):
        positional = [
            p for p in inspect.signature(rule).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]  # fmt: skip
        fn = types.MethodType(rule, self) if len(positional) >= 2 else rule

        async def check(entity: Any) -> Any:
            if await call_maybe_async(fn, entity) is False:
                raise ValidationError("Entity validation error!", data=[])
            return entity

        return check, check
    validator = self.broker.validator
    if validator is None:
        from broker.validation import Validator

        validator = Validator()
    full, partial = validator.compile(rule), validator.compile(rule, partial=True)

    def wrap(compiled: Callable[[Any], Any]) -> Callable[..., Any]:
        async def check(entity: Any) -> Any:
            try:
                return compiled(entity)
            except ValidationError as err:
                raise ValidationError("Entity validation error!", data=err.data) from None

        return check

    return wrap(full), wrap(partial)


async def validate_entity(self: Any, entity: Any, partial: bool = False) -> Any:
    """Check one entity or a list (all before any write); returns them as validated (defaults, conversions)."""
    checks = getattr(self, "_entity_checks", None)
    if checks is None:
        return entity
    check = checks[1] if partial else checks[0]
    if isinstance(entity, list):
        return [await check(item) for item in entity]
    return await check(entity)


def _hook(self: Any, name: str) -> Callable[..., Any] | None:
    fn = self.schema.get(name)
    if callable(fn):
        return types.MethodType(fn, self)
    method = getattr(self, name, None)
    return method if callable(method) else None


async def before_entity_change(self: Any, kind: str, entity: Any, ctx: Any) -> Any:
    """Run ``before_entity_<kind>``; its return value replaces the entity (``None`` keeps it unchanged)."""
    hook = _hook(self, f"before_entity_{kind}")
    if hook is None:
        return entity
    result = await call_maybe_async(hook, entity, ctx)
    return entity if result is None else result


async def entity_changed(self: Any, kind: str, json: Any, ctx: Any, raw: Any = None) -> None:
    """After a write: clean the cache, then run ``entity_<kind>(json, ctx, raw)``."""
    await self.clear_cache()
    hook = _hook(self, f"entity_{kind}")
    if hook is not None:
        await call_maybe_async(hook, json, ctx, raw)


async def clear_cache(self: Any) -> None:
    """Tell the other instances (``cache.clean.<fullName>`` event) and clean this service's cached results."""
    method = _CLEAN_EVENT_METHODS[self.settings.get("cacheCleanEventType", "broadcast")]
    await getattr(self.broker, method)(f"cache.clean.{self.full_name}")
    cacher = self.broker.cacher
    if cacher is not None:
        await cacher.clean(f"{self.full_name}.**")


async def connect(self: Any) -> None:
    """Connect the adapter, then run ``after_connected``."""
    await self.adapter.connect()
    hook = _hook(self, "after_connected")
    if hook is not None:
        await call_maybe_async(hook)


async def disconnect(self: Any) -> None:
    await self.adapter.disconnect()


async def started(self: Any) -> None:
    """Connect, retrying ``connect_retries`` times (default 5) ``connect_retry_delay`` ms apart.

    moleculer-db retried forever, so a wrong URL hung ``broker.start()``; here the last failure is raised as a
    ``MoleculerServerError`` that names the service.
    """
    attempts = max(1, int(self.schema.get("connect_retries", 5)))
    delay = float(self.schema.get("connect_retry_delay", 1000)) / 1000
    for attempt in range(1, attempts + 1):
        try:
            await self.connect()
            return
        except Exception as err:
            self.logger.error("Connection error! (attempt %d of %d): %s", attempt, attempts, err)
            if attempt == attempts:
                raise MoleculerServerError(
                    f"Unable to connect the '{self.full_name}' service to its database: {err}",
                    500,
                    "DB_CONNECTION_ERROR",
                    {"service": self.full_name},
                ) from err
            self.logger.warning("Reconnecting...")
            await asyncio.sleep(delay)


async def stopped(self: Any) -> None:
    await self.disconnect()


LIFECYCLE_METHODS = {
    "validate_entity": validate_entity,
    "before_entity_change": before_entity_change,
    "entity_changed": entity_changed,
    "clear_cache": clear_cache,
    "connect": connect,
    "disconnect": disconnect,
}
