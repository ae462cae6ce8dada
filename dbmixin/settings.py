"""The mixin's settings, checked when the service is created: each one works as documented or is refused.

A setting of the wrong shape is a ``ServiceSchemaError`` naming it (moleculer-db ignored most of them silently).
Accepted forms, normalised in place:

* ``idField``: a non-empty field name (no ``.``, no leading ``$``).
* ``fields`` / ``excludeFields``: ``None``, a list of paths or one string of paths separated by commas and/or
  whitespace (as the request params). ``fields`` may not be empty.
* ``populates``: ``None`` or a dict ``{path: rule}``; a rule is an action name, a function, or a dict with
  ``action`` (str) or ``handler`` (function), and optionally ``field`` (str), ``params`` (dict), ``populate``
  (str or list of str). A ``$`` in a path populates every array element (``values.$.category``); such a rule
  reads its ids at its own path (a different ``field`` is refused).
* ``pageSize``: an integer >= 1; ``maxPageSize`` / ``maxLimit``: integers, > 0 caps, <= 0 (or ``None``) none.
* ``entityValidator``: see ``dbmixin.validation``. ``useDotNotation``: a bool. ``cacheCleanEventType``:
  ``"broadcast"``, ``"emit"`` or ``"broadcastLocal"``. ``indexes``: every form ``adapters.parse_indexes``
  accepts (names, ``"a, b"``, compound ``[["a", "b"]]``, ``{"fields", "unique", "name"}`` dicts).
* ``queryHiddenFields``: a bool or a list of paths (see ``dbmixin.read``).
* schema keys ``connect_retries`` (an integer >= 1) and ``connect_retry_delay`` (ms, a number >= 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from adapters import parse_indexes
from broker.errors import ServiceSchemaError

from .params import split_list

__all__ = ["CLEAN_EVENT_METHODS", "check_settings"]

CLEAN_EVENT_METHODS = {"broadcast": "broadcast", "emit": "emit", "broadcastLocal": "broadcast_local"}

_RULE_KEYS = frozenset(("action", "handler", "field", "params", "populate"))


def _fail(service: str, key: str, expected: str, value: Any) -> ServiceSchemaError:
    return ServiceSchemaError(
        f"settings.{key} of '{service}' must be {expected}, got {repr(value)[:80]}.", {"setting": key}
    )


def _paths(service: str, key: str, value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return split_list(value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise _fail(service, key, "a list of field paths or a string of them", value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_rule(service: str, key: str, rule: Any) -> None:
    where = f"populates.{key}"
    if not isinstance(key, str) or not key or any(not s for s in key.split(".")):
        raise _fail(service, "populates", "a dict whose keys are field paths", key)
    if (isinstance(rule, str) and rule) or callable(rule):
        return
    if not isinstance(rule, Mapping):
        raise _fail(service, where, "an action name, a function or a dict with 'action' or 'handler'", rule)
    unknown = set(rule) - _RULE_KEYS
    if unknown:
        raise _fail(service, where, f"a rule with only the keys {sorted(_RULE_KEYS)}", sorted(unknown))
    has_action = isinstance(rule.get("action"), str) and bool(rule.get("action"))
    has_handler = callable(rule.get("handler"))
    if has_action == has_handler:
        raise _fail(service, where, "a dict with either an 'action' name or a 'handler' function", rule)
    if rule.get("field") is not None and not (isinstance(rule["field"], str) and rule["field"]):
        raise _fail(service, f"{where}.field", "a field path", rule["field"])
    if "$" in key.split(".") and rule.get("field") not in (None, key):
        raise _fail(service, f"{where}.field", f"absent or '{key}' (a '$' rule reads ids at its own path)",
                    rule["field"])  # fmt: skip
    if rule.get("params") is not None and not isinstance(rule["params"], Mapping):
        raise _fail(service, f"{where}.params", "a dict", rule["params"])
    populate = rule.get("populate")
    if populate is not None and not isinstance(populate, str) and not (
        isinstance(populate, list | tuple) and all(isinstance(p, str) for p in populate)
    ):
        raise _fail(service, f"{where}.populate", "a string or a list of strings", populate)


def check_settings(service: str, settings: dict[str, Any], schema: Mapping[str, Any]) -> None:
    """Normalise ``settings`` in place (string lists split) and refuse any setting of the wrong shape."""
    id_field = settings.get("idField", "_id")
    if not isinstance(id_field, str) or not id_field or "." in id_field or id_field.startswith("$"):
        raise _fail(service, "idField", "a field name (no '.', no leading '$')", id_field)
    for key in ("fields", "excludeFields"):
        settings[key] = _paths(service, key, settings.get(key))
    if settings.get("fields") == []:
        raise ServiceSchemaError(f"settings.fields of '{service}' is empty: no field could ever be returned.")
    populates = settings.get("populates")
    if populates is not None:
        if not isinstance(populates, Mapping):
            raise _fail(service, "populates", "a dict of populate rules", populates)
        for key, rule in populates.items():
            _check_rule(service, key, rule)
    page_size = settings.get("pageSize", 10)
    if not _integer(page_size) or page_size < 1:
        raise _fail(service, "pageSize", "an integer >= 1", page_size)
    for key in ("maxPageSize", "maxLimit"):
        value = settings.get(key)
        if value is not None and not _integer(value):
            raise _fail(service, key, "an integer (> 0 caps, <= 0 means no cap)", value)
    if not isinstance(settings.get("useDotNotation", False), bool):
        raise _fail(service, "useDotNotation", "true or false", settings.get("useDotNotation"))
    if settings.get("cacheCleanEventType", "broadcast") not in CLEAN_EVENT_METHODS:
        raise ServiceSchemaError(
            f"settings.cacheCleanEventType must be one of {sorted(CLEAN_EVENT_METHODS)}.",
            {"cacheCleanEventType": settings.get("cacheCleanEventType")},
        )
    indexes = settings.get("indexes")
    if indexes is not None:
        try:  # every form the adapters accept (dbmixin.indexes' docstring), refused here with the same message
            parse_indexes(indexes, ValueError)
        except ValueError as exc:
            raise _fail(service, "indexes", f"index declarations ({exc})", indexes) from None
    if isinstance(indexes, str):
        settings["indexes"] = split_list(indexes)
    opened = settings.get("queryHiddenFields", False)
    if not isinstance(opened, bool):
        settings["queryHiddenFields"] = _paths(service, "queryHiddenFields", opened) or False
    retries = schema.get("connect_retries", 5)
    if not _integer(retries) or retries < 1:
        raise ServiceSchemaError(f"connect_retries of '{service}' must be an integer >= 1, got {retries!r}.")
    delay = schema.get("connect_retry_delay", 1000)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not math.isfinite(delay) or delay < 0:
        raise ServiceSchemaError(f"connect_retry_delay of '{service}' must be a number of ms >= 0, got {delay!r}.")
