"""Read-action parameter clean-up (moleculer-db's ``sanitizeParams``), without its JavaScript traps.

Query strings and REST gateways deliver everything as strings, so the read actions convert them before use.
moleculer-db turned a bad number into ``NaN``, crashed with a ``SyntaxError`` on a bad ``query``, kept empty
items when splitting ``" a,b "`` and answered ``{}`` for every row on an empty ``fields``. Here each of those
is a ``ValidationError`` (422) that names the parameter, or (for the empty split items) simply dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from broker.errors import ValidationError

__all__ = ["LIST_PARAMS", "NUMERIC_PARAMS", "sanitize_params", "split_list"]

NUMERIC_PARAMS = ("limit", "offset", "page", "pageSize")
LIST_PARAMS = ("sort", "fields", "excludeFields", "populate", "searchFields")

_SEPARATORS = re.compile(r"[,\s]+")

_DEFAULT_PAGE_SIZE = 10
_DEFAULT_MAX_PAGE_SIZE = 100
_DEFAULT_MAX_LIMIT = -1


def split_list(value: str) -> list[str]:
    """``"a, b  c"`` → ``["a", "b", "c"]``: commas and/or whitespace separate, empty items are dropped."""
    return [item for item in _SEPARATORS.split(value) if item]


def _issue(type_: str, field: str, message: str, actual: Any) -> dict[str, Any]:
    return {"type": type_, "field": field, "message": message, "actual": actual}


def _to_count(name: str, value: Any, issues: list[dict[str, Any]]) -> int | None:
    """A paging number as a non-negative int; ``None`` means "absent". Problems are appended to ``issues``."""
    actual = value
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
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
    if value < 0:
        issues.append(
            _issue("numberMin", name, f"The '{name}' field must be greater than or equal to 0.", actual)
        )
        return None
    return value


def _to_query(value: Any, issues: list[dict[str, Any]]) -> Any:
    """A JSON-encoded ``query`` decoded into an object; anything but a JSON object is an issue."""
    try:
        decoded = json.loads(value)
    except ValueError as exc:
        issues.append(_issue("json", "query", f"The 'query' field must be valid JSON ({exc.msg}).", value))
        return value
    if not isinstance(decoded, dict):
        issues.append(_issue("object", "query", "The 'query' field must be a JSON object.", value))
        return value
    return decoded


def sanitize_params(
    params: Mapping[str, Any], settings: Mapping[str, Any], *, is_list: bool
) -> dict[str, Any]:
    """A converted shallow copy of ``params``: numbers parsed, ``query`` decoded, lists split, paging capped.

    ``is_list`` adds the ``list`` action's paging: ``page``/``pageSize`` default to 1 and
    ``settings["pageSize"]``, ``pageSize`` is capped by ``settings["maxPageSize"]`` and becomes ``limit``, and
    ``offset`` is derived (incoming ``limit``/``offset`` are overwritten). Every action then caps ``limit`` by
    ``settings["maxLimit"]`` (when > 0), a missing ``limit`` included, so omitting it cannot bypass the cap.
    All problems are reported together in one ``ValidationError``.
    """
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

    for name in LIST_PARAMS:
        if isinstance(p.get(name), str):
            p[name] = split_list(p[name])

    fields = p.get("fields")
    if fields is not None and (
        not isinstance(fields, list | tuple) or not any(isinstance(f, str) and f.strip() for f in fields)
    ):
        issues.append(_issue("fields", "fields", "fields must name at least one field", params.get("fields")))

    if issues:
        raise ValidationError("Parameters validation error!", data=issues)

    if is_list:
        if not p.get("pageSize"):
            p["pageSize"] = settings.get("pageSize", _DEFAULT_PAGE_SIZE)
        if not p.get("page"):
            p["page"] = 1
        max_page_size = settings.get("maxPageSize", _DEFAULT_MAX_PAGE_SIZE)
        if max_page_size and max_page_size > 0 and p["pageSize"] > max_page_size:
            p["pageSize"] = max_page_size
        p["limit"] = p["pageSize"]
        p["offset"] = (p["page"] - 1) * p["pageSize"]

    max_limit = settings.get("maxLimit", _DEFAULT_MAX_LIMIT)
    if max_limit and max_limit > 0 and (p.get("limit") is None or p["limit"] > max_limit):
        p["limit"] = max_limit  # an absent limit is capped too (moleculer-db let it through unbounded)
    return p
