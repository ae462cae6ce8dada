"""Moleculer's wildcard matcher (``utils.match``): ``?`` one char, ``*`` within a segment, ``**`` across dots.

Used by event subscriptions, action-hook keys and ``MemoryCacher.clean``. Patterns compile once to a regex and
are cached, so matching the same pattern again costs a dict lookup and one ``fullmatch``.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["has_wildcard", "match"]


def has_wildcard(pattern: str) -> bool:
    """True when ``pattern`` contains ``*`` or ``?``."""
    return "*" in pattern or "?" in pattern


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                out.append(".*")
                i += 2
                continue
            out.append("[^.]*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def match(text: str, pattern: str) -> bool:
    """Whether ``text`` (an event name, action name or cache key) matches the wildcard ``pattern``."""
    if pattern == text:
        return True
    if pattern == "**":
        return True
    if not has_wildcard(pattern):
        return False
    return _compile(pattern).fullmatch(text) is not None
