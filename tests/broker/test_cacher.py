"""Tests of broker.cacher: Moleculer 0.15 cache keys, MemoryCacher storage, the cache middleware handler."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from broker.cacher import MISSING, Cacher, MemoryCacher, make_cached_handler, resolve_cacher
from broker.errors import BrokerOptionsError

LONG_CONTENT = "It can be very very looooooooooooooooooong content. So this key will also be too long"
POST = {"id": 2, "title": "New post", "content": LONG_CONTENT}


class Clock:
    """A settable monotonic clock injected into MemoryCacher."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Ctx:
    """Minimal stand-in for broker.context.Context."""

    def __init__(self, params: Any = None, meta: dict[str, Any] | None = None, headers: Any = None) -> None:
        self.params = {} if params is None else params
        self.meta = {} if meta is None else meta
        self.headers = headers
        self.cached_result = False


def key(
    params: Any, keys: list[str] | None = None, meta: Any = None, headers: Any = None, **opts: Any
) -> str:
    return MemoryCacher(**opts).get_cache_key(
        "users.find", params, {} if meta is None else meta, keys, headers
    )


# -- key table of the reference (§5.2, observed 0.15.2 column) ----------------------------------------------


def test_key_table_limit_offset() -> None:
    assert MemoryCacher().get_cache_key("posts.find", {"limit": 5, "offset": 20}, {}) == (
        "posts.find:limit|5|offset|20"
    )


def test_key_table_strings_are_quoted() -> None:
    assert MemoryCacher().get_cache_key("posts.find", POST, {}) == (
        f'posts.find:id|2|title|"New post"|content|"{LONG_CONTENT}"'
    )


def test_key_table_max_params_length_60_exact_reference_value() -> None:
    # The reference elides the content; it is the Moleculer docs' string, which reproduces the hash exactly.
    got = MemoryCacher(max_params_length=60).get_cache_key("posts.find", POST, {})
    assert got == 'posts.find:id|2|title|"New QI2M9O4CnnlRNL0hQiADVCBUWhFXcqh0OCmUYGFDwyE='


def test_key_table_single_key_string() -> None:
    assert MemoryCacher().get_cache_key("users.get", {"id": "abc"}, {}, ["id"]) == 'users.get:"abc"'


def test_key_table_single_key_missing() -> None:
    assert MemoryCacher().get_cache_key("users.get", {}, {}, ["id"]) == "users.get:undefined"


def test_key_table_single_key_object() -> None:
    params = {"id": {"a": 1, "b": "x"}}
    assert MemoryCacher().get_cache_key("users.get", params, {}, ["id"]) == 'users.get:a|1|b|"x"'


def test_key_table_several_keys_with_meta_and_missing() -> None:
    params = {"limit": 5, "query": {"status": "active"}}
    meta = {"tenant": "t1", "user": {"id": 9}}
    got = MemoryCacher().get_cache_key(
        "users.find", params, meta, ["limit", "query", "#tenant", "#user.id", "missing"]
    )
    assert got == 'users.find:5|status|"active"|"t1"|9|undefined'


def test_key_table_nested_array_date_bool_missing_null() -> None:
    params = {"a": [1, {"b": 2}], "d": datetime(1970, 1, 1, tzinfo=UTC), "t": True, "u": MISSING, "n": None}
    assert key(params) == "users.find:a|[1|b|2]|d|0|t|true|u|undefined|n|null"


def test_key_table_empty_params() -> None:
    assert key({}) == "users.find:"


# -- other key rules --------------------------------------------------------------------------------------


def test_no_params_meta_headers_gives_bare_action_name() -> None:
    assert MemoryCacher().get_cache_key("users.find", None, None) == "users.find"


def test_headers_key_and_missing_header() -> None:
    headers = {"lang": "hu", "x": {"y": 1}}
    assert key({}, ["@lang"], headers=headers) == 'users.find:"hu"'
    assert key({}, ["@x.y", "@nope", "id"], headers=headers) == "users.find:1|undefined|undefined"
    assert key({}, ["@lang"], headers=None) == "users.find:undefined"


def test_dotted_keys_in_params_and_meta() -> None:
    params = {"user": {"address": {"city": "Budapest"}}, "tags": ["a", "b"], "a.b": 7}
    assert key(params, ["user.address.city"]) == 'users.find:"Budapest"'
    assert key(params, ["tags.1"]) == 'users.find:"b"'
    assert key(params, ["tags[0]"]) == 'users.find:"a"'
    assert key(params, ["a.b"]) == "users.find:7"  # a literal key wins, as lodash get
    assert key(params, ["user.nope.city"]) == "users.find:undefined"
    assert key(params, ["#a.b"], meta={"a": {"b": False}}) == "users.find:false"


def test_meta_key_null_is_null_not_undefined() -> None:
    assert key({}, ["#user"], meta={"user": None}) == "users.find:null"


def test_several_keys_array_value_and_arrays_of_strings() -> None:
    params = {"ids": [1, "2", None], "sort": "-name"}
    assert key(params, ["ids", "sort"]) == 'users.find:[1|"2"|null]|"-name"'


def test_scalars_follow_js_to_string() -> None:
    params = {"f": 5.0, "g": 0.5, "big": 1e21, "tiny": 1e-7, "neg": -2.25, "no": False, "tup": (1, 2)}
    assert key(params) == "users.find:f|5|g|0.5|big|1e+21|tiny|1e-7|neg|-2.25|no|false|tup|[1|2]"
    assert key({"x": 123456789012345680000.0, "y": 0.000001, "z": float("nan")}) == (
        "users.find:x|123456789012345680000|y|0.000001|z|NaN"
    )


def test_dates_are_epoch_ms_naive_as_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert key({"d": datetime(2020, 1, 1, tzinfo=plus2)}) == "users.find:d|1577829600000"
    assert key({"d": datetime(2020, 1, 1, 0, 0, 0, 999)}) == "users.find:d|1577836800000"


def test_object_key_order_is_insertion_order_not_sorted() -> None:
    assert key({"b": 1, "a": 2}) == "users.find:b|1|a|2"
    assert key({"b": 1, "a": 2}) != key({"a": 2, "b": 1})


# -- hashing ----------------------------------------------------------------------------------------------


def b64sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_hashing_structure_prefix_plus_sha256_of_params_part() -> None:
    params = {"q": "x" * 200}
    raw = f'q|"{"x" * 200}"'
    got = key(params, max_params_length=100)
    assert got == "users.find:" + raw[:56] + b64sha(raw)
    assert len(got) == len("users.find:") + 100


def test_hashing_at_44_is_the_hash_only() -> None:
    raw = f'q|"{"x" * 60}"'
    assert key({"q": "x" * 60}, max_params_length=44) == "users.find:" + b64sha(raw)


@pytest.mark.parametrize("max_len", [None, 0, 43])
def test_no_hashing_when_unset_or_below_44(max_len: int | None) -> None:
    assert key({"q": "x" * 200}, max_params_length=max_len) == f'users.find:q|"{"x" * 200}"'


def test_no_hashing_when_short_enough() -> None:
    assert key({"q": "abc"}, max_params_length=44) == 'users.find:q|"abc"'


def test_several_keys_hash_objects_individually_then_the_whole() -> None:
    long_obj = {"text": "y" * 80}
    inner = f'text|"{"y" * 80}"'
    expected_inner = inner[:6] + b64sha(inner)
    got = key({"o": long_obj, "n": 1}, ["o", "n"], max_params_length=50)
    whole = expected_inner + "|1"
    assert got == "users.find:" + whole[:6] + b64sha(whole)


def test_hashing_counts_and_cuts_utf16_units_like_js() -> None:
    # Values checked against Moleculer 0.15 base.js under Node: 30 emoji are 60 UTF-16 units, so the key is
    # hashed, and the cut surrogate pair ends up as U+FFFD.
    got = key({"q": "\U0001f600" * 30}, max_params_length=60)
    assert got == 'users.find:q|"' + "\U0001f600" * 6 + "\ufffdC6qlySPmXPxMn3e2nTSORsqm8iW/CFzwtm5SbUQo2fg="
    assert key({"q": "\U0001f600" * 10}, max_params_length=60) == 'users.find:q|"' + "\U0001f600" * 10 + '"'


def test_empty_keys_list_gives_bare_action_name_as_moleculer() -> None:
    # JS: `[]` is truthy but neither length 1 nor > 0, so defaultKeygen falls through to `action.name`.
    assert key({"id": 1}, []) == "users.find"


# -- keygen overrides -------------------------------------------------------------------------------------


def test_cacher_keygen_overrides_default() -> None:
    calls: list[tuple[Any, ...]] = []

    def keygen(name: str, params: Any, meta: Any, keys: Any, headers: Any) -> str:
        calls.append((name, params, meta, keys, headers))
        return f"{name}/{params['id']}"

    c = MemoryCacher(keygen=keygen)
    assert c.get_cache_key("users.get", {"id": 1}, {"m": 1}, ["id"], {"h": 1}) == "users.get/1"
    assert calls == [("users.get", {"id": 1}, {"m": 1}, ["id"], {"h": 1})]


# -- MemoryCacher storage ---------------------------------------------------------------------------------


async def test_get_set_and_miss_sentinel() -> None:
    c = MemoryCacher()
    assert await c.get("a") is MISSING
    assert not MISSING
    await c.set("a", {"x": 1})
    assert await c.get("a") == {"x": 1}


async def test_cached_none_is_a_hit() -> None:
    c = MemoryCacher()
    await c.set("k", None)
    assert await c.get("k") is None


async def test_ttl_expiry_with_injected_clock() -> None:
    clock = Clock()
    c = MemoryCacher(ttl=10, clock=clock)
    await c.set("a", 1)
    await c.set("b", 2, ttl=100)  # per-call override
    await c.set("c", 3, ttl=0)  # falsy ttl: forever
    clock.now += 10
    assert await c.get("a") == 1
    clock.now += 0.01
    assert await c.get("a") is MISSING
    assert "a" not in c.cache  # removed lazily
    assert await c.get("b") == 2
    clock.now += 1e6
    assert await c.get("b") is MISSING
    assert await c.get("c") == 3
    await c.close()


async def test_ttl_real_time_short() -> None:
    c = MemoryCacher(ttl=0.05)
    await c.set("a", 1)
    assert await c.get("a") == 1
    await asyncio.sleep(0.08)
    assert await c.get("a") is MISSING
    await c.close()


async def test_sweep_removes_expired_entries_and_close_cancels_timer() -> None:
    c = MemoryCacher(sweep_interval=0.02)
    await c.set("short", 1, ttl=0.01)
    await c.set("keep", 2)
    assert c._timer is not None
    await asyncio.sleep(0.06)
    assert "short" not in c.cache and "keep" in c.cache
    assert c._timer is None  # no ttl entries left: sweep stopped rescheduling
    await c.set("again", 3, ttl=60)
    timer = c._timer
    assert timer is not None
    await c.close()
    assert timer.cancelled() and c._timer is None


def test_sweep_timer_follows_the_running_loop() -> None:
    c = MemoryCacher(ttl=5)
    asyncio.run(c.set("a", 1))
    first = c._timer
    assert first is not None
    asyncio.run(c.set("b", 2))  # a new loop: the timer of the closed one is replaced, not trusted
    assert c._timer is not None and c._timer is not first and first.cancelled()
    asyncio.run(c.close())
    assert c._timer is None


async def test_delete_one_and_several() -> None:
    c = MemoryCacher()
    for k in "abcd":
        await c.set(k, k)
    await c.delete("a")
    await c.delete(["b", "c", "nope"])
    assert list(c.cache) == ["d"]


async def fill(c: MemoryCacher) -> None:
    for k in ["posts.find:a", "posts.get:1", "posts", "posts.x.y:1", "users.find:", "v2.posts.find:"]:
        await c.set(k, 1)


async def test_clean_all() -> None:
    c = MemoryCacher()
    await fill(c)
    await c.clean()
    assert c.cache == {}


async def test_clean_double_star_pattern() -> None:
    c = MemoryCacher()
    await fill(c)
    await c.clean("posts.**")
    assert sorted(c.cache) == ["posts", "users.find:", "v2.posts.find:"]


async def test_clean_single_star_stays_within_a_segment() -> None:
    c = MemoryCacher()
    await fill(c)
    await c.clean("posts.*")
    # "posts.find:a" has no further dot, so "*" reaches it; "posts.x.y:1" spans two segments.
    assert sorted(c.cache) == ["posts", "posts.x.y:1", "users.find:", "v2.posts.find:"]
    c2 = MemoryCacher()
    await c2.set('users.find:id|1|name|"a.b"', 1)
    await c2.clean("users.*")  # the dot inside the params part stops "*": Moleculer's documented gotcha
    assert len(c2.cache) == 1
    await c2.clean("users.**")
    assert c2.cache == {}


async def test_clean_list_of_patterns() -> None:
    c = MemoryCacher()
    await fill(c)
    await c.clean(["users.**", "v2.*.find:"])
    assert sorted(c.cache) == ["posts", "posts.find:a", "posts.get:1", "posts.x.y:1"]


async def test_clone_off_shares_the_object() -> None:
    c = MemoryCacher()
    value = {"a": [1]}
    await c.set("k", value)
    (await c.get("k"))["a"].append(2)
    assert (await c.get("k"))["a"] == [1, 2]


async def test_clone_on_isolates_set_and_get() -> None:
    c = MemoryCacher(clone=True)
    value = {"a": [1]}
    await c.set("k", value)
    value["a"].append("changed after set")
    got = await c.get("k")
    got["a"].append(2)
    assert (await c.get("k")) == {"a": [1]}


async def test_clone_callable() -> None:
    c = MemoryCacher(clone=lambda v: {"wrapped": v})
    await c.set("k", 1)
    assert await c.get("k") == {"wrapped": {"wrapped": 1}}  # applied on set and on get


def test_init_uses_broker_logger_and_tolerates_none() -> None:
    class Broker:
        def get_logger(self, name: str) -> str:
            return f"logger:{name}"

    c = MemoryCacher()
    c.init(None)
    assert c.broker is None and c.logger is not None
    c.init(Broker())
    assert c.logger == "logger:cacher"


def test_cacher_is_abstract() -> None:
    with pytest.raises(TypeError):
        Cacher()  # type: ignore[abstract]


# -- resolve_cacher ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [None, False])
def test_resolve_none(spec: Any) -> None:
    assert resolve_cacher(spec) is None


@pytest.mark.parametrize("spec", [True, "Memory", "memory"])
def test_resolve_memory_shorthands(spec: Any) -> None:
    c = resolve_cacher(spec)
    assert isinstance(c, MemoryCacher) and c.ttl is None


def test_resolve_dict_with_options() -> None:
    c = resolve_cacher({"type": "Memory", "options": {"ttl": 30, "maxParamsLength": 60, "clone": True}})
    assert isinstance(c, MemoryCacher)
    assert (c.ttl, c.max_params_length, c.clone is not None) == (30, 60, True)


def test_resolve_instance_is_returned_as_is() -> None:
    c = MemoryCacher()
    assert resolve_cacher(c) is c


@pytest.mark.parametrize(
    "spec", ["Couchbase", 42, {"type": "Nope"}, {"type": "Memory", "options": {"bogus": 1}}, MemoryCacher]
)
def test_resolve_bad_specs(spec: Any) -> None:
    with pytest.raises(BrokerOptionsError):
        resolve_cacher(spec)


# -- make_cached_handler ----------------------------------------------------------------------------------


def counting_handler() -> tuple[Any, list[Any]]:
    calls: list[Any] = []

    async def handler(ctx: Any) -> Any:
        calls.append(ctx.params)
        return {"n": len(calls)}

    return handler, calls


async def test_handler_miss_then_hit() -> None:
    c = MemoryCacher()
    inner, calls = counting_handler()
    h = make_cached_handler(c, inner, "users.get", {"keys": ["id"], "ttl": 5})
    ctx1, ctx2 = Ctx({"id": 1}), Ctx({"id": 1, "other": 9})
    assert await h(ctx1) == {"n": 1} and ctx1.cached_result is False
    assert await h(ctx2) == {"n": 1} and ctx2.cached_result is True
    assert len(calls) == 1
    assert list(c.cache) == ["users.get:1"]
    assert c.cache["users.get:1"][1] is not None  # the action ttl was applied
    assert await h(Ctx({"id": 2})) == {"n": 2}


async def test_handler_caches_none_result() -> None:
    c = MemoryCacher()
    calls: list[int] = []

    async def inner(ctx: Any) -> None:
        calls.append(1)

    h = make_cached_handler(c, inner, "a.b", True)
    ctx = Ctx({})
    assert await h(Ctx({})) is None and await h(ctx) is None
    assert calls == [1] and ctx.cached_result is True


async def test_handler_meta_cache_false_bypasses() -> None:
    c = MemoryCacher()
    inner, _ = counting_handler()
    h = make_cached_handler(c, inner, "a.b", True)
    await h(Ctx({"x": 1}))
    ctx = Ctx({"x": 1}, meta={"$cache": False})
    assert await h(ctx) == {"n": 2} and ctx.cached_result is False


async def test_handler_disconnected_cacher_bypasses() -> None:
    c = MemoryCacher()
    c.connected = False
    inner, calls = counting_handler()
    h = make_cached_handler(c, inner, "a.b", True)
    await h(Ctx({}))
    await h(Ctx({}))
    assert len(calls) == 2 and c.cache == {}


async def test_handler_enabled_callable_with_and_without_service() -> None:
    seen: list[Any] = []

    def enabled(*args: Any) -> bool:
        seen.append(args[:-1])
        return args[-1].params.get("cache", True)

    c = MemoryCacher()
    inner, calls = counting_handler()
    h = make_cached_handler(c, inner, "a.b", {"enabled": enabled}, service="svc")
    await h(Ctx({"cache": False}))
    await h(Ctx({"cache": False}))
    assert len(calls) == 2 and c.cache == {}
    await h(Ctx({"q": 1}))
    await h(Ctx({"q": 1}))
    assert len(calls) == 3
    assert seen == [("svc",)] * 4
    h2 = make_cached_handler(c, inner, "a.c", {"enabled": enabled})
    await h2(Ctx({}))
    assert seen[-1] == ()


@pytest.mark.parametrize("opts", [False, None, {"enabled": False}, {"enabled": 0}])
def test_handler_disabled_returns_next_handler_itself(opts: Any) -> None:
    inner, _ = counting_handler()
    assert make_cached_handler(MemoryCacher(), inner, "a.b", opts) is inner


async def test_handler_dict_without_enabled_is_enabled_and_action_keygen_wins() -> None:
    c = MemoryCacher(keygen=lambda *a: "cacher-level")
    inner, _ = counting_handler()
    h = make_cached_handler(c, inner, "a.b", {"keygen": lambda name, p, m, keys, hd: f"{name}!{p['id']}"})
    await h(Ctx({"id": 3}))
    assert list(c.cache) == ["a.b!3"]
    h2 = make_cached_handler(c, inner, "a.b", {"ttl": 1})
    await h2(Ctx({"id": 3}))
    assert "cacher-level" in c.cache


async def test_handler_uses_meta_and_header_keys() -> None:
    c = MemoryCacher()
    inner, calls = counting_handler()
    h = make_cached_handler(c, inner, "a.b", {"keys": ["id", "#tenant", "@lang"]})
    await h(Ctx({"id": 1}, meta={"tenant": "t1"}, headers={"lang": "en"}))
    await h(Ctx({"id": 1}, meta={"tenant": "t2"}, headers={"lang": "en"}))
    assert sorted(c.cache) == ['a.b:1|"t1"|"en"', 'a.b:1|"t2"|"en"']
    assert len(calls) == 2
