"""MoleculerPy side of ``bench/transit_bench.py``: run by the venv's Python 3.12 with the ``moleculerpy`` package.

Usage: ``python transit_bench_moleculerpy.py <nats url> <namespace> <sequential calls> <in-flight calls>``. Two
MoleculerPy brokers in this process, one serving ``bench.echo`` (returns its params), the other calling it over
NATS: 200 warm-up calls, then the sequential calls one after the other, then the in-flight calls in batches of
100 concurrent ones. Prints one JSON line ``{"sequential": calls/s, "inflight": calls/s}``.
"""

import asyncio
import json
import logging
import sys
import time

from moleculerpy import Context, Service, ServiceBroker, Settings, action

PARAMS = {"a": 1, "b": "two"}


class Bench(Service):
    name = "bench"

    @action()
    async def echo(self, ctx: Context) -> object:
        return ctx.params


async def main() -> None:
    url, namespace, seq_n, par_n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    logging.disable(logging.CRITICAL)
    settings = Settings(transporter=url, log_level="ERROR")
    server = ServiceBroker("bench-mpy-server", settings=settings, namespace=namespace)
    await server.register(Bench())
    caller = ServiceBroker("bench-mpy-caller", settings=settings, namespace=namespace)
    await server.start()
    await caller.start()
    await caller.wait_for_services(["bench"])
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
    print(json.dumps({"sequential": sequential, "inflight": inflight}), flush=True)
    await caller.stop()
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
