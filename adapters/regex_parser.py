"""The parser of the portable ``$regex`` subset (``query_regex.py`` describes the subset and its choices).

``RegexParser(pattern, flags).parse()`` validates a pattern against the subset, raising ``RegexError`` naming the
construct, and emits the equivalent pattern of one engine as it goes. The base class emits RE2 (the memory adapter's
engine); an engine with another dialect subclasses it and overrides the ``emit_*`` hooks, which receive validated
pieces only (code points, class items, bounds), never pattern text to re-parse::

    emit_char(c)             a literal character               emit_dot()                 '.'
    emit_caret()/emit_dollar()  '^' / '$' (``self.multiline``)  emit_boundary("b" | "B")   '\\b' / '\\B'
    emit_class(negated, items)  a class; items are ``(low, high)`` characters or the letters d D w W of escapes
    emit_group(text, capturing)  '(...)' / '(?:...)'           emit_repeat(atom, low, high, lazy, text)
    emit_pattern(text)       the whole pattern (flags)

Outside a class, ``\\d`` is ``emit_class(False, ["d"])`` and ``\\D`` is ``emit_class(True, ["d"])`` (``w``/``W``
alike), so a dialect states the meaning of the four escapes once.
"""

from __future__ import annotations

__all__ = ["MAX_GROUP_DEPTH", "MAX_REPEAT", "PUNCT_ESCAPES", "ClassItem", "RegexError", "RegexParser", "hex_escape"]

MAX_REPEAT = 1000
"""Largest accepted bound in ``{m}``/``{m,n}`` (RE2's own limit, which also caps nested counted repeats)."""
MAX_GROUP_DEPTH = 50
"""Deepest accepted nesting of groups."""

ClassItem = tuple[str, str] | str
"""A member of a character class: ``(low, high)`` (one character when equal) or a class escape letter ``d D w W``."""

PUNCT_ESCAPES = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}
_X_SPACE = frozenset(" \t\n\r\f")
_X_REFUSED_SPACE = frozenset("\v\x85\u200e\u200f\u2028\u2029")
_WORD = "0-9A-Za-z_"
_RE2_CLASS_ESCAPES = {"d": "0-9", "D": "\\D", "w": _WORD, "W": "\\W"}


class RegexError(ValueError):
    """A pattern outside the portable subset; the message names the construct."""


def hex_escape(ch: str) -> str:
    """A character as an RE2 escape that cannot be misread (``\\x{2e}``), or itself when alphanumeric."""
    if (ch.isalnum() and ch.isascii()) or (not ch.isascii() and ch.isprintable()):
        return ch
    return f"\\x{{{ord(ch):x}}}"


class RegexParser:
    """Recursive descent over the subset; emits the pattern of one engine (RE2 here) as it goes."""

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

    # ------------------------------------------------------------------------------------------- RE2 output

    def emit_pattern(self, text: str) -> str:
        flags = ("i" if self.icase else "") + ("m" if self.multiline else "") + ("s" if self.dotall else "")
        return f"(?{flags}){text}" if flags else text

    def emit_char(self, c: str) -> str:
        return hex_escape(c)

    def emit_dot(self) -> str:
        return "."

    def emit_caret(self) -> str:
        return "^"

    def emit_dollar(self) -> str:
        return "$" if self.multiline else "\\n?$"

    def emit_boundary(self, c: str) -> str:
        return f"\\{c}"

    def emit_group(self, text: str, capturing: bool) -> str:
        return f"({text})" if capturing else f"(?:{text})"

    def emit_repeat(self, atom: str, low: int, high: int | None, lazy: bool, text: str) -> str:
        """``text`` is the quantifier as written (``*``, ``{2,5}``...); ``high`` is ``None`` when unbounded."""
        return atom + text + ("?" if lazy else "")

    def emit_class(self, negated: bool, items: list[ClassItem]) -> str:
        out = []
        for item in items:
            if isinstance(item, str):
                out.append(_RE2_CLASS_ESCAPES[item])
            else:
                low, high = item
                out.append(hex_escape(low) if low == high else f"{hex_escape(low)}-{hex_escape(high)}")
        return "[" + ("^" if negated else "") + "".join(out) + "]"

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
        return self.emit_pattern(out)

    def alternation(self, final: bool) -> tuple[str, bool]:
        """``seq ('|' seq)*``; returns the emitted text and whether it can match the empty string."""
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
        """One item: (emitted text, can match empty, kind) where kind is caret, dollar, boundary, group or char."""
        c = self.p[self.i]
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class(), False, "char"
        if c == ".":
            self.i += 1
            return self.emit_dot(), False, "char"
        if c == "^":
            self.i += 1
            return self.emit_caret(), True, "caret"
        if c == "$":
            self.i += 1
            if not self.multiline:
                self.dollars += 1
            return self.emit_dollar(), True, "dollar"
        if c == "\\":
            return self.escape()
        if c in "*+?":
            raise self.fail(f"'{c}' has nothing to repeat")
        if c in "{}]":
            raise self.fail(f"escape a literal '{c}' as '\\{c}'")
        self.i += 1
        return self.emit_char(self.literal(c)), False, "char"

    def literal(self, c: str) -> str:
        """``c`` itself, once checked to be a portable literal character."""
        if "\ud800" <= c <= "\udfff":
            raise self.fail("a lone surrogate is not a character")
        if c == "\x00":
            raise self.fail("a NUL character must be written \\x00 (MongoDB refuses it in a pattern)")
        if self.icase and c in "\u0130\u0131":
            raise self.fail(f"with option i, U+{ord(c):04X} (Turkish i) folds differently in PCRE and RE2")
        return c

    def group(self) -> tuple[str, bool, str]:
        self.i += 1
        capturing = True
        if self.peek() == "?":
            if self.p[self.i : self.i + 2] != "?:":
                raise self.fail("only (...) and (?:...) groups are portable (no lookaround, named groups, flags)")
            self.i += 2
            capturing = False
        self.depth += 1
        if self.depth > MAX_GROUP_DEPTH:
            raise self.fail(f"groups nest deeper than {MAX_GROUP_DEPTH}")
        text, nullable = self.alternation(True)  # the enclosing sequence checks where the group stands
        self.depth -= 1
        if self.peek() != ")":
            raise self.fail("missing ')'")
        self.i += 1
        return self.emit_group(text, capturing), nullable, "group"

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
        else:
            self.i += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        written = self.p[start : self.i]
        nullable = empty or low == 0
        many = high is None or high > 1
        lazy = False
        if self.peek() == "?":
            self.i += 1
            lazy = True
        elif self.peek() == "+":
            raise self.fail("possessive quantifiers are not portable")
        self.skip()
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self.p[self.i + 1 : self.i + 2].isdigit()):
            raise self.fail("a quantifier cannot follow another quantifier")
        return self.emit_repeat(atom, low, high, lazy, written), nullable, many

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
            return self.emit_boundary(c), True, "boundary"
        if c in ("d", "D", "w", "W"):
            return self.emit_class(c.isupper(), [self.class_escape(c).lower()]), False, "char"
        return self.emit_char(self.escaped_char(c)), False, "char"

    def class_escape(self, c: str) -> str:
        """A class escape letter ``d D w W`` once checked (``\\w`` is not portable with ``i``)."""
        if c in ("w", "W") and self.icase:
            raise self.fail(f"with option i, \\{c} is not portable (RE2 case-folds it); spell out [0-9A-Za-z_]")
        return c

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
        if c in PUNCT_ESCAPES:
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
        negated = False
        if self.peek() == "^":
            self.i += 1
            negated = True
        items: list[ClassItem] = []
        while True:
            if self.i >= self.n:
                raise self.fail("missing ']'")
            c = self.p[self.i]
            if c == "]":
                if not items:
                    raise self.fail("an empty class; escape a literal ']' as '\\]'")
                self.i += 1
                return self.emit_class(negated, items)
            if c == "[":
                raise self.fail("escape a literal '[' inside a class as '\\[' (POSIX classes are not portable)")
            low = self.class_atom()
            if self.peek() == "-" and self.p[self.i + 1 : self.i + 2] not in ("]", ""):
                self.i += 1
                if isinstance(low, str):
                    raise self.fail("a range cannot start with a class escape")
                if self.peek() == "[":
                    raise self.fail("escape a literal '[' inside a class as '\\['")
                high = self.class_atom()
                if isinstance(high, str):
                    raise self.fail("a range cannot end with a class escape")
                if ord(high[0]) < ord(low[0]):
                    raise self.fail(f"the range {low[0]!r}-{high[0]!r} is reversed")
                if self.icase and low[0] <= "\u0131" and high[0] >= "\u0130":
                    raise self.fail("with option i, a range over U+0130/U+0131 folds differently in PCRE and RE2")
                items.append((low[0], high[0]))
            else:
                items.append(low)

    def class_atom(self) -> ClassItem:
        """One class member: ``(c, c)`` for a character, or the letter of a class escape."""
        c = self.p[self.i]
        self.i += 1
        if c != "\\":
            if c == "-" and self.peek() == "-":
                raise self.fail("'--' inside a class is not portable (a set operation in some engines)")
            ch = self.literal(c)
            return (ch, ch)
        if self.i >= self.n:
            raise self.fail("missing ']'")
        e = self.p[self.i]
        self.i += 1
        if e in ("b", "B"):
            raise self.fail(f"\\{e} inside a class is not portable")
        if e in ("d", "D", "w", "W"):
            return self.class_escape(e)
        ch = self.literal(self.escaped_char(e))
        return (ch, ch)
