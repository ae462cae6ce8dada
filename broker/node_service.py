"""The internal ``$node`` service: what this node knows of the cluster (Moleculer's ``src/internals.js``).

Actions (params as Moleculer's, all optional booleans):
- ``$node.list`` ``{withServices, onlyAvailable}`` → ``[{"id", "available", "local", "instanceID", "seq",
  "hostname", "ipList", "client", "metadata", "cpu", "services"?}]``, this node first;
- ``$node.services`` ``{onlyLocal, skipInternal, withActions, withEvents, onlyAvailable}`` → one entry per service
  name/version: ``{"name", "version", "fullName", "settings", "metadata", "local", "available", "nodes": [ids],
  "actions"?, "events"?}``;
- ``$node.actions`` ``{onlyLocal, skipInternal, withEndpoints}`` → ``[{"name", "count", "hasLocal", "available",
  "action", "endpoints"?}]``;
- ``$node.events`` ``{onlyLocal, skipInternal, withEndpoints}`` → ``[{"name", "group", "count", "hasLocal",
  "available", "event", "endpoints"?}]``;
- ``$node.health`` → ``{"cpu", "mem", "os", "process", "client", "net", "time"}`` of this node.

Difference: Moleculer creates ``$node`` on every broker (``internalServices: true``); here it is created when the
broker has a transporter, or with ``internal_services=True``, so a local-only broker lists only its own services.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import TYPE_CHECKING, Any

from .node_info import client_info, describe_service, hostname, ip_list

if TYPE_CHECKING:  # pragma: no cover
    from .broker import ServiceBroker
    from .context import Context

__all__ = ["node_service_schema"]


def _flag(ctx: Context, name: str) -> bool:
    params = ctx.params if isinstance(ctx.params, dict) else {}
    return bool(params.get(name, False))


def _local_node(broker: ServiceBroker, with_services: bool) -> dict[str, Any]:
    transit = broker.transit
    node: dict[str, Any] = {
        "id": broker.node_id,
        "available": True,
        "local": True,
        "instanceID": transit.instance_id if transit is not None else None,
        "seq": transit.seq if transit is not None else 0,
        "hostname": hostname(),
        "ipList": ip_list(),
        "client": client_info(),
        "metadata": broker.metadata,
        "cpu": broker.registry.nodes.local.cpu,
    }
    if with_services:
        node["services"] = [describe_service(s) for s in broker.registry.services]
    return node


def _all_services(broker: ServiceBroker) -> list[tuple[str, bool, dict[str, Any]]]:
    """(node id, available, INFO entry) of every service this node knows, its own first."""
    found = [(broker.node_id, True, describe_service(s)) for s in broker.registry.services]
    if broker.transit is not None:
        for node in broker.transit.nodes.nodes.values():
            found.extend((node.id, node.available, info) for info in node.services if isinstance(info, dict))
    return found


def node_service_schema(broker: ServiceBroker) -> dict[str, Any]:
    """The ``$node`` service schema for ``broker``."""

    async def list_nodes(self: Any, ctx: Context) -> list[dict[str, Any]]:
        with_services = _flag(ctx, "withServices")
        nodes = [_local_node(broker, with_services)]
        if broker.transit is not None:
            for node in broker.transit.nodes.nodes.values():
                entry = node.to_dict()
                if with_services:
                    entry["services"] = node.services
                nodes.append(entry)
        if _flag(ctx, "onlyAvailable"):
            nodes = [n for n in nodes if n["available"]]
        return nodes

    async def services(self: Any, ctx: Context) -> list[dict[str, Any]]:
        grouped: dict[str, dict[str, Any]] = {}
        for node_id, available, info in _all_services(broker):
            local = node_id == broker.node_id
            if _flag(ctx, "onlyLocal") and not local:
                continue
            if _flag(ctx, "onlyAvailable") and not available:
                continue
            name = str(info.get("name", ""))
            if _flag(ctx, "skipInternal") and name.startswith("$"):
                continue
            full_name = str(info.get("fullName") or name)
            entry = grouped.get(full_name)
            if entry is None:
                entry = grouped[full_name] = {
                    "name": name,
                    "version": info.get("version"),
                    "fullName": full_name,
                    "settings": info.get("settings") or {},
                    "metadata": info.get("metadata") or {},
                    "local": False,
                    "available": False,
                    "nodes": [],
                }
                if _flag(ctx, "withActions"):
                    entry["actions"] = info.get("actions") or {}
                if _flag(ctx, "withEvents"):
                    entry["events"] = info.get("events") or {}
            entry["local"] = entry["local"] or local
            entry["available"] = entry["available"] or available
            entry["nodes"].append(node_id)
        return list(grouped.values())

    def catalog(ctx: Context, kind: str) -> list[dict[str, Any]]:
        entries: dict[tuple[str, str | None], dict[str, Any]] = {}
        for node_id, available, info in _all_services(broker):
            local = node_id == broker.node_id
            if (_flag(ctx, "onlyLocal") and not local) or not available:
                continue
            if _flag(ctx, "skipInternal") and str(info.get("name", "")).startswith("$"):
                continue
            for definition in (info.get(kind) or {}).values():
                if not isinstance(definition, dict):
                    continue
                name = str(definition.get("name"))
                group = definition.get("group") if kind == "events" else None
                entry = entries.get((name, group))
                if entry is None:
                    entry = entries[(name, group)] = {"name": name, "count": 0, "hasLocal": False, "available": True}
                    if kind == "events":
                        entry["group"] = group
                    entry["action" if kind == "actions" else "event"] = definition
                    if _flag(ctx, "withEndpoints"):
                        entry["endpoints"] = []
                entry["count"] += 1
                entry["hasLocal"] = entry["hasLocal"] or local
                if "endpoints" in entry:
                    entry["endpoints"].append({"nodeID": node_id, "state": True, "available": True})
        return list(entries.values())

    async def actions(self: Any, ctx: Context) -> list[dict[str, Any]]:
        return catalog(ctx, "actions")

    async def events(self: Any, ctx: Context) -> list[dict[str, Any]]:
        return catalog(ctx, "events")

    async def health(self: Any, ctx: Context) -> dict[str, Any]:
        load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
        cpus = os.cpu_count() or 1
        return {
            "cpu": {"load1": load[0], "load5": load[1], "load15": load[2], "cores": cpus,
                    "utilization": min(100, round(load[0] / cpus * 100))},
            "mem": _memory(),
            "os": {"uptime": _uptime(), "type": platform.system(), "release": platform.release(),
                   "hostname": hostname(), "arch": platform.machine(), "platform": sys.platform},
            "process": {"pid": os.getpid(), "argv": sys.argv, "uptime": time.monotonic()},
            "client": client_info(),
            "net": {"ip": ip_list()},
            "time": {"now": int(time.time() * 1000), "iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        }  # fmt: skip

    return {
        "name": "$node",
        "actions": {
            "list": {"handler": list_nodes},
            "services": {"handler": services},
            "actions": {"handler": actions},
            "events": {"handler": events},
            "health": {"handler": health},
        },
    }


def _memory() -> dict[str, Any]:
    """``{"free", "total", "percent"}`` in bytes from ``/proc/meminfo`` where there is one, else ``None`` values."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in handle if line.count(":") == 1}
    except (OSError, ValueError, IndexError):
        return {"free": None, "total": None, "percent": None}
    total, free = fields.get("MemTotal"), fields.get("MemAvailable", fields.get("MemFree"))
    percent = round(free / total * 100, 2) if total and free is not None else None
    return {"free": free, "total": total, "percent": percent}


def _uptime() -> float | None:
    try:
        with open("/proc/uptime", encoding="ascii") as handle:
            return float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
