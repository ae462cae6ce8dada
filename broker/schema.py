"""Service schemas: a class-form service becomes the same dict a dict-form one is, and mixins merge by rule.

The merge rules are Moleculer's ``mergeSchema*`` table (reference §1.2) expressed as data: ``MERGE_RULES`` maps a
schema key to its strategy. A service class may add ``merge_schema_<key>(src, target)`` for keys of its own.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .decorators import ACTION_ATTR, EVENT_ATTR
from .errors import ServiceSchemaError
from .utils import clone_structure, defaults_deep, ensure_list, uniq_equal

__all__ = ["LIFECYCLE_KEYS", "MERGE_RULES", "apply_mixins", "merge_schemas", "to_schema"]

LIFECYCLE_KEYS = ("merged", "created", "started", "stopped")
_DICT_SECTIONS = ("actions", "events", "methods")
BASE_MARKER = "__moleculer_base__"


def _wrap_handler(value: Any) -> dict[str, Any] | None:
    """Moleculer's ``wrapToHander``: a function (or list of them) becomes ``{"handler": ...}``."""
    if value is None or value is False:
        return None
    if callable(value) or isinstance(value, list):
        return {"handler": value}
    if isinstance(value, dict):
        return dict(value)
    return value


def _compact(items: list[Any]) -> list[Any]:
    return [item for item in items if item]


def _flatten(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, list | tuple):
            out.extend(_flatten(list(item)))
        else:
            out.append(item)
    return out


def merge_settings(src: Any, target: Any) -> Any:
    """``defaultsDeep(src, target)``, with ``$secureSettings`` lists unioned (service entries first)."""
    if not isinstance(src, dict) or not isinstance(target, dict):
        return src if src is not None else target
    secure = None
    if "$secureSettings" in src or "$secureSettings" in target:
        secure = []
        for item in ensure_list(src.get("$secureSettings")) + ensure_list(target.get("$secureSettings")):
            if item not in secure:
                secure.append(item)
    merged = defaults_deep(src, target)
    if secure is not None:
        merged["$secureSettings"] = secure
    return merged


def merge_metadata(src: Any, target: Any) -> Any:
    """``defaultsDeep(src, target)``."""
    if isinstance(src, dict) and isinstance(target, dict):
        return defaults_deep(src, target)
    return src if src is not None else target


def _concat_hooks(kind: str, src: Any, target: Any) -> list[Any]:
    """One hook list from two: ``before`` runs the mixin's first, ``after``/``error`` the service's first."""
    src_list, tgt_list = ensure_list(src), ensure_list(target)
    return _compact(tgt_list + src_list if kind == "before" else src_list + tgt_list)


def merge_hooks(src: Any, target: Any) -> dict[str, Any]:
    """Service hooks (``{"before": {"*": fn, "name": [fns]}}``): concatenated per type and action key."""
    result: dict[str, Any] = dict(target or {})
    for kind, src_map in (src or {}).items():
        tgt_map = dict(result.get(kind) or {})
        for key, hooks in (src_map or {}).items():
            tgt_map[key] = _concat_hooks(kind, hooks, tgt_map.get(key))
        result[kind] = tgt_map
    return result


def merge_action_hooks(src: Any, target: Any) -> dict[str, Any]:
    """Action-level hooks (``{"before": fn | [fns]}``, no name keys): concatenated per type."""
    result: dict[str, Any] = dict(target or {})
    for kind, hooks in (src or {}).items():
        result[kind] = _concat_hooks(kind, hooks, result.get(kind))
    return result


def merge_actions(src: Any, target: Any) -> dict[str, Any]:
    """Per action: ``False`` removes it; otherwise ``defaultsDeep(service action, mixin action)``."""
    result: dict[str, Any] = dict(target or {})
    for key, value in (src or {}).items():
        if value is False:
            result[key] = False
            continue
        src_action = _wrap_handler(value)
        tgt_action = _wrap_handler(result.get(key))
        if src_action is None:  # ``None`` overrides nothing
            continue
        if tgt_action is None:
            result[key] = src_action
            continue
        if src_action.get("hooks") and tgt_action.get("hooks"):
            src_action["hooks"] = merge_action_hooks(src_action["hooks"], tgt_action["hooks"])
        result[key] = defaults_deep(src_action, tgt_action)
    return result


def merge_methods(src: Any, target: Any) -> dict[str, Any]:
    """Overwrite by method name."""
    return {**(target or {}), **(src or {})}


def merge_events(src: Any, target: Any) -> dict[str, Any]:
    """Per event: handlers concatenated mixin first; other properties ``defaultsDeep(service, mixin)``."""
    result: dict[str, Any] = dict(target or {})
    for key, value in (src or {}).items():
        src_event = _wrap_handler(value) or {}
        tgt_event = _wrap_handler(result.get(key))
        if tgt_event is None:
            result[key] = src_event
            continue
        handlers = _compact(_flatten([tgt_event.pop("handler", None), src_event.pop("handler", None)]))
        merged = defaults_deep(src_event, tgt_event)
        merged["handler"] = handlers[0] if len(handlers) == 1 else handlers
        result[key] = merged
    return result


def merge_lifecycle(src: Any, target: Any) -> list[Any]:
    """Lifecycle handlers concatenate, mixin first."""
    return _compact(ensure_list(target) + ensure_list(src))


def merge_unique(src: Any, target: Any) -> list[Any]:
    """``mixins`` and ``dependencies``: service entries first, deduplicated by equality."""
    return uniq_equal(_flatten([src, target]))


def merge_unknown(src: Any, target: Any) -> Any:
    """Any other key: the service's value unless it is ``None``."""
    return src if src is not None else target


def _merge_name(src: Any, target: Any) -> Any:
    return src if src is not None else target


MERGE_RULES: dict[str, Callable[[Any, Any], Any]] = {
    "name": _merge_name,
    "version": _merge_name,
    "settings": merge_settings,
    "metadata": merge_metadata,
    "hooks": merge_hooks,
    "actions": merge_actions,
    "methods": merge_methods,
    "events": merge_events,
    "mixins": merge_unique,
    "dependencies": merge_unique,
    **dict.fromkeys(LIFECYCLE_KEYS, merge_lifecycle),
}


def merge_schemas(mixin: Mapping[str, Any], svc: Mapping[str, Any], owner: type | None = None) -> dict[str, Any]:
    """Merge ``svc`` over ``mixin`` (neither is mutated) and return the new schema."""
    result = clone_structure(dict(mixin))
    for key, src in clone_structure(dict(svc)).items():
        custom = getattr(owner, f"merge_schema_{key}", None) if owner is not None else None
        rule = custom or MERGE_RULES.get(key, merge_unknown)
        result[key] = rule(src, result.get(key))
    return result


def to_schema(obj: Any) -> dict[str, Any]:
    """A dict schema is returned as a shallow copy; a ``Service`` subclass is converted to its dict form."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if inspect.isclass(obj) and hasattr(obj, BASE_MARKER):
        return schema_from_class(obj)
    raise ServiceSchemaError(f"A service schema must be a dict or a Service subclass, not {obj!r}.")


def schema_from_class(cls: type) -> dict[str, Any]:
    """Collect a class-form service into a schema dict (Python inheritance decides overrides between classes).

    ``@action`` methods become actions, ``@event`` methods events, ``created``/``started``/``stopped``/``merged``
    lifecycle handlers, other functions methods, and other public class attributes schema keys.
    """
    schema: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {section: {} for section in _DICT_SECTIONS}
    attributes: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or BASE_MARKER in vars(klass):
            continue
        for attr, value in vars(klass).items():
            if not attr.startswith("__"):
                attributes[attr] = value
    for attr, value in attributes.items():
        if attr in _DICT_SECTIONS and isinstance(value, dict):
            sections[attr].update(value)
        elif inspect.isfunction(value):
            _collect_function(attr, value, schema, sections)
        elif not attr.startswith("_") and not isinstance(value, staticmethod | classmethod | property):
            schema[attr] = value
    for section, entries in sections.items():
        if entries:
            schema[section] = entries
    return schema


def _collect_function(attr: str, fn: Any, schema: dict[str, Any], sections: dict[str, dict[str, Any]]) -> None:
    action_opts = getattr(fn, ACTION_ATTR, None)
    subscriptions = getattr(fn, EVENT_ATTR, None)
    if action_opts is not None:
        sections["actions"][action_opts.get("name") or attr] = {"handler": fn, **action_opts}
    for sub in subscriptions or ():
        existing = sections["events"].get(sub["name"])
        if existing is None:
            sections["events"][sub["name"]] = {"handler": fn, **sub}
        else:
            existing["handler"] = _flatten([existing["handler"], fn])
    if action_opts is None and subscriptions is None:
        if attr in LIFECYCLE_KEYS:
            schema[attr] = fn
        else:
            sections["methods"][attr] = fn


def apply_mixins(schema: dict[str, Any], owner: type | None = None) -> dict[str, Any]:
    """Moleculer's ``applyMixins``: mixins (recursively expanded) fold right to left, then the service on top."""
    mixins = ensure_list(schema.get("mixins"))
    if not mixins:
        return schema
    expanded = [apply_mixins(to_schema(mixin), owner) for mixin in mixins]
    accumulated = expanded[-1]
    for mixin in reversed(expanded[:-1]):
        accumulated = merge_schemas(accumulated, mixin, owner)
    return merge_schemas(accumulated, schema, owner)
