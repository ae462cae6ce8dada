"""Alias parsing and matching (property-based), rest annotations, size parsing, CORS origins, rate-limit window."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.errors import ServiceSchemaError
from gateway.aliases import Alias, join_paths, parse_alias
from gateway.cors import origin_allowed
from gateway.errors import RateLimitExceededError
from gateway.ratelimit import RateLimiter
from gateway.routes import Route, parse_size

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~%", min_size=1, max_size=12)


@given(st.lists(st.tuples(st.sampled_from(["static", "param"]), NAMES, SEGMENT), min_size=1, max_size=5))
def test_an_alias_matches_exactly_its_paths_and_returns_the_parameters(parts):
    names = [name for kind, name, _ in parts if kind == "param"]
    if len(set(names)) != len(names):
        return  # one value per parameter name
    pattern = "/" + "/".join(f":{name}" if kind == "param" else name for kind, name, _ in parts)
    concrete = "/" + "/".join(value if kind == "param" else name for kind, name, value in parts)
    alias = Alias("GET", pattern, "svc.act")
    expected = {name: value for kind, name, value in parts if kind == "param"}
    assert alias.match(concrete) == expected
    assert alias.match(concrete + "/extra") is None
    assert alias.openapi_path == re.sub(r":(\w+)", r"{\1}", pattern)


@given(st.lists(st.text(alphabet="ab/", max_size=6), max_size=4))
def test_join_paths_never_doubles_slashes(parts):
    joined = join_paths(*parts)
    assert "//" not in joined
    assert joined == "" or (joined.startswith("/") and not joined.endswith("/"))


def test_parse_alias_forms():
    (alias,) = parse_alias("GET /my", "order.my")
    assert (alias.method, alias.path, alias.action) == ("GET", "/my", "order.my")
    (alias,) = parse_alias("/any", "x.y")
    assert alias.method == "*"
    rest = parse_alias("REST /posts", "posts")
    assert {(a.method, a.path, a.action) for a in rest} >= {
        ("GET", "/posts", "posts.list"), ("GET", "/posts/:id", "posts.get"), ("POST", "/posts", "posts.create"),
        ("PUT", "/posts/:id", "posts.update"), ("DELETE", "/posts/:id", "posts.remove"),
    }  # fmt: skip
    with pytest.raises(ServiceSchemaError, match="Invalid alias"):
        parse_alias("FETCH", "x.y")


def test_route_prefers_exact_paths_over_patterns():
    route = Route({"path": "/api", "aliases": {"GET /posts/:id": "posts.get", "GET /posts/mine": "posts.mine"}},
                  "", {})
    assert route.resolve("GET", "/posts/mine")[0].action == "posts.mine"
    alias, params = route.resolve("GET", "/posts/7")
    assert alias.action == "posts.get" and params == {"id": "7"}
    assert route.resolve("POST", "/posts/7") is None
    assert route.relative("/api/posts/7") == "/posts/7"
    assert route.relative("/apis/posts") is None


def test_whitelist_names_wildcards_and_regexes():
    route = Route({"whitelist": ["posts.get", "users.*", re.compile(r"^admin\.")]}, "", {})
    assert route.whitelisted("posts.get") and route.whitelisted("users.list") and route.whitelisted("admin.x")
    assert not route.whitelisted("posts.remove") and not route.whitelisted("users.a.b")


def test_parse_size():
    assert parse_size("1mb") == 1024 * 1024 and parse_size("100kb") == 102_400 and parse_size(512) == 512
    assert parse_size(None) is None
    with pytest.raises(ServiceSchemaError):
        parse_size("lots")


def test_origin_wildcards():
    assert origin_allowed("http://a.example.test", "http://*.example.test")
    assert not origin_allowed("http://a.example.test.evil", "http://*.example.test")
    assert origin_allowed("http://x", ["http://y", "http://x"])


def test_rate_limiter_counts_per_key():
    class Request:
        def __init__(self, host: str) -> None:
            self.client = type("Client", (), {"host": host})()

    limiter = RateLimiter({"limit": 1, "window": 3_600_000})
    headers: dict[str, str] = {}
    limiter.hit(Request("a"), headers)
    limiter.hit(Request("b"), headers)
    with pytest.raises(RateLimitExceededError):
        limiter.hit(Request("a"), headers)
    assert headers["X-Rate-Limit-Remaining"] == "0"


@given(st.dictionaries(st.text(min_size=1, max_size=6), st.lists(st.text(max_size=6), min_size=1, max_size=3),
                       max_size=4))
def test_query_strings_round_trip(values):
    from urllib.parse import urlencode

    from gateway.app import _query_params

    encoded = urlencode([(key, item) for key, items in values.items() for item in items]).encode()
    expected = {key: items if len(items) > 1 else items[0] for key, items in values.items()}
    assert _query_params(encoded) == expected
