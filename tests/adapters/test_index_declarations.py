"""``parse_indexes``: every accepted form gives the specs it describes; anything else is refused (property-based)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters import IndexSpec, parse_indexes
from broker.errors import ServiceSchemaError

NAMES = st.builds(
    lambda a, b: a + ("." + b if b else ""), st.text("abcd", min_size=1, max_size=3), st.text("xy", max_size=2)
)
FIELD_LISTS = st.lists(NAMES, min_size=1, max_size=3, unique=True)


@st.composite
def declarations(draw: st.DrawFn) -> tuple[Any, IndexSpec]:
    """One index declaration in any accepted form, with the spec it must give."""
    fields = tuple(draw(FIELD_LISTS))
    unique = draw(st.booleans())
    name = draw(st.sampled_from(["", "by_x"]))
    form = draw(st.sampled_from(["string", "list", "object", "object-string"]))
    if form == "string" or (form == "list" and len(fields) == 1 and draw(st.booleans())):
        fields = fields[:1]
        return fields[0], IndexSpec(fields)
    if form == "list":
        return list(fields), IndexSpec(fields)
    if form == "object-string":
        fields = fields[:1]
        return {"fields": fields[0], "unique": unique, "name": name}, IndexSpec(fields, unique, name)
    return {"fields": list(fields), "unique": unique, "name": name}, IndexSpec(fields, unique, name)


@given(st.lists(declarations(), max_size=6))
def test_declarations_give_their_specs_merged_by_fields(items: list[tuple[Any, IndexSpec]]) -> None:
    specs = parse_indexes([declaration for declaration, _ in items], ServiceSchemaError)
    expected: dict[tuple[str, ...], IndexSpec] = {}
    for _, spec in items:
        old = expected.get(spec.fields)
        expected[spec.fields] = spec if old is None else IndexSpec(spec.fields, old.unique or spec.unique, old.name)
    assert specs == list(expected.values())
    assert all(spec.name for spec in specs)


@given(st.lists(NAMES, min_size=1, max_size=4))
def test_a_string_is_a_list_of_single_field_indexes(names: list[str]) -> None:
    specs = parse_indexes(", ".join(names), ServiceSchemaError)
    assert [spec.fields for spec in specs] == [(n,) for n in dict.fromkeys(names)]


BAD_ITEMS = st.one_of(
    st.integers(),
    st.none(),
    st.just(""),
    st.builds(lambda n: "$" + n, NAMES),
    st.builds(lambda n: n + "..x", NAMES),
    st.just([]),
    st.lists(st.integers(), min_size=1, max_size=2),
    st.builds(lambda n: [n, n], NAMES),
    st.builds(lambda n: {"fields": [n], "unique": 1}, NAMES),
    st.builds(lambda n: {"fields": [n], "sparse": True}, NAMES),
    st.builds(lambda n: {"unique": True, "name": n}, NAMES),
)


@given(st.lists(declarations(), max_size=3), BAD_ITEMS, st.integers(0, 3))
def test_one_malformed_item_refuses_the_whole_declaration(items: list[Any], bad: Any, at: int) -> None:
    declaration = [d for d, _ in items]
    declaration.insert(min(at, len(declaration)), bad)
    with pytest.raises(ServiceSchemaError):
        parse_indexes(declaration, ServiceSchemaError)
