"""Remote request/response throughput over the NATS server on 127.0.0.1:4222 (``docs/transit.md``).

``python bench/transit_bench.py [--quick]`` measures, in one run, calls of ``bench.echo`` (returns its params,
``{"a": 1, "b": "two"}``) from one broker to another: Python → Python (two brokers in this process), Node.js →
Node.js (two brokers in one Node.js process, Moleculer 0.14 from ``~/.cache/dbmixin-interop/v14``) and Node.js →
Python; each sequentially (one call awaited after the other) and with 100 in flight (batches of 100 concurrent
calls). MoleculerPy (the other Python port, Python 3.12) is not measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broker import ServiceBroker

NATS_URL = "nats://127.0.0.1:4222"
HERE = Path(__file__).resolve().parent
MOLECULER = Path.home() / ".cache" / "dbmixin-interop" / "v14"
PARAMS = {"a": 1, "b": "two"}


async def echo(self: Any, ctx: Any) -> Any:
    return ctx.params


def server_broker(namespace: str) -> ServiceBroker:
    broker = ServiceBroker(node_id="bench-py-server", namespace=namespace, transporter=NATS_URL, logger=False)
    broker.create_service({"name": "bench", "actions": {"echo": echo}})
    return broker


async def python_to_python(seq_n: int, par_n: int) -> dict[str, float]:
    namespace = f"b{uuid.uuid4().hex[:6]}"
    server = server_broker(namespace)
    caller = ServiceBroker(node_id="bench-py-caller", namespace=namespace, transporter=NATS_URL, logger=False)
    async with server, caller:
        await caller.wait_for_services("bench", timeout=10000)
        for _ in range(200):
            await caller.call("bench.echo", PARAMS)
        start = time.perf_counter()
        for _ in range(seq_n):
            await caller.call("bench.echo", PARAMS)
        sequential = seq_n / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(0, par_n, 100):
            await asyncio.gather(*(caller.call("bench.echo", PARAMS) for _ in range(100)))
        inflight = par_n / (time.perf_counter() - start)
    return {"sequential": sequential, "inflight": inflight}


async def node_caller(mode: str, seq_n: int, par_n: int) -> dict[str, float]:
    namespace = f"b{uuid.uuid4().hex[:6]}"
    server = server_broker(namespace) if mode == "js-py" else None
    if server is not None:
        await server.start()
    try:
        proc = await asyncio.create_subprocess_exec(
            "node", str(HERE / "transit_bench.js"), str(MOLECULER), NATS_URL, namespace, mode, str(seq_n), str(par_n),
            stdout=subprocess.PIPE,
        )  # fmt: skip
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"the Node.js bench failed ({proc.returncode})")
        return dict(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        if server is not None:
            await server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    seq_n, par_n = (200, 1000) if args.quick else (5000, 50000)
    results = {
        "Python -> Python": await python_to_python(seq_n, par_n),
        "Node.js -> Node.js": await node_caller("js-js", seq_n, par_n),
        "Node.js -> Python": await node_caller("js-py", seq_n, par_n),
    }
    print(f"| pair | sequential calls/s | 100 in flight calls/s |  ({seq_n} and {par_n} calls)")
    print("|---|---:|---:|")
    for name, figures in results.items():
        print(f"| {name} | {figures['sequential']:,.0f} | {figures['inflight']:,.0f} |")


if __name__ == "__main__":
    asyncio.run(main())
