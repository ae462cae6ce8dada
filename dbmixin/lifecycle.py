"""The mixin's lifecycle and write plumbing: adapter set-up, connection, entity hooks, validation, cache cleaning.

Entity hooks are looked up first as top-level schema keys (moleculer-db's place: ``before_entity_create``,
``entity_created``, ``after_connected``, ...) and then as methods, which is where a class-form service has them.

User code's errors come out typed: a hook raising a ``MoleculerError`` passes it through (a hook may refuse a
write with a 403, say); any other exception becomes a 500 ``ENTITY_HOOK_ERROR`` whose message and
``data["hook"]`` name the hook (moleculer-db let the raw error through). Validator errors: ``dbmixin.validation``.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable
from typing import Any

from adapters import IndexSpec, MemoryAdapter, parse_indexes
from broker import call_maybe_async, full_service_name
from broker.errors import MoleculerError, MoleculerServerError, ServiceSchemaError, ValidationError

from .read import Visibility
from .settings import CLEAN_EVENT_METHODS, check_settings
from .validation import compile_entity_validator

__all__ = ["LIFECYCLE_METHODS", "created", "merged", "started", "stopped"]


def merged(self: Any, schema: dict[str, Any]) -> None:
    """Subscribe the service to its own ``cache.clean.<fullName>`` event (unless the schema handles it already), so
    the clean a write sends reaches the cacher of every node that runs the service (moleculer-db leaves that
    subscription to the user). A node without a cacher has nothing to clean: it does not subscribe (nor get the
    packets)."""
    if getattr(self.broker, "cacher", None) is None:
        return
    settings = schema.get("settings") or {}
    full_name = full_service_name(str(schema.get("name", "")), schema.get("version"), settings)
    event = f"cache.clean.{full_name}"
    events = dict(schema.get("events") or {})
    handled = any(key == event or (isinstance(d, dict) and d.get("name") == event) for key, d in events.items())
    if not handled:
        events[event] = clean_own_cache
        schema["events"] = events


async def clean_own_cache(self: Any, ctx: Any) -> None:
    """``cache.clean.<fullName>`` from any node: drop this service's cached results from the local cacher."""
    cacher = self.broker.cacher
    if cacher is not None:
        await cacher.clean(f"{self.full_name}.**")


def created(self: Any) -> None:
    """Check and normalise the settings (``dbmixin.settings``), attach the adapter (a fresh ``MemoryAdapter`` when
    none is given), compile the entity validator. Any setting of the wrong shape is a ``ServiceSchemaError``."""
    settings = self.settings
    check_settings(self.full_name, settings, self.schema)
    adapter = self.schema.get("adapter")
    self.adapter = MemoryAdapter() if adapter is None else adapter
    _index_storage_names(settings, getattr(self.adapter, "id_key", "_id"))
    self.adapter.init(self.full_name, settings, self.schema)
    self._entity_check = compile_entity_validator(self, settings.get("entityValidator"))
    self._entity_check_partial = None
    self._visibility = Visibility(settings)


def _index_storage_names(settings: dict[str, Any], id_key: str) -> None:
    """``settings.indexes`` name public fields: the public id name (``idField``) becomes the storage key, as in
    ``query`` and ``sort`` (an index on ``uid``, a field no stored entity has, made every second insert a 409)."""
    id_field = settings.get("idField", "_id")
    if settings.get("indexes") is None or id_field == id_key:
        return

    def storage(path: str) -> str:
        head, dot, rest = path.partition(".")
        return id_key + dot + rest if head == id_field else path

    settings["indexes"] = [
        IndexSpec(tuple(storage(f) for f in spec.fields), spec.unique, spec.name)
        for spec in parse_indexes(settings["indexes"], ServiceSchemaError)
    ]


async def validate_entity(self: Any, entity: Any, partial: bool = False) -> Any:
    """Check one entity or a list (all before any write); returns them as validated (defaults, conversions).

    ``partial`` makes every top-level field optional (dict and pydantic validators); the mixin's own writes always
    validate whole entities (``update`` validates the entity as it will be after the change).
    """
    check = getattr(self, "_entity_check", None)
    if check is None:
        return entity
    if partial:
        if self._entity_check_partial is None:
            self._entity_check_partial = compile_entity_validator(self, self.settings.get("entityValidator"), True)
        check = self._entity_check_partial
    if isinstance(entity, list):
        out = []
        for i, item in enumerate(entity):
            try:
                out.append(await check(item))
            except ValidationError as err:  # name the entity: entities.<i>.<field>
                data = [{**e, "field": ".".join(f for f in (f"entities.{i}", e.get("field")) if f)}
                        if isinstance(e, dict) else e for e in (err.data or [])]  # fmt: skip
                raise ValidationError(err.message, data=data) from None
        return out
    return await check(entity)


async def call_hook(self: Any, name: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run user code ``fn`` (an entity hook, a populate handler): a ``MoleculerError`` passes through, any other
    exception becomes a 500 ``ENTITY_HOOK_ERROR`` whose message and ``data.hook`` name the hook."""
    try:
        return await call_maybe_async(fn, *args)
    except MoleculerError:
        raise
    except Exception as exc:
        raise MoleculerServerError(
            f"The '{name}' hook of '{self.full_name}' failed: {type(exc).__name__}: {exc}",
            500,
            "ENTITY_HOOK_ERROR",
            {"hook": name, "service": self.full_name},
        ) from exc


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
    result = await call_hook(self, f"before_entity_{kind}", hook, entity, ctx)
    return entity if result is None else result


async def entity_changed(self: Any, kind: str, json: Any, ctx: Any, raw: Any = None) -> None:
    """After a write: clean the cache, then run ``entity_<kind>(json, ctx, raw)``."""
    await self.clear_cache()
    hook = _hook(self, f"entity_{kind}")
    if hook is not None:
        await call_hook(self, f"entity_{kind}", hook, json, ctx, raw)


async def clear_cache(self: Any) -> None:
    """Tell the other instances (``cache.clean.<fullName>`` event, which ``clean_own_cache`` handles on every node)
    and clean this service's cached results here at once."""
    method = CLEAN_EVENT_METHODS[self.settings.get("cacheCleanEventType", "broadcast")]
    await getattr(self.broker, method)(f"cache.clean.{self.full_name}")
    cacher = self.broker.cacher
    if cacher is not None:
        await cacher.clean(f"{self.full_name}.**")


async def connect(self: Any) -> None:
    """Connect the adapter, then run ``after_connected``."""
    await self.adapter.connect()
    hook = _hook(self, "after_connected")
    if hook is not None:
        await call_hook(self, "after_connected", hook)


async def disconnect(self: Any) -> None:
    await self.adapter.disconnect()


async def started(self: Any) -> None:
    """Connect, retrying ``connect_retries`` times (default 5) ``connect_retry_delay`` ms apart.

    moleculer-db retried forever, so a wrong URL hung ``broker.start()``; here the last failure is raised as a
    ``MoleculerServerError`` that names the service.
    """
    attempts = self.schema.get("connect_retries", 5)
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
