"""JavaScript regular expressions (as FV's ``pattern`` option gives them) run by Python's ``re``.

``compile_js(source, flags)`` rewrites the few constructs whose meaning differs between the two engines and
``js_test(pattern, text)`` runs ``RegExp.prototype.test``:

- ``\\d``, ``\\w``, ``\\b`` are ASCII-only in JavaScript (``re.ASCII``); ``\\s``/``\\S`` are JavaScript's own
  white-space set (it has U+FEFF, not U+0085 nor U+001C-U+001F);
- ``.`` stops at ``\\n``, ``\\r``, U+2028 and U+2029 (Python: only ``\\n``); ``[^]`` is any character, ``[]`` none;
- ``$`` matches only at the very end (Python also before a final ``\\n``); with ``m``, ``^``/``$`` also at
  ``\\r``, U+2028 and U+2029;
- ``(?<name>...)`` and ``\\k<name>`` are Python's ``(?P<name>...)`` and ``(?P=name)``;
- without the ``u`` flag JavaScript sees UTF-16 code units, so text (and the pattern) outside the Basic
  Multilingual Plane is matched as surrogate pairs: ``/^.$/`` does not match "😀", as in JavaScript.

Remaining differences: the ``i`` flag folds ASCII letters only (JavaScript also folds "é"/"É"), and syntax
only one engine accepts is refused at compile time or read the Python way.
"""

from __future__ import annotations

import re

__all__ = ["compile_js", "js_test", "utf16"]

_TERMINATORS = "\\n\\r\\u2028\\u2029"
_JS_SPACE_CLASS = "\\t\\n\\v\\f\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
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


def _translate_class(body: str) -> str:
    out, index = [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            escape = body[index + 1]
            out.append(_JS_SPACE_CLASS if escape == "s" else "[" if escape == "[" else body[index : index + 2])
            index += 2
            continue
        out.append("\\[" if char == "[" else char)
        index += 1
    return "".join(out)


def _translate(source: str, flags: str) -> str:
    dotall, multiline = "s" in flags, "m" in flags
    out: list[str] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            escape = source[index + 1]
            if escape == "s":
                out.append(f"[{_JS_SPACE_CLASS}]")
            elif escape == "S":
                out.append(f"[^{_JS_SPACE_CLASS}]")
            elif escape == "k" and source.startswith("<", index + 2) and ">" in source[index + 3 :]:
                end = source.index(">", index + 3)
                out.append(f"(?P={source[index + 3 : end]})")
                index = end + 1
                continue
            else:
                out.append(source[index : index + 2])
            index += 2
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
    return re.compile(_translate(utf16(source), flags), value | re.ASCII)


def js_test(pattern: re.Pattern[str], text: str) -> bool:
    """``pattern.test(text)`` for a pattern from ``compile_js``."""
    return pattern.search(utf16(text)) is not None
