"""Index declarations, parsed once for every adapter: ``settings["indexes"]`` (and an adapter's own option).

Accepted forms (a list mixes them freely)::

    "category"                                   one single-field index
    "category, author.id"                        a string: one single-field index per name (moleculer-db's split)
    ["category", "author.id"]                    a list: one single-field index per name
    [["shop", "sku"]]                            a list *inside* the list: one compound index over (shop, sku)
    [{"fields": ["shop", "sku"], "unique": True, "name": "shop_sku"}]
    [{"fields": "email", "unique": True}]        "fields" may be one name

So ``["a", "b"]`` is two indexes and ``[["a", "b"]]`` is one compound index. ``unique`` defaults to ``False``; the
default ``name`` is the fields joined with ``","``. A compound index serves equality on *all* its fields (an
``And`` of one ``eq``/``$in``-free equality per field). Duplicate declarations of the same fields merge (unique if
either is). A malformed declaration raises the given error type (``ServiceSchemaError`` at ``init``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .query_params import split_list

__all__ = ["IndexSpec", "parse_indexes"]

_KEYS = frozenset(("fields", "unique", "name"))


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """One declared index: its dotted ``fields`` (in order), whether it is ``unique``, and its ``name``."""

    fields: tuple[str, ...]
    unique: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", ",".join(self.fields))


def parse_indexes(declaration: Any, error: type[Exception]) -> list[IndexSpec]:
    """The index specs of a declaration (see the module docstring), merged by fields, in declaration order.

    Raises ``error(message)`` naming the offending item for anything else.
    """
    if declaration is None:
        return []
    if isinstance(declaration, str):
        declaration = split_list(declaration)
    elif isinstance(declaration, Mapping):
        declaration = [declaration]
    if not isinstance(declaration, Iterable):
        raise error(f"indexes must be a list of field names, field lists or index objects, not {declaration!r}")
    merged: dict[tuple[str, ...], IndexSpec] = {}
    for item in declaration:
        spec = _spec(item, error)
        old = merged.get(spec.fields)
        if old is not None:
            spec = IndexSpec(spec.fields, old.unique or spec.unique, old.name)
        merged[spec.fields] = spec
    return list(merged.values())


def _spec(item: Any, error: type[Exception]) -> IndexSpec:
    if isinstance(item, IndexSpec):
        return item
    if isinstance(item, str):
        return IndexSpec((_field(item, error),))
    if isinstance(item, list | tuple):
        return IndexSpec(_fields(item, item, error))
    if isinstance(item, Mapping):
        unknown = [k for k in item if k not in _KEYS]
        if unknown:
            raise error(f"unknown key {unknown[0]!r} in index declaration {item!r} (use fields, unique, name)")
        if "fields" not in item:
            raise error(f"index declaration {item!r} needs 'fields'")
        fields = item["fields"]
        fields = _fields([fields] if isinstance(fields, str) else fields, item, error)
        unique = item.get("unique", False)
        if type(unique) is not bool:
            raise error(f"'unique' must be true or false in index declaration {item!r}")
        name = item.get("name") or ""
        if not isinstance(name, str):
            raise error(f"'name' must be a string in index declaration {item!r}")
        return IndexSpec(fields, unique, name)
    raise error(f"invalid index declaration {item!r}")


def _fields(items: Any, where: Any, error: type[Exception]) -> tuple[str, ...]:
    if not isinstance(items, list | tuple) or not items:
        raise error(f"an index needs a non-empty list of field names: {where!r}")
    fields = tuple(_field(f, error) for f in items)
    if len(set(fields)) != len(fields):
        raise error(f"an index names a field twice: {where!r}")
    return fields


def _field(path: Any, error: type[Exception]) -> str:
    if not isinstance(path, str) or not path or any(not s or s[0] == "$" for s in path.split(".")):
        raise error(f"invalid index field name {path!r}")
    return path
