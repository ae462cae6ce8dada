"""dbmixin + MemoryAdapter against Node.js moleculer-db + its MemoryAdapter (NeDB), same workload, one run.

Why: moleculer-db is the reference we port, so its speed on the same machine is the yardstick. NeDB scans
every document for ``find``/``list``/``count`` (no index), so those must be far faster here (>= 10x);
single-entity operations (``get``/``create``/``update``/``remove``) must stay within 2x of V8 (>= 0.5x); and
``get``/``find`` on an indexed field must not degrade with size (1,000,000 entities within 2x of 10,000).

    python bench/db_bench.py              # full run: Node + Python on 10k entities, Python on 1M (~2 min)
    python bench/db_bench.py --quick      # smoke run: 1 round, few calls
    python bench/db_bench.py --no-node    # Python only, no 1M part

The Node side (``bench/node_db_bench.js``) needs ``node`` and ``npm``; ``moleculer`` and ``moleculer-db`` are
installed once into ``~/.cache/dbmixin-bench`` (``$DBMIXIN_BENCH_CACHE`` overrides it) and reused.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project's packages must be importable
    sys.path.insert(0, str(ROOT))

from adapters import MemoryAdapter  # noqa: E402
from broker import ServiceBroker  # noqa: E402
from dbmixin import DbMixin  # noqa: E402

__all__ = [
    "MODES",
    "OPS",
    "SCALE_OPS",
    "TARGETS",
    "BenchConfig",
    "NodeSide",
    "PythonSide",
    "check_answers",
    "ensure_node_modules",
    "entity",
    "format_scale_table",
    "format_table",
    "main",
    "measure",
    "run_both",
    "run_python",
    "run_python_scale",
    "run_rounds",
]

OPS: tuple[str, ...] = ("get", "find", "list", "count", "create", "update", "remove")
MODES: tuple[str, ...] = ("seq", "c32")
SCALE_OPS: tuple[str, ...] = ("get", "find")
TARGETS: dict[str, float] = {
    "get": 0.5, "find": 10.0, "list": 10.0, "count": 10.0, "create": 0.5, "update": 0.5, "remove": 0.5,
}  # fmt: skip
"""python/node ratio each op must reach (in both modes)."""
SCALE_TARGET = 0.5
"""1M-entity calls/s over 10k-entity calls/s for get and find on an indexed field ("within 2x")."""

NODE_SCRIPT = Path(__file__).resolve().parent / "node_db_bench.js"
NODE_PACKAGES = {"moleculer": "0.14", "moleculer-db": "0.8"}

Results = dict[str, dict[str, dict[str, Any]]]
"""``{mode: {op: {"median": calls/s, "rounds": [calls/s, ...]}}}``: what both sides return."""


@dataclass(frozen=True)
class BenchConfig:
    """One workload, shared verbatim by the Python and the Node side (it is sent to node as JSON)."""

    entities: int = 10_000
    rounds: int = 5
    budget: float = 1.0
    """Seconds one op may run in one round; it stops earlier after ``max_calls`` calls."""
    max_calls: int = 30_000
    create_cap: int = 5_000
    """At most this many creates per round (all removed again by ``remove``): the dataset stays near size."""
    concurrency: int = 32
    seed: int = 42
    picks: int = 10_000
    """How many random seeded positions ``get``/``update`` cycle through."""
    ops: tuple[str, ...] = OPS

    def get_indexes(self) -> list[int]:
        """The positions of the seeded entities that get/update use, the same on both sides."""
        rng = random.Random(self.seed)
        return [rng.randrange(self.entities) for _ in range(self.picks)]


def entity(i: int) -> dict[str, Any]:
    """The i-th entity of the dataset (the Node script builds the very same ones)."""
    return {"title": f"Post {i}", "category": i % 10, "votes": i % 100, "author": f"user{i % 50}"}


async def measure(
    make_call: Callable[[int], Awaitable[Any]], cap: int, concurrency: int, budget: float
) -> int:
    """Run ``make_call(k)`` for k = 0, 1, ... until ``budget`` seconds or ``cap`` calls; returns calls done.

    With ``concurrency`` > 1 the calls go in batches of that size through ``asyncio.gather``, as 32 clients
    awaiting at once would. The Node script runs the very same loop (``measure`` in node_db_bench.js).
    """
    done = 0
    deadline = time.perf_counter() + budget
    while done < cap:
        if concurrency <= 1:
            await make_call(done)
            done += 1
        else:
            size = min(concurrency, cap - done)
            await asyncio.gather(*(make_call(done + j) for j in range(size)))
            done += size
        if time.perf_counter() >= deadline:
            break
    return done


async def _timed(
    make_call: Callable[[int], Awaitable[Any]], cap: int, concurrency: int, budget: float
) -> tuple[int, float]:
    start = time.perf_counter()
    done = await measure(make_call, cap, concurrency, budget)
    return done, done / (time.perf_counter() - start)


async def check_answers(broker: ServiceBroker, ids: Sequence[Any], entities: int) -> None:
    """Fail loudly if a read answers wrongly: a fast wrong answer must not pass for a fast right one."""
    doc = await broker.call("posts.get", {"id": ids[7 % entities]})
    found = await broker.call("posts.find", {"query": {"category": 3}, "limit": 10})
    page = await broker.call("posts.list", {"page": 5})
    count = await broker.call("posts.count", {})
    expected_rows = min(10, max(0, entities - 40))
    if (
        doc["title"] != f"Post {7 % entities}"
        or len(found) != min(10, len(range(3, entities, 10)))
        or any(row["category"] != 3 for row in found)
        or len(page["rows"]) != expected_rows
        or page["total"] != entities
        or count != entities
    ):
        raise AssertionError(f"wrong answers: {doc=}, {len(found)=}, {page['total']=}, {count=}")


class PythonSide:
    """dbmixin's ``posts`` service (``DbMixin`` + ``MemoryAdapter``), driven one op at a time."""

    def __init__(self, config: BenchConfig, indexes: Sequence[str] = ("category",)) -> None:
        self.config = config
        self.indexes = list(indexes)
        self.broker = ServiceBroker(logger=False)
        self.created: list[Any] = []
        self.removed = 0
        self.calls: dict[str, Callable[[int], Awaitable[Any]]] = {}

    async def start(self) -> None:
        """Start the broker and seed through ``adapter.insert_many`` (not measured), then check the answers.

        No cacher, so every read really runs; ``MemoryAdapter.init`` builds the hash indexes named in
        ``settings["indexes"]``.
        """
        config = self.config
        schema = {"name": "posts", "mixins": [DbMixin], "adapter": MemoryAdapter(),
                  "settings": {"indexes": self.indexes}}  # fmt: skip
        service = self.broker.create_service(schema)
        await self.broker.start()
        stored = await service.adapter.insert_many([entity(i) for i in range(config.entities)])
        ids = [doc["_id"] for doc in stored]
        await check_answers(self.broker, ids, config.entities)
        picks = [ids[i] for i in config.get_indexes()]
        npicks = len(picks)
        call = self.broker.call

        async def create(k: int) -> None:
            doc = await call("posts.create", entity(config.entities + k))
            self.created.append(doc["_id"])

        self.calls = {
            "get": lambda k: call("posts.get", {"id": picks[k % npicks]}),
            "find": lambda k: call("posts.find", {"query": {"category": 3}, "limit": 10}),
            "list": lambda k: call("posts.list", {"page": 5}),
            "count": lambda k: call("posts.count", {}),
            "create": create,
            "update": lambda k: call("posts.update", {"id": picks[k % npicks], "votes": k * 7 % 100}),
            "remove": lambda k: call("posts.remove", {"id": self.created[k]}),
        }

    async def run(self, op: str, concurrency: int) -> float:
        """One measured stretch of ``op``; returns calls/s."""
        config = self.config
        cap = {"create": config.create_cap, "remove": len(self.created)}.get(op, config.max_calls)
        done, rate = await _timed(self.calls[op], cap, concurrency, config.budget)
        if op == "remove":
            self.removed = done
        return rate

    async def end_round(self) -> None:
        """Remove what the remove budget left behind (not measured): each round starts from the seeded set."""
        for entity_id in self.created[self.removed :]:
            await self.broker.call("posts.remove", {"id": entity_id})
        self.created, self.removed = [], 0
        count = await self.broker.call("posts.count", {})
        if count != self.config.entities:
            raise RuntimeError(f"the dataset drifted to {count} entities")

    async def close(self) -> None:
        """Stop the broker (the adapter disconnects; the data goes with the adapter object)."""
        await self.broker.stop()


class NodeSide:
    """node_db_bench.js as a worker process, fed one op at a time over its stdin (see the script's header)."""

    def __init__(self, config: BenchConfig, modules: Path) -> None:
        self.config = config
        self.modules = modules
        self.versions: dict[str, str] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="dbmixin-bench-")
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> dict[str, str]:
        """Spawn node (it seeds and checks its answers); returns the node/moleculer/moleculer-db versions."""
        payload = {
            **asdict(self.config),
            "ops": list(self.config.ops),
            "get_indexes": self.config.get_indexes(),
        }
        cfg = Path(self._tmp.name) / "config.json"
        cfg.write_text(json.dumps(payload))
        env = {**os.environ, "NODE_PATH": str(self.modules)}
        self._proc = subprocess.Popen(
            ["node", str(NODE_SCRIPT), str(cfg)],
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.versions = self._read()
        return self.versions

    def _read(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(
                f"node_db_bench.js stopped (exit status {self._proc.wait()}); see its stderr above"
            )
        return json.loads(line)

    def _ask(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(message) + "\n")
        self._proc.stdin.flush()
        return self._read()

    def run(self, op: str, concurrency: int) -> float:
        """One measured stretch of ``op`` in node; returns calls/s."""
        return float(self._ask({"cmd": "run", "op": op, "concurrency": concurrency})["rate"])

    def end_round(self) -> None:
        """Node removes its leftover creates and checks it is back at the seeded size."""
        self._ask({"cmd": "end_round"})

    def close(self) -> None:
        """Ask node to stop its broker and exit; kill it if it does not within 30 s."""
        if self._proc is not None:
            if self._proc.poll() is None:
                try:
                    self._ask({"cmd": "quit"})
                    assert self._proc.stdin is not None
                    self._proc.stdin.close()
                    self._proc.wait(timeout=30)
                except (OSError, RuntimeError, subprocess.TimeoutExpired):
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
        self._tmp.cleanup()


def _summary(rates: dict[str, dict[str, list[float]]]) -> Results:
    return {
        mode: {op: {"median": statistics.median(r), "rounds": r} for op, r in by_op.items()}
        for mode, by_op in rates.items()
    }


async def run_rounds(
    config: BenchConfig, sides: Sequence[Any], modes: Sequence[str] = MODES
) -> list[Results]:
    """Medians of ``config.rounds`` rounds per mode and op, one ``Results`` per side.

    The sides take turns op by op (node get, python get, node find, ...) so that both see the same background
    load: this machine is shared, and a burst of someone else's work must not land on one side only.
    ``sides`` are ``PythonSide``/``NodeSide`` objects (``run``/``end_round`` may be sync or async).
    """
    rates = [{mode: {op: [] for op in config.ops} for mode in modes} for _ in sides]
    for mode in modes:
        concurrency = 1 if mode == "seq" else config.concurrency
        for _ in range(config.rounds):
            for op in config.ops:
                for side, side_rates in zip(sides, rates):
                    side_rates[mode][op].append(await _maybe_await(side.run(op, concurrency)))
            for side in sides:
                await _maybe_await(side.end_round())
    return [_summary(side_rates) for side_rates in rates]


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def run_python(config: BenchConfig, modes: Sequence[str] = MODES) -> Results:
    """The workload against dbmixin alone (``--no-node`` and the smoke test)."""
    python = PythonSide(config)
    await python.start()
    try:
        [results] = await run_rounds(config, [python], modes)
    finally:
        await python.close()
    return results


async def run_both(config: BenchConfig, modules: Path) -> tuple[Results, Results, dict[str, str]]:
    """The workload against both sides, interleaved; returns (python, node, node's versions)."""
    node = NodeSide(config, modules)
    python = PythonSide(config)
    try:
        versions = node.start()
        await python.start()
        node_results, py_results = await run_rounds(config, [node, python])
    finally:
        node.close()
        await python.close()
    return py_results, node_results, versions


async def run_python_scale(config: BenchConfig, entities: int) -> tuple[Results, Results]:
    """``get`` and ``find`` (on the indexed ``category``) at ``config.entities`` and at ``entities``.

    Both datasets live in one process and take turns op by op, so the ratio compares like with like.
    Returns (small, big).
    """
    small_config = replace(config, ops=SCALE_OPS)
    small = PythonSide(small_config)
    big = PythonSide(replace(small_config, entities=entities))
    try:
        await small.start()
        await big.start()
        small_results, big_results = await run_rounds(small_config, [small, big])
    finally:
        await small.close()
        await big.close()
    return small_results, big_results


def cache_dir() -> Path:
    """Where moleculer and moleculer-db are installed once and reused across runs."""
    env = os.environ.get("DBMIXIN_BENCH_CACHE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dbmixin-bench"


def ensure_node_modules(folder: Path | None = None) -> Path:
    """Install ``moleculer`` and ``moleculer-db`` from npm into ``folder`` once; returns its node_modules."""
    folder = folder or cache_dir()
    modules = folder / "node_modules"
    if all((modules / name / "package.json").exists() for name in NODE_PACKAGES):
        return modules
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise RuntimeError("node and npm are needed for the Node.js side (or run with --no-node)")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"name": "dbmixin-bench-node", "private": True, "version": "0.0.0",
                "dependencies": {name: f"~{version}" for name, version in NODE_PACKAGES.items()}}  # fmt: skip
    (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"installing {', '.join(NODE_PACKAGES)} into {folder} ...", file=sys.stderr)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder, check=True, stdout=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip
    return modules


def _fmt(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:,.0f}"


def format_table(python: Results, node: Results | None) -> list[str]:
    """``op | mode | node calls/s | python calls/s | ratio | target | ok?`` as Markdown rows."""
    lines = [
        "| op | mode | node calls/s | python calls/s | ratio | target | ok? |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for mode in python:
        for op, figures in python[mode].items():
            py = figures["median"]
            nd = node[mode][op]["median"] if node else None
            ratio = py / nd if nd else None
            ok = "-" if ratio is None else ("yes" if ratio >= TARGETS[op] else "**MISS**")
            ratio_text = "-" if ratio is None else f"{ratio:.2f}x"
            target = f">= {TARGETS[op]}x"
            lines.append(f"| {op} | {mode} | {_fmt(nd)} | {_fmt(py)} | {ratio_text} | {target} | {ok} |")
    return lines


def format_scale_table(small: Results, big: Results, small_n: int, big_n: int) -> list[str]:
    """1M-entity figures against the 10k ones for the indexed reads."""
    lines = [
        f"| op | mode | python calls/s @ {small_n:,} | python calls/s @ {big_n:,} | ratio | target | ok? |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for mode in big:
        for op, figures in big[mode].items():
            ratio = figures["median"] / small[mode][op]["median"]
            ok = "yes" if ratio >= SCALE_TARGET else "**MISS**"
            lines.append(
                f"| {op} | {mode} | {_fmt(small[mode][op]['median'])} | {_fmt(figures['median'])} | "
                f"{ratio:.2f}x | >= {SCALE_TARGET}x | {ok} |"
            )
    return lines


def _count_misses(lines: list[str]) -> int:
    return sum("MISS" in line for line in lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, few calls, 100k big part")
    parser.add_argument("--no-node", action="store_true", help="Python only, and no 1M part")
    parser.add_argument("--entities", type=int, default=None, help="dataset size (default 10,000)")
    parser.add_argument("--big", type=int, default=None, help="size of the Python-only big part (1,000,000)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per op; the median is reported (5)")
    parser.add_argument("--budget", type=float, default=None, help="seconds per op and round (1.0)")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """The default workload, shrunk by ``--quick`` and overridden by the explicit options."""
    config = BenchConfig()
    if args.quick:
        config = replace(config, rounds=1, budget=0.2, max_calls=2_000, create_cap=1_000)
    overrides = {"entities": args.entities, "rounds": args.rounds, "budget": args.budget}
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})


def main(argv: Sequence[str] | None = None) -> int:
    """Run both sides and print the tables; with ``--strict`` a missed target makes the exit status 1."""
    args = parse_args(argv)
    config = config_from_args(args)
    big_n = args.big or (100_000 if args.quick else 1_000_000)
    started = time.perf_counter()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, {config.entities:,} entities, "
        f"{config.rounds} round(s) of <= {config.budget}s / <= {config.max_calls:,} calls per op, "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    node_out: dict[str, Any] | None = None
    if args.no_node:
        python = asyncio.run(run_python(config))
    else:
        python, node_results, versions = asyncio.run(run_both(config, ensure_node_modules()))
        node_out = {**versions, "results": node_results}
        print(
            f"node {versions['node']}, moleculer {versions['moleculer']}, moleculer-db "
            f"{versions['moleculer-db']} (MemoryAdapter = NeDB); the two sides take turns op by op"
        )
    table = format_table(python, node_out["results"] if node_out else None)
    print()
    print("\n".join(table))

    scale_table: list[str] = []
    small: Results | None = None
    big: Results | None = None
    if not args.no_node:
        small, big = asyncio.run(run_python_scale(config, big_n))
        scale_table = format_scale_table(small, big, config.entities, big_n)
        print()
        print("\n".join(scale_table))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{time.perf_counter() - started:.0f}s in all; load average at the end: {load}")

    if args.json is not None:
        args.json.write_text(json.dumps(
            {"config": asdict(config), "python": python, "node": node_out, "small": small, "big": big,
             "big_entities": big_n},
            indent=2,
        ) + "\n")  # fmt: skip
    return 1 if args.strict and (_count_misses(table) or _count_misses(scale_table)) else 0


if __name__ == "__main__":
    sys.exit(main())
