"""Unicode simple case folding as RE2 applies it with option ``i``: the characters a case-insensitive pattern
character matches (its *orbit*: ``k`` → ``kK`` and U+212A Kelvin sign; ``ß`` → ``ßẞ``, never
``SS``; ``I`` → ``Ii`` but not U+0131 dotless i).

An engine whose own case-insensitive matching differs (PostgreSQL's ``~*`` folds per the column's ctype, one
character to one other; MariaDB's folds per collation) matches case-sensitively instead, each cased character
spelled out as the class of its orbit (``adapters/sql/regex_sql.py``).

The orbits are built once, on first use (about half a second): candidate characters are grouped by Python's
one-character ``lower()``/``upper()`` mappings, then each group is narrowed with RE2 itself, the memory adapter's
engine, so the answer is RE2's by construction.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right
from functools import cache

import re2  # type: ignore[import-untyped]

__all__ = ["cased_between", "orbit"]


@cache
def _groups() -> dict[str, frozenset[str]]:
    """Every character with another case, mapped to its candidate group (connected by lower/upper)."""
    parent: dict[str, str] = {}
    seen: set[str] = set()

    def find(c: str) -> str:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        for other in (c.lower(), c.upper()):
            if len(other) == 1 and other != c:
                seen.update((c, other))
                a, b = find(c), find(other)
                if a != b:
                    parent[a] = b
    members: dict[str, set[str]] = {}
    for c in seen:
        members.setdefault(find(c), set()).add(c)
    out: dict[str, frozenset[str]] = {}
    for group in members.values():
        frozen = frozenset(group)
        for c in group:
            out[c] = frozen
    return out


@cache
def orbit(c: str) -> frozenset[str]:
    """The characters ``c`` matches under RE2's option ``i`` (``{c}`` for a caseless character)."""
    group = _groups().get(c)
    if group is None:
        return frozenset((c,))
    matcher = re2.compile("(?i)" + re2.escape(c))
    return frozenset(m for m in group if m == c or matcher.fullmatch(m) is not None)


@cache
def _cased() -> list[int]:
    return sorted(ord(c) for c in _groups())


def cased_between(low: int, high: int) -> list[str]:
    """The characters in the code point range ``[low, high]`` that have another case (candidates for ``orbit``)."""
    cased = _cased()
    return [chr(code) for code in cased[bisect_left(cased, low) : bisect_right(cased, high)]]
