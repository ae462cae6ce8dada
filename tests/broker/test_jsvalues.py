"""JS ``String()`` as the wire formats need it (cache keys, populate keys, validation messages)."""

import pytest

from broker.jsvalues import js_string, number_to_string


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5.0, "5"), (0.1, "0.1"), (1e21, "1e+21"), (1e-7, "1e-7"), (123456.789, "123456.789"), (-0.0, "0"),
     (float("nan"), "NaN"), (float("-inf"), "-Infinity"), (2.5e-6, "0.0000025")],
)  # fmt: skip
def test_number_to_string_formats_like_number_to_string(value, expected):
    assert number_to_string(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "null"), (True, "true"), (False, "false"), (7, "7"), (7.0, "7"), ("id", "id"),
     ([1, None, "a"], "1,,a"), ({"a": 1}, "[object Object]")],
)  # fmt: skip
def test_js_string_matches_javascript_string(value, expected):
    assert js_string(value) == expected
