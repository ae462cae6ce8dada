"""The read params as one typed value: sanitised once, caps applied, public field names mapped, hidden fields guarded.

``sanitize_params`` (the public service method) still returns a mapping — moleculer-db's contract — but the mapping
is a ``SanitizedParams`` that carries the typed ``ReadParams``; the action bodies use that value and hand the adapter
a parsed ``FindParams``, never a dict it would parse again. Raw params given to a body (a custom action calling
``self.find_entities(ctx, ctx.params)``) are sanitised there, so the caps hold on every path.

Field names in ``query``, ``sort`` and ``searchFields`` are public names:

* **The id field** (``settings.idField``) is mapped to the storage key (``_id``) at any depth of the query tree,
  in ``sort`` and ``searchFields``; ``decode_id`` is applied to the values compared with it (``$eq``/``$ne``/
  ``$in``/``$nin`` and plain equality).
* **Hidden fields cannot be probed.** A path that is excluded (``excludeFields``), lies under or above an excluded
  path, or is outside ``settings.fields`` when it is set, is refused in ``query`` (anywhere in ``$and``/``$or``/
  ``$not``), ``sort`` and ``searchFields`` with a 422 naming it. Array forms compare alike: ``a.$.secret``,
  ``a.0.secret`` and ``a.secret`` are one field. A ``search`` without ``searchFields`` searches the visible fields
  only (the whitelist, or every field but the excluded ones). ``settings.queryHiddenFields`` re-opens this:
  ``True`` for every field, or a list of the hidden paths callers may query, sort and search on.
  moleculer-db filtered only the output, so hidden values could be found by querying them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters import (
    And,
    Compare,
    Exists,
    FindParams,
    In,
    MatchAll,
    Node,
    Not,
    Or,
    Regex,
    Search,
    SortKey,
    parse_find_params,
)
from adapters.query import split_list
from broker.errors import ValidationError

__all__ = ["ReadParams", "SanitizedParams", "Visibility", "build_read_params"]


@dataclass(frozen=True, slots=True)
class ReadParams:
    """What a read action needs, typed: the adapter's ``FindParams`` plus the shaping and paging params."""

    find: FindParams
    populate: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None
    exclude_fields: tuple[str, ...] = ()
    page: int | None = None
    page_size: int | None = None
    paging: bool = False


class SanitizedParams(dict[str, Any]):
    """The mapping ``sanitize_params`` returns (a plain ``dict`` otherwise), carrying its typed value ``read``.

    ``read`` is built on first use by ``build(params)`` (a ``get`` never needs it), so a hidden or malformed field
    is reported when a body reads it; ``paging`` says whether the ``list`` paging was applied.
    """

    __slots__ = ("_build", "_read", "paging")

    def __init__(self, params: Mapping[str, Any], build: Callable[[Mapping[str, Any]], ReadParams],
                 paging: bool) -> None:  # fmt: skip
        dict.__init__(self, params)
        self._build = build
        self._read: ReadParams | None = None
        self.paging = paging

    @property
    def read(self) -> ReadParams:
        """The typed value (422 on a hidden or malformed field)."""
        if self._read is None:
            self._read = self._build(self)
        return self._read


def _norm(path: str) -> tuple[str, ...]:
    """Segments of a path with the array forms dropped: ``a.$.b``, ``a.0.b`` and ``a.b`` compare equal."""
    return tuple(s for s in path.replace("[", ".").replace("]", "").split(".") if s and s != "$" and not s.isdigit())


def _prefix(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return b[: len(a)] == a


def _as_list(value: Any) -> list[str]:
    if value is None or value is False:
        return []
    if isinstance(value, str):
        return split_list(value)
    return [str(v) for v in value]


class Visibility:
    """Which public paths callers may query, sort and search on (built once per service from its settings)."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.fields = [_norm(f) for f in _as_list(settings.get("fields"))] if settings.get("fields") else None
        self.excludes = [_norm(f) for f in _as_list(settings.get("excludeFields"))]
        opened = settings.get("queryHiddenFields", False)
        self.all_open = opened is True
        self.opened = [] if opened is True else [_norm(f) for f in _as_list(opened)]
        self.guarded = not self.all_open and (self.fields is not None or bool(self.excludes))

    def hidden(self, path: str) -> bool:
        """Whether ``path`` (a public name) is hidden from callers and not re-opened."""
        if not self.guarded:
            return False
        p = _norm(path)
        if any(_prefix(o, p) for o in self.opened):
            return False
        if any(_prefix(e, p) or _prefix(p, e) for e in self.excludes):
            return True
        return self.fields is not None and not any(_prefix(w, p) for w in self.fields)

    def search_defaults(self, id_field: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(fields, exclude)`` of a ``search`` without ``searchFields``: only what callers can see."""
        if self.all_open:
            return (), ()
        exclude = tuple(".".join(e) for e in self.excludes if e and not any(_prefix(o, e) for o in self.opened))
        if self.fields is None:
            return (), exclude
        # a whitelisted field with a hidden part (``profile`` when ``profile.secret`` is excluded) is left out, as
        # an explicit ``searchFields`` naming it would be refused: the default must never make ``search`` a 422
        fields = tuple(dict.fromkeys(
            ".".join(w) for w in self.fields if w and w != (id_field,) and not self.hidden(".".join(w))
        ))  # fmt: skip
        return fields, exclude


def _refuse(where: str, path: str) -> ValidationError:
    return ValidationError(
        "Parameters validation error!",
        data=[{"type": "hiddenField", "field": where, "actual": path,
               "message": f"The field '{path}' is not visible to callers and cannot be used in '{where}'."}],
    )  # fmt: skip


class _Mapper:
    """Rewrites public paths to storage paths and checks visibility, for one request."""

    def __init__(self, visibility: Visibility, id_field: str, id_key: str, decode: Callable[[Any], Any]) -> None:
        self.visibility, self.id_field, self.id_key, self.decode = visibility, id_field, id_key, decode

    def path(self, path: str, where: str) -> str:
        if self.visibility.hidden(path):
            raise _refuse(where, path)
        if self.id_field == self.id_key:
            return path
        head, dot, rest = path.partition(".")
        return self.id_key + dot + rest if head == self.id_field else path

    def is_id(self, path: str) -> bool:
        return path == self.id_field

    def node(self, node: Node) -> Node:
        if isinstance(node, Compare):
            value = self.decode(node.value) if self.is_id(node.path) and node.op in ("eq", "ne") else node.value
            return Compare(self.path(node.path, "query"), node.op, value)
        if isinstance(node, In):
            values = tuple(self.decode(v) for v in node.values) if self.is_id(node.path) else node.values
            return In(self.path(node.path, "query"), values, node.negate)
        if isinstance(node, Exists | Regex):
            return dataclasses.replace(node, path=self.path(node.path, "query"))
        if isinstance(node, And):
            return And(tuple(self.node(c) for c in node.children))
        if isinstance(node, Or):
            return Or(tuple(self.node(c) for c in node.children))
        if isinstance(node, Not):
            return Not(self.node(node.child))
        return node  # MatchAll (a Search never appears in a parsed query)


def build_read_params(
    params: Mapping[str, Any],
    *,
    visibility: Visibility,
    id_field: str,
    id_key: str,
    decode: Callable[[Any], Any] | None,
    paging: bool,
) -> ReadParams:
    """The typed value of already-sanitised params (``dbmixin.params.sanitize_params``); 422 on a bad or hidden
    field. ``decode`` is the service's ``decode_id`` (``None`` when it is the identity)."""
    parsed = parse_find_params(params)
    if decode is None and id_field == id_key and not visibility.guarded and parsed.search is None:
        find = parsed  # nothing to map, hide or decode: the parsed params are the typed value
    else:
        find = _mapped(parsed, visibility, id_field, id_key, decode or _identity)
    return ReadParams(
        find=find,
        populate=tuple(_strings(params.get("populate"))),
        fields=tuple(_strings(params["fields"])) if params.get("fields") is not None else None,
        exclude_fields=tuple(_strings(params.get("excludeFields"))),
        page=params.get("page") if paging else None,
        page_size=params.get("pageSize") if paging else None,
        paging=paging,
    )


def _identity(value: Any) -> Any:
    return value


def _mapped(
    parsed: FindParams, visibility: Visibility, id_field: str, id_key: str, decode: Callable[[Any], Any]
) -> FindParams:
    mapper = _Mapper(visibility, id_field, id_key, decode)
    query = mapper.node(parsed.query) if not isinstance(parsed.query, MatchAll) else parsed.query
    sort = tuple(SortKey(mapper.path(k.path, "sort"), k.descending) for k in parsed.sort)
    search_fields = tuple(mapper.path(f, "searchFields") for f in parsed.search_fields)
    filter_: Node = query
    if parsed.search is not None:
        exclude: tuple[str, ...] = ()
        search: Node
        if not search_fields:
            search_fields, exclude = visibility.search_defaults(id_field)
            search_fields = tuple(mapper.path(f, "searchFields") for f in search_fields)
        if not search_fields and visibility.fields is not None and not visibility.all_open:
            search = In(id_key, ())  # a whitelist with no searchable field: nothing matches
        else:
            search = Search(parsed.search, search_fields, exclude)
        filter_ = search if isinstance(query, MatchAll) else And((query, search))
    return FindParams(filter_, sort, parsed.limit, parsed.offset, query, parsed.search, search_fields)


def _strings(value: Iterable[str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)
