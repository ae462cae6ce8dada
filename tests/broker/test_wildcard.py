"""Moleculer's wildcard matcher: ``?`` one character, ``*`` within one segment, ``**`` across dots."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.wildcard import has_wildcard, match


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("user.created", "user.*", True),
        ("user.a.b", "user.*", False),
        ("user.a.b", "user.**", True),
        ("user", "user.**", False),
        ("user.created", "user.???ated", True),
        ("a.b", "*", False),
        ("users.created", "user*", False),
        ("users.created", "user**", True),
        ("user.a.created", "user.*.created", True),
    ],
)
def test_observed_moleculer_table(name, pattern, expected):
    assert match(name, pattern) is expected


def test_plain_names_match_only_themselves():
    assert match("posts.find", "posts.find")
    assert not match("posts.find", "posts.finds")
    assert not match("posts.findX", "posts.find")


def test_single_star_matches_any_name_without_a_dot():
    assert match("find", "*")
    assert match("", "*")
    assert not match("posts.find", "*")


def test_double_star_matches_everything():
    assert match("a.b.c.d", "**")
    assert match("", "**")


def test_question_mark_is_exactly_one_character():
    assert match("user.ab", "user.a?")
    assert not match("user.a", "user.a?")
    assert not match("user.abc", "user.a?")


def test_star_inside_a_segment():
    assert match("create-user", "create-*")
    assert match("remove-user", "*-user")
    assert not match("create.user", "create-*")


def test_regex_characters_in_patterns_are_literal():
    assert match("$services.changed", "$services.*")
    assert not match("$servicesXchanged", "$services.*")
    assert match("a+b.x", "a+b.*")
    assert not match("aab.x", "a+b.*")


def test_internal_event_pattern_needs_the_dollar():
    assert match("$node.connected", "$node.**")
    assert not match("node.connected", "$node.**")


def test_double_star_in_the_middle_spans_segments():
    assert match("a.x.y.b", "a.**.b")
    assert not match("a.x.y.c", "a.**.b")


def test_has_wildcard():
    assert has_wildcard("a.*") and has_wildcard("a.?") and not has_wildcard("a.b")


segment = st.text(alphabet="abcxyz-_$", min_size=1, max_size=6)
names = st.lists(segment, min_size=1, max_size=4).map(".".join)


@given(names)
def test_every_name_matches_itself_and_double_star(name):
    assert match(name, name)
    assert match(name, "**")


@given(names)
def test_first_segment_prefix_double_star(name):
    first, _, rest = name.partition(".")
    assert match(name, first + ".**") is bool(rest)


@given(names)
def test_single_star_per_segment_matches_same_depth_only(name):
    depth = name.count(".") + 1
    assert match(name, ".".join(["*"] * depth))
    assert not match(name, ".".join(["*"] * (depth + 1)))
