"""``$inc`` overflow on MongoAdapter: the filter of ``adapters/mongo/inc_bounds.py`` matches a stored value exactly
when the memory adapter's update rules refuse the ``$inc`` (an integer beyond 64 bits, a float that overflows)."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mongomock.filtering import filter_applies

from adapters.mongo.inc_bounds import inc_overflow_filter
from adapters.query import parse_update
from adapters.updates import apply_update
from broker.errors import ValidationError

from .conftest import make

INT64 = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
BIG = sys.float_info.max


def memory_refuses(stored: int | float, amount: int | float) -> bool:
    try:
        apply_update({"v": stored}, parse_update({"$inc": {"v": amount}}))
    except ValidationError:
        return True
    return False


@given(stored=INT64 | FLOATS, amount=INT64 | FLOATS)
@example(stored=2**63 - 1, amount=1)
@example(stored=-(2**63), amount=-1)
@example(stored=2**62, amount=2**62)
@example(stored=BIG, amount=math.ulp(BIG) / 2)  # the exact sum is the rounding edge: +inf
@example(stored=BIG, amount=math.nextafter(math.ulp(BIG) / 2, 0))  # just below it: stays MAX
@example(stored=-BIG, amount=-math.ulp(BIG) / 2)
@example(stored=1e308, amount=1e308)
@example(stored=2**63 - 1, amount=1.0)  # float result: no integer overflow
@example(stored=1e19, amount=2**63 - 1)  # a stored double is not an integer
def test_the_filter_matches_exactly_what_the_memory_adapter_refuses(stored, amount):
    flt = inc_overflow_filter("v", amount)
    matched = flt is not None and filter_applies(flt, {"v": stored})
    assert matched == memory_refuses(stored, amount)


@pytest.mark.parametrize(("stored", "amount"), [(2**62, 2**62), (1e308, 1e308), (-(2**63), -1)])
async def test_an_overflowing_inc_is_a_422_and_writes_nothing(stored, amount):
    adapter = make()
    await adapter.connect()
    await adapter.insert_many([{"_id": 1, "v": stored, "w": 0}, {"_id": 2, "v": 0, "w": 0}])
    with pytest.raises(ValidationError) as info:
        await adapter.update_many({}, {"$inc": {"w": 1, "v": amount}})
    assert info.value.code == 422 and info.value.data[0]["field"] == "$inc.v"
    assert [d["w"] for d in await adapter.find({"sort": ["_id"]})] == [0, 0]  # nothing written, no other match
    await adapter.disconnect()
