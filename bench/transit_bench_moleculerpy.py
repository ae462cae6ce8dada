"""MoleculerPy side of ``bench/transit_bench.py``: run by the venv's Python 3.12 with the ``moleculerpy`` package.

Usage: ``python transit_bench_moleculerpy.py <nats url> <namespace> <sequential calls> <in-flight calls>``. Two
MoleculerPy brokers in this process, one serving ``bench.echo`` (returns its params), the other calling it over
NATS, measured by ``echo_timing.measure``. Prints one JSON line ``{"sequential": calls/s, "inflight": calls/s}``.
"""

import asyncio
import json
import logging
import sys

from echo_timing import measure  # this folder (sys.path[0] when run as a script)
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
    figures = await measure(lambda: caller.call("bench.echo", PARAMS), seq_n, par_n)
    print(json.dumps(figures), flush=True)
    await caller.stop()
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
