"""The portable regex subset (``adapters.query_regex``): what is refused and why, bounds, the RE2 translation,
and a differential property: every accepted pattern means the same on RE2 (what the memory adapter runs) and on
Python's ``re`` (a backtracking engine with PCRE's semantics for this subset)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adapters.query import Regex, parse_query
from adapters.query_regex import MAX_PATTERN_LENGTH, RegexError, literal_matcher, regex_matcher, translate
from broker.errors import ValidationError


def refusal(pattern: str, options: str = "") -> dict[str, Any]:
    query: dict[str, Any] = {"$regex": pattern}
    if options:
        query["$options"] = options
    with pytest.raises(ValidationError) as info:
        parse_query({"name": query})
    return info.value.data[0]


@pytest.mark.parametrize(
    ("pattern", "options", "construct"),
    [
        (r"\s", "", r"\s"),
        (r"[\S]", "", r"\S"),
        (r"\v", "", r"\v"),
        (r"a\Z", "", r"\Z"),
        (r"\z", "", r"\z"),
        (r"\G", "", r"\G"),
        (r"\pL", "", r"\p"),
        (r"\u00e9", "", r"\u"),
        (r"\x{41}", "", r"\x"),
        (r"\x4", "", r"\x"),
        (r"\0", "", "octal"),
        (r"(a)\1", "", "backreferences"),
        (r"\cA", "", r"\c"),
        (r"\Qa\E", "", r"\Q"),
        (r"a(?=b)", "", "(?:"),
        (r"(?<n>a)", "", "(?:"),
        (r"(?i)a", "", "(?:"),
        (r"(?>a)", "", "(?:"),
        (r"a*+", "", "possessive"),
        (r"a**", "", "another quantifier"),
        (r"a{2}{3}", "", "another quantifier"),
        (r"*a", "", "nothing to repeat"),
        (r"^*", "", "anchor"),
        (r"\b+", "", "anchor"),
        (r"a{,3}", "", "quantifier {m}"),
        (r"a{1001}", "", "limited to 1000"),
        (r"a{4294967296}", "", "limited to 1000"),
        (r"a{3,2}", "", "m <= n"),
        (r"a{", "", "quantifier"),
        (r"a}", "", "escape"),
        (r"[[:alpha:]]", "", "POSIX"),
        (r"[]a]", "", "escape"),
        (r"[z-a]", "", "reversed"),
        (r"[\d-z]", "", "range"),
        (r"[--a]", "", "--"),
        (r"[\b]", "", r"\b"),
        (r"[ab", "", "missing ']'"),
        (r"(ab", "", "missing ')'"),
        (r"ab)", "", "unbalanced"),
        ("a\\", "", "end with"),
        (r"a$b", "", "'$' must end"),
        (r"(a$)b", "", "'$' must end"),
        (r"(a$)*", "", "'$' must end"),
        (r"(?:a$|b)c", "", "'$' must end"),
        (r"^", "m", "'^' must be followed"),
        (r"^$", "m", "'^' must be followed"),
        (r"x|^a*", "m", "'^' must be followed"),
        (r"\w", "i", r"\w"),
        (r"[\W]", "i", r"\W"),
        ("\u0131", "i", "Turkish i"),
        ("[\u0100-\u0140]", "i", "U+0130"),
        ("a\u2028b", "x", "U+2028"),
        ("a\vb", "x", "U+000B"),
        ("a\x00", "", "NUL"),
        ("\ud800", "", "surrogate"),
        ("a" * (MAX_PATTERN_LENGTH + 1), "", "longer than"),
        ("(" * 60 + ")" * 60, "", "deeper"),
        ("(a{100}){100}", "", "RE2"),
    ],
)
def test_each_non_portable_construct_is_a_422_naming_the_path(pattern: str, options: str, construct: str) -> None:
    entry = refusal(pattern, options)
    assert entry["type"] == "query" and entry["field"] == "name.$regex"
    assert construct in entry["message"]


@pytest.mark.parametrize(
    ("pattern", "options"),
    [
        (r"^ab+c$", ""),
        (r"a.*?b", "s"),
        (r"[a-z0-9_]{2,5}", ""),
        (r"(?:ab|cd)+", ""),
        (r"\d+\.\d*\D", ""),
        (r"\bword\B", "i"),
        (r"[^\]x\-]", ""),
        (r"\x41\n\t\r\f", ""),
        (r"a{0}b{0,}c{1000}", ""),
        (r"^a$", "m"),
        (r"^a|b$", ""),
        (r"(a|(b$))", ""),
        ("a b # comment\n c", "x"),
        (r"a\ b[ #]", "x"),
        ("\u00e9[\u00e0-\u00ff]", "i"),
        (r"\w+", ""),
        (r"()", ""),
    ],
)
def test_portable_patterns_are_accepted_unchanged(pattern: str, options: str) -> None:
    flags = "".join(sorted(options))
    assert parse_query({"a": {"$regex": pattern, "$options": options}}) == Regex("a", pattern, flags)


def test_compiled_python_patterns_keep_only_portable_flags() -> None:
    assert parse_query({"a": {"$regex": re.compile("^x", re.I | re.M)}}) == Regex("a", "^x", "im")
    assert parse_query({"a": {"$not": re.compile("x", re.S)}}).child == Regex("a", "x", "s")  # type: ignore[union-attr]
    with pytest.raises(ValidationError) as info:
        parse_query({"a": {"$regex": re.compile("x", re.A)}})
    assert info.value.data[0]["field"] == "a.$regex"
    with pytest.raises(ValidationError):
        parse_query({"a": {"$regex": re.compile(r"\s")}})


@pytest.mark.parametrize(
    ("pattern", "flags", "subject", "found"),
    [
        ("a$", "", "xa\n", True),  # '$' also before a final newline (PCRE, Python)...
        ("a$", "", "xa\n\n", False),  # ...but only the final one
        ("a$", "m", "a\nb", True),
        ("^b", "", "a\nb", False),
        ("^b", "m", "a\nb", True),
        ("a.b", "", "a\nb", False),
        ("a.b", "s", "a\nb", True),
        (r"\d", "", "\u0661", False),  # ASCII digits only (Arabic-Indic one is not)
        (r"\w", "", "\u00e9", False),
        (r"\bx", "", "\u00e9x", True),  # 'é' is not a word character, so there is a boundary
        ("k", "i", "\u212a", True),  # Kelvin sign folds to k
        ("s", "i", "\u017f", True),  # long s folds to s
        ("\u01c5", "i", "\u01c6", True),  # title-case dz folds with its lower case
        ("\u00df", "i", "SS", False),  # no multi-character folding
        ("i", "i", "\u0131", False),  # dotless i is not i (Python's re says it is)
        ("a b", "x", "ab", True),
        (r"a\ b", "x", "a b", True),
        ("^(a+)+$", "", "a" * 29 + "b", False),
    ],
)
def test_regex_semantics(pattern: str, flags: str, subject: str, found: bool) -> None:
    assert regex_matcher(pattern, flags)(subject) is found


def test_the_redos_pattern_is_linear() -> None:
    # Python's backtracking re needs ~2**n steps here; RE2 is linear, so even 100,000 characters finish at once
    match = regex_matcher("^(a+)+$")
    assert match("a" * 100_000 + "b") is False
    assert match("a" * 100_000) is True
    assert regex_matcher("(x+x+)+y")("x" * 50_000) is False


def test_subjects_with_lone_surrogates_never_raise() -> None:
    assert regex_matcher("a.c")("a\ud800c") is True
    assert literal_matcher("\u00e9")("\ud800\u00c9") is True
    assert literal_matcher("\ud800")("x\ud800") is True


@pytest.mark.parametrize(
    ("text", "subject", "found"),
    [
        ("APPLE", "an apple", True),
        ("k", "\u212a", True),
        ("s", "\u017f", True),
        ("\u00df", "SS", False),
        ("\u00df", "\u1e9e", True),
        ("\u01c4", "\u01c5", True),
        ("i", "\u0130", False),  # str.lower() would say yes ('i̇')
        ("\u00c9CLAIR", "\u00e9clair", True),
        (".*", "abc", False),
        ("", "abc", True),
    ],
)
def test_search_folds_like_a_case_insensitive_regex(text: str, subject: str, found: bool) -> None:
    assert literal_matcher(text)(subject) is found
    assert regex_matcher(re.escape(text).replace("\\ ", " "), "i")(subject) is found if text else True


# ------------------------------------------------------------------------------------------- differential

# Subjects and literals: ASCII with the awkward characters, plus non-ASCII ones that fold (only without 'i': with
# 'i', Python's re.ASCII folds ASCII only, so there the non-ASCII characters are caseless ones).
_ASCII = "aAbBkKsSz019_ -.\n\t\r\f\v#"
_CASED = "\u00e9\u00c9\u212a\u017f\u00df\u1e9e\u01c5\u0131\u0130\u03c3\u03c2"
_CASELESS = "\u0661\u00a0\u2028\x85\u20ac\U0001f600"
_CLASS_ESCAPES = [r"\d", r"\D", r"\w", r"\W"]


def _escape(ch: str) -> str:
    return re.escape(ch) if ch.isascii() else ch


def patterns(alphabet: str, verbose: bool) -> st.SearchStrategy[str]:
    """Random patterns over the subset's grammar (and a little beyond it: '$' anywhere, nested quantifiers...)."""
    literal = st.sampled_from(alphabet).map(_escape)
    member = st.one_of(
        literal,
        st.sampled_from(_CLASS_ESCAPES),
        st.tuples(st.sampled_from(alphabet), st.sampled_from(alphabet)).map(
            lambda p: f"{_escape(min(p))}-{_escape(max(p))}"
        ),
    )
    char_class = st.tuples(st.booleans(), st.lists(member, min_size=1, max_size=3)).map(
        lambda t: "[" + ("^" if t[0] else "") + "".join(t[1]) + "]"
    )
    atoms = st.one_of(
        literal,
        literal,
        st.just("."),
        char_class,
        st.sampled_from([*_CLASS_ESCAPES, r"\b", r"\B", r"\n", r"\t", r"\x41", r"\x2e", "^", "$"]),
    )
    quantifiers = st.sampled_from(["", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?", "??", "{1,3}?"])
    separators = st.sampled_from(["", "", " ", "#c\n"]) if verbose else st.just("")

    def sequence(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        item = st.tuples(inner, quantifiers, separators).map("".join)
        return st.lists(item, max_size=4).map("".join)

    def grouped(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        alternatives = st.lists(sequence(inner), min_size=1, max_size=3).map("|".join)
        return st.tuples(st.sampled_from(["(", "(?:"]), alternatives).map(lambda t: t[0] + t[1] + ")")

    body = st.recursive(atoms, grouped, max_leaves=6)
    return st.lists(sequence(body), min_size=1, max_size=2).map("|".join)


_PATTERNS = {
    (icase, verbose): patterns(_ASCII + (_CASELESS if icase else _CASED + _CASELESS), verbose)
    for icase in (False, True)
    for verbose in (False, True)
}


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, str]:
    flags = "".join(sorted(draw(st.sets(st.sampled_from("imsx"), max_size=3))))
    alphabet = _ASCII + (_CASELESS if "i" in flags else _CASED + _CASELESS)
    pattern = draw(_PATTERNS["i" in flags, "x" in flags])
    subject = draw(st.text(alphabet=st.sampled_from(alphabet), max_size=12))
    return pattern, flags, subject


def _python_flags(flags: str) -> int:
    out = re.ASCII
    for letter in flags:
        out |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}[letter]
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases())
def test_accepted_patterns_mean_the_same_on_re2_and_python(case: tuple[str, str, str]) -> None:
    pattern, flags, subject = case
    try:
        translate(pattern, flags)
    except RegexError:
        assume(False)
    # Python's own quirk: its \B never matches in an empty string (PCRE's and RE2's do, as there is no boundary)
    assume(not (subject == "" and "\\B" in pattern))
    expected = re.search(pattern, subject, _python_flags(flags)) is not None
    assert regex_matcher(pattern, flags)(subject) is expected, (pattern, flags, subject)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(alphabet="imsx", max_size=4))
def test_arbitrary_text_is_either_accepted_or_a_regex_error(pattern: str, flags: str) -> None:
    try:
        translate(pattern, flags)
    except RegexError:
        return
    regex_matcher(pattern, flags)("some subject \u00e9\n")  # accepted ones compile in RE2 and run


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(_ASCII + _CASED), max_size=4),
    st.booleans(),
    st.sampled_from(["", "s", "m", "ms"]),
    st.text(alphabet=st.sampled_from(_ASCII + _CASED), max_size=10),
)
def test_the_literal_fast_path_agrees_with_re2(text: str, anchored: bool, flags: str, subject: str) -> None:
    from adapters.query_regex import _compile

    pattern = ("^" if anchored else "") + "".join(_escape(c) for c in text)
    try:
        translated = translate(pattern, flags)
    except RegexError:  # re.escape writes a newline or a tab as a backslash before it: not in the subset
        assume(False)
    expected = _compile(translated)(subject.encode())
    assert regex_matcher(pattern, flags)(subject) is expected
