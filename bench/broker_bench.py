"""Local call throughput of the broker: ``python bench/broker_bench.py [--quick]``.

Three actions on one broker (logging off): ``bare`` (no params schema), ``validated`` (a 5-field params
schema, valid params) and ``cached`` (``cacher="Memory"``, ``cache={"keys": ["id"]}``, every call a hit), and
one event, ``emit`` (``await broker.emit("bench.emitted", params)`` delivered to one subscriber running the
same handler). Each is called sequentially (``await broker.call(...)`` in a loop) and with 100 in flight (batches of
``asyncio.gather`` over 100 calls). Every figure is the median of several runs, in calls per second, next to
its ratio to a bare ``await`` of the same handler coroutine in the same process and mode: what the broker
costs on top of the function it calls. The validated and cached cases are skipped, with a message, when the
validation or cacher module cannot be imported.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broker import ServiceBroker

BATCH = 100
CLOCK: list[Callable[[], float]] = [time.perf_counter]  # ``--clock cpu``: process CPU time, steadier on a busy host
PARAMS_SCHEMA = {
    "a": "number",
    "b": "string",
    "c": "boolean|optional",
    "d": {"type": "number", "integer": True, "min": 0, "convert": True},
    "e": "string|min:2",
}
VALID_PARAMS = {"a": 1, "b": "hello", "c": True, "d": 5, "e": "xy"}
CACHED_PARAMS = {"id": 1}


async def handler(self: Any, ctx: Any) -> Any:
    """The one handler every case calls (and the baseline awaits directly)."""
    return ctx.params


class _BareContext:
    __slots__ = ("params",)

    def __init__(self, params: Any) -> None:
        self.params = params


def available_cases() -> tuple[dict[str, tuple[str, Any]], list[str]]:
    """``{case: (action, params)}`` for the cases this checkout can run, and messages for skipped ones."""
    cases: dict[str, tuple[str, Any]] = {"bare": ("bench.bare", VALID_PARAMS), "emit": ("bench.emitted", VALID_PARAMS)}
    skipped: list[str] = []
    try:
        import broker.validation
    except ImportError as err:
        skipped.append(f"validated: skipped, the validation module is not available ({err})")
    else:
        cases["validated"] = ("bench.validated", VALID_PARAMS)
    try:
        import broker.cacher  # noqa: F401
    except ImportError as err:
        skipped.append(f"cached: skipped, the cacher module is not available ({err})")
    else:
        cases["cached"] = ("bench.cached", CACHED_PARAMS)
    return cases, skipped


def make_broker(cases: dict[str, Any]) -> ServiceBroker:
    actions: dict[str, Any] = {"bare": handler}
    if "validated" in cases:
        actions["validated"] = {"params": PARAMS_SCHEMA, "handler": handler}
    if "cached" in cases:
        actions["cached"] = {"cache": {"keys": ["id"]}, "handler": handler}
    broker = ServiceBroker(
        logger=False, cacher="Memory" if "cached" in cases else None, validator="validated" in cases
    )
    broker.create_service({"name": "bench", "actions": actions, "events": {"bench.emitted": handler}})
    return broker


async def _sequential(call: Callable[[], Awaitable[Any]], n: int) -> float:
    start = CLOCK[0]()
    for _ in range(n):
        await call()
    return n / (CLOCK[0]() - start)


async def _in_flight(call: Callable[[], Awaitable[Any]], n: int) -> float:
    batches = max(1, n // BATCH)
    start = CLOCK[0]()
    for _ in range(batches):
        await asyncio.gather(*[call() for _ in range(BATCH)])
    return batches * BATCH / (CLOCK[0]() - start)


MODES = {"sequential": _sequential, "100 in flight": _in_flight}


async def _median(
    mode: Callable[..., Awaitable[float]], call: Callable[[], Awaitable[Any]], n: int, runs: int
) -> float:
    await mode(call, max(BATCH, n // 10))  # warm-up: caches filled, code paths hot
    figures = []
    for _ in range(runs):
        gc.collect()
        figures.append(await mode(call, n))
    return statistics.median(figures)


async def measure(calls: int = 100_000, runs: int = 5, only: list[str] | None = None) -> dict[str, Any]:
    """Run every available case (or those in ``only``) in both modes; returns ``{"results": [...], "skipped":
    [...]}``. Each result is ``{case, mode, calls_per_s, baseline_per_s, ratio}``.
    """
    cases, skipped = available_cases()
    if only:
        cases = {name: case for name, case in cases.items() if name in only}
    broker = make_broker(cases)
    await broker.start()
    try:
        results = []
        svc = broker.get_local_service("bench")
        for mode_name, mode in MODES.items():
            baselines: dict[int, float] = {}
            for case, (action, params) in cases.items():
                bare_ctx = _BareContext(params)
                key = id(params)
                if key not in baselines:
                    baselines[key] = await _median(mode, lambda c=bare_ctx: handler(svc, c), calls, runs)
                method = broker.emit if case == "emit" else broker.call
                rate = await _median(mode, lambda m=method, a=action, p=params: m(a, p), calls, runs)
                results.append(
                    {
                        "case": case,
                        "mode": mode_name,
                        "calls_per_s": rate,
                        "baseline_per_s": baselines[key],
                        "ratio": rate / baselines[key],
                    }
                )
        return {"results": results, "skipped": skipped}
    finally:
        await broker.stop()


def format_table(report: dict[str, Any]) -> str:
    lines = [
        "| case | mode | calls/s | bare await calls/s | broker / bare await |",
        "|---|---|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['case']} | {r['mode']} | {r['calls_per_s']:,.0f} | {r['baseline_per_s']:,.0f} | "
            f"{r['ratio']:.3f} ({1 / r['ratio']:.1f}x slower) |"
        )
    lines.extend(f"\n{message}" for message in report["skipped"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (2,000 calls, 1 run per figure)")
    parser.add_argument("--calls", type=int, help="calls per run (default 100,000)")
    parser.add_argument("--runs", type=int, help="runs per figure, the median is reported (default 5)")
    parser.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall", help="wall time (default) or this process's CPU time"
    )
    parser.add_argument("--cases", help="comma-separated cases to run (default: all), e.g. 'emit,bare'")
    args = parser.parse_args(argv)
    calls = args.calls or (2_000 if args.quick else 100_000)
    runs = args.runs or (1 if args.quick else 5)
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {calls:,} calls x {runs} run(s) per figure, "
        f"{args.clock} clock"
    )
    only = [c.strip() for c in args.cases.split(",")] if args.cases else None
    CLOCK[0] = time.process_time if args.clock == "cpu" else time.perf_counter
    print(format_table(asyncio.run(measure(calls, runs, only))))


if __name__ == "__main__":
    main()
