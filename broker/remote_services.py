"""The registry's records of other nodes' services, actions and event subscriptions, built from their INFO.

``broker.transit`` creates them for each service of a remote node's INFO (reference ``moleculer-core.md`` §9.4) and
adds their endpoints to the registry with ``local=False``.
"""

from __future__ import annotations

from typing import Any

from .registry import ActionDefinition
from .service import full_service_name

__all__ = ["RemoteAction", "RemoteEvent", "RemoteService"]


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

