"""The query tree: ``parse_query`` validates a Mongo-flavoured dict into the nodes of ``query_nodes.py``.

Every adapter consumes this tree and never the raw dict, so a malformed query is rejected in one place (a 422
``ValidationError`` naming the path, e.g. ``price.$gt``) and no adapter ever sees one. The semantics of each
node are defined in ``docs/query-language.md``; the memory adapter's evaluator (``adapters/memory_eval.py``)
is their executable definition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from .errors import query_error
from .query_limits import (
    INT64_MAX,
    INT64_MIN,
    MAX_DEPTH,
    MAX_IN_VALUES,
    MAX_PATH_LENGTH,
    check_shape,
    is_valid_unicode,
)
from .query_nodes import (
    COMPARE_OPS,
    RANGE_OPS,
    And,
    Compare,
    Exists,
    In,
    MatchAll,
    Node,
    Not,
    Or,
    Regex,
    Search,
)
from .query_regex import RegexError, translate

__all__ = [
    "COMPARE_OPS",
    "And",
    "Compare",
    "Exists",
    "In",
    "MatchAll",
    "Node",
    "Not",
    "Or",
    "Regex",
    "Search",
    "check_path",
    "check_regex",
    "check_value",
    "conjunction",
    "parse_query",
    "regex_flags",
    "split_path",
]

# ------------------------------------------------------------------------------------------------------ paths


@lru_cache(maxsize=4096)
def split_path(path: str) -> tuple[str, ...]:
    """``"address.city"`` → ``("address", "city")`` (cached: paths repeat across queries)."""
    return tuple(path.split("."))


def check_path(path: Any, where: str, kind: str = "query") -> str:
    """A field path must be a non-empty dotted string whose segments are non-empty and do not start with ``$``;
    at most ``MAX_PATH_LENGTH`` characters and ``MAX_DEPTH`` segments, valid Unicode (no lone surrogate) without
    NUL."""
    if not isinstance(path, str) or not path:
        raise query_error(where or "query", "a field name must be a non-empty string", _short(path), kind)
    if len(path) > MAX_PATH_LENGTH:
        raise query_error(where, f"a field path is limited to {MAX_PATH_LENGTH} characters", _short(path), kind)
    if "\x00" in path or not is_valid_unicode(path):
        message = "a field path must be valid Unicode without NUL (MongoDB's field names cannot hold one)"
        raise query_error(where, message, repr(path)[:80], kind)
    if path.count(".") >= MAX_DEPTH:
        raise query_error(where, f"a field path is limited to {MAX_DEPTH} segments", _short(path), kind)
    for segment in path.split("."):
        if not segment:
            raise query_error(where, f"'{path}' has an empty path segment", path, kind)
        if segment[0] == "$":
            raise query_error(where, f"unknown operator '{segment}'", path, kind)
    return str(path)


# ----------------------------------------------------------------------------------------------------- values


def check_value(value: Any, field: str, kind: str = "query", *, stored: bool = False) -> Any:
    """A validated copy of a literal operand, or (``stored``) of a value to store: JSON-like data plus ``datetime``
    (tuples become lists).

    Anything else (sets, bytes, ``Decimal``, plain ``date``, arbitrary objects, integers outside 64 bits, strings
    with a lone surrogate; NaN and infinities in literals, not in stored values, which BSON holds and the sort
    order ranks) has no portable meaning across adapters and is refused;
    ``str``/``int``/``float`` subclasses (enums) are reduced to the base type. Object keys must be strings, valid
    Unicode, without NUL (BSON keys are C strings) and not starting with ``$`` (an operator in a query, a name no
    path can reach in stored data). The 422 names the path of the offending value (list items by index). Callers
    bound the nesting first (``query_limits.check_shape``): this walk is recursive.
    """
    if value is None or value is True or value is False:
        return value
    t = type(value)
    if t is str:
        if not is_valid_unicode(value):
            raise query_error(field, "a string must be valid Unicode (no lone surrogate)", repr(value)[:80], kind)
        return value
    if t is int:
        if not INT64_MIN <= value <= INT64_MAX:
            raise query_error(field, "an integer must fit in 64 bits", _short_int(value), kind)
        return value
    if t is float:
        if not stored and (math.isnan(value) or math.isinf(value)):
            raise query_error(field, f"{value} is not a portable value", str(value), kind)
        return value
    if isinstance(value, bool):  # pragma: no cover - bool cannot be subclassed; kept for clarity
        return bool(value)
    if isinstance(value, str):
        return check_value(str.__str__(value), field, kind, stored=stored)  # a str enum's value, not "Color.RED"
    if isinstance(value, int):
        return check_value(int(value), field, kind, stored=stored)
    if isinstance(value, float):
        return check_value(float(value), field, kind, stored=stored)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise query_error(field, "a date without a time is not portable; use a datetime", _short(value), kind)
    if isinstance(value, list | tuple):
        return [check_value(item, f"{field}.{i}", kind, stored=stored) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise query_error(field, "object keys must be strings", _short(key), kind)
            where = f"{field}.{key}" if field else str(key)
            if key.startswith("$"):
                message = f"a field name cannot start with '$' ('{key}')"
                if not stored:
                    message = f"unexpected operator '{key}' inside a literal value"
                raise query_error(where, message, key, kind)
            if "\x00" in key or not is_valid_unicode(key):
                where = f"{field}.{_escaped(key)}" if field else _escaped(key)
                raise query_error(where, "a field name must be valid Unicode without NUL", repr(key)[:80], kind)
            out[key] = check_value(item, where, kind, stored=stored)
        return out
    raise query_error(field, f"a value of type {type(value).__name__} is not supported", _short(value), kind)


# ----------------------------------------------------------------------------------------------------- parser


def parse_query(query: Mapping[str, Any] | None) -> Node:
    """Validate a query dict and return its tree; ``None`` or ``{}`` → ``MatchAll()``.

    Raises a 422 ``ValidationError`` whose ``data[0]["field"]`` names the offending path.
    """
    if query is None:
        return MatchAll()
    if not isinstance(query, Mapping):
        raise query_error("query", "the query must be an object", _short(query))
    check_shape(query, "", "query")
    return conjunction(_parse_document(query, ""))


def conjunction(nodes: list[Node]) -> Node:
    """``And`` of the nodes, flattened; one node stays itself, none is ``MatchAll``."""
    flat: list[Node] = []
    for node in nodes:
        if isinstance(node, And):
            flat.extend(node.children)
        elif not isinstance(node, MatchAll):
            flat.append(node)
    if not flat:
        return MatchAll()
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _parse_document(query: Mapping[str, Any], where: str) -> list[Node]:
    nodes: list[Node] = []
    for key, value in query.items():
        field = f"{where}.{key}" if where else str(key)
        if not isinstance(key, str) or not key:
            raise query_error(field or "query", "a field name must be a non-empty string", key)
        if key[0] == "$":
            nodes.append(_parse_logical(key, value, field))
        else:
            nodes.extend(_parse_field(check_path(key, field), value, field))
    return nodes


def _parse_logical(op: str, value: Any, field: str) -> Node:
    if op in ("$and", "$or"):
        if not isinstance(value, list | tuple):
            raise query_error(field, f"{op} needs a list of queries", _short(value))
        if not value:
            raise query_error(field, f"{op} needs at least one query", value)
        children: list[Node] = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise query_error(f"{field}.{i}", f"each {op} item must be an object", _short(item))
            children.append(conjunction(_parse_document(item, f"{field}.{i}")))
        if op == "$and":
            return conjunction(children)
        if any(isinstance(child, MatchAll) for child in children):
            return MatchAll()
        return children[0] if len(children) == 1 else Or(tuple(children))
    if op == "$not":
        if not isinstance(value, Mapping) or not value:
            raise query_error(field, "a top-level $not needs a non-empty query object", _short(value))
        return Not(conjunction(_parse_document(value, field)))
    raise query_error(field, f"unknown operator '{op}'", op)


def _is_operator_dict(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and any(isinstance(k, str) and k[:1] == "$" for k in value)


def _parse_field(path: str, value: Any, field: str) -> list[Node]:
    if not _is_operator_dict(value):
        return [Compare(path, "eq", check_value(value, field))]
    keys = list(value)
    if not all(isinstance(k, str) and k[:1] == "$" for k in keys):
        plain = next(k for k in keys if not (isinstance(k, str) and k[:1] == "$"))
        raise query_error(f"{field}.{plain}", "operators and plain keys cannot be mixed in one object", plain)
    nodes: list[Node] = []
    for op, operand in value.items():
        where = f"{field}.{op}"
        if op == "$options":
            if "$regex" not in value:
                raise query_error(where, "$options is only valid together with $regex", operand)
            continue
        nodes.append(_parse_operator(path, op, operand, value, where))
    return nodes


def _parse_operator(path: str, op: str, operand: Any, siblings: Mapping[str, Any], where: str) -> Node:
    name = op[1:]
    if name in ("eq", "ne"):
        return Compare(path, name, check_value(operand, where))  # type: ignore[arg-type]
    if name in RANGE_OPS:
        return Compare(path, name, _range_operand(operand, where))  # type: ignore[arg-type]
    if name in ("in", "nin"):
        if not isinstance(operand, list | tuple):
            raise query_error(where, f"{op} needs a list of values", _short(operand))
        if len(operand) > MAX_IN_VALUES:
            raise query_error(where, f"{op} is limited to {MAX_IN_VALUES} values", len(operand))
        return In(path, tuple(check_value(v, f"{where}.{i}") for i, v in enumerate(operand)), name == "nin")
    if name == "exists":
        if operand is True or operand is False or (type(operand) is int and operand in (0, 1)):
            return Exists(path, bool(operand))
        raise query_error(where, "$exists needs true or false", _short(operand))
    if name == "regex":
        pattern, flags = _regex_operand(operand, siblings.get("$options"), where)
        return Regex(path, pattern, flags)
    if name == "not":
        if isinstance(operand, re.Pattern):
            pattern, flags = _regex_operand(operand, None, where)
            return Not(Regex(path, pattern, flags))
        if not _is_operator_dict(operand):
            raise query_error(where, "$not needs an object of operators, e.g. {'$gt': 5}", _short(operand))
        return Not(conjunction(_parse_field(path, operand, where)))
    raise query_error(where, f"unknown operator '{op}'", op)


def _range_operand(operand: Any, where: str) -> Any:
    """``$gt``/``$gte``/``$lt``/``$lte`` compare numbers, strings or datetimes (never ``None``, bools, objects)."""
    if isinstance(operand, int | float | str | datetime) and not isinstance(operand, bool):
        return check_value(operand, where)
    raise query_error(where, "range operators need a number, a string or a datetime", _short(operand))


# ------------------------------------------------------------------------------------------------------ regex

_OPTION_FLAGS = "imsx"
_PCRE_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}
_PORTABLE_RE_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.UNICODE


def _regex_operand(operand: Any, options: Any, where: str) -> tuple[str, str]:
    flags = ""
    if isinstance(operand, re.Pattern):
        if not isinstance(operand.pattern, str):
            raise query_error(where, "$regex needs a str pattern", _short(operand))
        if operand.flags & ~_PORTABLE_RE_FLAGS:
            raise query_error(where, "only the flags re.I, re.M, re.S and re.X are portable", _short(operand))
        flags = "".join(letter for flag, letter in _PCRE_FLAGS.items() if operand.flags & flag)
        operand = operand.pattern
    elif not isinstance(operand, str):
        raise query_error(where, "$regex needs a string pattern", _short(operand))
    if options is not None:
        opt_where = where.rsplit(".", 1)[0] + ".$options"
        if not isinstance(options, str) or any(c not in _OPTION_FLAGS for c in options):
            raise query_error(opt_where, "$options may only contain the letters i, m, s and x", _short(options))
        flags += options
    flags = "".join(sorted(set(flags)))
    check_regex(str(operand), flags, where)
    return str(operand), flags


def check_regex(pattern: str, flags: str, where: str) -> None:
    """Refuse a pattern outside the portable subset (``query_regex.translate``: one meaning on Python ``re``,
    PCRE and RE2, bounded size and repeat counts) with a 422 naming ``where`` and the construct."""
    try:
        translate(pattern, flags)
    except RegexError as err:
        raise query_error(where, f"invalid or non-portable regular expression: {err}", _short(pattern)) from None


def regex_flags(flags: str) -> int:
    """The ``re`` flags for a ``$options`` string."""
    out = 0
    for letter in flags:
        out |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}[letter]
    return out


def _short_int(value: int) -> str:
    """A huge integer for an error entry, without converting all its digits (Python limits that)."""
    return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"


def _escaped(text: str) -> str:
    """``text`` with NUL, lone surrogates and other non-printable or non-ASCII characters as ``\\x..`` escapes (an
    error may name a field whose name cannot be sent as it is)."""
    return text[:80].encode("unicode_escape").decode("ascii")


def _short(value: Any) -> Any:
    """The ``actual`` of an error entry: JSON-friendly scalars as they are, anything else as a short repr."""
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        return _short_int(value)
    if isinstance(value, str) and (len(value) > 200 or not is_valid_unicode(value)):
        return repr(value[:77])[:80] + "..."
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        text = repr(value)
    except Exception:
        return f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."
