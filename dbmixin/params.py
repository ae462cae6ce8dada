"""Read-action parameter clean-up (moleculer-db's ``sanitizeParams``), without its JavaScript traps.

Query strings and REST gateways deliver everything as strings, so the read actions convert them before use.
moleculer-db turned a bad number into ``NaN``, crashed with a ``SyntaxError`` on a bad ``query``, kept empty
items when splitting ``" a,b "`` and answered ``{}`` for every row on an empty ``fields``. Here each of those
is a ``ValidationError`` (422) that names the parameter, or (for the empty split items) simply dropped.

Falsy values are values (one rule per param, the same on every path):

* ``limit: 0`` means "no limit" (as MongoDB and moleculer-db), still capped by ``maxLimit``; ``offset: 0`` is
  no offset; ``page`` must be >= 1 and ``pageSize`` >= 1 (``0`` is a 422, moleculer-db silently used the
  default); ``""`` or ``None`` for a number means "absent" (an empty query-string value).
* ``fields: []``/``""`` is a 422 (no field could be returned); ``populate``/``excludeFields``/``sort``/
  ``searchFields`` ``[]``/``""`` mean "none"; ``search: ""`` is no search; ``query: {}`` matches everything.

Bounds (each a 422 naming the param): paging numbers are integers in ``0 .. MAX_COUNT`` (2**53 - 1, the
largest integer JSON/JavaScript carry exactly), given as at most ``MAX_NUMBER_CHARS`` characters when a string;
``(page - 1) * pageSize`` must not pass ``MAX_COUNT``; a list param holds at most ``MAX_LIST_ITEMS`` items;
``query`` nests at most ``MAX_DEPTH`` levels; a ``get``
takes at most ``maxLimit`` ids when ``maxLimit`` > 0 (otherwise ``MAX_IDS``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from adapters.query import split_list  # one list splitter for the query language and the mixin
from broker.errors import ValidationError

__all__ = [
    "LIST_PARAMS",
    "MAX_COUNT",
    "MAX_DEPTH",
    "MAX_IDS",
    "MAX_INT",
    "MAX_LIST_ITEMS",
    "NUMERIC_PARAMS",
    "check_depth",
    "sanitize_params",
    "split_list",
]

NUMERIC_PARAMS = ("limit", "offset", "page", "pageSize")
LIST_PARAMS = ("sort", "fields", "excludeFields", "populate", "searchFields")
MAX_COUNT = 2**53 - 1
MAX_NUMBER_CHARS = 32
MAX_DEPTH = 32
MAX_IDS = 100_000
MAX_LIST_ITEMS = 100
"""The most items of a list param (``fields``, ``excludeFields``, ``populate``, ``sort``, ``searchFields``): each is
applied to every returned entity, so 100,000 ``excludeFields`` blocked the event loop for minutes."""
MAX_INT = 2**63 - 1
"""The largest integer an entity may hold (MongoDB's int64, SQL's BIGINT); a larger one is a 422."""

_MINIMUM = {"limit": 0, "offset": 0, "page": 1, "pageSize": 1}
_INTEGER = re.compile(r"[+-]?\d+")

_DEFAULT_PAGE_SIZE = 10
_DEFAULT_MAX_PAGE_SIZE = 100
_DEFAULT_MAX_LIMIT = -1




def _issue(type_: str, field: str, message: str, actual: Any) -> dict[str, Any]:
    return {"type": type_, "field": field, "message": message, "actual": _short(actual)}


def _short(value: Any) -> Any:
    """The ``actual`` of an issue: short scalars as they are, anything else as a short text (never raises)."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_COUNT else f"<an integer of {value.bit_length()} bits>"
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    if isinstance(value, list | dict) and len(value) <= 8:
        return value
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"<a {type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def storable_key(key: Any) -> bool:
    """Whether a field name can be stored and queried: a non-empty string without ``.`` not starting with ``$``."""
    return type(key) is str and key != "" and key[0] != "$" and "." not in key


def _within(value: Any, limit: int, max_int: int | None, keys: bool = False) -> bool:
    """Fast scan: no nesting deeper than ``limit``, (with ``max_int``) no integer beyond ``±max_int`` nor NaN or
    infinity, and (with ``keys``) only storable field names."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        t = type(item)
        if t is str or t is bool or item is None:
            continue
        if t is float:
            if max_int is not None and not math.isfinite(item):
                return False
            continue
        if t is dict or (t is not list and t is not tuple and isinstance(item, Mapping)):
            if keys and not all(storable_key(k) for k in item):
                return False
            children: Any = item.values()
        elif t is list or t is tuple or isinstance(item, list | tuple):
            children = item
        else:
            if max_int is not None and _out_of_bounds(item, max_int):
                return False
            continue
        if depth > limit:
            return False
        for child in children:  # scalars inline (the common case), containers and other types on the stack
            ct = type(child)
            if ct is str or ct is bool or child is None:
                continue
            if ct is int and max_int is not None:
                if child > max_int or child < -max_int:
                    return False
                continue
            push((child, depth + 1))
    return True


def _out_of_bounds(item: Any, max_int: int) -> bool:
    if isinstance(item, float):
        return not math.isfinite(item)
    return isinstance(item, int) and not isinstance(item, bool) and abs(item) > max_int


def check_depth(
    value: Any, field: str, limit: int = MAX_DEPTH, max_int: int | None = None, keys: bool = False
) -> dict[str, Any] | None:
    """An issue when ``value`` nests dicts/lists deeper than ``limit`` levels, (with ``max_int``) holds an integer
    beyond ``±max_int`` or a NaN/infinity, or (with ``keys``) a field name that ``storable_key`` refuses (checked
    without recursion; the issue names the path)."""
    if _within(value, limit, max_int, keys):
        return None
    root = "" if field == "params" else field  # the params themselves: paths are their keys
    stack: list[tuple[Any, int, str]] = [(value, 1, root)]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, Mapping):
            for k in item:
                if keys and not storable_key(k):
                    where = f"{path}.{k}" if path else str(k)
                    return _issue("fieldName", where, f"The field name '{str(k)[:40]}' is not storable: field names "
                                  "are non-empty, contain no '.' and do not start with '$'.", str(k))  # fmt: skip
            children: Any = ((f"{path}.{k}" if path else str(k), v) for k, v in item.items())
        elif isinstance(item, list | tuple):
            children = ((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(item))
        else:
            if max_int is not None and _out_of_bounds(item, max_int):
                if isinstance(item, float):
                    return _issue("number", path, f"The '{path}' field must be a finite number.", item)
                return _issue("numberMax", path, f"The '{path}' field must be an integer within ±{max_int}.", item)
            continue
        if depth > limit:
            return _issue("depth", field, f"The '{field}' field nests more than {limit} levels.", "...")
        stack.extend((child, depth + 1, child_path) for child_path, child in children)
    return None  # pragma: no cover - the fast scan and this one agree


def _to_count(name: str, value: Any, issues: list[dict[str, Any]]) -> int | None:
    """A paging number as a bounded int; ``None`` means "absent". Problems are appended to ``issues``."""
    actual = value
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        if len(value) > MAX_NUMBER_CHARS:
            issues.append(_issue("numberMax", name, f"The '{name}' field is too long a number.", actual))
            return None
        try:
            value = int(value) if _INTEGER.fullmatch(value) else float(value)
        except ValueError:
            issues.append(_issue("number", name, f"The '{name}' field must be a number.", actual))
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        issues.append(_issue("number", name, f"The '{name}' field must be a number.", actual))
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            issues.append(_issue("numberInteger", name, f"The '{name}' field must be an integer.", actual))
            return None
        value = int(value)
    minimum = _MINIMUM[name]
    if value < minimum:
        issues.append(
            _issue("numberMin", name, f"The '{name}' field must be greater than or equal to {minimum}.", actual)
        )
        return None
    if value > MAX_COUNT:
        issues.append(_issue("numberMax", name, f"The '{name}' field must be less than or equal to {MAX_COUNT}.",
                             actual))  # fmt: skip
        return None
    return int(value)


def _to_query(value: Any, issues: list[dict[str, Any]]) -> Any:
    """A JSON-encoded ``query`` decoded into an object; anything but a JSON object is an issue."""
    try:
        decoded = json.loads(value)
    except ValueError as exc:
        message = getattr(exc, "msg", str(exc))
        issues.append(_issue("json", "query", f"The 'query' field must be valid JSON ({message}).", value))
        return value
    except RecursionError:
        issues.append(_issue("depth", "query", f"The 'query' field nests more than {MAX_DEPTH} levels.", value))
        return value
    if not isinstance(decoded, dict):
        issues.append(_issue("object", "query", "The 'query' field must be a JSON object.", value))
        return value
    return decoded


def _to_list(name: str, value: Any, issues: list[dict[str, Any]]) -> Any:
    """A list param as a list of strings (a string is split); other shapes, or more than ``MAX_LIST_ITEMS`` items,
    are an issue."""
    if value is None:
        return None
    if isinstance(value, str):
        value = split_list(value)
    if isinstance(value, list | tuple) and len(value) > MAX_LIST_ITEMS:
        issues.append({**_issue("arrayMax", name, f"The '{name}' field must contain at most {MAX_LIST_ITEMS} items.",
                                len(value)), "expected": MAX_LIST_ITEMS})  # fmt: skip
        return value
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if not isinstance(item, str):
                issues.append(_issue("string", f"{name}.{i}", f"The '{name}.{i}' field must be a string.", item))
                return value
        return value
    issues.append(_issue("array", name, f"The '{name}' field must be a string or an array of strings.", value))
    return value


def sanitize_params(
    params: Mapping[str, Any], settings: Mapping[str, Any], *, is_list: bool
) -> dict[str, Any]:
    """A converted shallow copy of ``params``: numbers parsed, ``query`` decoded, lists split, paging capped.

    ``is_list`` (the ``list`` action's ``paging`` flag) adds the paging: ``page``/``pageSize`` default to 1 and
    ``settings["pageSize"]``, ``pageSize`` is capped by ``settings["maxPageSize"]`` and becomes ``limit``, and
    ``offset`` is derived (incoming ``limit``/``offset`` are overwritten). Every action then caps ``limit`` by
    ``settings["maxLimit"]`` (when > 0), a missing ``limit`` (or ``0``, "no limit") included, so omitting it
    cannot bypass the cap. All problems are reported together in one ``ValidationError`` (422).
    """
    if type(params) is not dict and not isinstance(params, Mapping):
        raise ValidationError("Parameters validation error!",
                              data=[_issue("object", "params", "The params must be an object.", params)])  # fmt: skip
    p = dict(params)
    issues: list[dict[str, Any]] = []

    for name in NUMERIC_PARAMS:
        if name in p:
            number = _to_count(name, p[name], issues)
            if number is None:
                del p[name]  # "" / None mean absent; invalid values are reported below
            else:
                p[name] = number

    if isinstance(p.get("query"), str):
        p["query"] = _to_query(p["query"], issues)
    if p.get("query") is not None:
        issue = check_depth(p["query"], "query")
        if issue is not None:
            issues.append(issue)

    for name in LIST_PARAMS:
        if name in p:
            p[name] = _to_list(name, p[name], issues)

    fields = p.get("fields")
    if fields is not None and isinstance(fields, list | tuple) and not any(
        isinstance(f, str) and f.strip() for f in fields
    ):
        issues.append(_issue("fields", "fields", "fields must name at least one field", params.get("fields")))

    if "id" in p:
        _check_ids(p["id"], settings, issues)
    if "mapping" in p and p["mapping"] is not None and not isinstance(p["mapping"], bool):
        issues.append(_issue("boolean", "mapping", "The 'mapping' field must be a boolean.", p["mapping"]))

    if issues:
        raise ValidationError("Parameters validation error!", data=issues)

    if is_list:
        p.setdefault("pageSize", settings.get("pageSize", _DEFAULT_PAGE_SIZE))
        p.setdefault("page", 1)
        max_page_size = settings.get("maxPageSize", _DEFAULT_MAX_PAGE_SIZE)
        if max_page_size and max_page_size > 0 and p["pageSize"] > max_page_size:
            p["pageSize"] = max_page_size
        p["limit"] = p["pageSize"]
        p["offset"] = (p["page"] - 1) * p["pageSize"]
        if p["offset"] > MAX_COUNT:
            raise ValidationError("Parameters validation error!", data=[_issue(
                "numberMax", "page", f"The 'page' field is too large: (page - 1) * pageSize passes {MAX_COUNT}.",
                params.get("page"))])  # fmt: skip
    elif p.get("limit") == 0:
        del p["limit"]  # 0 means "no limit", as in MongoDB; maxLimit still applies below

    max_limit = settings.get("maxLimit", _DEFAULT_MAX_LIMIT)
    if max_limit and max_limit > 0 and (p.get("limit") is None or p["limit"] > max_limit):
        p["limit"] = max_limit  # an absent limit is capped too (moleculer-db let it through unbounded)
    return p


def max_ids(settings: Mapping[str, Any]) -> int:
    """How many ids one ``get`` accepts: ``maxLimit`` when it is > 0, else ``MAX_IDS``."""
    max_limit = settings.get("maxLimit", _DEFAULT_MAX_LIMIT)
    return max_limit if isinstance(max_limit, int) and max_limit > 0 else MAX_IDS


def _check_ids(value: Any, settings: Mapping[str, Any], issues: list[dict[str, Any]]) -> None:
    if isinstance(value, list | tuple):
        cap = max_ids(settings)
        if len(value) > cap:
            issue = _issue("arrayMax", "id", f"The 'id' field must contain at most {cap} ids.", len(value))
            issues.append({**issue, "expected": cap})  # the cap, as FV's arrayMax: populate splits its calls by it
            return
        for i, item in enumerate(value):
            if isinstance(item, dict | list | tuple):
                issues.append(_issue("id", f"id.{i}", f"The 'id.{i}' field must be a string or a number.", item))
                return
    elif isinstance(value, dict):
        issues.append(_issue("id", "id", "The 'id' field must be a string, a number or a list of them.", value))
