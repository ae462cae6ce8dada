"""JavaScript's ``String(value)`` for JSON-like Python values, where Moleculer's wire formats depend on it.

Cache keys print numbers as JS does (``5.0`` → ``5``, ``1e21`` → ``1e+21``), populate looks entities up by JS
object keys (``String(id)``), and validation messages join values as JS arrays do.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["js_string", "number_to_string"]

_JS_SAFE_INT = 2**53


def number_to_string(x: float) -> str:
    """``Number.prototype.toString()`` for a double: Python's shortest repr, reshaped to JS's layout rules."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) <= _JS_SAFE_INT:
        return str(int(x))
    sign = "-" if x < 0 else ""
    r = repr(abs(x))
    if "e" in r:
        mant, _, exponent = r.partition("e")
        digits, n = mant.replace(".", ""), int(exponent) + 1
    else:
        ip, _, fp = r.partition(".")
        if ip != "0":
            digits, n = ip + fp, len(ip)
        else:
            stripped = fp.lstrip("0")
            digits, n = stripped, len(stripped) - len(fp)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    return f"{sign}{digits[0]}{'.' + digits[1:] if k > 1 else ''}e{'+' if e >= 0 else '-'}{abs(e)}"


def js_string(value: Any) -> str:
    """``String(value)``: ``None`` → ``null``, booleans lower-case, floats as JS, lists joined with commas."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
