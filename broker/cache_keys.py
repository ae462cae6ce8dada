"""Cache keys: Moleculer 0.15's ``defaultKeygen`` (``src/cachers/base.js``), made collision-free.

Moleculer writes a call's params as ``key|value`` pairs, strings in double quotes, arrays in brackets
(``_generateKeyFromObject``, reference §5.2), so ``{"owner": 'alice"|tenant|"t1'}`` and ``{"owner": "alice",
"tenant": "t1"}`` share a key, and so do ``{"a": {"b": 1, "c": 2}}`` and ``{"a": {"b": 1}, "c": 2}``. Here the
key is byte for byte Moleculer's unless the input needs one of these escapes (where we deliberately differ):

1. A ``"`` inside a string is doubled (``'a"b'`` → ``"a""b"``), CSV style.
2. An object key that is empty or contains one of ``| " [ ] { } :`` is written as a quoted string (rule 1).
3. An object nested in an object or an array, or given as a non-last entry of ``cache.keys``, is written in
   braces (``a|{b|1|c|2}``) unless it has exactly one entry whose key is *plain*: not special by rule 2, not
   starting with a digit or ``-``, not ``true``/``false``/``null``/``undefined``/``NaN``/``Infinity``. So the
   usual Mongo-style operators keep Moleculer's key: ``{"age": {"$gt": 5}}`` → ``age|$gt|5``, and ``{"$or":
   [{"a": 1}, {"b": 2}]}`` → ``$or|[a|1|b|2]``. An empty nested object is ``{}``.

Object entries are written in JavaScript's ``Object.keys`` order, as Moleculer sees the same JSON: array-index keys
(``"0"``, ``"17"``) first in ascending order, then the others in insertion order.

The params themselves (or the value of a single key, or of the last of several keys) are written as Moleculer
does whatever their keys: they extend to the end of the key, so nothing can follow them. With these rules the
serialisation can be read back unambiguously, so distinct JSON values give distinct keys; the long-key hash
(``maxParamsLength``) is taken of that serialisation, as Moleculer's. Lone surrogates are hashed as UTF-8 with
``surrogatepass`` (Node would write U+FFFD, which would merge them with a real U+FFFD).

4. An integer beyond 2**53 that no double holds exactly is written ``<digits>n`` (JS would round it, so its
   digits could be those of another number), or ``0x<hex>n`` past Python's 4,300-digit conversion limit; one a
   double holds is written as JS prints that number.

Not covered (not JSON): ``datetime`` values are epoch milliseconds as in Moleculer, so they share keys with that
integer; non-``str`` dict keys are written with ``str()``; other objects with ``str()``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from .jsvalues import number_to_string
from .utils import MISSING

__all__ = ["MISSING", "default_keygen", "get_path", "hashed_key", "serialise"]



_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_KEY_SPECIALS = frozenset('|"[]{}:')
_SAFE: Final = 2**53
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")
_SCALAR_WORDS = frozenset({"true", "false", "null", "undefined", "NaN", "Infinity"})

# Where a value is written: the whole rest of the key (objects as bare ``k|v`` pairs, like Moleculer), or
# somewhere followed by more (an entry value, an array item, a non-last ``keys`` part: objects braced unless
# they are a single plain entry).
WHOLE: Final = True
INNER: Final = False


def _quote(text: str) -> str:
    return '"' + (text.replace('"', '""') if '"' in text else text) + '"'


@lru_cache(maxsize=4096)
def _object_key(key: str) -> tuple[str, bool, int]:
    """``(written key, plain?, array index or -1)``: special keys are quoted; plain ones may open an unbraced
    single-entry object; an array-index key (``"0"``, ``"17"``) is one JavaScript enumerates first."""
    index = int(key) if _ARRAY_INDEX.fullmatch(key) and int(key) < 2**32 - 1 else -1
    if not key or not _KEY_SPECIALS.isdisjoint(key):
        return _quote(key), False, index
    return key, not (key[0] in "0123456789-" or key in _SCALAR_WORDS), index


def serialise(v: Any, whole: bool = WHOLE) -> str:
    """Moleculer 0.15 ``_generateKeyFromObject`` with the escapes of the module docstring (hot path first)."""
    t = type(v)
    if t is str:
        return '"' + v + '"' if '"' not in v else _quote(v)
    if t is int:
        return str(v) if -_SAFE <= v <= _SAFE else _big_int(v)
    if v is None:
        return "null"
    if v is MISSING:
        return "undefined"
    if t is bool:
        return "true" if v else "false"
    if t is dict or isinstance(v, Mapping):
        return _serialise_object(v, whole)
    if t is list or isinstance(v, list | tuple):
        return "[" + "|".join([serialise(x, INNER) for x in v]) + "]"
    if isinstance(v, datetime):
        # JS Date#valueOf: integer epoch ms. Naive datetimes count as UTC: keys ignore the host TZ.
        return str(((v if v.tzinfo else v.replace(tzinfo=UTC)) - _EPOCH) // _MS)
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return _serialise_int(int(v))
    if isinstance(v, float):
        return number_to_string(v)
    return str(v)


def _serialise_int(v: int) -> str:
    return str(v) if -_SAFE <= v <= _SAFE else _big_int(v)


def _big_int(v: int) -> str:
    """An int past 2**53 is the JS number it equals when a double holds it exactly, else a BigInt-style ``<n>n``
    (JS would round it: its digits may be those of a different float)."""
    try:
        f = float(v)
    except OverflowError:
        return _digits(v)
    return number_to_string(f) if f == v else _digits(v)


def _digits(v: int) -> str:
    """``<digits>n``; past Python's int-to-str digit limit (4,300 digits) ``<sign>0x<hex>n``, which has no limit
    and cannot be mistaken for decimal digits."""
    try:
        return f"{v}n"
    except ValueError:
        return f"{'-' if v < 0 else ''}0x{abs(v):x}n"


def _serialise_object(v: Mapping[Any, Any], whole: bool) -> str:
    if not v:
        return "" if whole else "{}"
    entries = [(_object_key(k if type(k) is str else str(k)), x) for k, x in v.items()]
    if any(written[2] >= 0 for written, _ in entries):  # JS ``Object.keys`` order: array indices first, ascending
        entries = sorted((e for e in entries if e[0][2] >= 0), key=lambda e: e[0][2]) + [
            e for e in entries if e[0][2] < 0
        ]
    body = "|".join([written[0] + "|" + serialise(x, INNER) for written, x in entries])
    if whole or (len(entries) == 1 and entries[0][0][1]):
        return body
    return "{" + body + "}"


def hashed_key(key: str, max_length: int | None) -> str:
    """Moleculer ``_hashedKey``: shorten keys above ``max_length`` to a prefix + base64(sha256) (44 chars)."""
    m = max_length
    if not m or m < 44:
        return key
    ascii_ = key.isascii()  # else measure and cut in UTF-16 units, as JS strings do
    utf16 = b"" if ascii_ else key.encode("utf-16-le", "surrogatepass")
    if (len(key) if ascii_ else len(utf16) // 2) <= m:
        return key
    digest = base64.b64encode(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()).decode()
    if ascii_:
        return key[: m - 44] + digest
    # a cut surrogate pair becomes U+FFFD, which is what Node writes for the lone surrogate it keeps
    return utf16[: 2 * (m - 44)].decode("utf-16-le", "replace") + digest


@lru_cache(maxsize=1024)
def _split_path(path: str) -> tuple[str, ...]:
    """lodash ``_.get`` path syntax: ``a.b.c`` and ``a[0].b``."""
    return tuple(p for p in path.replace("[", ".").replace("]", "").split(".") if p)


def get_path(obj: Any, path: str) -> Any:
    """lodash ``_.get(obj, path)``: a key named exactly ``path`` wins, else the dotted path, else MISSING."""
    if isinstance(obj, Mapping):
        v = obj.get(path, MISSING)
        if v is not MISSING or ("." not in path and "[" not in path):
            return v
    elif obj is None:
        return MISSING
    cur = obj
    for part in _split_path(path):
        if isinstance(cur, Mapping):
            cur = cur.get(part, MISSING)
        elif isinstance(cur, list | tuple) and part.isdigit():
            i = int(part)
            cur = cur[i] if i < len(cur) else MISSING
        else:
            return MISSING
        if cur is MISSING:
            return MISSING
    return cur


def _is_object(v: Any) -> bool:
    """Moleculer's ``isObject(v) || Array.isArray(v)``: values whose key part gets hashed on its own."""
    return isinstance(v, dict | list | tuple | Mapping | datetime)


def _value(key: str, params: Any, meta: Any, headers: Any) -> Any:
    """``#x.y`` reads meta, ``@x`` headers, anything else params (Moleculer ``_getParamMetaValue``)."""
    c = key[:1]
    if c == "#" and meta is not None:
        return get_path(meta, key[1:])
    if c == "@" and headers is not None:
        return get_path(headers, key[1:])
    return get_path(params, key)


def default_keygen(
    action_name: str,
    params: Any,
    meta: Any,
    keys: Sequence[str] | None,
    headers: Any,
    max_params_length: int | None,
) -> str:
    """Moleculer 0.15 ``defaultKeygen``: ``<action>:<params part>``, with the escapes of the module docstring.

    No ``keys``: the whole params. One key: its value (``#x`` from meta, ``@x`` from headers, dotted paths as
    lodash ``get``; missing → ``undefined``). Several: their values joined by ``|``, objects and arrays hashed
    one by one first. An empty ``keys`` list, or no params, meta and headers at all, gives the bare action name.
    """
    if params is None and meta is None and headers is None:
        return action_name
    if keys is None:
        return action_name + ":" + hashed_key(serialise(params), max_params_length)
    if not keys:  # JS: `[]` is truthy but has no length -> falls through to the bare action name
        return action_name
    if len(keys) == 1:
        return action_name + ":" + hashed_key(serialise(_value(keys[0], params, meta, headers)), max_params_length)
    parts = []
    last = len(keys) - 1
    for i, k in enumerate(keys):
        v = _value(k, params, meta, headers)
        text = serialise(v, i == last)
        parts.append(hashed_key(text, max_params_length) if _is_object(v) else text)
    return action_name + ":" + hashed_key("|".join(parts), max_params_length)
