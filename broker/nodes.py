"""What a node knows of the other nodes: their INFO, liveness, and the remote service records of the registry.

Follows Moleculer's ``registry/node.js`` and ``node-catalog.js`` (reference ``moleculer-core.md`` §9.4-9.5):
services are re-registered only when an INFO's ``seq`` is higher than the known one, the node was offline, or its
``instanceID`` changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .registry import ActionDefinition
from .service import full_service_name

__all__ = ["Node", "NodeCatalog", "RemoteAction", "RemoteEvent", "RemoteService"]


class Node:
    """A remote node as its INFO packets describe it; ``last_heartbeat`` in ``time.monotonic()`` seconds."""

    def __init__(self, node_id: str) -> None:
        self.id = node_id
        self.available = False
        self.seq = 0
        self.instance_id: str | None = None
        self.info: dict[str, Any] = {}
        self.last_heartbeat = 0.0
        self.cpu: Any = None

    @property
    def services(self) -> list[dict[str, Any]]:
        return list(self.info.get("services") or [])

    def to_dict(self) -> dict[str, Any]:
        """The fields Moleculer's ``$node.list`` gives for a node."""
        info = self.info
        return {
            "id": self.id,
            "available": self.available,
            "local": False,
            "instanceID": self.instance_id,
            "seq": self.seq,
            "hostname": info.get("hostname"),
            "ipList": info.get("ipList") or [],
            "client": info.get("client") or {},
            "metadata": info.get("metadata") or {},
            "cpu": self.cpu,
        }


class NodeCatalog:
    """The remote nodes by ID. ``clock`` gives seconds (injectable, so liveness is testable without waiting)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.nodes: dict[str, Node] = {}
        self.clock = clock

    def get(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

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
        """Record a HEARTBEAT; ``None`` when the node is unknown or offline (then ask it for INFO)."""
        node = self.nodes.get(sender)
        if node is None or not node.available:
            return None
        node.last_heartbeat = self.clock()
        node.cpu = cpu
        return node

    def expired(self, timeout: float) -> list[Node]:
        """Available nodes silent for more than ``timeout`` seconds."""
        now = self.clock()
        return [n for n in self.nodes.values() if n.available and now - n.last_heartbeat > timeout]

    def available_nodes(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.available]


class RemoteService:
    """A service of another node, as the registry lists it (``full_name``, ``node_id``, ``settings``...)."""

    def __init__(self, node_id: str, info: dict[str, Any], logger: Any) -> None:
        self.node_id = node_id
        self.name = str(info.get("name") or "")
        self.version = info.get("version")
        self.full_name = str(info.get("fullName") or full_service_name(self.name, self.version))
        self.settings = info.get("settings") or {}
        self.metadata = info.get("metadata") or {}
        self.info = info
        self.logger = logger

    def __repr__(self) -> str:
        return f"<RemoteService {self.full_name}@{self.node_id}>"


class RemoteAction(ActionDefinition):
    """An action of a remote service: ``name``, ``raw_name``, ``definition`` (its INFO entry), ``service``."""

    __slots__ = ()

    def __init__(self, service: RemoteService, definition: dict[str, Any]) -> None:
        self.service = service
        self.definition = definition
        self.name = str(definition.get("name"))
        self.raw_name = str(definition.get("rawName") or self.name.rsplit(".", 1)[-1])
        self.visibility = definition.get("visibility") or "published"
        self.handler: Any = None

    def __repr__(self) -> str:
        return f"<RemoteAction {self.name}@{self.service.node_id}>"


class RemoteEvent:
    """An event subscription of a remote service: ``name`` (maybe a pattern) and ``group``."""

    __slots__ = ("definition", "group", "name", "service")

    def __init__(self, service: RemoteService, definition: dict[str, Any]) -> None:
        self.service = service
        self.definition = definition
        self.name = str(definition.get("name"))
        self.group = str(definition.get("group") or service.name)

    def get(self, key: str, default: Any = None) -> Any:
        return self.definition.get(key, default)

    def __repr__(self) -> str:
        return f"<RemoteEvent {self.name} group={self.group}@{self.service.node_id}>"

