"""``$regex`` on PostgreSQL and MariaDB (``adapters/sql/regex_sql.py``): the rewritten pattern, run by the real
server, finds exactly what the memory adapter's RE2 matcher finds, or the pattern is refused
(``RegexUnsupported``, or MariaDB's match-limit warning). A differential property over random portable patterns
and random subjects (non-ASCII, cased and caseless, newlines, metacharacters), plus the cases that motivated each
rewrite."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters import SQLAdapter, UnsupportedQueryError
from adapters.query_regex import RegexError, regex_matcher, translate
from adapters.sql.errors import translate_sql_error
from adapters.sql.regex_sql import PG_MAX_REPEAT, RegexUnsupported, regex_match, sql_pattern

from ..test_regex import patterns
from .conftest import engine_url

SERVERS = ["postgresql", "mariadb"]
_ALPHABET = (
    "aAbBkKsSzZ019_ -.\n\t\r\f\v#()[]{}*+?|^$\\"
    "\u00e9\u00c9\u212a\u017f\u00df\u1e9e\u01c4\u01c5\u01c6\u0131\u0130\u03c3\u03c2\u03a3"
    "\u0661\u00a0\u2028\x85\u20ac\U0001f600"
)
_PATTERNS = {verbose: patterns(_ALPHABET, verbose) for verbose in (False, True)}


class Server:
    """One server's engine on a private event loop, so that synchronous hypothesis tests can query it."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.dialect = "postgresql" if name == "postgresql" else "mariadb"
        self.loop = asyncio.new_event_loop()
        self.engine: AsyncEngine = create_async_engine(url)

    def matches(self, pattern: str, flags: str, subjects: list[str]) -> list[bool] | None:
        """Each subject's answer on the server, or ``None`` when the server gave up (MariaDB's match limit)."""
        return self.loop.run_until_complete(self._matches(pattern, flags, subjects))

    async def _matches(self, pattern: str, flags: str, subjects: list[str]) -> list[bool] | None:
        columns = [regex_match(sa.literal(s, sa.Text()), pattern, flags, self.dialect) for s in subjects]
        # FROM a derived table: MariaDB clears the warnings of the previous statement only for a statement that
        # uses a table, so a table-less SELECT would read a match-limit warning left by an earlier pattern.
        one_row = sa.select(sa.literal(1).label("one")).subquery()
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(*columns).select_from(one_row))).one()
            if self.dialect == "mariadb":
                warnings = (await conn.exec_driver_sql("SHOW WARNINGS")).all()
                if any(w[1] == 1139 for w in warnings):
                    return None
        return [bool(v) for v in row]

    def close(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.close()


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = engine_url(request.param, Path(tmp_path_factory.mktemp("unused")))
    instance = Server(request.param, url)
    yield instance
    instance.close()


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    flags = "".join(sorted(draw(st.sets(st.sampled_from("imsx"), max_size=3))))
    pattern = draw(_PATTERNS["x" in flags])
    subjects = draw(st.lists(st.text(alphabet=st.sampled_from(_ALPHABET), max_size=10), min_size=1, max_size=6))
    # and the pattern's own characters in other cases, so that folding is exercised more than by chance
    variants = [st.sampled_from(sorted({c, c.lower(), c.upper(), c.swapcase()})) for c in pattern if c.isalnum()]
    subjects.append("".join(draw(st.tuples(*variants))) if variants else "")
    return pattern, flags, subjects


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=cases())
def test_random_patterns_match_as_on_the_memory_adapter(server: Server, case: tuple[str, str, list[str]]) -> None:
    pattern, flags, subjects = case
    try:
        translate(pattern, flags)
    except RegexError:
        assume(False)
    expected = [regex_matcher(pattern, flags)(s) for s in subjects]
    try:
        found = server.matches(pattern, flags, subjects)
    except RegexUnsupported:
        event("refused when translated")
        return
    if found is None:
        event("refused by the server (match limit)")
        return
    assert found == expected, (pattern, flags, subjects, sql_pattern(pattern, flags, server.dialect))


@pytest.mark.parametrize(
    ("pattern", "flags", "subject", "found"),
    [
        ("k", "i", "\u212a", True),  # RE2's orbit of k holds the Kelvin sign: ~* and a ci collation may not
        ("\u212a", "i", "K", True),
        ("\u03c3", "i", "\u03c2", True),
        ("\u00df", "i", "SS", False),  # no multi-character folding
        ("\u00df", "i", "\u1e9e", True),
        ("i", "i", "\u0130", False),  # İ is not i, whatever the ctype says
        ("[a-c]", "i", "B", True),
        ("[^k]", "i", "\u212a", False),  # fold, then negate
        ("K", "", "k", False),  # no case folding without i: a binary collation
        ("\u00e9", "", "\u00c9", False),
        (r"\d", "", "\u0661", False),  # ASCII digits only
        (r"\w", "", "\u00e9", False),
        (r"\bx", "", "\u00e9x", True),  # é is not a word character: a boundary
        (r"\Bx", "", "\u00e9x", False),
        ("a.b", "", "a\nb", False),
        ("a.b", "s", "a\nb", True),
        ("[^a]", "", "\n", True),
        ("^b", "", "a\nb", False),
        ("^b", "m", "a\nb", True),
        ("a$", "", "xa\n", True),
        ("a$", "", "xa\n\n", False),
        ("a$", "m", "a\nb", True),
        ("a b", "x", "ab", True),
        (r"a\ b # c", "x", "a b", True),
        ("a|\\x00", "", "a", True),  # PostgreSQL text holds no NUL: the NUL alternative never matches
        ("(?:ab)*?c", "", "ababc", True),
        ("a{2}b{0,1}", "", "aab", True),
        ("\U0001f600+", "", "x\U0001f600", True),
        ("[\u00e0-\u00ff]", "", "\u00e9", True),
        ("\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|\\^\\$\\\\\\.", "", "()[]{}*+?|^$\\.", True),
    ],
)
def test_each_rewrite(server: Server, pattern: str, flags: str, subject: str, found: bool) -> None:
    assert regex_matcher(pattern, flags)(subject) is found  # the reference first
    assert server.matches(pattern, flags, [subject]) == [found]


def test_counts_above_postgresql_limit_are_refused_there() -> None:
    assert sql_pattern("a{255}", "", "postgresql")
    with pytest.raises(RegexUnsupported):
        sql_pattern(f"a{{{PG_MAX_REPEAT + 1}}}", "", "postgresql")
    assert "256" in sql_pattern("a{256}", "", "mariadb")


def test_mariadb_match_limit_is_a_refusal_not_a_non_match(server: Server) -> None:
    subject: Any = "a" * 29 + "b"
    result = server.matches("^(a+)+$", "", [subject])
    if server.dialect == "postgresql":
        assert result == [False]
    else:
        assert result is None  # PCRE2 gave up: the adapter turns the warning into UnsupportedQueryError


# ------------------------------------------------------------------------------------- through the adapter


async def test_regex_on_a_text_column_folds_as_re2(products: SQLAdapter) -> None:
    await products.insert_many([{"name": "\u212a-meter", "price": 1}, {"name": "kilo", "price": 2}, {"name": None}])
    found = await products.find({"query": {"name": {"$regex": "^k", "$options": "i"}}, "sort": "price"})
    assert [p["name"] for p in found] == ["\u212a-meter", "kilo"]
    assert await products.count({"query": {"name": {"$not": {"$regex": "^k"}}}}) == 2  # NULL is kept by $not
    assert await products.count({"query": {"price": {"$regex": "1"}}}) == 0  # numbers never match


async def test_a_pattern_a_dialect_cannot_say_is_a_400_per_pattern(products: SQLAdapter) -> None:
    await products.insert({"name": "a" * 200})
    query = {"name": {"$regex": "a{256}"}}
    if products.dialect == "postgresql":
        with pytest.raises(UnsupportedQueryError) as info:
            await products.count({"query": query})
        assert info.value.code == 400 and "255" in info.value.message
    else:
        assert await products.count({"query": query}) == 0
    assert await products.count({"query": {"name": {"$regex": "^a{200}$"}}}) == 1


async def test_mariadb_giving_up_is_a_400_and_a_write_rolls_back(products: SQLAdapter) -> None:
    await products.insert_many([{"name": "a" * 29 + "b", "stock": 1}, {"name": "a" * 5, "stock": 1}])
    query = {"name": {"$regex": "^(a+)+$"}}
    if products.dialect not in ("mysql", "mariadb"):
        assert await products.update_many(query, {"$inc": {"stock": 1}}) == 1
        return
    with pytest.raises(UnsupportedQueryError):
        await products.find({"query": query})
    with pytest.raises(UnsupportedQueryError):
        await products.update_many(query, {"$inc": {"stock": 1}})
    assert [p["stock"] for p in await products.find()] == [1, 1]


def test_a_pattern_the_server_rejects_is_a_400(server: Server) -> None:
    async def run() -> Exception:
        async with server.engine.connect() as conn:
            try:  # a pattern the rewrite never emits: stands for what the server rejects at run time
                await conn.execute(
                    sa.text("SELECT 'a' ~ '('" if server.dialect == "postgresql" else "SELECT 'a' REGEXP '('")
                )
            except Exception as exc:
                return exc
        raise AssertionError("the server accepted it")

    err = translate_sql_error(server.loop.run_until_complete(run()), "SQLAdapter")
    assert isinstance(err, UnsupportedQueryError) and err.code == 400  # SQLSTATE 2201B / MariaDB error 1139
