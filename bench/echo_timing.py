"""The measurement shared by ``transit_bench.py`` and ``transit_bench_moleculerpy.py`` (standard library only, so
MoleculerPy's Python 3.12 venv imports it too, from this folder).

``await measure(call, seq_n, par_n)``: 200 warm-up calls, then ``seq_n`` calls one after the other, then ``par_n``
calls in batches of 100 concurrent ones; gives ``{"sequential": calls/s, "inflight": calls/s}``. ``call()`` makes
one awaitable call.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def measure(call: Callable[[], Awaitable[Any]], seq_n: int, par_n: int) -> dict[str, float]:
    for _ in range(200):
        await call()
    start = time.perf_counter()
    for _ in range(seq_n):
        await call()
    sequential = seq_n / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(0, par_n, 100):
        await asyncio.gather(*(call() for _ in range(100)))
    inflight = par_n / (time.perf_counter() - start)
    return {"sequential": sequential, "inflight": inflight}
