"""The portable regular-expression subset of ``$regex``, and its linear-time evaluation with RE2.

A ``$regex`` runs on PCRE in MongoDB, on RE2 in the memory adapter and on whatever an SQL engine has, so a pattern
is only accepted when every construct in it has **one** meaning on Python ``re``, PCRE (MongoDB: UTF mode, no UCP)
and RE2. ``translate`` parses a pattern against that subset (``regex_parser.py``; see ``docs/query-language.md``
§Regular expressions for the table) and either raises ``RegexError`` naming the construct, or returns the equivalent
RE2 pattern. ``regex_matcher`` compiles that with RE2 (``google-re2``): automata, no backtracking, so matching is
linear in the subject's length and ``^(a+)+$`` cannot stall the event loop.

Choices, where the engines disagree:

* ``\\d \\w \\b`` are ASCII (PCRE without UCP and RE2 are; Python ``str`` patterns are not: the memory adapter
  never runs Python ``re``). ``\\s`` is refused (PCRE includes ``\\v``, RE2 does not); so is ``\\v`` (a class in
  PCRE, one character elsewhere).
* ``$`` without ``m`` matches at the end or before a final ``\\n`` (PCRE, Python); RE2's ``$`` does not, so it
  is rewritten ``\\n?$`` — exact only where nothing can follow it, hence it must end the pattern (or a final
  alternative). With ``m``, ``^``/``$`` match at line starts/ends everywhere except that PCRE's ``^`` never matches
  after a newline that ends the subject: so with ``m`` what follows ``^`` must not match the empty string.
* ``i`` is Unicode simple case folding (RE2, PCRE caseless sets: ``k`` ~ U+212A Kelvin sign, ``s`` ~ U+017F
  long s, U+01C5 ~ U+01C6; never ``ß`` ~ ``SS``). ``\\w``/``\\W`` are refused with ``i`` (RE2 case-folds them,
  PCRE does not), and so are U+0130/U+0131 (Turkish dotted/dotless i) in the pattern (PCRE matches U+0131 with
  ``I``, RE2 does not). Python's ``re`` also matches ``i`` with U+0130/U+0131: Python's own extension.
* ``x`` (verbose) is handled here (RE2 has none): ASCII whitespace outside classes and ``#`` comments are dropped;
  a vertical tab or Unicode pattern whitespace there is refused (PCRE versions disagree on them).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

from .regex_parser import MAX_REPEAT, PUNCT_ESCAPES, RegexError, RegexParser, hex_escape

__all__ = ["MAX_PATTERN_LENGTH", "MAX_REPEAT", "RegexError", "literal_matcher", "regex_matcher", "translate"]

MAX_PATTERN_LENGTH = 1000
"""Longest accepted pattern, in characters."""

_META = frozenset("\\^$.|?*+()[]{}")


def translate(pattern: str, flags: str = "") -> str:
    """The RE2 pattern equivalent to a portable ``pattern`` with ``$options`` ``flags`` (a subset of ``imsx``).

    Raises ``RegexError`` for anything outside the portable subset, a pattern longer than
    ``MAX_PATTERN_LENGTH``, or one RE2 cannot compile (too large a program).
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    parser = RegexParser(pattern, flags)
    out = parser.parse()
    _compile(out)
    return out


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.never_capture = True
_UNANCHORED = re2._Anchor.UNANCHORED  # private, but stable across google-re2 releases; see _compile
_NO_MATCH = (-1, -1)


@lru_cache(maxsize=512)
def _compile(re2_pattern: str) -> Callable[[bytes], bool]:
    """A compiled RE2 program as ``subject_bytes -> found``.

    Calls the binding's ``Match`` directly when the installed ``google-re2`` has it: its public ``search`` builds a
    match object and a generator per call (about 2.5x slower); otherwise falls back to it.
    """
    try:
        compiled = re2.compile(re2_pattern.encode("utf-8"), _OPTIONS)
    except re2.error as err:
        message = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise RegexError(f"RE2 cannot compile it: {message}") from None
    raw: Any = getattr(compiled, "_regexp", None)
    if raw is not None and hasattr(raw, "Match"):
        match = raw.Match
        return lambda b: match(_UNANCHORED, b, 0, len(b))[0] != _NO_MATCH
    search = compiled.search
    return lambda b: search(b) is not None


def regex_matcher(pattern: str, flags: str = "") -> Callable[[str], bool]:
    """``subject -> bool``: an unanchored search of a validated portable pattern, in linear time (RE2).

    A plain literal (optionally after ``^``, without ``i``/``x``) is matched with ``in``/``startswith``: the same
    answer, several times faster than a call into RE2. Lone surrogates in a subject (Python strings can hold them,
    BSON cannot) are matched as their UTF-8-style bytes and never raise.
    """
    found = _compile(translate(pattern, flags))
    literal = _plain_literal(pattern, flags)
    if literal is not None:
        text, anchored = literal
        if anchored:
            return lambda s: s.startswith(text)
        return lambda s: text in s
    return lambda s: found(s.encode("utf-8", "surrogatepass"))


def _plain_literal(pattern: str, flags: str) -> tuple[str, bool] | None:
    """``(text, anchored)`` when a (validated) pattern is ``^``? followed by literal characters only."""
    if "i" in flags or "x" in flags:
        return None
    anchored = pattern.startswith("^")
    if anchored and "m" in flags:
        return None
    body = pattern[1:] if anchored else pattern
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            nxt = body[i + 1 : i + 2]
            if nxt not in PUNCT_ESCAPES:
                return None
            out.append(nxt)
            i += 2
        elif c in _META:
            return None
        else:
            out.append(c)
            i += 1
    return "".join(out), anchored


@lru_cache(maxsize=512)
def literal_matcher(text: str) -> Callable[[str], bool]:
    """``subject -> bool``: ``text`` occurs in the subject, case-insensitively, exactly as a regex-escaped
    ``$regex`` with option ``i`` would match on RE2 (Unicode simple case folding: ``k`` finds U+212A Kelvin sign,
    ``s`` finds U+017F long s, ``ß`` does not find ``SS``).

    ASCII text in an ASCII subject takes a plain ``in`` over lower-cased strings (the same answer, faster).
    """
    if not text:
        return lambda s: True
    ascii_text = text.isascii()
    lowered = text.lower()
    escaped = "".join(hex_escape(c) if not ("\ud800" <= c <= "\udfff") else f"\\x{{{ord(c):x}}}" for c in text)
    try:
        found: Callable[[bytes], bool] | None = _compile("(?i)" + escaped)
    except RegexError:  # only a lone surrogate can get here (RE2 has no such character): plain lower-casing
        found = None

    def match(s: str) -> bool:
        if found is None or (ascii_text and s.isascii()):
            return lowered in s.lower()
        return found(s.encode("utf-8", "surrogatepass"))

    return match
