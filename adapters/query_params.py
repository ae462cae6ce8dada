"""Sort, update and find-params parsing: the rest of the portable language, validated once like the query
tree."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .errors import query_error
from .query_limits import (
    INT64_MAX,
    MAX_SEARCH_FIELDS,
    MAX_SEARCH_LENGTH,
    MAX_SORT_KEYS,
    check_shape,
    is_valid_unicode,
)
from .query_tree import (
    MatchAll,
    Node,
    Search,
    _short,
    check_path,
    check_value,
    conjunction,
    parse_query,
    split_path,
)

__all__ = [
    "FindParams",
    "SortKey",
    "Update",
    "parse_find_params",
    "parse_sort",
    "parse_update",
    "split_list",
]

_SPLIT = re.compile(r"[,\s]+")


def split_list(value: str) -> list[str]:
    """``"a, b c"`` → ``["a", "b", "c"]`` (moleculer-db's ``/[,\\s]+/`` split, empty items dropped)."""
    return [item for item in _SPLIT.split(value) if item]


# ------------------------------------------------------------------------------------------------------- sort


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key: a dotted ``path`` and its direction."""

    path: str
    descending: bool = False


def parse_sort(sort: Any) -> tuple[SortKey, ...]:
    """``"-price name"``, ``"price,-name"``, ``["-price", "name"]`` or ``{"price": -1, "name": 1}`` → sort
    keys.

    ``None``/``""``/``[]`` mean no sort. A leading ``-`` means descending. At most ``MAX_SORT_KEYS`` (32, as
    MongoDB) keys; more is a 422.
    """
    if sort is None:
        return ()
    if isinstance(sort, str):
        if len(sort) > MAX_SORT_KEYS * 1002:
            raise query_error("sort", f"a sort is limited to {MAX_SORT_KEYS} keys", _repr(sort), "sort")
        items: list[Any] = split_list(sort)
    elif isinstance(sort, Mapping):
        if len(sort) > MAX_SORT_KEYS:
            raise query_error("sort", f"a sort is limited to {MAX_SORT_KEYS} keys", len(sort), "sort")
        return tuple(_sort_entry(path, direction) for path, direction in sort.items())
    elif isinstance(sort, list | tuple):
        if len(sort) > MAX_SORT_KEYS:
            raise query_error("sort", f"a sort is limited to {MAX_SORT_KEYS} keys", len(sort), "sort")
        items = []
        for item in sort:
            if isinstance(item, SortKey):
                items.append(item)
            elif isinstance(item, str):
                items.extend(split_list(item))
            else:
                raise query_error("sort", "sort items must be strings like 'name' or '-name'", _repr(item), "sort")
    else:
        raise query_error("sort", "sort must be a string, a list of strings or an object", _repr(sort), "sort")
    if len(items) > MAX_SORT_KEYS:
        raise query_error("sort", f"a sort is limited to {MAX_SORT_KEYS} keys", len(items), "sort")
    keys = []
    for item in items:
        if isinstance(item, SortKey):
            keys.append(item)
            continue
        descending = item.startswith("-")
        path = item[1:] if descending else item
        keys.append(SortKey(check_path(path, "sort", "sort"), descending))
    return tuple(keys)


def _sort_entry(path: Any, direction: Any) -> SortKey:
    check_path(path, "sort", "sort")
    if type(direction) in (int, float, str):
        if direction in (1, "asc", "ASC"):
            return SortKey(path, False)
        if direction in (-1, "desc", "DESC"):
            return SortKey(path, True)
    raise query_error(f"sort.{path}", "a sort direction must be 1, -1, 'asc' or 'desc'", _repr(direction), "sort")


# ----------------------------------------------------------------------------------------------------- update


@dataclass(frozen=True, slots=True)
class Update:
    """A validated update: ``$set`` pairs, ``$unset`` paths and ``$inc`` pairs (dotted paths, no conflicts)."""

    set: tuple[tuple[str, Any], ...] = ()
    unset: tuple[str, ...] = ()
    inc: tuple[tuple[str, int | float], ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path the update touches (to know which indexes it can affect)."""
        return tuple(p for p, _ in self.set) + self.unset + tuple(p for p, _ in self.inc)

    def __bool__(self) -> bool:
        return bool(self.set or self.unset or self.inc)


_UPDATE_OPS = ("$set", "$unset", "$inc")


def parse_update(update: Any, id_key: str = "_id") -> Update:
    """Validate an update document. A dict without ``$`` keys means ``$set``; mixing both forms is an error.

    Paths may be dotted; two paths where one is the other's prefix conflict; ``id_key`` cannot be changed;
    ``$inc`` needs numbers. ``$set`` values must be storable (``check_value``: a 422 naming the path otherwise) and
    are copied, so the caller may reuse its dict.
    """
    if not isinstance(update, Mapping):
        raise query_error("update", "the update must be an object", _repr(update), "update")
    check_shape(update, "", "update")
    keys = list(update)
    dollar = [k for k in keys if isinstance(k, str) and k.startswith("$")]
    if dollar and len(dollar) != len(keys):
        plain = next(k for k in keys if k not in dollar)
        raise query_error(str(plain), "update operators and plain fields cannot be mixed", plain, "update")
    if not dollar:
        update = {"$set": update} if update else {}
    sets: list[tuple[str, Any]] = []
    unsets: list[str] = []
    incs: list[tuple[str, int | float]] = []
    for op, operand in update.items():
        if op not in _UPDATE_OPS:
            raise query_error(op, f"unknown update operator '{op}' (use $set, $unset or $inc)", op, "update")
        if op == "$unset" and isinstance(operand, list | tuple):
            operand = {check_path(path, f"{op}.{i}", "update"): "" for i, path in enumerate(operand)}
        if not isinstance(operand, Mapping):
            raise query_error(op, f"{op} needs an object of fields", _repr(operand), "update")
        for path, value in operand.items():
            where = f"{op}.{path}" if dollar else str(path)
            check_path(path, where, "update")
            if split_path(path)[0] == id_key:
                raise query_error(where, f"'{id_key}' cannot be changed: ids are immutable", path, "update")
            if op == "$set":
                sets.append((path, check_value(value, where, "update", stored=True)))
            elif op == "$unset":
                unsets.append(path)
            else:
                if type(value) not in (int, float):
                    raise query_error(where, "$inc needs a number", _repr(value), "update")
                incs.append((path, check_value(value, where, "update")))
    _check_conflicts([p for p, _ in sets] + unsets + [p for p, _ in incs])
    return Update(tuple(sets), tuple(unsets), tuple(incs))


def _check_conflicts(paths: list[str]) -> None:
    ordered = sorted((split_path(p), p) for p in paths)
    for (a, pa), (b, pb) in pairwise(ordered):
        if b[: len(a)] == a:
            raise query_error(pb, f"updating '{pb}' conflicts with updating '{pa}'", pb, "update")


# ------------------------------------------------------------------------------------------------ find params


@dataclass(frozen=True, slots=True)
class FindParams:
    """The parsed find/count params. ``filter`` is what adapters evaluate: ``query`` AND the search (if any)."""

    filter: Node = field(default_factory=MatchAll)
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None
    offset: int = 0
    query: Node = field(default_factory=MatchAll)
    search: str | None = None
    search_fields: tuple[str, ...] = ()

    @classmethod
    def parse(cls, params: Mapping[str, Any] | None, *, paging: bool = True) -> FindParams:
        """Same as ``parse_find_params``."""
        return parse_find_params(params, paging=paging)


def parse_find_params(params: Mapping[str, Any] | None, *, paging: bool = True) -> FindParams:
    """Parse ``query``, ``search`` (``iSearch`` as a fallback), ``searchFields`` and, with ``paging``,
    ``sort``, ``limit`` and ``offset``. Other keys (``populate``, ``fields``, ``page``...) are ignored.

    ``limit``/``offset`` of ``0`` or ``None`` mean none; numeric strings are converted; negative or
    non-integer values are a 422. ``paging=False`` (for ``count``) skips sort/limit/offset entirely.
    """
    if params is None:
        return FindParams()
    if not isinstance(params, Mapping):
        raise query_error("params", "find params must be an object", _repr(params), "params")
    query = parse_query(params.get("query"))
    search = _search_text(params.get("search"), "search")
    if search is None:
        search = _search_text(params.get("iSearch"), "iSearch")
    fields = _search_fields(params.get("searchFields"))
    filter_ = query
    if search is not None:
        filter_ = conjunction([query, Search(search, fields)])
    if not paging:
        return FindParams(filter_, query=query, search=search, search_fields=fields)
    limit = _count_param(params.get("limit"), "limit")
    offset = _count_param(params.get("offset"), "offset")
    return FindParams(filter_, parse_sort(params.get("sort")), limit or None, offset or 0, query, search, fields)


def _search_text(value: Any, name: str) -> str | None:
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(check_value(value, name, "params"))  # 64-bit ints, finite floats
    if not isinstance(value, str):
        raise query_error(name, f"{name} must be a string", _repr(value), "params")
    if len(value) > MAX_SEARCH_LENGTH:
        raise query_error(name, f"{name} is limited to {MAX_SEARCH_LENGTH} characters", _repr(value), "params")
    if not is_valid_unicode(value):
        raise query_error(name, f"{name} must be valid Unicode (no lone surrogate)", _repr(value), "params")
    return str.__str__(value)


def _search_fields(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = split_list(value)
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise query_error("searchFields", "searchFields must be a string or a list of strings", _repr(value), "params")
    items = list(items) if len(value) <= MAX_SEARCH_FIELDS * 1002 else []
    if len(items) > MAX_SEARCH_FIELDS or (not items and len(value) > MAX_SEARCH_FIELDS * 1002):
        raise query_error("searchFields", f"searchFields is limited to {MAX_SEARCH_FIELDS} fields", None, "params")
    return tuple(dict.fromkeys(check_path(item, "searchFields", "params") for item in items))


def _count_param(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise query_error(name, f"{name} must be an integer", value, "params")
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise query_error(name, f"{name} must be an integer (at most 19 digits)", _repr(value), "params")
        value = int(text)
    elif isinstance(value, float):
        if not value.is_integer():
            raise query_error(name, f"{name} must be an integer", value, "params")
        value = int(value)
    elif not isinstance(value, int):
        raise query_error(name, f"{name} must be an integer", _repr(value), "params")
    if value < 0:
        raise query_error(name, f"{name} must not be negative", _repr(value), "params")
    if value > INT64_MAX:
        raise query_error(name, f"{name} must be at most {INT64_MAX}", _repr(value), "params")
    return int(value)


_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def _repr(value: Any) -> Any:
    """The ``actual`` of an error entry (short, JSON-friendly; see ``query_tree._short``)."""
    return _short(value)
