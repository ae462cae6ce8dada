"""Middlewares: objects (or factories) whose hook functions wrap handlers or get notified of lifecycle steps.

Wrapping hooks (``local_action``, ``local_event``, ``call``, ``emit``, ``broadcast``) are applied in
registration order, so the first registered middleware is the innermost. User middlewares are registered first,
then the built-in ones (``broker.builtin_middlewares``), exactly as Moleculer orders them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import BrokerOptionsError

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker

__all__ = ["HOOKS", "MiddlewareHandler"]

WRAPPING_HOOKS = ("local_action", "local_event", "call", "emit", "broadcast")
SYNC_HOOKS = ("created", "service_creating", "service_created")
ASYNC_HOOKS = (
    "starting", "started", "stopping", "stopped",
    "service_starting", "service_started", "service_stopping", "service_stopped",
)  # fmt: skip
HOOKS = WRAPPING_HOOKS + SYNC_HOOKS + ASYNC_HOOKS


def _hook(middleware: Any, name: str) -> Callable[..., Any] | None:
    if isinstance(middleware, dict):
        return middleware.get(name)
    return getattr(middleware, name, None)


class MiddlewareHandler:
    """The broker's ordered list of middlewares and the helpers that run their hooks."""

    def __init__(self, broker: ServiceBroker) -> None:
        self.broker = broker
        self.items: list[Any] = []

    def add(self, middleware: Any) -> None:
        """Register a middleware: a dict or object with hook functions, or a factory called with the broker."""
        if inspect.isfunction(middleware) or inspect.isclass(middleware):
            factory: Any = middleware
            middleware = factory(self.broker)
        if middleware is None or isinstance(middleware, str | int | float | bool):
            raise BrokerOptionsError(f"Invalid middleware: {middleware!r}", {"middleware": repr(middleware)})
        self.items.append(middleware)

    def count(self) -> int:
        return len(self.items)

    def wrap(self, hook: str, handler: Callable[..., Any], definition: Any) -> Callable[..., Any]:
        """Wrap an action or event handler with every middleware's ``hook(next, definition)``."""
        for middleware in self.items:
            wrapper = _hook(middleware, hook)
            if wrapper is not None:
                handler = wrapper(handler, definition) or handler
        return handler

    def wrap_method(self, hook: str, method: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a broker method (``call``, ``emit``, ``broadcast``) with every middleware's ``hook(next)``."""
        for middleware in self.items:
            wrapper = _hook(middleware, hook)
            if wrapper is not None:
                method = wrapper(method) or method
        return method

    def call_sync(self, hook: str, *args: Any) -> None:
        """Run a synchronous notification hook in registration order."""
        for middleware in self.items:
            fn = _hook(middleware, hook)
            if fn is not None:
                fn(*args)

    async def call_async(self, hook: str, *args: Any, reverse: bool = False) -> None:
        """Run an async notification hook in registration order (``reverse`` for the stopping ones)."""
        items = reversed(self.items) if reverse else self.items
        for middleware in list(items):
            fn = _hook(middleware, hook)
            if fn is not None:
                result = fn(*args)
                if inspect.isawaitable(result):
                    await result
