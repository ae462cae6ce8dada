"""The timers of a connected node (Moleculer's ``registry/discoverers/base.js``, reference ``moleculer-core.md`` §9.5).

- every ``heartbeat_interval`` s: read this machine's CPU usage (``broker.cpu_usage``) and broadcast HEARTBEAT
  ``{"cpu": <percent>}``;
- every ``min(heartbeat_interval, heartbeat_timeout)`` s: the nodes silent for more than ``heartbeat_timeout`` s
  are gone (``Transit.node_gone``), and the nodes offline for more than ``clean_offline_timeout`` s are forgotten
  (Moleculer's ``cleanOfflineNodesTimeout``, 600 s; 0 or ``None`` keeps them), and beyond ``MAX_OFFLINE_NODES``
  (1000) offline nodes the longest silent are forgotten, so bogus node IDs cannot fill the catalog;
- when a ``Latency`` strategy asked for round trips (``NodeCatalog.want_pings``): PING every available node each
  ``pingInterval`` s; every PONG updates that node's average latency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import packets as P
from .cpu_usage import CpuMeter

if TYPE_CHECKING:  # pragma: no cover
    from .transit import Transit

__all__ = ["Liveness"]


class Liveness:
    """The heartbeat, node check and latency ping timers of one ``Transit``; ``start`` / ``stop``."""

    def __init__(self, transit: Transit, clean_offline_timeout: float | None = 600) -> None:
        self.transit = transit
        self.nodes = transit.nodes
        self.clean_offline_timeout = clean_offline_timeout
        self.cpu_reader: Callable[[], Any] = CpuMeter().read
        self._timers: list[asyncio.Task[Any]] = []

    def start(self) -> None:
        self.stop()
        loop = asyncio.get_running_loop()
        self._timers = [loop.create_task(self._heartbeats()), loop.create_task(self._checks())]
        self._timers.append(loop.create_task(self._pings()))

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    async def beat(self) -> None:
        """Measure this node's CPU usage and broadcast a HEARTBEAT with it."""
        cpu = self.cpu_reader()
        if cpu is not None:
            self.nodes.local.cpu = cpu
        await self.transit.publish(P.HEARTBEAT, None, {"cpu": self.nodes.local.cpu})

    def check_nodes(self) -> list[str]:
        """Mark the nodes silent for more than ``heartbeat_timeout`` s as gone; gives their IDs."""
        gone = [node.id for node in self.nodes.expired(self.transit.heartbeat_timeout)]
        for node_id in gone:
            self.transit.node_gone(node_id, unexpected=True)
        return gone

    def remove_offline(self) -> list[str]:
        """Forget the nodes offline for more than ``clean_offline_timeout`` s, and the longest silent beyond
        ``nodes.MAX_OFFLINE_NODES`` (also with ``clean_offline_timeout`` 0); gives their IDs."""
        removed = self.nodes.remove_offline(self.clean_offline_timeout)
        for node_id in removed:
            self.transit.logger.warning("Removing offline '%s' node from registry (no heartbeat for long).", node_id)
        return removed

    async def ping_all(self, timeout: float = 1000) -> None:
        """PING every available node at once, waiting ``timeout`` ms at most (each PONG records a latency, see
        ``RemoteCalls.ping``)."""
        calls = self.transit.calls
        await asyncio.gather(*(calls.ping(node.id, timeout) for node in self.nodes.available_nodes()))

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.transit.heartbeat_interval)
            try:
                await self.beat()
            except Exception:
                self.transit.logger.warning("Unable to send HEARTBEAT.", exc_info=True)

    async def _checks(self) -> None:
        while True:
            await asyncio.sleep(min(self.transit.heartbeat_interval, self.transit.heartbeat_timeout))
            self.check_nodes()
            self.remove_offline()

    async def _pings(self) -> None:
        """Idle (a check every heartbeat interval) until a ``Latency`` strategy, maybe an action's created later,
        asks for pings."""
        while True:
            interval = self.nodes.ping_interval
            if interval is None:
                await asyncio.sleep(self.transit.heartbeat_interval)
                continue
            try:
                await self.ping_all(1000 * max(interval, 1.0))
            except Exception:
                self.transit.logger.warning("Unable to ping the nodes.", exc_info=True)
            await asyncio.sleep(interval)
