"""The JSON serializer: Moleculer's wire format, round trips, and what JSON cannot carry."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.errors import BrokerOptionsError
from broker.serializers import JSONSerializer, resolve_serializer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_json_round_trips_every_json_object(payload: dict[str, Any]) -> None:
    serializer = JSONSerializer()
    assert serializer.deserialize(serializer.serialize(payload)) == payload


def test_json_is_compact_utf8_like_json_stringify() -> None:
    assert JSONSerializer().serialize({"a": "é", "b": [1, None]}) == '{"a":"é","b":[1,null]}'.encode()


def test_nan_and_bytes_are_written_as_javascript_would() -> None:
    data = JSONSerializer().deserialize(JSONSerializer().serialize({"n": math.nan, "b": b"\x01\x02"}))
    assert data == {"n": None, "b": {"type": "Buffer", "data": [1, 2]}}


def test_datetimes_are_iso_8601_like_a_dates_to_json() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    data = JSONSerializer().deserialize(JSONSerializer().serialize({"at": when, "day": when.date()}))
    assert data == {"at": "2026-01-02T03:04:05.678000+00:00", "day": "2026-01-02"}
    assert datetime.fromisoformat(data["at"]) == when


@pytest.mark.parametrize("data", [b"[]", b"1", b"nope", b"\xff"])
def test_a_payload_that_is_not_a_json_object_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        JSONSerializer().deserialize(data)


def test_resolve_serializer_accepts_moleculer_forms_and_refuses_others() -> None:
    assert isinstance(resolve_serializer("JSON"), JSONSerializer)
    assert isinstance(resolve_serializer({"type": "JSON"}), JSONSerializer)
    with pytest.raises(BrokerOptionsError):
        resolve_serializer("Avro")
