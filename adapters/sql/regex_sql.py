"""``$regex`` on PostgreSQL and MariaDB: a portable pattern rewritten in the engine's dialect with the memory
adapter's (RE2's) meaning, then matched by the database.

``sql_pattern(pattern, flags, dialect)`` parses the pattern with the subset's own parser (``regex_parser.py``) and
emits only constructs whose meaning does not depend on the engine's options, locale or collation:

=====================  ==================================================  =======================================
portable               emitted (PostgreSQL ARE / MariaDB PCRE2)            why
=====================  ==================================================  =======================================
a character            ASCII letters and digits as themselves, anything    no metacharacter, ``x`` option or
                       else ``\\uXXXX``/``\\UXXXXXXXX`` / ``\\x{h}``           ``default_regex_flags`` can misread it
option ``i``           matched case-sensitively; each cased character is   ``~*`` folds per ctype, REGEXP per
                       the class of its RE2 orbit (``k`` → ``[Kk\\u212a]``)  collation: neither is RE2's folding
``[...]``              explicit code-point ranges (folded under ``i``)     ``\\d``/``\\w`` are Unicode-aware there
``\\d \\w \\D \\W``        ``[0-9]``, ``[0-9A-Za-z_]`` and their complements   ASCII, as RE2
``.``                  ``[^\\n]``; with ``s``: ``.`` / ``(?s:.)``             no dependence on newline modes
``^`` / ``$``          ``\\A`` / ``\\n?\\Z`` (``\\z``); with ``m``:               no ``m``/``w`` option, no
                       ``(?<![^\\n])`` / ``(?![^\\n])``                       DOLLAR_ENDONLY
``\\b`` ``\\B``           look-arounds over ``[0-9A-Za-z_]``                  ``\\y``/PCRE2 ``\\b`` are Unicode-aware
groups, lazy ``*?``    ``(?:...)``, greedy quantifiers                     only whether a match exists counts
=====================  ==================================================  =======================================

The subject is compared under a binary collation (``COLLATE "C"``, ``utf8mb4_nopad_bin``), so no engine folds case
on its own; the MariaDB pattern also starts with ``(?-imsx)``.

PostgreSQL text cannot hold NUL, so there a NUL in a class is dropped and a NUL alone is a class that never
matches. What cannot be said exactly raises ``RegexUnsupported`` (the compiler's ``UnsupportedQueryError``, per
pattern): on PostgreSQL a repeat count above 255 (its limit). At run time MariaDB's PCRE2 backtracks and
gives up past its match limit (``^(a+)+$`` on a long non-matching subject) with a *warning* and a non-match:
``watch_regex_warnings`` turns that warning into the same error, so a call never answers differently (a write
that raised it rolls back).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from ..casefold import cased_between, orbit
from ..regex_parser import ClassItem, RegexParser

__all__ = [
    "MARIADB_BINARY",
    "PG_MAX_REPEAT",
    "REGEXP_ERROR",
    "RegexUnsupported",
    "regex_match",
    "sql_pattern",
    "watch_regex_warnings",
]

MARIADB_BINARY = "utf8mb4_nopad_bin"
"""MariaDB's binary (code point, case-sensitive, no PAD SPACE) collation, under which REGEXP is case-sensitive."""
PG_MAX_REPEAT = 255
"""PostgreSQL's largest repeat count (``RE_DUP_MAX``)."""

_MAX = 0x10FFFF
_DIGITS = [(0x30, 0x39)]
_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_NEWLINE = [(0x0A, 0x0A)]
_SURROGATES = (0xD800, 0xDFFF)

Intervals = list[tuple[int, int]]


class RegexUnsupported(ValueError):
    """A portable pattern this dialect cannot match with the portable meaning; the message says why."""


def _complement(intervals: Intervals) -> Intervals:
    out: Intervals = []
    start = 0
    for low, high in _merge(intervals):
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= _MAX:
        out.append((start, _MAX))
    return out


def _merge(intervals: Intervals) -> Intervals:
    out: Intervals = []
    for low, high in sorted(intervals):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def _without_surrogates(intervals: Intervals) -> Intervals:
    """The intervals minus U+D800..U+DFFF (no stored string holds them; PCRE2 refuses them in UTF mode)."""
    out: Intervals = []
    s_low, s_high = _SURROGATES
    for low, high in intervals:
        if high < s_low or low > s_high:
            out.append((low, high))
            continue
        if low < s_low:
            out.append((low, s_low - 1))
        if high > s_high:
            out.append((s_high + 1, high))
    return out


class _SqlRegex(RegexParser):
    """The dialect-independent part: intervals, folding, anchors; a dialect supplies the escapes."""

    dot_all = "."
    end = "\\Z"
    prefix = ""

    def escape_code(self, code: int) -> str:  # pragma: no cover - each dialect's
        raise NotImplementedError

    def esc(self, code: int) -> str:
        c = chr(code)
        return c if c.isascii() and c.isalnum() else self.escape_code(code)

    def emit_pattern(self, text: str) -> str:
        return self.prefix + text

    def emit_char(self, c: str) -> str:
        if self.icase and len(orbit(c)) > 1:
            return self.emit_class(False, [(c, c)])
        return self.esc(ord(c))

    def emit_dot(self) -> str:
        return self.dot_all if self.dotall else self.bracket(True, _NEWLINE)

    def emit_caret(self) -> str:
        return f"(?<!{self.bracket(True, _NEWLINE)})" if self.multiline else "\\A"

    def emit_dollar(self) -> str:
        return f"(?!{self.bracket(True, _NEWLINE)})" if self.multiline else f"(?:\\n?{self.end})"

    def emit_boundary(self, c: str) -> str:
        word = self.bracket(False, _WORD)
        if c == "b":
            return f"(?:(?<!{word})(?={word})|(?<={word})(?!{word}))"
        return f"(?:(?<!{word})(?!{word})|(?<={word})(?={word}))"

    def emit_group(self, text: str, capturing: bool) -> str:
        return f"(?:{text})"

    def emit_repeat(self, atom: str, low: int, high: int | None, lazy: bool, text: str) -> str:
        return atom + (text if text in ("*", "+", "?") else "{" + f"{low}," + ("" if high is None else str(high)) + "}")

    def emit_class(self, negated: bool, items: list[ClassItem]) -> str:
        intervals: Intervals = []
        for item in items:
            if isinstance(item, str):
                base = _DIGITS if item.lower() == "d" else _WORD
                intervals += _complement(base) if item.isupper() else base
            else:
                intervals.append((ord(item[0]), ord(item[1])))
        if self.icase:
            folded: Intervals = []
            for low, high in intervals:
                for c in cased_between(low, high):
                    folded += [(ord(m), ord(m)) for m in orbit(c)]
            intervals += folded
        return self.bracket(negated, _merge(intervals))

    def bracket(self, negated: bool, intervals: Intervals) -> str:
        """A bracket expression of code-point intervals (never empty: an empty set is a class that cannot match)."""
        intervals = _without_surrogates(self.storable(_merge(intervals)))
        if not intervals:
            return self.bracket(not negated, [(1, _MAX)]) if not negated else self.dot_all_class()
        body = "".join(self.esc(lo) if lo == hi else f"{self.esc(lo)}-{self.esc(hi)}" for lo, hi in intervals)
        return "[" + ("^" if negated else "") + body + "]"

    def storable(self, intervals: Intervals) -> Intervals:
        """The intervals without the characters no stored string holds on this dialect."""
        return intervals

    def dot_all_class(self) -> str:
        return self.dot_all


class _Postgres(_SqlRegex):
    """PostgreSQL's advanced regular expressions (ARE), matched with ``~`` under ``COLLATE "C"``."""

    def escape_code(self, code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    def emit_char(self, c: str) -> str:
        if c == "\x00":  # no stored text holds NUL: a class that never matches keeps 'a|\x00' finding 'a'
            return self.bracket(False, [])
        return super().emit_char(c)

    def emit_repeat(self, atom: str, low: int, high: int | None, lazy: bool, text: str) -> str:
        if max(low, high or 0) > PG_MAX_REPEAT:
            raise RegexUnsupported(f"PostgreSQL repeats at most {PG_MAX_REPEAT} times")
        return super().emit_repeat(atom, low, high, lazy, text)

    def storable(self, intervals: Intervals) -> Intervals:
        return [(max(low, 1), high) for low, high in intervals if high >= 1]


class _MariaDb(_SqlRegex):
    """MariaDB's PCRE2 ``REGEXP`` (UTF mode) under ``utf8mb4_nopad_bin``."""

    dot_all = "(?s:.)"
    end = "\\z"
    prefix = "(?-imsx)"

    def escape_code(self, code: int) -> str:
        return f"\\x{{{code:x}}}"


_DIALECTS: dict[str, type[_SqlRegex]] = {"postgresql": _Postgres, "mysql": _MariaDb, "mariadb": _MariaDb}


def sql_pattern(pattern: str, flags: str, dialect: str) -> str:
    """The pattern for ``dialect`` (``"postgresql"``, ``"mysql"``/``"mariadb"``) meaning what the portable
    ``pattern`` with ``flags`` means on RE2. The pattern must already be valid (``query_regex.translate``); raises
    ``RegexUnsupported`` for what the dialect cannot match exactly and ``KeyError`` for another dialect."""
    return _DIALECTS[dialect](pattern, flags).parse()


def regex_match(text: ColumnElement[Any], pattern: str, flags: str, dialect: str) -> ColumnElement[bool]:
    """``text`` (a string expression) contains a match of the portable ``pattern``, under a binary collation;
    ``NULL`` when ``text`` is ``NULL`` (the caller makes it two-valued). Raises ``RegexUnsupported``."""
    translated = sa.literal(sql_pattern(pattern, flags, dialect), sa.Text())
    if dialect == "postgresql":
        return text.collate("C").op("~", return_type=sa.Boolean())(translated)
    return text.collate(MARIADB_BINARY).op("REGEXP", return_type=sa.Boolean())(translated)


REGEXP_ERROR = 1139
"""MariaDB's ER_REGEXP_ERROR: a warning (an error in a strict-mode write) when PCRE2 gives up on a subject."""


def watch_regex_warnings(engine: AsyncEngine) -> None:
    """On a MariaDB engine: after each statement that runs ``REGEXP``, read its warnings, and raise
    ``RegexUnsupported`` if PCRE2 gave up on a subject (its match limit: MariaDB then answers "no match")."""
    sync = engine.sync_engine
    if getattr(sync, "_dbm_regex_warnings", False):
        return
    event.listen(sync, "after_cursor_execute", _check_regex_warnings)
    sync._dbm_regex_warnings = True  # type: ignore[attr-defined]


def _check_regex_warnings(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    if " REGEXP " not in statement:
        return
    check = conn.connection.dbapi_connection.cursor()  # a second cursor: the first one holds the statement's rows
    try:
        check.execute("SHOW WARNINGS")
        warnings = check.fetchall()
    finally:
        check.close()
    if any(row[1] == REGEXP_ERROR for row in warnings):
        raise RegexUnsupported("MariaDB's PCRE2 gave up matching the pattern (its backtracking limit)")
