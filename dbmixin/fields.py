"""Field paths: whitelisting (``fields``), blacklisting (``excludeFields``), authorisation and dot-flattening.

Paths use lodash syntax: ``a.b``, ``a[0].b``, ``a.0.b`` and the ``$`` wildcard that stands for every element
of an array (``items.$.id``). These are pure functions; the mixin applies them in ``transform_documents``.

Differences from moleculer-db, all in the direction of "an excluded field never leaks":

* ``exclude_fields`` understands ``$`` (``items.$.secret`` removes ``secret`` from every element; lodash's
  ``_.unset`` treated ``$`` as a literal key) and removes both a literal dotted key (``{"a.b": …}``) and the
  nested path (lodash removed only the literal key when one existed).
* ``filter_fields`` and ``merge_excludes`` accept a string and split it, instead of ignoring it.
* ``flatten`` keeps an empty dict as a value (moleculer-db dropped the key, so ``$set: {a: {}}`` was lost).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from adapters.query import split_list

__all__ = [
    "authorize_fields",
    "exclude_fields",
    "filter_fields",
    "flatten",
    "merge_excludes",
    "split_path",
    "to_path",
]

# lodash's ``rePropName``: a plain segment, a bracketed number or quoted key, or an empty segment.
_PROP_NAME = re.compile(
    r"""[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\\]|\\.)*?)\2)\]|(?=(?:\.|\[\])(?:\.|\[\]|$))"""
)
_ESCAPE_CHAR = re.compile(r"\\(\\)?")


def split_path(path: str) -> list[str]:
    """Split a lodash path into segments, as ``_stringToPath``: ``"a[0].b"`` → ``["a", "0", "b"]``."""
    result: list[str] = [""] if path.startswith(".") else []
    for match in _PROP_NAME.finditer(path):
        number, quote, quoted = match.group(1), match.group(2), match.group(3)
        if quote:
            result.append(_ESCAPE_CHAR.sub(lambda m: m.group(1) or "", quoted))
        else:
            result.append(number if number is not None else match.group(0))
    return result


def to_path(obj: Any, path: str) -> list[str]:
    """Segments of ``path`` for ``obj``: a literal key (``"a.b"``) that exists wins, as in lodash get/set."""
    if isinstance(obj, Mapping) and path in obj:
        return [path]
    return split_path(path)


def _as_list(fields: str | Iterable[str] | None) -> list[str]:
    if fields is None:
        return []
    if isinstance(fields, str):
        return split_list(fields)
    return list(fields)


def _index(seq: list[Any], segment: str | int) -> int | None:
    """``segment`` as an existing index of ``seq`` (canonical non-negative integers, like JS own keys)."""
    if isinstance(segment, int):
        return segment if 0 <= segment < len(seq) else None
    if segment.isascii() and segment.isdigit() and str(int(segment)) == segment and int(segment) < len(seq):
        return int(segment)
    return None


# ---------------------------------------------------------------------------------------------- filter_fields


def _store(res: dict[str, Any], trail: list[list[Any]], value: Any) -> None:
    """Assign ``value`` into ``res`` along ``trail`` (``[key, is_array]`` entries), creating containers."""
    container: Any = res
    for i, (key, is_array) in enumerate(trail):
        last = i == len(trail) - 1
        if isinstance(container, list):
            idx = int(key)
            if idx >= len(container):
                container.extend([None] * (idx + 1 - len(container)))  # JS would leave holes
            if last:
                container[idx] = value
            else:
                if container[idx] is None:
                    container[idx] = [] if is_array else {}
                container = container[idx]
        elif last:
            container[key] = value
        else:
            if key not in container:
                container[key] = [] if is_array else {}
            container = container[key]


def _copy_path(doc: Any, paths: list[str], res: dict[str, Any], i: int, trail: list[list[Any]]) -> None:
    """moleculer-db's ``copyFieldValueByPath``: walk ``doc`` along ``paths``, branching on ``$``."""
    while i < len(paths):
        segment = paths[i]
        if isinstance(doc, list):
            if trail:
                trail[-1][1] = True
            if segment == "$":
                for idx, item in enumerate(doc):
                    _copy_path(item, paths, res, i + 1, [*trail, [idx, False]])
                return
            found = _index(doc, segment)
            if found is None:
                return
            trail = [*trail, [found, False]]
            doc = doc[found]
        elif isinstance(doc, Mapping) and segment in doc:
            trail = [*trail, [segment, False]]
            doc = doc[segment]
        else:
            return
        i += 1
    if trail:
        _store(res, trail, doc)


def filter_fields(doc: Mapping[str, Any], fields: str | Iterable[str] | None) -> Any:
    """Only the ``fields`` of ``doc`` (``None`` → ``doc`` itself), so a whitelist decides what callers see.

    Values are shared with ``doc``, not copied. Array indices skipped by explicit numeric paths are padded
    with ``None``; an empty array reached through ``$`` produces no key; missing paths produce nothing.
    """
    if fields is None:
        return doc
    res: dict[str, Any] = {}
    for field in _as_list(fields):
        paths = split_path(field)
        if paths:
            _copy_path(doc, paths, res, 0, [])
    return res


# --------------------------------------------------------------------------------------------- exclude_fields


def _unset(obj: Any, paths: list[str]) -> None:
    """``_.unset`` over segments, with ``$`` meaning every element; a removed list item leaves ``None``."""
    if not paths:
        return
    segment, rest = paths[0], paths[1:]
    if isinstance(obj, list):
        targets = range(len(obj)) if segment == "$" else [_index(obj, segment)]
        for idx in targets:
            if idx is None:
                continue
            if rest:
                _unset(obj[idx], rest)
            else:
                obj[idx] = None  # ``delete arr[i]`` leaves a hole, which JSON renders as null
    elif isinstance(obj, dict) and segment in obj:
        if rest:
            _unset(obj[segment], rest)
        else:
            del obj[segment]


def exclude_fields(doc: Any, fields: str | Iterable[str] | None) -> Any:
    """A deep copy of ``doc`` without ``fields`` (``$`` works over arrays); no fields → ``doc`` itself.

    Removing a leaf leaves its (possibly empty) parent, as lodash's ``_.unset``.
    """
    paths = _as_list(fields)
    if not paths:
        return doc
    res = copy.deepcopy(doc)
    for field in paths:
        if isinstance(res, dict) and field in res:
            del res[field]
        _unset(res, split_path(field))
    return res


def merge_excludes(
    settings_excludes: str | Iterable[str] | None, request_excludes: str | Iterable[str] | None
) -> list[str]:
    """Request exclusions plus the service's, deduplicated: a request can add exclusions, never lift one."""
    merged: list[str] = []
    for field in [*_as_list(request_excludes), *_as_list(settings_excludes)]:
        if field not in merged:
            merged.append(field)
    return merged


# ------------------------------------------------------------------------------------------ authorize_fields


def authorize_fields(asked: Iterable[str] | None, allowed: Iterable[str] | None) -> list[str] | None:
    """The asked fields that the whitelist ``allowed`` (``settings.fields``) lets a caller see.

    Without a whitelist the request is returned unchanged (``None`` stays ``None``: no filtering). Otherwise
    a field is kept when it is whitelisted or lies under a whitelisted field (``a.b.c`` under ``a``), and a
    field asked for as a whole is narrowed to its whitelisted children (``author`` → ``author.name``, in
    whitelist order). Prefixes are compared segment-wise from the start, so asking ``user`` never matches
    ``author.user.name`` (moleculer-db PR #335). Duplicates are dropped; unmatched fields are dropped.
    """
    allowed_list = _as_list(allowed)
    if not allowed_list:
        return asked if asked is None or isinstance(asked, list) else _as_list(asked)
    whitelist = set(allowed_list)
    result: list[str] = []

    def add(field: str) -> None:
        if field not in result:
            result.append(field)

    for field in _as_list(asked):
        if field in whitelist:
            add(field)
            continue
        parts = field.split(".")
        if any(".".join(parts[:n]) in whitelist for n in range(len(parts) - 1, 0, -1)):
            add(field)
            continue
        for child in allowed_list:
            if child.startswith(field + "."):
                add(child)
    return result


# --------------------------------------------------------------------------------------------------- flatten


def flatten(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dot keys (``{"a": {"b": 1}}`` → ``{"a.b": 1}``) for ``$set`` with ``useDotNotation``.

    Lists, ``None`` and other objects are values, so an update replaces them whole; an empty dict is kept as a
    value too (setting a field to ``{}``).
    """
    res: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            res.update(flatten(value, name))
        else:
            res[name] = value
    return res
