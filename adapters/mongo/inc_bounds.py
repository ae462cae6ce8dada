"""Which stored values an ``$inc`` would push out of the language's number range, as a MongoDB filter.

The memory adapter refuses an ``$inc`` whose result is an integer beyond 64 bits or a float that overflows to an
infinity (``adapters/updates.py``, a 422). MongoDB would refuse the integer overflow only after writing other
matches, and store the infinity; so ``MongoAdapter`` asks the server first whether any matched document holds such
a value, with the exact bounds computed here:

* an integer amount ``n`` on a stored ``int``/``long`` ``v`` overflows iff ``v > 2**63 - 1 - n`` (``n > 0``) or
  ``v < -2**63 - n`` (``n < 0``);
* any amount ``a`` on a stored ``double`` ``v`` overflows iff ``v + a``, rounded to nearest, is infinite, that is iff
  the exact sum reaches ``±(MAX + ulp(MAX) / 2)`` (ties round to even, and ``MAX`` is odd): the bound is that edge
  minus ``a``, rounded towards the overflowing side;
* a float amount on a stored integer never overflows (``|v| < 2**63`` is far below half an ulp of ``MAX``).
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import Any

from ..query_limits import INT64_MAX, INT64_MIN

__all__ = ["inc_overflow_filter"]

_FMAX = sys.float_info.max
_EDGE = Fraction(_FMAX) + Fraction(math.ulp(_FMAX)) / 2  # the smallest exact sum that rounds to +inf


def _double_bound(amount: int | float) -> float | None:
    """For ``amount > 0``: the smallest double ``v`` with ``v + amount`` infinite (``None``: no double)."""
    threshold = _EDGE - Fraction(amount)
    if threshold > _FMAX:
        return None
    bound = float(threshold)
    if Fraction(bound) < threshold:
        bound = math.nextafter(bound, math.inf)
    return bound


def inc_overflow_filter(path: str, amount: int | float) -> dict[str, Any] | None:
    """A filter matching the documents whose value at ``path`` ``$inc`` by ``amount`` would overflow (``None``: no
    value can)."""
    if amount == 0:
        return None
    clauses: list[dict[str, Any]] = []
    if type(amount) is int:
        limit = {"$gt": INT64_MAX - amount} if amount > 0 else {"$lt": INT64_MIN - amount}
        clauses += [{path: {"$type": kind, **limit}} for kind in ("int", "long")]
    bound = _double_bound(abs(amount))
    if bound is not None:
        clauses.append({path: {"$type": "double", "$gte" if amount > 0 else "$lte": bound if amount > 0 else -bound}})
    return {"$or": clauses} if clauses else None
