"""What a node knows of the nodes of its cluster: their INFO, liveness, CPU usage and measured latency.

Follows Moleculer's ``registry/node.js`` and ``node-catalog.js`` (reference ``moleculer-core.md`` §9.4-9.5):
services are re-registered only when an INFO's ``seq`` is higher than the known one, the node was offline, or its
``instanceID`` changed. ``local`` is this node (its ``cpu`` is what its heartbeats send); ``nodes`` the others.
The ``CpuUsage`` and ``Latency`` strategies read ``cpu_of`` and ``latency_of`` here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_OFFLINE_NODES", "Node", "NodeCatalog"]

MAX_OFFLINE_NODES = 1000  # offline nodes remembered (for ``$node.list``) before the longest silent are forgotten


class Node:
    """A node as its INFO packets describe it; ``last_heartbeat`` in ``time.monotonic()`` seconds.

    ``cpu``: the CPU usage percent its last HEARTBEAT reported (``None`` until one reports a number);
    ``latency``: the average of the last ``collectCount`` PING round trips in ms (``None`` until one is measured).
    """

    def __init__(self, node_id: str, local: bool = False) -> None:
        self.id = node_id
        self.local = local
        self.available = local
        self.seq = 0
        self.instance_id: str | None = None
        self.info: dict[str, Any] = {}
        self.last_heartbeat = 0.0
        self.cpu: Any = None
        self.latency: float | None = 0.0 if local else None
        self._round_trips: deque[float] = deque()

    @property
    def services(self) -> list[dict[str, Any]]:
        return list(self.info.get("services") or [])

    def add_round_trip(self, elapsed_ms: float, collect_count: int) -> float:
        """Record one PING round trip (ms); ``latency`` becomes the mean of the last ``collect_count``."""
        trips = self._round_trips
        trips.append(float(elapsed_ms))
        while len(trips) > max(1, collect_count):
            trips.popleft()
        self.latency = sum(trips) / len(trips)
        return self.latency

    def to_dict(self) -> dict[str, Any]:
        """The fields Moleculer's ``$node.list`` gives for a node."""
        info = self.info
        return {
            "id": self.id,
            "available": self.available,
            "local": self.local,
            "instanceID": self.instance_id,
            "seq": self.seq,
            "hostname": info.get("hostname"),
            "ipList": info.get("ipList") or [],
            "client": info.get("client") or {},
            "metadata": info.get("metadata") or {},
            "cpu": self.cpu,
        }


class NodeCatalog:
    """The remote nodes by ID, and ``local`` (this node). ``clock`` gives seconds (injectable, so liveness is
    testable without waiting)."""

    def __init__(self, local_id: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self.nodes: dict[str, Node] = {}
        self.local = Node(local_id, local=True)
        self.clock = clock
        self.ping_interval: float | None = None
        self.collect_count = 5

    def want_pings(self, interval: float, collect_count: int) -> None:
        """A ``Latency`` strategy needs round trips: ``broker.transit`` pings every node each ``interval`` seconds
        (the shortest asked for) and ``latency`` averages the last ``collect_count``."""
        self.ping_interval = interval if self.ping_interval is None else min(interval, self.ping_interval)
        self.collect_count = max(1, collect_count)

    def record_round_trip(self, node_id: str, elapsed_ms: float) -> None:
        """A PONG came back from ``node_id`` after ``elapsed_ms``: update its average latency."""
        node = self.nodes.get(node_id)
        if node is not None:
            node.add_round_trip(elapsed_ms, self.collect_count)

    def get(self, node_id: str) -> Node | None:
        """A remote node (``None`` for this node's own ID or an unknown one)."""
        return self.nodes.get(node_id)

    def cpu_of(self, node_id: str) -> Any:
        """The last CPU percent known of a node, this one included (``None`` when unknown)."""
        node = self.local if node_id == self.local.id else self.nodes.get(node_id)
        return None if node is None else node.cpu

    def latency_of(self, node_id: str) -> float | None:
        """The measured average latency (ms) of a node, ``0`` for this node, ``None`` when not measured."""
        node = self.local if node_id == self.local.id else self.nodes.get(node_id)
        return None if node is None else node.latency

    def process_info(self, sender: str, payload: dict[str, Any]) -> tuple[Node, bool, bool]:
        """Record an INFO; gives ``(node, is_new_or_reconnected, services_changed)``."""
        node = self.nodes.get(sender)
        is_new = node is None
        if node is None:
            node = self.nodes[sender] = Node(sender)
        seq = payload.get("seq")
        seq = seq if isinstance(seq, int) else 0
        instance_id = payload.get("instanceID")
        reconnected = not is_new and not node.available
        changed = is_new or reconnected or seq > node.seq or instance_id != node.instance_id
        node.available = True
        node.last_heartbeat = self.clock()
        node.info = payload
        node.seq = max(seq, node.seq) if instance_id == node.instance_id else seq
        node.instance_id = instance_id
        return node, is_new or reconnected, changed

    def heartbeat(self, sender: str, cpu: Any) -> Node | None:
        """Record a HEARTBEAT; ``None`` when the node is unknown or offline (then ask it for INFO). A ``cpu`` that
        is not a number (Moleculer sends ``null`` before its first reading) keeps the known value."""
        node = self.nodes.get(sender)
        if node is None or not node.available:
            return None
        node.last_heartbeat = self.clock()
        if isinstance(cpu, int | float) and not isinstance(cpu, bool):
            node.cpu = cpu
        return node

    def expired(self, timeout: float) -> list[Node]:
        """Available nodes silent for more than ``timeout`` seconds."""
        now = self.clock()
        return [n for n in self.nodes.values() if n.available and now - n.last_heartbeat > timeout]

    def remove_offline(self, timeout: float | None, keep: int = MAX_OFFLINE_NODES) -> list[str]:
        """Forget the nodes offline and silent for more than ``timeout`` seconds (Moleculer's
        ``cleanOfflineNodesTimeout``; ``None`` or 0: no time limit), and the longest silent offline nodes beyond
        ``keep`` (any client of the server can announce node IDs); gives their IDs. A node that comes back is
        discovered anew."""
        now = self.clock()
        offline = sorted((n for n in self.nodes.values() if not n.available), key=lambda n: n.last_heartbeat)
        excess = max(0, len(offline) - keep)
        gone = [n.id for i, n in enumerate(offline) if i < excess or (timeout and now - n.last_heartbeat > timeout)]
        for node_id in gone:
            del self.nodes[node_id]
        return gone

    def available_nodes(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.available]
