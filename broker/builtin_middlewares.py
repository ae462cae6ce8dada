"""The built-in middlewares, registered after the user's: action hooks, validation, caching, timeout, retry.

Each one wraps a handler only when it has work to do for that action (no hooks, no params schema, no cache,
no retry policy → the handler is returned as it was), so an action pays only for what it uses.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import types
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .errors import RequestTimeoutError, ServiceSchemaError, ValidationError
from .utils import ensure_list
from .wildcard import match

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker
    from .context import Context
    from .registry import Action, EventSubscription
    from .service import Service

__all__ = ["builtin_middlewares"]

Handler = Callable[["Context"], Awaitable[Any]]


def _resolve_hooks(service: Service, entries: Any) -> list[Callable[..., Any]]:
    """Hook entries are functions taking the service first, or names of the service's methods."""
    resolved = []
    for entry in ensure_list(entries):
        if isinstance(entry, str):
            method = getattr(service, entry, None)
            if not callable(method):
                raise ServiceSchemaError(f"Hook method '{entry}' not found in '{service.full_name}' service!")
            resolved.append(method)
        elif callable(entry):
            resolved.append(types.MethodType(entry, service))
        else:
            raise ServiceSchemaError(f"Invalid hook {entry!r} in '{service.full_name}' service!")
    return resolved


def _named_hooks(service: Service, hooks_of_kind: dict[str, Any], raw_name: str) -> list[Callable[..., Any]]:
    found: list[Callable[..., Any]] = []
    for key, entries in hooks_of_kind.items():
        if key != "*" and any(match(raw_name, alt) for alt in key.split("|")):
            found.extend(_resolve_hooks(service, entries))
    return found


def action_hook_middleware(next_handler: Handler, act: Action) -> Handler:
    """Service and action-level ``before``/``after``/``error`` hooks in Moleculer's order (reference §3.2)."""
    service = act.service
    svc_hooks = service.schema.get("hooks") or {}
    act_hooks = act.definition.get("hooks") or {}
    before_all, after_all, error_all = (svc_hooks.get(kind) or {} for kind in ("before", "after", "error"))
    before = (
        _resolve_hooks(service, before_all.get("*"))
        + _named_hooks(service, before_all, act.raw_name)
        + _resolve_hooks(service, act_hooks.get("before"))
    )
    after = (
        _resolve_hooks(service, act_hooks.get("after"))
        + _named_hooks(service, after_all, act.raw_name)
        + _resolve_hooks(service, after_all.get("*"))
    )
    on_error = (
        _resolve_hooks(service, act_hooks.get("error"))
        + _named_hooks(service, error_all, act.raw_name)
        + _resolve_hooks(service, error_all.get("*"))
    )
    if not (before or after or on_error):
        return next_handler

    async def hooked(ctx: Context) -> Any:
        try:
            for hook in before:
                result = hook(ctx)
                if inspect.isawaitable(result):
                    await result
            res = await next_handler(ctx)
            for hook in after:
                res = hook(ctx, res)
                if inspect.isawaitable(res):
                    res = await res
            return res
        except Exception as exc:
            if not on_error:
                raise
            err: Exception = exc
            for hook in on_error:
                try:
                    res = hook(ctx, err)
                    if inspect.isawaitable(res):
                        res = await res
                    return res
                except Exception as replaced:
                    err = replaced
            raise err  # noqa: B904 - the last error hook's error replaces the original

    return hooked


def _validation_middleware(broker: ServiceBroker) -> dict[str, Any]:
    validator = broker.validator

    def compile_for(definition: Action | EventSubscription) -> Callable[[Any], Any] | None:
        schema = definition.params
        if schema is None or schema is False or validator is None:
            return None  # ``params: {}`` is a schema (the params must be an object), as in Moleculer
        try:
            return validator.compile(schema)
        except ServiceSchemaError:
            raise
        except Exception as exc:
            raise ServiceSchemaError(f"Invalid params schema of '{definition.name}': {exc}") from exc

    def check_params(ctx: Context, check: Callable[[Any], Any], key: str, name: str) -> None:
        try:
            ctx.params = check(ctx.params if ctx.params is not None else {})
        except ValidationError as err:
            for entry in err.data or ():
                if isinstance(entry, dict):
                    entry.setdefault("nodeID", ctx.node_id)
                    entry.setdefault(key, name)
            raise

    def local_action(next_handler: Handler, act: Action) -> Handler:
        check = compile_for(act)
        if check is None:
            return next_handler
        name = act.name

        async def validated(ctx: Context) -> Any:
            check_params(ctx, check, "action", name)
            return await next_handler(ctx)

        return validated

    def local_event(next_handler: Handler, sub: EventSubscription) -> Handler:
        check = compile_for(sub)
        if check is None:
            return next_handler
        name = sub.name

        async def validated(ctx: Context) -> Any:
            check_params(ctx, check, "event", name)
            return await next_handler(ctx)

        return validated

    return {"local_action": local_action, "local_event": local_event}


def _cacher_middleware(broker: ServiceBroker) -> dict[str, Any]:
    def local_action(next_handler: Handler, act: Action) -> Handler:
        cacher = broker.cacher
        if cacher is None or act.cache is None or act.cache is False:
            return next_handler  # ``cache: {}`` caches with the defaults, as in Moleculer
        from .cacher import make_cached_handler

        return make_cached_handler(cacher, next_handler, act.name, act.cache, act.service)

    return {"local_action": local_action}


def _timeout_middleware(broker: ServiceBroker) -> dict[str, Any]:
    """Races the handler against ``ctx.timeout`` (ms): call option, else ``action.timeout``, else the broker's."""

    def local_action(next_handler: Handler, act: Action) -> Handler:
        name = act.name

        async def timed(ctx: Context) -> Any:
            timeout = ctx.timeout
            if not timeout:
                return await next_handler(ctx)
            ctx.start_time = time.monotonic()  # per attempt: a retry gets the whole budget again
            deadline = asyncio.timeout(timeout / 1000)
            try:
                async with deadline:
                    return await next_handler(ctx)
            except TimeoutError:
                if not deadline.expired():  # the handler's own TimeoutError, not ours
                    raise
                raise RequestTimeoutError({"action": name, "nodeID": ctx.node_id}) from None

        return timed

    return {"local_action": local_action}


def _retry_middleware(broker: ServiceBroker) -> dict[str, Any]:
    """Retries retryable failures with exponential back-off when the (broker or action) policy is enabled."""

    def local_action(next_handler: Handler, act: Action) -> Handler:
        policy = {**broker.retry_policy, **_normalise_policy(act.definition.get("retryPolicy") or {})}
        if not policy.get("enabled"):
            return next_handler
        check = policy["check"]

        async def retrying(ctx: Context) -> Any:
            retries = ctx.options.get("retries")
            attempts_left = policy["retries"] if retries is None else retries  # ``retries=0``: no retry
            attempt = 0
            while True:
                try:
                    return await next_handler(ctx)
                except Exception as err:
                    if attempts_left <= 0 or not check(err):
                        raise
                    attempt += 1
                    attempts_left -= 1
                    delay = min(policy["delay"] * policy["factor"] ** (attempt - 1), policy["max_delay"])
                    broker.logger.warning("Retry to call '%s' action (attempt %d)...", act.name, attempt)
                    await asyncio.sleep(delay / 1000)

        return retrying

    return {"local_action": local_action}


_POLICY_ALIASES = {"maxDelay": "max_delay"}


def _normalise_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """Accept Moleculer's camelCase keys (``maxDelay``) next to the Python ones."""
    return {_POLICY_ALIASES.get(key, key): value for key, value in policy.items()}


def builtin_middlewares(broker: ServiceBroker) -> list[dict[str, Any]]:
    """The internal middlewares in Moleculer's registration order (innermost first)."""
    return [
        {"local_action": action_hook_middleware},
        _validation_middleware(broker),
        _cacher_middleware(broker),
        _timeout_middleware(broker),
        _retry_middleware(broker),
    ]
