"""JavaScript regular expressions (as FV's ``pattern`` option gives them) run by Python's ``re``.

``compile_js(source, flags)`` rewrites the few constructs whose meaning differs between the two engines and
``js_test(pattern, text)`` runs ``RegExp.prototype.test``:

- ``\\d``, ``\\w``, ``\\b`` (and ``\\D``, ``\\W``, ``\\B``) are ASCII-only in JavaScript; ``\\s``/``\\S`` are
  JavaScript's own white-space set (it has U+FEFF, not U+0085 nor U+001C-U+001F);
- an escaped letter without a meaning is the letter (``\\a`` is "a", not BEL); ``\\cJ`` is a control character;
  ``\\x``/``\\u`` without their hex digits are refused (FV's generated code cannot compile them);
- ``.`` stops at ``\\n``, ``\\r``, U+2028 and U+2029 (Python: only ``\\n``); ``[^]`` is any character, ``[]`` none;
- ``$`` matches only at the very end (Python also before a final ``\\n``); with ``m``, ``^``/``$`` also at
  ``\\r``, U+2028 and U+2029;
- ``(?<name>...)`` and ``\\k<name>`` are Python's ``(?P<name>...)`` and ``(?P=name)``;
- without the ``u`` flag JavaScript sees UTF-16 code units, so text (and the pattern) outside the Basic
  Multilingual Plane is matched as surrogate pairs: ``/^.$/`` does not match "😀", as in JavaScript.

Remaining differences: ``i`` folds case the Python way (Unicode; JavaScript differs for a few letters such
as the long s, U+017F, and the Kelvin sign), ``\\D``/``\\W``/``\\S`` inside a class are Python's, and syntax
only one engine accepts (a variable-width look-behind, ``[\\w-a]``) is refused at compile time; "Nothing to
repeat" errors are JavaScript's.
"""

from __future__ import annotations

import re

__all__ = ["compile_js", "js_test", "utf16"]

_TERMINATORS = "\\n\\r\\u2028\\u2029"
_JS_SPACE_CLASS = "\\t\\n\\v\\f\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_WORD = "A-Za-z0-9_"
_OUTSIDE = {
    "d": "[0-9]", "D": "[^0-9]", "w": f"[{_WORD}]", "W": f"[^{_WORD}]",
    "s": f"[{_JS_SPACE_CLASS}]", "S": f"[^{_JS_SPACE_CLASS}]",
    "b": f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))",
    "B": f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))",
}  # fmt: skip
_INSIDE = {"d": "0-9", "w": _WORD, "s": _JS_SPACE_CLASS}
_SHARED = set("nrtvf0DWSb") | set("123456789")  # same meaning in both (inside a class, \b is a backspace)
_HEX = re.compile(r"[0-9A-Fa-f]+")
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "g": 0, "u": 0, "y": 0, "d": 0}


def utf16(text: str) -> str:
    """``text`` with every character outside the BMP split into its two surrogates (JavaScript's view)."""
    if text.isascii() or all(ord(char) < 0x10000 for char in text):
        return text
    out = []
    for char in text:
        code = ord(char)
        if code < 0x10000:
            out.append(char)
        else:
            code -= 0x10000
            out.append(chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF)))
    return "".join(out)


def _class_end(source: str, start: int) -> int:
    """Index of the ``]`` closing the class opened at ``start`` (JavaScript: a first ``]`` closes it)."""
    index = start + 1
    if index < len(source) and source[index] == "^":
        index += 1
    while index < len(source):
        if source[index] == "\\":
            index += 2
            continue
        if source[index] == "]":
            return index
        index += 1
    raise ValueError("unterminated character class")


def _escape(source: str, index: int, inside: bool) -> tuple[str, int]:
    """The Python form of the escape at ``source[index]`` (a backslash) and the index after it."""
    letter = source[index + 1]
    table = _INSIDE if inside else _OUTSIDE
    if letter in table:
        return table[letter], index + 2
    if letter in ("x", "u"):
        digits = 2 if letter == "x" else 4
        hex_digits = source[index + 2 : index + 2 + digits]
        if len(hex_digits) == digits and _HEX.fullmatch(hex_digits):
            return source[index : index + 2 + digits], index + 2 + digits
        # JavaScript's regex would read the letter, but FV prints the pattern into a string literal of its
        # generated code, where this escape is a syntax error: FV cannot compile such a schema
        raise ValueError(f"invalid \\{letter} escape (fastest-validator cannot compile it either)")
    if letter == "c":
        control = source[index + 2 : index + 3]
        if control.isascii() and control.isalpha():
            return re.escape(chr(ord(control) % 32)), index + 3
        return "\\\\c", index + 2
    if letter.isascii() and letter.isalpha() and letter not in _SHARED and letter != "k":
        return letter, index + 2  # an identity escape: the letter itself
    return source[index : index + 2], index + 2


def _translate_class(body: str) -> str:
    out, index = [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            if body[index + 1] == "[":
                out.append("\\[")
                index += 2
                continue
            text, index = _escape(body, index, inside=True)
            out.append(text)
            continue
        out.append("\\[" if char == "[" else char)
        index += 1
    return "".join(out)


_QUANTIFIER = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")
_GROUP_PREFIX = re.compile(r"\(\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)?")


def _check_quantifiers(source: str) -> None:
    """Raise ``ValueError`` where JavaScript says "Nothing to repeat" and Python would not: a quantifier after
    an anchor or a look-behind, after ``(`` or ``|``, or after another quantifier (Python reads ``a*+`` as
    possessive)."""
    prev, index, groups = "start", 0, []
    while index < len(source):
        char = source[index]
        quantifier = _QUANTIFIER.match(source, index) if char == "{" else None
        if char in "*+?" or quantifier:
            if prev == "quant" and char == "?":
                prev = "lazy"
            elif prev == "atom":
                prev = "quant"
            else:
                raise ValueError(f"nothing to repeat at position {index}")
            index = quantifier.end() if quantifier else index + 1
            continue
        if char == "\\":
            prev = "anchor" if source[index + 1 : index + 2] in ("b", "B") else "atom"
            index += 2
        elif char == "[":
            prev, index = "atom", _class_end(source, index) + 1
        elif char == "(":
            match = _GROUP_PREFIX.match(source, index)
            prefix = match.group() if match else "("
            groups.append("anchor" if prefix in ("(?<=", "(?<!") else "atom")
            prev, index = "start", index + len(prefix)
        elif char == ")":
            prev, index = (groups.pop() if groups else "atom"), index + 1
        elif char in "|":
            prev, index = "start", index + 1
        elif char in "^$":
            prev, index = "anchor", index + 1
        else:
            prev, index = "atom", index + 1


_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def _translate(source: str, flags: str) -> str:
    dotall, multiline = "s" in flags, "m" in flags
    named = _NAMED_GROUP.search(source) is not None  # without named groups, \k is just the letter k
    out: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            if source[index + 1] == "k" and not named:
                out.append("k")
                index += 2
                continue
            if source[index + 1] == "k" and source.startswith("<", index + 2) and ">" in source[index + 3 :]:
                end = source.index(">", index + 3)
                out.append(f"(?P={source[index + 3 : end]})")
                index = end + 1
                continue
            text, index = _escape(source, index, inside=False)
            out.append(text)
        elif char == "[":
            end = _class_end(source, index)
            body = source[index + 1 : end]
            if body == "":
                out.append("(?!)")
            elif body == "^":
                out.append("(?s:.)")
            else:
                negate = body.startswith("^")
                out.append(("[^" if negate else "[") + _translate_class(body[negate:]) + "]")
            index = end + 1
        elif char == "." and not dotall:
            out.append(f"[^{_TERMINATORS}]")
            index += 1
        elif char == "$":
            out.append(f"(?=[{_TERMINATORS}]|\\Z)" if multiline else "\\Z")
            index += 1
        elif char == "^" and multiline:
            out.append(f"(?<![^{_TERMINATORS}])")
            index += 1
        elif source.startswith("(?<", index) and not source.startswith(("(?<=", "(?<!"), index):
            out.append("(?P<")
            index += 3
        else:
            out.append(char)
            index += 1
    return "".join(out)


def compile_js(source: str, flags: str = "") -> re.Pattern[str]:
    """A Python pattern that behaves as ``new RegExp(source, flags)`` (see the module notes).

    Raises ``ValueError`` for an unknown flag or a pattern neither engine reads the same way, ``re.error`` for
    invalid syntax.
    """
    value = 0
    for letter in flags:
        if letter not in _FLAGS:
            raise ValueError(f"unknown pattern flag {letter!r}")
        value |= _FLAGS[letter]
    value &= ~re.MULTILINE  # ^ and $ are rewritten; Python's multiline would add \n-only anchors
    _check_quantifiers(source)
    return re.compile(_translate(utf16(source), flags), value)


def js_test(pattern: re.Pattern[str], text: str) -> bool:
    """``pattern.test(text)`` for a pattern from ``compile_js``."""
    return pattern.search(utf16(text)) is not None
