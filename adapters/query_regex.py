"""The portable regular-expression subset of ``$regex``, and its linear-time evaluation with RE2.

A ``$regex`` runs on PCRE in MongoDB, on RE2 in the memory adapter and on whatever an SQL engine has, so a
pattern is only accepted when every construct in it has **one** meaning on Python ``re``, PCRE (MongoDB: UTF
mode, no UCP) and RE2. ``translate`` parses a pattern against that subset (see ``docs/query-language.md``
§Regular expressions for the table) and either raises ``RegexError`` naming the construct, or returns the
equivalent RE2 pattern. ``regex_matcher`` compiles that with RE2 (``google-re2``): automata, no backtracking, so
matching is linear in the subject's length and ``^(a+)+$`` cannot stall the event loop.

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

__all__ = ["MAX_PATTERN_LENGTH", "MAX_REPEAT", "RegexError", "literal_matcher", "regex_matcher", "translate"]

MAX_PATTERN_LENGTH = 1000
"""Longest accepted pattern, in characters."""
MAX_REPEAT = 1000
"""Largest accepted bound in ``{m}``/``{m,n}`` (RE2's own limit, which also caps nested counted repeats)."""
MAX_GROUP_DEPTH = 50
"""Deepest accepted nesting of groups."""

_META = frozenset("\\^$.|?*+()[]{}")
_PUNCT_ESCAPES = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}
_X_SPACE = frozenset(" \t\n\r\f")
_X_REFUSED_SPACE = frozenset("\v\x85\u200e\u200f\u2028\u2029")
_WORD = "0-9A-Za-z_"


class RegexError(ValueError):
    """A pattern outside the portable subset; the message names the construct."""


def _hex(ch: str) -> str:
    """A character as an RE2 escape that cannot be misread (``\\x{2e}``), or itself when alphanumeric."""
    if (ch.isalnum() and ch.isascii()) or (not ch.isascii() and ch.isprintable()):
        return ch
    return f"\\x{{{ord(ch):x}}}"


class _Parser:
    """Recursive descent over the subset; emits the RE2 pattern as it goes."""

    def __init__(self, pattern: str, flags: str):
        self.p = pattern
        self.n = len(pattern)
        self.i = 0
        self.icase = "i" in flags
        self.multiline = "m" in flags
        self.verbose = "x" in flags
        self.dotall = "s" in flags
        self.depth = 0
        self.dollars = 0  # '$' (without m) seen so far: each must end up in a final position

    # ------------------------------------------------------------------------------------------- helpers

    def fail(self, message: str) -> RegexError:
        return RegexError(f"{message} (at position {self.i})")

    def skip(self) -> None:
        """In verbose mode, skip whitespace and ``#`` comments between tokens."""
        if not self.verbose:
            return
        while self.i < self.n:
            c = self.p[self.i]
            if c in _X_SPACE:
                self.i += 1
            elif c == "#":
                end = self.p.find("\n", self.i)
                self.i = self.n if end < 0 else end + 1
            elif c in _X_REFUSED_SPACE:
                raise self.fail(f"with option x, escape the whitespace character U+{ord(c):04X}")
            else:
                return

    def peek(self) -> str:
        return self.p[self.i] if self.i < self.n else ""

    # ------------------------------------------------------------------------------------------- grammar

    def parse(self) -> str:
        out, _ = self.alternation(final=True)
        if self.i < self.n:
            raise self.fail("unbalanced ')'")
        flags = ("i" if self.icase else "") + ("m" if self.multiline else "") + ("s" if self.dotall else "")
        return f"(?{flags}){out}" if flags else out

    def alternation(self, final: bool) -> tuple[str, bool]:
        """``seq ('|' seq)*``; returns the RE2 text and whether it can match the empty string."""
        branches = []
        nullable = False
        while True:
            text, empty = self.sequence(final)
            branches.append(text)
            nullable = nullable or empty
            if self.peek() != "|":
                return "|".join(branches), nullable
            self.i += 1

    def sequence(self, final: bool) -> tuple[str, bool]:
        parts: list[str] = []
        nullables: list[bool] = []
        pending_caret: list[int] = []  # indexes of '^' (with m) whose continuation must consume something
        while True:
            self.skip()
            if self.peek() in ("", "|", ")"):
                break
            start, dollars = self.i, self.dollars
            atom, empty, kind = self.atom()
            self.skip()
            text, empty, repeated = self.quantifier(atom, empty, kind)
            self.skip()
            if self.dollars > dollars and (not final or repeated or self.at_continuation()):
                self.i = start
                raise self.fail("without option m, '$' must end the pattern (or a final alternative)")
            if kind == "caret" and self.multiline:
                pending_caret.append(len(parts))
            parts.append(text)
            nullables.append(empty)
        for index in pending_caret:
            if all(nullables[index + 1 :]):
                raise self.fail("with option m, '^' must be followed by something that matches a character")
        return "".join(parts), all(nullables)

    def at_continuation(self) -> bool:
        """Something other than the end of the sequence follows (verbose whitespace already skipped)."""
        return self.peek() not in ("", "|", ")")

    def atom(self) -> tuple[str, bool, str]:
        """One item: (RE2 text, can match empty, kind) where kind is caret, dollar, boundary, group or char."""
        c = self.p[self.i]
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class(), False, "char"
        if c == ".":
            self.i += 1
            return ".", False, "char"
        if c == "^":
            self.i += 1
            return "^", True, "caret"
        if c == "$":
            self.i += 1
            if self.multiline:
                return "$", True, "dollar"
            self.dollars += 1
            return "\\n?$", True, "dollar"
        if c == "\\":
            return self.escape()
        if c in "*+?":
            raise self.fail(f"'{c}' has nothing to repeat")
        if c in "{}]":
            raise self.fail(f"escape a literal '{c}' as '\\{c}'")
        self.i += 1
        return self.literal(c), False, "char"

    def literal(self, c: str) -> str:
        if "\ud800" <= c <= "\udfff":
            raise self.fail("a lone surrogate is not a character")
        if c == "\x00":
            raise self.fail("a NUL character must be written \\x00 (MongoDB refuses it in a pattern)")
        if self.icase and c in "\u0130\u0131":
            raise self.fail(f"with option i, U+{ord(c):04X} (Turkish i) folds differently in PCRE and RE2")
        return _hex(c)

    def group(self) -> tuple[str, bool, str]:
        self.i += 1
        prefix = "("
        if self.peek() == "?":
            if self.p[self.i : self.i + 2] != "?:":
                raise self.fail("only (...) and (?:...) groups are portable (no lookaround, named groups, flags)")
            self.i += 2
            prefix = "(?:"
        self.depth += 1
        if self.depth > MAX_GROUP_DEPTH:
            raise self.fail(f"groups nest deeper than {MAX_GROUP_DEPTH}")
        text, nullable = self.alternation(True)  # the enclosing sequence checks where the group stands
        self.depth -= 1
        if self.peek() != ")":
            raise self.fail("missing ')'")
        self.i += 1
        return f"{prefix}{text})", nullable, "group"

    def quantifier(self, atom: str, empty: bool, kind: str) -> tuple[str, bool, bool]:
        """An optional quantifier after an atom; returns (text, can match empty, may repeat more than once)."""
        c = self.peek()
        if c not in ("*", "+", "?", "{"):
            return atom, empty, False
        if kind in ("caret", "dollar", "boundary"):
            raise self.fail("an anchor cannot be repeated")
        start = self.i
        if c == "{":
            low, high = self.counted()
            q = self.p[start : self.i]
            nullable = empty or low == 0
            many = high is None or high > 1
        else:
            self.i += 1
            q = c
            nullable = empty or c in "*?"
            many = c in "*+"
        if self.peek() == "?":
            self.i += 1
            q += "?"
        elif self.peek() == "+":
            raise self.fail("possessive quantifiers are not portable")
        self.skip()
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self.p[self.i + 1 : self.i + 2].isdigit()):
            raise self.fail("a quantifier cannot follow another quantifier")
        return atom + q, nullable, many

    def counted(self) -> tuple[int, int | None]:
        """``{m}``, ``{m,}`` or ``{m,n}`` with decimal bounds <= MAX_REPEAT."""
        end = self.p.find("}", self.i)
        body = self.p[self.i + 1 : end] if end > 0 else ""
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or not low_text.isascii() or (high_text and not high_text.isdigit()):
            raise self.fail("a '{' must be a quantifier {m}, {m,} or {m,n} (escape a literal '{')")
        if not high_text.isascii() or len(low_text) > 4 or len(high_text) > 4:
            raise self.fail(f"a repeat count is limited to {MAX_REPEAT}")
        low = int(low_text)
        high = int(high_text) if high_text else (None if comma else low)
        if low > MAX_REPEAT or (high is not None and high > MAX_REPEAT):
            raise self.fail(f"a repeat count is limited to {MAX_REPEAT}")
        if high is not None and high < low:
            raise self.fail("a quantifier {m,n} needs m <= n")
        self.i = end + 1
        return low, high

    def escape(self) -> tuple[str, bool, str]:
        self.i += 1
        if self.i >= self.n:
            raise self.fail("a pattern cannot end with '\\'")
        c = self.p[self.i]
        self.i += 1
        if c in ("b", "B"):
            return f"\\{c}", True, "boundary"
        return self.class_escape(c, in_class=False), False, "char"

    def class_escape(self, c: str, in_class: bool) -> str:
        """An escape usable inside or outside a class (``\\b`` is handled by the caller)."""
        if c == "d":
            return "0-9" if in_class else "[0-9]"
        if c == "D":
            return "\\D" if in_class else "[^0-9]"
        if c in ("w", "W"):
            if self.icase:
                raise self.fail(f"with option i, \\{c} is not portable (RE2 case-folds it); spell out [0-9A-Za-z_]")
            if c == "w":
                return _WORD if in_class else f"[{_WORD}]"
            return "\\W" if in_class else f"[^{_WORD}]"
        return _hex(self.escaped_char(c))

    def escaped_char(self, c: str) -> str:
        """The literal character of an escape that stands for one character."""
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        if c == "x":
            digits = self.p[self.i : self.i + 2]
            if len(digits) != 2 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise self.fail("\\x needs exactly two hex digits (\\xhh)")
            self.i += 2
            return chr(int(digits, 16))
        if c in _PUNCT_ESCAPES:
            return c
        if c in ("s", "S"):
            raise self.fail(f"\\{c} is not portable (PCRE counts \\v as whitespace, RE2 does not); use a class")
        if c == "v":
            raise self.fail("\\v is not portable (a class of vertical whitespace in PCRE); use \\x0b")
        if c.isdigit():
            raise self.fail("backreferences and octal escapes are not portable")
        raise self.fail(f"the escape \\{c} is not portable")

    def char_class(self) -> str:
        self.i += 1
        out = "["
        if self.peek() == "^":
            self.i += 1
            out += "^"
        items = 0
        while True:
            if self.i >= self.n:
                raise self.fail("missing ']'")
            c = self.p[self.i]
            if c == "]":
                if items == 0:
                    raise self.fail("an empty class; escape a literal ']' as '\\]'")
                self.i += 1
                return out + "]"
            if c == "[":
                raise self.fail("escape a literal '[' inside a class as '\\[' (POSIX classes are not portable)")
            low, text = self.class_atom()
            items += 1
            if self.peek() == "-" and self.p[self.i + 1 : self.i + 2] not in ("]", ""):
                self.i += 1
                if low is None:
                    raise self.fail("a range cannot start with a class escape")
                if self.peek() == "[":
                    raise self.fail("escape a literal '[' inside a class as '\\['")
                high, _ = self.class_atom()
                if high is None:
                    raise self.fail("a range cannot end with a class escape")
                if ord(high) < ord(low):
                    raise self.fail(f"the range {low!r}-{high!r} is reversed")
                if self.icase and low <= "\u0131" and high >= "\u0130":
                    raise self.fail("with option i, a range over U+0130/U+0131 folds differently in PCRE and RE2")
                out += f"{_hex(low)}-{_hex(high)}"
            else:
                out += text

    def class_atom(self) -> tuple[str | None, str]:
        """One class member: (its character or None for a class escape, its RE2 text)."""
        c = self.p[self.i]
        self.i += 1
        if c != "\\":
            if c == "-" and self.peek() == "-":
                raise self.fail("'--' inside a class is not portable (a set operation in some engines)")
            return c, self.literal(c)
        if self.i >= self.n:
            raise self.fail("missing ']'")
        e = self.p[self.i]
        self.i += 1
        if e in ("b", "B"):
            raise self.fail(f"\\{e} inside a class is not portable")
        if e in ("d", "D", "w", "W"):
            return None, self.class_escape(e, in_class=True)
        ch = self.escaped_char(e)
        return ch, self.literal(ch)


def translate(pattern: str, flags: str = "") -> str:
    """The RE2 pattern equivalent to a portable ``pattern`` with ``$options`` ``flags`` (a subset of ``imsx``).

    Raises ``RegexError`` for anything outside the portable subset, a pattern longer than
    ``MAX_PATTERN_LENGTH``, or one RE2 cannot compile (too large a program).
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    parser = _Parser(pattern, flags)
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
            if nxt not in _PUNCT_ESCAPES:
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
    escaped = "".join(_hex(c) if not ("\ud800" <= c <= "\udfff") else f"\\x{{{ord(c):x}}}" for c in text)
    try:
        found: Callable[[bytes], bool] | None = _compile("(?i)" + escaped)
    except RegexError:  # only a lone surrogate can get here (RE2 has no such character): plain lower-casing
        found = None

    def match(s: str) -> bool:
        if found is None or (ascii_text and s.isascii()):
            return lowered in s.lower()
        return found(s.encode("utf-8", "surrogatepass"))

    return match
