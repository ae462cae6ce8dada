"""FV's ``date`` conversion: ``new Date(value.length && !isNaN(+value) ? +value : value)`` in Python.

Numbers and numeric text are epoch milliseconds; other text is read only in ECMAScript's ISO 8601 forms, a
form without an offset as UTC (V8 also guesses at free text and reads offset-less date-times in local time: a
deliberate difference, see docs/validator.md). Dates outside JavaScript's range, or Python's years 1-9999, are
invalid.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from .fv_rules import is_number, js_number, js_str

__all__ = ["to_date"]

_MAX_DATE_MS = 8.64e15  # JavaScript's Date range: ±100,000,000 days around the epoch
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_DATE = re.compile(
    r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?"
    r"(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)


def _from_ms(ms: float) -> Any:
    """``new Date(ms)``: whole milliseconds since the epoch, UTC; ``None`` outside JavaScript's (or Python's)
    range."""
    if not math.isfinite(ms) or abs(ms) > _MAX_DATE_MS:
        return None
    try:
        return _EPOCH + timedelta(milliseconds=math.trunc(ms))
    except OverflowError:  # before year 1 or after 9999: valid in JavaScript, not in Python
        return None


def _parse_date(text: str) -> Any:
    """``new Date(text)`` for ECMAScript's ISO 8601 forms only; a form without an offset is read as UTC."""
    if not _ISO_DATE.fullmatch(text):
        return None
    day, sep, time = text.partition("T")
    text = day + "-01" * (2 - day.count("-")) + sep + time  # "2020" and "2020-05" are the first day
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def to_date(value: Any) -> Any:
    """FV's ``convert``: ``new Date(value.length && !isNaN(+value) ? +value : value)``; the value unchanged if
    that is an invalid date."""
    if isinstance(value, str | list) and len(value):
        number = js_number(js_str(value), infinity=True)
        if number is not None:
            value = number  # a numeric string or list: epoch milliseconds (Infinity: an invalid date)
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int | float):
        date = _from_ms(value) if is_number(value) else None
    elif isinstance(value, str | list):
        date = _parse_date(js_str(value))
    else:
        date = None
    return value if date is None else date
