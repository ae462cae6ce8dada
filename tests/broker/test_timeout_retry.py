"""The built-in Timeout and Retry middlewares (reference §8.3), milliseconds everywhere."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest

from broker import Context, builtin_middlewares
from broker.errors import (
    MoleculerClientError,
    MoleculerError,
    MoleculerRetryableError,
    RequestSkippedError,
    RequestTimeoutError,
)


async def nap(self: Any, ctx: Context) -> str:
    await asyncio.sleep(ctx.params.get("ms", 30) / 1000)
    return "awake"


def sleeper(**action_opts: Any) -> dict[str, Any]:
    return {
        "name": "s",
        "actions": {"nap": {"handler": nap, **action_opts}, "quick": lambda self, ctx: "quick"},
    }


# -- timeout -----------------------------------------------------------------------------------------------------


async def test_call_timeout_raises_request_timeout_error(start_broker):
    broker = await start_broker(sleeper(), node_id="n1")
    with pytest.raises(RequestTimeoutError) as info:
        await broker.call("s.nap", timeout=5)
    err = info.value
    assert (err.code, err.type, err.retryable, err.data) == (
        504,
        "REQUEST_TIMEOUT",
        True,
        {"action": "s.nap", "nodeID": "n1"},
    )


async def test_broker_request_timeout_applies_by_default(start_broker):
    broker = await start_broker(sleeper(), request_timeout=5)
    with pytest.raises(RequestTimeoutError):
        await broker.call("s.nap")
    assert await broker.call("s.quick") == "quick"


async def test_action_timeout_wins_over_request_timeout(start_broker):
    broker = await start_broker(sleeper(timeout=500), request_timeout=5)
    assert await broker.call("s.nap") == "awake"
    broker2 = await start_broker(sleeper(timeout=5), request_timeout=500)
    with pytest.raises(RequestTimeoutError):
        await broker2.call("s.nap")


async def test_call_option_wins_over_action_timeout(start_broker):
    broker = await start_broker(sleeper(timeout=5))
    assert await broker.call("s.nap", timeout=500) == "awake"


async def test_call_timeout_zero_disables_the_timeout(start_broker):
    broker = await start_broker(sleeper(timeout=5), request_timeout=5)
    assert await broker.call("s.nap", timeout=0) == "awake"


async def test_action_timeout_zero_disables_the_brokers_timeout(start_broker):
    broker = await start_broker(sleeper(timeout=0), request_timeout=5)
    assert await broker.call("s.nap") == "awake"


async def test_a_timeout_inside_the_handler_is_not_a_request_timeout(start_broker):
    async def waits(self: Any, ctx: Context) -> None:
        await asyncio.wait_for(asyncio.sleep(1), 0.001)

    broker = await start_broker({"name": "s", "actions": {"waits": waits}})
    with pytest.raises(TimeoutError) as info:
        await broker.call("s.waits", timeout=1000)
    assert not isinstance(info.value, RequestTimeoutError)


async def test_fast_handler_within_timeout_is_unaffected(start_broker):
    broker = await start_broker(sleeper(), request_timeout=1000)
    assert await broker.call("s.nap", {"ms": 1}) == "awake"


async def test_sub_call_gets_only_the_remaining_time(start_broker):
    seen: list[float] = []

    async def outer(self: Any, ctx: Context) -> Any:
        await asyncio.sleep(0.02)
        return await ctx.call("s.inner", {}, timeout=10_000)

    def inner(self: Any, ctx: Context) -> None:
        seen.append(ctx.timeout)

    broker = await start_broker({"name": "s", "actions": {"outer": outer, "inner": inner}})
    await broker.call("s.outer", timeout=100)
    assert 0 < seen[0] <= 80


async def test_sub_call_times_out_on_the_parents_remaining_budget(start_broker):
    async def outer(self: Any, ctx: Context) -> Any:
        await asyncio.sleep(0.01)
        return await ctx.call("s.nap", {"ms": 40})

    broker = await start_broker({"name": "s", "actions": {"outer": outer, "nap": nap}})
    with pytest.raises(RequestTimeoutError) as info:
        await broker.call("s.outer", timeout=30)
    assert info.value.data["action"] in ("s.nap", "s.outer")


async def test_sub_call_after_the_budget_is_spent_is_skipped(start_broker):
    outcome: list[Any] = []

    async def spent(self: Any, ctx: Context) -> Any:
        ctx.start_time -= 0.05  # as if 50 ms of blocking work had already run in this context
        try:
            await ctx.call("s.quick")
        except RequestSkippedError as err:
            outcome.append(err)

    broker = await start_broker(
        {"name": "s", "actions": {"spent": spent, "quick": lambda s, c: 1}}, node_id="n1"
    )
    await broker.call("s.spent", timeout=20)
    (err,) = outcome
    assert (err.code, err.type, err.retryable) == (514, "REQUEST_SKIPPED", False)
    assert err.data == {"action": "s.quick", "nodeID": "n1"}


async def test_no_timeout_means_no_distributed_budget(start_broker):
    seen: list[Any] = []

    async def outer(self: Any, ctx: Context) -> None:
        await ctx.call("s.inner")

    broker = await start_broker(
        {"name": "s", "actions": {"outer": outer, "inner": lambda s, ctx: seen.append(ctx.timeout)}}
    )
    await broker.call("s.outer")
    assert seen == [0]


# -- retry -------------------------------------------------------------------------------------------------------


def flaky(
    fail_times: int, error: type[Exception] = MoleculerRetryableError, **action_opts: Any
) -> dict[str, Any]:
    """An action failing ``fail_times`` times before answering; ``calls`` counts attempts."""
    calls = {"n": 0}

    def handler(self: Any, ctx: Context) -> Any:
        calls["n"] += 1
        if calls["n"] <= fail_times:
            raise error(f"attempt {calls['n']} failed")
        return f"ok after {calls['n']}"

    return {"name": "f", "calls": calls, "actions": {"go": {"handler": handler, **action_opts}}}


RETRY = {"enabled": True, "retries": 2, "delay": 1}


async def test_retryable_errors_are_retried(start_broker):
    svc = flaky(2)
    broker = await start_broker(svc, retry_policy=RETRY)
    assert await broker.call("f.go") == "ok after 3"


async def test_retries_are_limited(start_broker):
    svc = flaky(5)
    broker = await start_broker(svc, retry_policy=RETRY)
    with pytest.raises(MoleculerRetryableError, match="attempt 3 failed"):
        await broker.call("f.go")
    assert svc["calls"]["n"] == 3


async def test_non_retryable_errors_are_not_retried(start_broker):
    svc = flaky(1, MoleculerClientError)
    broker = await start_broker(svc, retry_policy=RETRY)
    with pytest.raises(MoleculerClientError):
        await broker.call("f.go")
    assert svc["calls"]["n"] == 1


async def test_disabled_policy_does_not_retry(start_broker):
    broker = await start_broker(flaky(1), retry_policy={"enabled": False, "retries": 3})
    with pytest.raises(MoleculerRetryableError):
        await broker.call("f.go")


async def test_per_call_retries_override(start_broker):
    broker = await start_broker(flaky(3), retry_policy=RETRY)
    assert await broker.call("f.go", retries=3) == "ok after 4"
    broker2 = await start_broker(flaky(1), retry_policy=RETRY)
    with pytest.raises(MoleculerRetryableError):
        await broker2.call("f.go", retries=0)


async def test_action_level_retry_policy_enables_retries(start_broker):
    broker = await start_broker(flaky(1, retryPolicy={"enabled": True, "retries": 1, "delay": 1}))
    assert await broker.call("f.go") == "ok after 2"


async def test_action_level_retry_policy_can_disable_the_brokers(start_broker):
    broker = await start_broker(flaky(1, retryPolicy={"enabled": False}), retry_policy=RETRY)
    with pytest.raises(MoleculerRetryableError):
        await broker.call("f.go")


async def test_timeouts_are_retried_because_they_are_retryable(start_broker):
    attempts = {"n": 0}

    async def slow_first(self: Any, ctx: Context) -> str:
        attempts["n"] += 1
        if attempts["n"] == 1:
            await asyncio.sleep(0.05)
        return "second try"

    broker = await start_broker({"name": "s", "actions": {"go": slow_first}}, retry_policy=RETRY)
    assert await broker.call("s.go", timeout=10) == "second try"


async def test_custom_check_decides_what_is_retried(start_broker):
    policy = {**RETRY, "check": lambda err: isinstance(err, MoleculerError) and err.code == 500}
    broker = await start_broker(flaky(1, MoleculerError), retry_policy=policy)
    assert await broker.call("f.go") == "ok after 2"


async def test_backoff_grows_by_factor_and_is_capped(start_broker, monkeypatch):
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(round(seconds * 1000))

    monkeypatch.setattr(
        builtin_middlewares, "asyncio", types.SimpleNamespace(sleep=fake_sleep, timeout=asyncio.timeout)
    )
    policy = {"enabled": True, "retries": 4, "delay": 10, "maxDelay": 50, "factor": 3}
    broker = await start_broker(flaky(4), retry_policy=policy)
    assert await broker.call("f.go") == "ok after 5"
    assert delays == [10, 30, 50, 50]


async def test_retry_for_private_actions_through_self_actions(start_broker):
    svc = flaky(1, visibility="private")

    async def use(self: Any, ctx: Context) -> Any:
        return await self.actions.go(parent_ctx=ctx)

    svc["actions"]["use"] = use
    broker = await start_broker(svc, retry_policy=RETRY)
    assert await broker.call("f.use") == "ok after 2"


async def test_retried_attempt_restarts_the_distributed_timeout_budget(start_broker):
    """Each attempt gets the full timeout again, for itself and for its sub-calls."""
    attempts = {"n": 0}

    async def go(self: Any, ctx: Context) -> Any:
        attempts["n"] += 1
        if attempts["n"] == 1:
            await asyncio.sleep(0.04)
        return await ctx.call("s.quick")

    broker = await start_broker(
        {"name": "s", "actions": {"go": go, "quick": lambda s, c: "sub ok"}}, retry_policy=RETRY
    )
    assert await broker.call("s.go", timeout=20) == "sub ok"
