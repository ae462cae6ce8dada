"""Moleculer's wildcard matcher (``utils.match``): ``?`` one char, ``*`` within a segment, ``**`` across dots.

Used by event subscriptions, action-hook keys and ``MemoryCacher.clean``. Patterns compile once to a regex and
are cached, so matching the same pattern again costs a dict lookup and one ``fullmatch``. A regex backtracks: with
k stars a failed match can cost about n**k steps, and event patterns arrive in other nodes' INFO packets
(``*a*a*a*a*a*a*a*a*a*a*b`` takes a second against a 30-character name). So a pattern with two stars or more is
matched by ``_match_linear`` instead, in time proportional to its length times the text's.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["has_wildcard", "match"]


def has_wildcard(pattern: str) -> bool:
    """True when ``pattern`` contains ``*`` or ``?``."""
    return "*" in pattern or "?" in pattern


_STAR, _GLOBSTAR, _ANY = object(), object(), object()


@lru_cache(maxsize=4096)
def _plan(pattern: str) -> re.Pattern[str] | tuple[object, ...]:
    """A regex for a pattern with at most one star, else its tokens for ``_match_linear``."""
    tokens = _tokens(pattern)
    if sum(1 for tok in tokens if tok is _STAR or tok is _GLOBSTAR) < 2:
        return _compile(pattern)
    return tuple(tokens)


def _tokens(pattern: str) -> list[object]:
    """Literal strings, ``_STAR`` (``*``), ``_GLOBSTAR`` (``**``) and ``_ANY`` (``?``)."""
    tokens: list[object] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**", i):
            tokens.append(_GLOBSTAR)
            i += 2
        elif pattern[i] in "*?":
            tokens.append(_STAR if pattern[i] == "*" else _ANY)
            i += 1
        else:
            j = i
            while j < n and pattern[j] not in "*?":
                j += 1
            tokens.append(pattern[i:j])
            i = j
    return tokens


def _match_linear(text: str, tokens: tuple[object, ...]) -> bool:
    """Whether ``text`` matches: the sorted positions where the pattern so far can end, advanced token by token
    (each position is produced at most once per token)."""
    n = len(text)
    positions = [0]
    for tok in tokens:
        if not positions:
            return False
        if tok is _GLOBSTAR:
            positions = list(range(positions[0], n + 1))
        elif tok is _STAR:
            spread: list[int] = []
            reach = -1
            for p in positions:
                if p <= reach:
                    continue  # inside the segment the previous position already covers
                dot = text.find(".", p)
                reach = n if dot < 0 else dot
                spread.extend(range(p, reach + 1))
            positions = spread
        elif tok is _ANY:
            positions = [p + 1 for p in positions if p < n]
        else:
            literal = str(tok)
            positions = [p + len(literal) for p in positions if text.startswith(literal, p)]
    return bool(positions) and positions[-1] == n


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
    plan = _plan(pattern)
    if isinstance(plan, tuple):
        return _match_linear(text, plan)
    return plan.fullmatch(text) is not None
