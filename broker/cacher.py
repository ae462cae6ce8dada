"""Action result caching, ported from Moleculer 0.15 (``src/cachers/base.js``, ``memory.js``).

Cache keys follow Moleculer 0.15's format byte for byte (quoted strings, ``undefined`` for missing values,
``#meta`` and ``@header`` keys, ``maxParamsLength`` hashing), so a Python node and a Node.js node sharing a
Redis cacher later compute the same keys, except where Moleculer's keys collide: ``broker.cache_keys`` escapes
those inputs so distinct params never share a key. ``Cacher`` holds the key generation; backends implement
``get``/``set``/``delete``/``clean``. ``make_cached_handler`` is the cache middleware's ``localAction`` hook.

A miss is reported as the ``MISSING`` sentinel, never ``None``: as in 0.15 (``missingResponse`` = undefined),
an action that returned ``None`` is cached and its ``None`` is a hit.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Final, cast

from .cache_keys import MISSING, default_keygen, hashed_key
from .errors import BrokerOptionsError
from .utils import Done
from .wildcard import match

__all__ = ["MISSING", "Cacher", "KeyGen", "MemoryCacher", "make_cached_handler", "resolve_cacher"]

KeyGen = Callable[[str, Any, Any, "list[str] | tuple[str, ...] | None", Any], str]
Handler = Callable[[Any], Awaitable[Any]]


class Cacher(ABC):
    """Base of every cacher: options, logger and Moleculer 0.15's key generation. Backends add the storage.

    ``clean`` and ``delete`` start their work when called, as Moleculer's do; what they return (an awaitable)
    only reports completion, so ``cacher.clean("posts.**")`` without ``await`` still cleans. A backend may write
    them as ``async def``: the base class turns those into functions that start a task at once.
    """

    connected: bool | None = True

    def __init__(
        self,
        ttl: float | None = None,
        max_params_length: int | None = None,
        clone: bool | Callable[[Any], Any] = False,
        keygen: KeyGen | None = None,
    ) -> None:
        self.ttl = ttl
        self.max_params_length = max_params_length
        self.clone: Callable[[Any], Any] | None = copy.deepcopy if clone is True else (clone or None)
        self.keygen = keygen
        self.broker: Any = None
        self.logger = logging.getLogger("broker.cacher")

    def init(self, broker: Any) -> None:
        """Attach to the broker (its ``cacher`` logger when it has ``get_logger``); ``None`` is tolerated."""
        self.broker = broker
        get_logger = getattr(broker, "get_logger", None)
        if callable(get_logger):
            self.logger = get_logger("cacher")

    @abstractmethod
    async def get(self, key: str) -> Any:
        """The cached value, or ``MISSING`` on a miss (a cached ``None`` is a hit)."""

    @abstractmethod
    async def set(self, key: str, data: Any, ttl: float | None = None) -> None:
        """Store ``data``; ``ttl`` (seconds) overrides the cacher's ttl, a falsy ttl means forever."""

    @abstractmethod
    def delete(self, key: str | Iterable[str]) -> Awaitable[None]:
        """Remove one key or several. Starts at once; awaiting the result waits for the end (see the class)."""

    @abstractmethod
    def clean(self, pattern: str | Iterable[str] = "**") -> Awaitable[None]:
        """Remove every key matching the wildcard pattern(s). Starts at once, ``await`` optional (see the class)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A backend's ``async def clean``/``delete`` is made to start when called, as Moleculer's do: moleculer-db
        (and JavaScript habit) calls ``cacher.clean(...)`` without awaiting it."""
        super().__init_subclass__(**kwargs)
        for name in ("clean", "delete"):
            fn = cls.__dict__.get(name)
            if fn is not None and inspect.iscoroutinefunction(fn):
                setattr(cls, name, _starts_now(fn))

    def _start_now(self, work: Coroutine[Any, Any, Any]) -> Awaitable[Any]:
        """Run ``work`` as a task now: the broker's event bus keeps it (``stop`` waits for it) and logs its error."""
        events = getattr(self.broker, "events", None)
        if events is not None and hasattr(events, "start"):
            return cast("Awaitable[Any]", events.start(work))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return work
        task = loop.create_task(work)
        _BACKGROUND.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: asyncio.Task[Any]) -> None:
        _BACKGROUND.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.logger.error("Cacher operation failed.", exc_info=task.exception())

    async def close(self) -> None:
        """Release resources (timers, connections); nothing to do by default."""
        return None

    def _hashed(self, key: str) -> str:
        """Moleculer ``_hashedKey`` with this cacher's ``max_params_length`` (see ``cache_keys.hashed_key``)."""
        return hashed_key(key, self.max_params_length)

    def default_keygen(
        self,
        action_name: str,
        params: Any,
        meta: Any,
        keys: list[str] | tuple[str, ...] | None = None,
        headers: Any = None,
    ) -> str:
        """Moleculer 0.15 ``defaultKeygen``, byte for byte unless an escape is needed (``broker.cache_keys``)."""
        return default_keygen(action_name, params, meta, keys, headers, self.max_params_length)

    def get_cache_key(
        self,
        action_name: str,
        params: Any,
        meta: Any,
        keys: list[str] | tuple[str, ...] | None = None,
        headers: Any = None,
    ) -> str:
        """The cache key of one call: the cacher's ``keygen`` if set, else ``default_keygen``."""
        if self.keygen is not None:
            return self.keygen(action_name, params, meta, keys, headers)
        return self.default_keygen(action_name, params, meta, keys, headers)


class MemoryCacher(Cacher):
    """In-process cacher (Moleculer ``Memory``): a dict of ``key -> (data, expire)``, keys stored unprefixed.

    Expiry is checked lazily on ``get``; a ``loop.call_later`` sweep (no task) drops expired entries every
    ``sweep_interval`` seconds once a ttl entry exists and stops on ``close``. ``clock`` is injectable.
    Unbounded, as Moleculer's: one entry per distinct key until it expires; ``MemoryLRU`` (``broker.lru_cacher``)
    keeps at most ``max`` entries.
    """

    def __init__(
        self,
        ttl: float | None = None,
        max_params_length: int | None = None,
        clone: bool | Callable[[Any], Any] = False,
        keygen: KeyGen | None = None,
        *,
        sweep_interval: float | None = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(ttl, max_params_length, clone, keygen)
        self.cache: dict[str, tuple[Any, float | None]] = {}
        self.sweep_interval = sweep_interval
        self.clock = clock
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def init(self, broker: Any) -> None:
        """Attach to the broker, and empty the cache each time its transporter (re)connects, as Moleculer's memory
        cachers do: while disconnected this node may have missed ``cache.clean`` events of other nodes."""
        super().init(broker)
        events = getattr(broker, "events", None)
        if events is not None and hasattr(events, "on_local"):
            events.on_local("$transporter.connected", lambda _payload: self.clean())

    async def get(self, key: str) -> Any:
        """The cached value (cloned if ``clone``), or ``MISSING``; expired entries are removed here."""
        item = self.cache.get(key)
        if item is None:
            return MISSING
        data, expire = item
        if expire is not None and expire < self.clock():
            del self.cache[key]
            return MISSING
        return self.clone(data) if self.clone is not None else data

    async def set(self, key: str, data: Any, ttl: float | None = None) -> None:
        """Store ``data`` (cloned if ``clone``); ``ttl`` None -> the cacher's ttl; a falsy ttl is forever."""
        if ttl is None:
            ttl = self.ttl
        if self.clone is not None:
            data = self.clone(data)
        self.cache[key] = (data, self.clock() + ttl if ttl else None)
        if ttl and self.sweep_interval and (self._timer is None or self._timer_loop is not _running_loop()):
            self._schedule_sweep()  # first ttl entry, or the broker moved to another event loop

    def delete(self, key: str | Iterable[str]) -> Awaitable[None]:
        """Remove one key or every key of a list, now (``await`` optional: the result is already done)."""
        for k in [key] if isinstance(key, str) else key:
            self.cache.pop(k, None)
        return _DONE

    def clean(self, pattern: str | Iterable[str] = "**") -> Awaitable[None]:
        """Remove keys matching Moleculer wildcard pattern(s), now (``await`` optional). ``*`` stops at any dot,
        even one in the params part (``posts.*`` spares ``posts.find:price|1.5``), hence moleculer-db cleans with
        ``posts.**``."""
        patterns = [pattern] if isinstance(pattern, str) else list(pattern)
        if "**" in patterns:
            self.cache.clear()
            return _DONE
        for k in [k for k in self.cache if any(match(k, p) for p in patterns)]:
            del self.cache[k]
        return _DONE

    async def close(self) -> None:
        """Stop the sweep timer (entries are kept, as in Moleculer)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def check_ttl(self) -> None:
        """Drop every expired entry now."""
        now = self.clock()
        for k in [k for k, (_, exp) in self.cache.items() if exp is not None and exp < now]:
            del self.cache[k]

    def _schedule_sweep(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._timer_loop = loop = _running_loop()
        if loop is not None:
            self._timer = loop.call_later(self.sweep_interval or 30.0, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        self.check_ttl()
        if any(exp is not None for _, exp in self.cache.values()):
            self._schedule_sweep()


_DONE: Final[Done[None]] = Done(None)
_BACKGROUND: set[asyncio.Task[Any]] = set()  # cacher tasks started without a broker: kept until they finish


def _starts_now(fn: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    def started(self: Cacher, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        return self._start_now(fn(self, *args, **kwargs))

    return started


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_OPTION_ALIASES = {"maxParamsLength": "max_params_length", "sweepInterval": "sweep_interval"}


def resolve_cacher(spec: Any) -> Cacher | None:
    """Build the broker's cacher from its ``cacher`` option, as Moleculer's ``Cachers.resolve``.

    ``None``/``False`` -> no cacher; ``True``/``"Memory"`` -> ``MemoryCacher()``;
    ``{"type": "Memory", "options": {...}}`` -> ``MemoryCacher(**options)`` (``maxParamsLength`` works too);
    ``"MemoryLRU"`` / ``{"type": "MemoryLRU", "options": {"max": 1000, "ttl": 30}}`` -> ``MemoryLRUCacher``;
    ``"redis://..."`` / ``{"type": "Redis", "options": {"redis": url, "prefix": ...}}`` -> ``RedisCacher``;
    a ``Cacher`` instance is used as is. Anything else raises ``BrokerOptionsError``.
    """
    if spec is None or spec is False:
        return None
    if isinstance(spec, Cacher):
        return spec
    if spec is True:
        return MemoryCacher()
    if isinstance(spec, str) and spec.lower() == "memory":
        return MemoryCacher()
    if isinstance(spec, str) and spec.startswith(("redis://", "rediss://")):
        spec = {"type": "Redis", "options": {"redis": spec}}
    if isinstance(spec, str) and spec.lower() in ("memorylru", "redis"):
        spec = {"type": spec}
    kind = str(spec.get("type", "")).lower() if isinstance(spec, Mapping) else ""
    if isinstance(spec, Mapping) and kind in ("memory", "memorylru", "redis"):
        options = spec.get("options")
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise BrokerOptionsError(f"Invalid cacher options: {options!r}", {"cacher": spec})
        cls: type[Cacher] = MemoryCacher
        if kind == "memorylru":
            from .lru_cacher import MemoryLRUCacher

            cls = MemoryLRUCacher
        elif kind == "redis":
            from .redis_cacher import RedisCacher

            cls = RedisCacher
        try:
            return cls(**{str(_OPTION_ALIASES.get(k, k)): v for k, v in options.items()})
        except (TypeError, ValueError) as err:
            raise BrokerOptionsError(f"Invalid cacher options: {err}", {"cacher": spec}) from err
    raise BrokerOptionsError(f"Invalid cacher type: {spec!r}", {"cacher": spec})


def make_cached_handler(
    cacher: Cacher,
    next_handler: Handler,
    action_name: str,
    cache_opts: Any,
    service: Any = None,
) -> Handler:
    """Wrap an action handler with the cache (Moleculer's cacher ``localAction``, without locks).

    A disabled ``cache`` returns ``next_handler`` itself, so uncached actions pay nothing. The result is kept
    under the computed key on a miss; a hit sets ``ctx.cached_result``. ``ctx.meta["$cache"] is False`` and a
    disconnected cacher bypass the cache, and so do params too deeply nested to have a key (beyond Python's
    recursion limit; Node.js would throw a ``RangeError``).
    """
    if cache_opts is True:
        cache_opts = {"enabled": True}
    if not isinstance(cache_opts, Mapping):
        return next_handler
    enabled = cache_opts.get("enabled", True)
    if not callable(enabled) and not enabled:
        return next_handler
    keys = None if cache_opts.get("keys") is None else tuple(cache_opts["keys"])
    ttl = cache_opts.get("ttl")
    action_keygen = cache_opts.get("keygen")
    keygen: KeyGen = action_keygen if callable(action_keygen) else cacher.get_cache_key
    is_enabled: Callable[[Any], Any] | None = None
    if callable(enabled):
        is_enabled = (lambda ctx: enabled(service, ctx)) if service is not None else enabled

    async def cached_handler(ctx: Any) -> Any:
        if (
            (is_enabled is not None and not is_enabled(ctx))
            or ctx.meta.get("$cache") is False
            or getattr(cacher, "connected", True) is False
        ):
            return await next_handler(ctx)
        try:
            key = keygen(action_name, ctx.params, ctx.meta, keys, getattr(ctx, "headers", None))
        except RecursionError:  # params nested past Python's stack (thousands of levels): served uncached, so the
            return await next_handler(ctx)  # action's own checks answer (a 422) instead of a raw RecursionError
        cached = await cacher.get(key)
        if cached is not MISSING:
            ctx.cached_result = True
            return cached
        result = await next_handler(ctx)
        await cacher.set(key, result, ttl)
        return result

    return cached_handler
