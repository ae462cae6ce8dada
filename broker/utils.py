"""Small helpers with lodash's semantics where Moleculer depends on them (``defaultsDeep``, ``uniqWith``)."""

from __future__ import annotations

import inspect
import math
import os
import random
import socket
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any, Final, Generic, TypeGuard, TypeVar

__all__ = [
    "MISSING",
    "Done",
    "call_maybe_async",
    "clone_structure",
    "defaults_deep",
    "ensure_list",
    "finite_number",
    "generate_node_id",
    "to_async",
    "uniq_equal",
]


def clone_structure(value: Any) -> Any:
    """Copy dicts and lists recursively; share everything else (functions, adapters, models).

    Moleculer deep-clones schemas before merging; cloning live objects such as adapters would be wrong in
    Python, so only the containers are copied.
    """
    if isinstance(value, dict):
        return {k: clone_structure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone_structure(v) for v in value]
    return value


def defaults_deep(src: Any, target: Any) -> Any:
    """lodash ``_.defaultsDeep(src, target)``: fill keys missing from ``src`` with ``target``'s, recursively.

    ``src`` wins; ``None`` in ``src`` is kept (it is ``null``, not ``undefined``); lists merge index by index
    (``defaults_deep({"a": [1]}, {"a": [5, 6]}) == {"a": [1, 6]}``). Mutates and returns ``src``.
    """
    if isinstance(src, dict) and isinstance(target, dict):
        for key, tval in target.items():
            if key not in src:
                src[key] = clone_structure(tval)
            else:
                sval = src[key]
                if isinstance(sval, dict | list) and type(sval) is type(tval):
                    defaults_deep(sval, tval)
        return src
    if isinstance(src, list) and isinstance(target, list):
        for i, tval in enumerate(target):
            if i >= len(src):
                src.append(clone_structure(tval))
            elif isinstance(src[i], dict | list) and type(src[i]) is type(tval):
                defaults_deep(src[i], tval)
        return src
    return src


def finite_number(value: Any) -> TypeGuard[int | float]:
    """Whether ``value`` is an ``int`` or ``float`` (never a ``bool``) and finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def ensure_list(value: Any) -> list[Any]:
    """``None`` → ``[]``, a list stays, anything else is wrapped."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def uniq_equal(items: Iterable[Any]) -> list[Any]:
    """Drop falsy items and duplicates by equality, keeping the first (lodash ``uniqWith(compact(..), isEqual)``)."""
    out: list[Any] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def to_async(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Return ``fn`` itself when it is a coroutine function, else an async wrapper (sync handlers are allowed)."""
    if inspect.iscoroutinefunction(fn):
        return fn

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    wrapper.__name__ = getattr(fn, "__name__", "handler")
    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


async def call_maybe_async(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a sync or async function and return its result."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


T = TypeVar("T")


class Done(Awaitable[T], Generic[T]):
    """An awaitable that is already finished: ``await Done(x)`` gives ``x`` at once, without an event loop.

    Returned by work that completes when it is called (``MemoryCacher.clean``, an ``emit`` nobody listens to), so
    that ``await`` is optional for the caller and an un-awaited call leaves no "never awaited" coroutine behind.
    It may be awaited any number of times; ``asyncio.gather``/``ensure_future`` accept it.
    """

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, T]:
        return self.value
        yield  # pragma: no cover - unreachable: makes this a generator that finishes at once

    def __repr__(self) -> str:
        return f"Done({self.value!r})"


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def generate_uid() -> str:
    """A random version-4 UUID string (``"1b4e28ba-2fa1-4d3b-9a5c-..."``), as Moleculer's ``generateUid``, for
    context, request and ping IDs. From ``random.getrandbits`` (122 random bits; about 15 times cheaper than
    ``str(uuid.uuid4())``, which reads the OS's entropy): IDs must be unique, not secret."""
    h = "%032x" % (random.getrandbits(128) & _V4_CLEAR | _V4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def generate_node_id() -> str:
    """Moleculer's default node ID: ``<hostname>-<pid>``, lower-cased."""
    return f"{socket.gethostname().lower()}-{os.getpid()}"


class _Missing:
    """Type of ``MISSING``: the broker's one JavaScript ``undefined`` (a cache miss, an absent value in a cache key,
    an absent default or ``expected``/``actual`` in the validator). Falsy, a singleton, never copied."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: Any) -> _Missing:
        return self


MISSING: Final = _Missing()
