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

from datetime import datetime
from typing import Any

from .fv_checks import CHECKERS
from .fv_messages import fv_error
from .fv_rules import INVALID_DATE, NO, Err, Rule, join_path

__all__ = ["check_rule", "run"]

# An error found but not yet formatted: FV formats its messages once the whole check is done, so a value
# changed in place afterwards (an array whose items were trimmed) is printed changed. (rule, path, error, field)
Found = tuple[Rule, str, Err, str]
Errors = list[Found]


def run(root: Rule, params: Any, partial: bool = False) -> tuple[Any, list[dict[str, Any]]]:
    """``(converted params, FV's errors)`` for ``params`` under ``root``; no errors means valid.

    ``partial`` makes every top-level field of an object root optional, without defaults (as ``compile``).
    """
    errors: Errors = []
    if partial and root.type == "object" and root.props is not None and isinstance(params, dict):
        value = _object(root, _copy(params), "", errors, partial=True)
    else:
        value = _present(root, _copy(params), "", errors)
    rendered = [_render(found) for found in errors]  # before ``_strip``: JavaScript prints what it holds
    return (None if value is NO or value is INVALID_DATE else _strip(value)), rendered


def _render(found: Found) -> dict[str, Any]:
    rule, path, error, field = found
    entry = fv_error(rule, path, error)
    if field != path:  # a root $$strict error: FV's message, with the unknown key as the field
        entry["field"] = field
    return entry


def check_rule(rule: Rule, value: Any) -> tuple[Any, Errors]:
    """``(converted value, errors)`` for a present, non-``None`` value under one rule and its children."""
    errors: Errors = []
    value = _check(rule, _copy(value), "", errors)
    return _strip(value), errors


def _strip(value: Any) -> Any:
    """Drop the keys ``forbidden|remove`` left as ``NO`` (JavaScript's ``undefined``); array holes become
    ``None`` (JSON's ``null``). Walks only the containers this module copied and changed."""
    stack, seen = [value], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key in [key for key, item in node.items() if item is NO]:
                del node[key]
            for key in [key for key, item in node.items() if item is INVALID_DATE]:
                node[key] = None
            stack.extend(item for item in node.values() if isinstance(item, dict | list))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if item is NO or item is INVALID_DATE:
                    node[index] = None
                elif isinstance(item, dict | list):
                    stack.append(item)
    return value


def _copy(value: Any) -> Any:
    """A copy of every dict and list in ``value`` (other values shared), so the checks can change it in place
    as FV does while the caller's params never change. Shared and cyclic containers stay shared and cyclic."""
    if not isinstance(value, dict | list):
        return value
    copies: dict[int, Any] = {}

    def fresh(node: Any) -> Any:
        if id(node) not in copies:
            copies[id(node)] = {} if isinstance(node, dict) else []
            stack.append(node)
        return copies[id(node)]

    stack: list[Any] = []
    top = fresh(value)
    while stack:
        node = stack.pop()
        target = copies[id(node)]
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, item in items:
            new = fresh(item) if isinstance(item, dict | list) else item
            if isinstance(target, dict):
                target[key] = new
            else:
                target.append(new)
    return top


def _present(rule: Rule, value: Any, path: str, errors: Errors, partial: bool = False) -> Any:
    """FV's required wrapper: ``NO`` is an absent key, ``None`` is ``null``; then the rule itself.

    Objects and arrays (already copied) are changed in place, as FV does: the alternatives of a multi rule
    share one value, so a failed alternative's changes are seen by the next one.
    """
    if value is NO or value is None:
        if (value is NO and partial) or (value is None and rule.nullable):
            return value
        if rule.default is not NO:  # before ``optional`` and ``forbidden``, as in FV
            return rule.default_value()
        if rule.optional or rule.type == "forbidden":
            return value
        errors.append((rule, path, ("required", NO, None), path))
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
    errors.extend((rule, path, item, path) for item in found)
    return value


def _object(rule: Rule, value: Any, path: str, errors: Errors, partial: bool = False) -> Any:
    if isinstance(value, datetime) or value is INVALID_DATE:  # a JavaScript Date is an object without keys
        _object(rule, {}, path, errors, partial)
        return value
    if not isinstance(value, dict) or rule.props is None:
        errors.extend((rule, path, item, path) for item in CHECKERS["object"](rule, value)[1])
        return value
    out = value
    for key, prop in rule.props.items():
        new = _present(prop, out.get(key, NO), join_path(path, key), errors, partial)
        if new is not NO or key in out:  # FV assigns undefined: the key stays (and counts) until the end
            out[key] = new
    strict = rule.opts.get("strict", False)
    extras = [key for key in out if key not in rule.props]
    if extras and strict is True:
        allowed = ", ".join(rule.props)
        if path:
            errors.append((rule, path, ("objectStrict", allowed, ", ".join(map(str, extras))), path))
        else:  # deliberate: at the root, name each unknown key
            for key in extras:  # FV's message, with the field it leaves empty
                errors.append((rule, "", ("objectStrict", allowed, str(key)), str(key)))
    elif extras and strict == "remove" and not errors:  # FV: no error so far in the whole check (or alternative)
        for key in extras:
            del out[key]
    errors.extend((rule, path, item, path) for item in CHECKERS["object"](rule, out)[1])
    return out


def _array(rule: Rule, value: Any, path: str, errors: Errors) -> Any:
    value, found = CHECKERS["array"](rule, value)
    errors.extend((rule, path, item, path) for item in found)
    if not isinstance(value, list) or rule.items is None:
        return value
    for index, item in enumerate(value):
        new = _present(rule.items, item, f"{path}[{index}]", errors)
        value[index] = new  # a removed item leaves a hole (NO until ``_strip``), as in FV
    return value


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
