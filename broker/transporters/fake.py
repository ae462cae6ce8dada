"""An in-process transporter for tests: brokers of one process that share a ``FakeBus`` talk to each other.

Delivery is asynchronous (scheduled on the event loop, like a network message) and in publish order. Queue
groups are honoured round-robin, so ``disable_balancer`` can be tested without a server.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from .base import Transporter

__all__ = ["FakeBus", "FakeTransporter"]


class FakeBus:
    """The shared medium: topic → subscribers (transporter, packet type, queue group)."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, list[tuple[FakeTransporter, str, str | None]]] = {}
        self._rr = itertools.count()
        self.published: list[tuple[str, bytes]] = []  # every message, for tests that inspect the wire

    def publish(self, topic: str, data: bytes) -> None:
        self.published.append((topic, data))
        subs = [s for s in self.subscriptions.get(topic, ()) if s[0].connected]
        plain = [s for s in subs if s[2] is None]
        queued: dict[str, list[tuple[FakeTransporter, str, str | None]]] = {}
        for sub in subs:
            if sub[2] is not None:
                queued.setdefault(sub[2], []).append(sub)
        chosen = plain + [members[next(self._rr) % len(members)] for members in queued.values()]
        loop = asyncio.get_running_loop()
        for transporter, packet_type, _ in chosen:
            loop.call_soon(transporter._deliver, packet_type, data)


DEFAULT_BUS = FakeBus()


class FakeTransporter(Transporter):
    """``FakeTransporter(bus=None)``: the process-wide bus unless one is given (give one per test)."""

    has_built_in_balancer = True

    def __init__(self, options: dict[str, Any] | None = None, bus: FakeBus | None = None) -> None:
        super().__init__(options)
        self.bus = bus or self.options.get("bus") or DEFAULT_BUS

    async def connect(self) -> None:
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False
        for topic, subs in list(self.bus.subscriptions.items()):
            self.bus.subscriptions[topic] = [s for s in subs if s[0] is not self]

    async def subscribe(self, topic: str, packet_type: str, queue: str | None = None) -> None:
        self.bus.subscriptions.setdefault(topic, []).append((self, packet_type, queue))

    async def publish(self, topic: str, data: bytes) -> None:
        if self.connected:
            self.bus.publish(topic, data)

    def _deliver(self, packet_type: str, data: bytes) -> None:
        if self.connected:
            self.on_message(packet_type, data)
