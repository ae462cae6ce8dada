"""The INFO packet's description of this node (reference ``moleculer-core.md`` §9.4).

``services`` has one entry per local service: ``name``, ``version`` (omitted when ``None``), ``fullName``,
``settings`` (without the keys listed in ``$secureSettings``), ``metadata``, ``actions`` keyed by full action name
and ``events`` keyed by event name. Definitions go through a JSON filter: functions and other values JSON cannot
carry are dropped, as ``JSON.stringify`` drops functions.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .service import Service

__all__ = ["client_info", "describe_service", "hostname", "ip_list", "json_safe"]

_DROP = object()


def json_safe(value: Any) -> Any:
    """A copy of ``value`` with only JSON values (dict keys as strings); functions and objects are dropped."""
    cleaned = _clean(value, 0)
    return None if cleaned is _DROP else cleaned


def _clean(value: Any, depth: int) -> Any:
    if depth > 32:
        return _DROP
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = _clean(item, depth + 1)
            if cleaned is not _DROP:
                out[str(key)] = cleaned
        return out
    if isinstance(value, list | tuple):
        items = [_clean(item, depth + 1) for item in value]
        return [None if item is _DROP else item for item in items]  # as JSON.stringify writes [fn] as [null]
    return _DROP


def describe_service(service: Service) -> dict[str, Any]:
    """One ``services[]`` entry of INFO for a local service."""
    settings = dict(service.settings or {})
    for key in settings.get("$secureSettings") or ():
        settings.pop(key, None)
    actions: dict[str, Any] = {}
    for act in service.action_definitions.values():
        if act.visibility == "private":
            continue
        definition = {k: v for k, v in act.definition.items() if k not in ("handler", "service")}
        entry = json_safe(definition) or {}
        entry["rawName"] = act.raw_name
        entry["name"] = act.name
        actions[act.name] = entry
    events: dict[str, Any] = {}
    for sub in service.event_subscriptions:
        definition = {k: v for k, v in sub.definition.items() if k not in ("handler", "service")}
        entry = json_safe(definition) or {}
        entry["name"] = sub.name
        entry["group"] = sub.group
        events[sub.name] = entry
    info: dict[str, Any] = {"name": service.name}
    if service.version is not None:
        info["version"] = service.version
    info.update(
        fullName=service.full_name,
        settings=json_safe(settings) or {},
        metadata=json_safe(service.metadata) or {},
        actions=actions,
        events=events,
    )
    return info


def ip_list() -> list[str]:
    """This host's IPv4 addresses, best effort (``[]`` when they cannot be read)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


def client_info() -> dict[str, Any]:
    """``client`` of INFO: ``{"type": "python", "version": <ours>, "langVersion": <Python's>}``."""
    return {"type": "python", "version": "0.1.0", "langVersion": platform.python_version() or sys.version}


def hostname() -> str:
    return os.environ.get("HOSTNAME") or socket.gethostname()
