"""Run one ``(schema, params)`` through our validator and compare with fastest-validator's answer.

Our answer has the runner's shape (see ``tests/fv_node/runner.js``). ``expected`` turns FV's answer into the
answer we promise, applying each deliberate difference documented in ``docs/validator.md`` explicitly.
"""

from __future__ import annotations

import copy
import json
import math
import re
from datetime import datetime
from typing import Any

from broker.errors import ServiceSchemaError, ValidationError
from broker.validation import Validator

V = Validator()
_SAFE = 2**53


def _plain(value: Any) -> Any:
    """A Python result as it would come back through JSON from Node (dates as ``{"$date"}``)."""
    if isinstance(value, datetime):
        return {"$date": value.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and abs(value) > _SAFE:
        value = float(value) if abs(value) < 2**1024 else math.inf
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value == {"$date": None}:  # an invalid Date: JSON sends null, and so do we
        return None
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def ours(schema: Any, params: Any) -> dict[str, Any]:
    """Our answer: ``{"compile"}``, ``{"ok": True, "value"}``, ``{"ok": False, "errors"}``, or ``{"crash"}``."""
    try:
        check = V.compile(copy.deepcopy(schema))
    except ServiceSchemaError as exc:
        return {"compile": str(exc)}
    except Exception as exc:
        return {"crash": f"compile: {type(exc).__name__}: {exc}"}
    try:
        return {"ok": True, "value": _plain(check(copy.deepcopy(params)))}
    except ValidationError as exc:
        return {"ok": False, "errors": [[e["type"], e["field"]] for e in exc.data]}
    except Exception as exc:
        return {"crash": f"check: {type(exc).__name__}: {exc}"}


def expected(schema: Any, params: Any, fv: dict[str, Any]) -> dict[str, Any]:
    """FV's answer with our documented deliberate differences applied."""
    if fv.get("ok") is False:
        errors = []
        for kind, field, *actual in fv["errors"]:
            if kind == "objectStrict" and field is None:
                # deliberate: a root-level $$strict error names each unknown key (FV names no field)
                errors += [[kind, key] for key in actual[0].split(", ")]
            else:  # deliberate: ``field`` is always a string, "" for the params as a whole (FV: undefined)
                errors.append([kind, "" if field is None else field])
        return {"ok": False, "errors": errors}
    if fv.get("ok") is True:
        return {"ok": True, "value": _plain(fv["value"])}
    return fv


def _ours_set(got: dict[str, Any]) -> set[tuple[str, str]]:
    return {(kind, _item_owner(field) if kind == "required" else field) for kind, field in got["errors"]}


def _item_owner(field: str) -> str:
    """Deliberate: a missing array item is reported at the item (``a[2]``); FV names the array (``a``)."""
    return re.sub(r"\[\d+\]$", "", field)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def message_mismatch(schema: Any, params: Any, fv: dict[str, Any]) -> str | None:
    """Where FV and we report the same ``(type, field)``, the messages must be FV's, word for word.

    Skipped for schemas with dates (JavaScript prints a Date with ``toString()``, in the server's time zone).
    """
    if fv.get("ok") is not False or "date" in json.dumps(schema):
        return None
    try:
        V.compile(copy.deepcopy(schema))(copy.deepcopy(params))
        return None
    except ValidationError as exc:
        ours_ = {}
        for error in exc.data:
            ours_.setdefault((error["type"], error["field"]), set()).add(error["message"])
    except Exception:  # crashes are mismatch()'s business
        return None
    for kind, field, message in fv["errors"]:
        if (kind, field) in ours_ and message not in ours_[(kind, field)]:
            return f"message for {(kind, field)}: FV {message!r}, we {sorted(ours_[(kind, field)])!r}"
    return None


def _unsafe_int(value: Any) -> bool:
    """Whether ``value`` holds an int JavaScript would round (past 2**53, short of Infinity)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int) and not isinstance(node, bool) and _SAFE < abs(node) < 2**1024:
            return True
    return False


def allowed(schema: Any, params: Any, fv: dict[str, Any], got: dict[str, Any]) -> str | None:
    """The documented difference (docs/validator.md) that explains a disagreement, if one does."""
    if _unsafe_int(params):
        return "ints past 2**53 are kept exact (JavaScript rounds them to doubles)"
    if "date" in json.dumps(schema) and got.get("ok") is False and fv.get("ok") is not None:
        want = set() if fv["ok"] else {tuple(e) for e in expected(schema, params, fv)["errors"]}
        ours_ = _ours_set(got)
        dated = {field for kind, field in ours_ if kind == "date"}
        under = [re.escape(field) + r"(?:$|[.\[])" for field in dated]
        if want < ours_ and under and all(re.match("|".join(under), field) for _, field in ours_ - want):
            return "date conversion reads ISO 8601 text only (V8 also guesses at other text)"
    return None


def mismatch(schema: Any, params: Any, fv: dict[str, Any]) -> str | None:
    """``None`` when we agree with FV (after the deliberate differences), else what differs."""
    if "crash" in fv:
        return None  # FV itself threw: nothing to agree with
    want, got = expected(schema, params, fv), ours(schema, params)
    if "crash" not in got and "compile" not in got and allowed(schema, params, fv, got):
        return None
    if "crash" in got:
        return f"we crash: {got['crash']}"
    if ("compile" in want) != ("compile" in got):
        return f"compile: FV {want.get('compile')!r}, we {got.get('compile')!r}"
    if "compile" in want:
        return None
    if want["ok"] != got["ok"]:
        return f"pass/fail: FV {want}, we {got}"
    if want["ok"] and isinstance(schema, dict) and schema.get("$$root") is True:
        return None  # deliberate: a $$root rule returns its converted value; FV can only change the given object
    if want["ok"]:
        return None if _same_value(want["value"], got["value"]) else f"value: FV {want['value']}, we {got['value']}"
    want_set = {tuple(e) for e in want["errors"]}
    got_set = _ours_set(got)
    if want_set == got_set:
        return None
    return f"errors: only FV {sorted(want_set - got_set, key=str)}, only we {sorted(got_set - want_set, key=str)}"
