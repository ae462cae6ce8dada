"""fastest-validator's whole check written out in Python: the reference for every failing call.

The compiled pydantic-core validator (``fv_core``) decides the valid calls fast. When it rejects a value,
``run`` re-checks the original params here, walking the rule tree exactly as FV's generated code does
(``validator.js``: the required/optional/default wrapper, then the rule, then the children), and returns FV's
converted value and its complete error list. If this reference finds nothing wrong, its value is the answer:
the compiled schema is allowed to be stricter than FV, never looser.

Deliberate differences from FV 1.19 (all listed in ``docs/validator.md``):

- a root ``$$strict: true`` error is reported once per unknown key with ``field`` = that key (FV reports one
  error with no field at all);
- an error about the params as a whole has ``field: ""`` (FV: ``undefined``);
- a missing (``None``) array item is reported at the item (``a[2]``), where FV names the array (``a``).
"""

from __future__ import annotations

from typing import Any

from .fv_checks import CHECKERS
from .fv_messages import fv_error
from .fv_rules import NO, Rule, join_path

__all__ = ["check_rule", "run"]

Errors = list[dict[str, Any]]


def run(root: Rule, params: Any, partial: bool = False) -> tuple[Any, Errors]:
    """``(converted params, FV's errors)`` for ``params`` under ``root``; no errors means valid.

    ``partial`` makes every top-level field of an object root optional, without defaults (as ``compile``).
    """
    errors: Errors = []
    if partial and root.type == "object" and root.props is not None and isinstance(params, dict):
        value = _object(root, params, "", errors, partial=True)
    else:
        value = _present(root, params, "", errors)
    return value, errors


def check_rule(rule: Rule, value: Any) -> tuple[Any, Errors]:
    """``(converted value, errors)`` for a present, non-``None`` value under one rule and its children."""
    errors: Errors = []
    value = _check(rule, value, "", errors)
    return value, errors


def _present(rule: Rule, value: Any, path: str, errors: Errors, partial: bool = False) -> Any:
    """FV's required wrapper: ``NO`` is an absent key, ``None`` is ``null``; then the rule itself."""
    if value is NO or value is None:
        if rule.type == "forbidden" or rule.optional or (value is NO and partial) or (value is None and rule.nullable):
            return value
        if rule.default is not NO:
            return rule.default_value()
        errors.append(fv_error(rule, path, ("required", NO, None)))
        return value
    return _check(rule, value, path, errors)


def _check(rule: Rule, value: Any, path: str, errors: Errors) -> Any:
    if rule.type == "object":
        return _object(rule, value, path, errors)
    if rule.type == "array":
        return _array(rule, value, path, errors)
    if rule.type == "multi":
        return _multi(rule, value, path, errors)
    if rule.type == "forbidden" and rule.opts.get("remove"):
        return NO
    value, found = CHECKERS[rule.type](rule, value)
    errors.extend(fv_error(rule, path, item) for item in found)
    return value


def _object(rule: Rule, value: Any, path: str, errors: Errors, partial: bool = False) -> Any:
    if not isinstance(value, dict) or rule.props is None:
        errors.extend(fv_error(rule, path, item) for item in CHECKERS["object"](rule, value)[1])
        return value
    before, out, removed = len(errors), dict(value), 0
    for key, prop in rule.props.items():
        new = _present(prop, out.get(key, NO), join_path(path, key), errors, partial)
        if new is NO:
            removed += key in out  # FV sets it to undefined: the key still counts for min/maxProps
            out.pop(key, None)
        else:
            out[key] = new
    strict = rule.opts.get("strict", False)
    extras = [key for key in out if key not in rule.props]
    if extras and strict is True:
        allowed = ", ".join(rule.props)
        if path:
            errors.append(fv_error(rule, path, ("objectStrict", allowed, ", ".join(map(str, extras)))))
        else:  # deliberate: at the root, name each unknown key
            for key in extras:  # FV's message, with the field it leaves empty
                errors.append({**fv_error(rule, "", ("objectStrict", allowed, str(key))), "field": str(key)})
    elif extras and strict == "remove" and len(errors) == before:
        for key in extras:
            del out[key]
    errors.extend(fv_error(rule, path, item) for item in CHECKERS["object"](rule, out, removed)[1])
    return out


def _array(rule: Rule, value: Any, path: str, errors: Errors) -> Any:
    value, found = CHECKERS["array"](rule, value)
    errors.extend(fv_error(rule, path, item) for item in found)
    if not isinstance(value, list) or rule.items is None:
        return value
    out = [_present(rule.items, item, f"{path}[{index}]", errors) for index, item in enumerate(value)]
    return [None if item is NO else item for item in out]  # a removed item leaves a hole, as in FV


def _multi(rule: Rule, value: Any, path: str, errors: Errors) -> Any:
    """The first alternative without errors gives the value; if none passes, every alternative's errors."""
    collected: Errors = []
    for alternative in rule.alternatives or []:
        mine: Errors = []
        new = _present(alternative, value, path, mine)
        if not mine:
            return new
        collected.extend(mine)
    errors.extend(collected)
    return value
