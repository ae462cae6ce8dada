"""Refuse, when a service is created, a function the broker could not call with the arguments it passes.

JavaScript ignores surplus arguments, so ``"cache.clean.product"() {}`` works there; ported literally as
``def on_clean(self)`` it would raise ``TypeError`` at the first event (logged, while ``broadcast`` reports
success). Every function of a schema is checked with ``inspect.signature(fn).bind(...)`` against what the broker
passes (the service first, as ``this``):

=====================================================  ===========================
function                                               called as
=====================================================  ===========================
action handler, event handler                          ``fn(service, ctx)``
``before`` hook (service- and action-level)            ``fn(service, ctx)``
``after`` hook                                         ``fn(service, ctx, res)``
``error`` hook                                         ``fn(service, ctx, err)``
``created``/``started``/``stopped``                    ``fn(service)``
``merged``                                             ``fn(service, schema)``
method                                                 ``fn(service, ...)``
=====================================================  ===========================

``*args``, defaults, keyword-only parameters with defaults, bound methods, ``functools.partial`` and callable
objects are understood by ``inspect.signature``; when no signature can be read (some builtins) the function is
accepted. A hook given as a method name is checked as that (bound) method.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .errors import ServiceSchemaError
from .utils import ensure_list

__all__ = ["HOOK_ARGS", "check_call", "check_hooks"]

HOOK_ARGS: dict[str, tuple[str, ...]] = {"before": ("ctx",), "after": ("ctx", "res"), "error": ("ctx", "err")}
_PLACEHOLDER = object()


def _name(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__)


def check_call(
    service: str, role: str, fn: Any, args: tuple[str, ...], *, bound: bool = False, partial: bool = False
) -> None:
    """Raise ``ServiceSchemaError`` unless ``fn(service, *args)`` (``fn(*args)`` when ``bound``) can bind.

    ``service`` is the service's name, ``role`` says what the function is (``"handler of event 'user.*'"``),
    ``args`` names the arguments after the service. ``partial`` (methods): only the service must fit, callers
    pass the rest.
    """
    if not callable(fn):
        return
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # no signature to read (some builtins): accept
        return
    placeholders = [_PLACEHOLDER] * (len(args) + (0 if bound else 1))
    try:
        if partial:
            signature.bind_partial(*placeholders)
        else:
            signature.bind(*placeholders)
    except TypeError as err:
        expected = "(" + ", ".join([*([] if bound else ["self"]), *args, *(["..."] if partial else [])]) + ")"
        name = _name(fn)
        raise ServiceSchemaError(
            f"Service '{service}': the {role} '{name}{signature}' cannot take the arguments the broker passes; "
            f"its signature must accept {expected} ({err}).",
            {"service": service, "function": name, "role": role, "expected": expected, "signature": str(signature)},
        ) from None


def check_hooks(
    service: str, hooks: Any, resolve: Callable[[str], Any], where: str = "", keyed: bool = True
) -> None:
    """Check service-level (``{"before": {"*": fn, "name": [fn, "method"]}}``, ``keyed``) or action-level
    (``{"before": fn | [fns]}``) hooks; method names are checked as the service's bound methods."""
    if not isinstance(hooks, dict):
        return
    for kind, args in HOOK_ARGS.items():
        section = hooks.get(kind)
        if not section:
            continue
        groups = section.items() if keyed and isinstance(section, dict) else [("", section)]
        for pattern, entries in groups:
            for entry in ensure_list(entries):
                role = f"'{kind}' hook" + (f" for '{pattern}'" if pattern else "") + where
                if isinstance(entry, str):
                    method = resolve(entry)
                    if method is not None:
                        check_call(service, role, method, args, bound=True)
                else:
                    check_call(service, role, entry, args)
