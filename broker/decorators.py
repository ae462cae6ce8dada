"""``@action`` and ``@event``: mark methods of a class-form service; the schema builder collects them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ACTION_ATTR", "EVENT_ATTR", "action", "event"]

F = TypeVar("F", bound=Callable[..., Any])

ACTION_ATTR = "__moleculer_action__"
EVENT_ATTR = "__moleculer_events__"


def action(
    fn: F | None = None,
    *,
    name: str | None = None,
    params: Any = None,
    cache: Any = None,
    rest: Any = None,
    visibility: str | None = None,
    hooks: dict[str, Any] | None = None,
    timeout: int | None = None,
    retry_policy: dict[str, Any] | None = None,
    **extra: Any,
) -> Any:
    """Declare a method as an action: ``@action`` or ``@action(params={...}, cache=True, rest="GET /")``.

    The method is returned unchanged (it stays callable as ``self.method(ctx)``); only its options are recorded.
    Unknown keyword options are kept in the action definition, as Moleculer keeps unknown action properties.
    """
    opts: dict[str, Any] = {
        key: value
        for key, value in (
            ("name", name),
            ("params", params),
            ("cache", cache),
            ("rest", rest),
            ("visibility", visibility),
            ("hooks", hooks),
            ("timeout", timeout),
            ("retryPolicy", retry_policy),
        )
        if value is not None
    }
    opts.update(extra)

    def mark(func: F) -> F:
        setattr(func, ACTION_ATTR, opts)
        return func

    return mark(fn) if fn is not None else mark


def event(name: str, *, group: str | None = None, params: Any = None, **extra: Any) -> Callable[[F], F]:
    """Subscribe a method to an event (wildcards allowed): ``@event("user.*", group="mail")``.

    A method may carry several ``@event`` decorators; each adds one subscription.
    """
    opts: dict[str, Any] = {"name": name, **extra}
    if group is not None:
        opts["group"] = group
    if params is not None:
        opts["params"] = params

    def mark(func: F) -> F:
        subscriptions = list(getattr(func, EVENT_ATTR, ()))
        subscriptions.append(opts)
        setattr(func, EVENT_ATTR, subscriptions)
        return func

    return mark
