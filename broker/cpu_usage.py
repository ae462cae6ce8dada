"""This machine's CPU usage, as Moleculer's heartbeats report it (``src/cpu-usage.js``): a whole percent, 0-100.

``CpuMeter.read()`` gives the system-wide usage since its previous reading (busy time over all cores divided by
elapsed time, from ``/proc/stat``), so a node that reads it before each heartbeat reports the average over the
heartbeat interval; Moleculer samples two 100 ms windows instead. Where ``/proc/stat`` is missing (not Linux) it
falls back to this process's own CPU time over the interval, divided by the number of cores. Standard library only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

__all__ = ["CpuMeter", "read_proc_stat"]


def read_proc_stat(path: str = "/proc/stat") -> tuple[float, float] | None:
    """``(busy, total)`` jiffies of all cores since boot, or ``None`` when the file cannot be read."""
    try:
        with open(path, encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 5:
        return None
    values = [float(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)
    total = sum(values)
    return total - idle, total


def _process_times() -> tuple[float, float]:
    """The fallback's ``(busy, total)``: this process's CPU seconds, and wall seconds times the core count."""
    return time.process_time(), time.monotonic() * (os.cpu_count() or 1)


class CpuMeter:
    """``read()`` -> the CPU percent (``int``, 0-100) since the previous ``read()`` (or since the meter was made).

    ``source`` gives cumulative ``(busy, total)`` counters (injectable for tests); ``None`` when nothing can be
    measured, as Moleculer's ``cpu: null``.
    """

    def __init__(self, source: Callable[[], tuple[float, float] | None] | None = None) -> None:
        first = None
        if source is None:
            first = read_proc_stat()
            source = read_proc_stat if first is not None else _process_times
        self.source = source
        self.last = first if first is not None else source()

    def read(self) -> int | None:
        now = self.source()
        last, self.last = self.last, now
        if now is None or last is None:
            return None
        busy, total = now[0] - last[0], now[1] - last[1]
        if total <= 0:
            return None
        return max(0, min(100, round(busy / total * 100)))
