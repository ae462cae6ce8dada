"""What an incoming transit packet may contain: the checks ``Transit`` runs before it trusts a field.

Any client of the NATS or Redis server can publish on a namespace's topics, so every field of a packet (reference
``moleculer-core.md`` §9.2) may be missing, of the wrong type or hostile. The functions here turn a decoded payload
into the fields ``Transit`` and ``RemoteCalls`` use, with the types they expect, or raise ``BadPacket`` (a
``ValueError``) naming the field, and the packet is logged and dropped. Fields a Moleculer node always sends in one
shape are checked strictly (``groups`` is a list of strings, ``broadcast`` a boolean); optional ones fall back to
Moleculer's defaults (a ``meta`` that is not an object is ``{}``, a ``level`` that is not a positive integer is 1).

- ``valid_node_id``: a ``sender`` is a non-empty string of at most 256 characters without whitespace, control
  characters or the NATS wildcards ``*`` and ``>`` (it becomes part of the topics this node answers on).
- ``request_fields``, ``event_fields``, ``info_fields``: the REQ, EVENT and INFO payloads.
- ``clean_cpu``: a HEARTBEAT ``cpu`` as a percent in [0, 100], or ``None``.
"""

from __future__ import annotations

from typing import Any

from .service import full_service_name
from .utils import finite_number

__all__ = [
    "BadPacket",
    "clean_cpu",
    "event_fields",
    "info_fields",
    "request_fields",
    "valid_node_id",
]

MAX_NODE_ID_LENGTH = 256
MAX_REMOTE_RETRIES = 10  # a remote action's retryPolicy cannot make a caller retry without end

_RETRY_KEYS = {"retries": int, "delay": float, "maxDelay": float, "max_delay": float, "factor": float}


class BadPacket(ValueError):
    """A packet field that cannot be used: the message names it (``Transit`` logs it and drops the packet)."""


def valid_node_id(value: Any) -> bool:
    """Whether ``value`` can be a node ID: it is put in topic names (``MOL.RES.<sender>``)."""
    if not isinstance(value, str) or not value or len(value) > MAX_NODE_ID_LENGTH:
        return False
    return not any(ch.isspace() or not ch.isprintable() or ch in "*>" for ch in value)


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def clean_cpu(value: Any) -> float | int | None:
    """A HEARTBEAT's ``cpu``: a finite number clamped to [0, 100]; anything else is ``None`` (unknown)."""
    if not finite_number(value):
        return None
    return max(0, min(100, value))


def request_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields of a REQ: ``id`` (str), ``action`` (str or ``None``: answered ``ServiceNotFoundError``),
    ``params`` (as sent, ``{}`` for ``null``), ``meta`` and ``headers`` (dicts), ``level`` (int >= 1), ``timeout``
    (ms, finite >= 0, 0 = none), ``parentID`` / ``requestID`` / ``caller`` (str or ``None``) and ``stream``
    (bool). ``BadPacket`` without an ``id`` (no RES could name the call)."""
    req_id = payload.get("id")
    if isinstance(req_id, int) and not isinstance(req_id, bool):
        req_id = str(req_id)
    if not isinstance(req_id, str) or not req_id:
        raise BadPacket(f"'id' must be a non-empty string, not {req_id!r:.80}")
    level = payload.get("level")
    timeout = payload.get("timeout")
    params = payload.get("params")
    return {
        "id": req_id,
        "action": _opt_str(payload.get("action")),
        "params": {} if params is None else params,
        "meta": _dict(payload.get("meta")),
        "headers": _dict(payload.get("headers")),
        "level": level if isinstance(level, int) and not isinstance(level, bool) and level >= 1 else 1,
        "timeout": timeout if finite_number(timeout) and timeout > 0 else 0,
        "parentID": _opt_str(payload.get("parentID")),
        "requestID": _opt_str(payload.get("requestID")),
        "caller": _opt_str(payload.get("caller")),
        "stream": bool(payload.get("stream")),
        "seq": payload.get("seq") if isinstance(payload.get("seq"), int) else None,
    }


def event_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields of an EVENT: ``event`` (a name not starting with ``$``: internal events never travel),
    ``data``, ``groups`` (list of str or ``None``), ``broadcast`` (bool), ``meta`` (dict), ``requestID`` and
    ``caller`` (str or ``None``). ``BadPacket`` for a missing or internal name, ``groups`` that is not a list of
    strings, or a ``broadcast`` that is not a boolean."""
    name = payload.get("event")
    if not isinstance(name, str) or not name:
        raise BadPacket(f"'event' must be a non-empty string, not {name!r:.80}")
    if name.startswith("$"):
        raise BadPacket(f"internal event '{name:.80}' cannot come from another node")
    groups = payload.get("groups")
    if groups is not None and (not isinstance(groups, list) or not all(isinstance(g, str) for g in groups)):
        raise BadPacket(f"'groups' must be a list of strings, not {groups!r:.80}")
    broadcast = payload.get("broadcast")
    if broadcast is not None and not isinstance(broadcast, bool):
        raise BadPacket(f"'broadcast' must be a boolean, not {broadcast!r:.80}")
    return {
        "event": name,
        "data": payload.get("data"),
        "groups": groups,
        "broadcast": bool(broadcast),
        "meta": _dict(payload.get("meta")),
        "requestID": _opt_str(payload.get("requestID")),
        "caller": _opt_str(payload.get("caller")),
    }


def info_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """An INFO payload with the shapes the registry and ``$node`` rely on: ``services`` (a list, each entry
    cleaned by ``_service``; entries without a name are left out), ``ipList`` (list of str), ``hostname``
    and ``instanceID`` (str or ``None``), ``client``, ``config`` and ``metadata`` (dicts), ``seq`` (int >= 0).
    ``BadPacket`` when ``services`` is not a list."""
    services = payload.get("services")
    if not isinstance(services, list):
        raise BadPacket("'services' must be a list")
    ips = payload.get("ipList")
    seq = payload.get("seq")
    return {
        **payload,
        "services": [s for s in (_service(info) for info in services) if s is not None],
        "ipList": [ip for ip in ips if isinstance(ip, str)] if isinstance(ips, list) else [],
        "hostname": _opt_str(payload.get("hostname")),
        "client": _dict(payload.get("client")),
        "config": _dict(payload.get("config")),
        "instanceID": _opt_str(payload.get("instanceID")),
        "metadata": _dict(payload.get("metadata")),
        "seq": seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else 0,
    }


def _service(info: Any) -> dict[str, Any] | None:
    """One ``services[]`` entry: ``name`` (non-empty str), ``version`` (number, str or absent), ``fullName``
    (str), ``settings`` and ``metadata`` (dicts), ``actions`` and ``events`` (dicts of cleaned definitions)."""
    if not isinstance(info, dict) or not isinstance(info.get("name"), str) or not info["name"]:
        return None
    version = info.get("version")
    if version is not None and not (finite_number(version) or isinstance(version, str)):
        version = None
    full_name = info.get("fullName")
    out = {
        **info,
        "fullName": full_name if isinstance(full_name, str) and full_name else full_service_name(info["name"], version),
        "settings": _dict(info.get("settings")),
        "metadata": _dict(info.get("metadata")),
        "actions": _definitions(info.get("actions"), _action),
        "events": _definitions(info.get("events"), _event),
    }
    out.pop("version", None)
    if version is not None:
        out["version"] = version
    return out


def _definitions(value: Any, clean: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    cleaned = {key: clean(definition) for key, definition in value.items()}
    return {key: definition for key, definition in cleaned.items() if definition is not None}


def _named(definition: Any) -> dict[str, Any] | None:
    if not isinstance(definition, dict) or not isinstance(definition.get("name"), str) or not definition["name"]:
        return None
    return dict(definition)


def _action(definition: Any) -> dict[str, Any] | None:
    """An action definition the caller can use: ``timeout`` a finite number >= 0, ``retryPolicy`` only numbers
    (never a ``check``: functions do not travel), ``visibility`` and ``strategy`` strings, ``strategyOptions`` and
    ``params`` dicts; a key of the wrong type is left out."""
    out = _named(definition)
    if out is None:
        return None
    if "timeout" in out and not (finite_number(out["timeout"]) and out["timeout"] >= 0):
        del out["timeout"]
    if "retryPolicy" in out:
        out["retryPolicy"] = _retry_policy(out["retryPolicy"])
    for key, kind in (("visibility", str), ("strategy", str), ("strategyOptions", dict), ("params", dict)):
        if key in out and out[key] is not None and not isinstance(out[key], kind):
            del out[key]
    return out


def _retry_policy(policy: Any) -> dict[str, Any]:
    """``enabled`` (bool) and non-negative numbers for ``retries`` (at most ``MAX_REMOTE_RETRIES``), ``delay``,
    ``maxDelay`` and ``factor``."""
    out: dict[str, Any] = {}
    if not isinstance(policy, dict):
        return out
    if isinstance(policy.get("enabled"), bool):
        out["enabled"] = policy["enabled"]
    for key, kind in _RETRY_KEYS.items():
        value = policy.get(key)
        if finite_number(value) and value >= 0 and (kind is float or isinstance(value, int)):
            out[key] = min(value, MAX_REMOTE_RETRIES) if key == "retries" else value
    return out


def _event(definition: Any) -> dict[str, Any] | None:
    out = _named(definition)
    if out is not None and "group" in out and not isinstance(out["group"], str):
        del out["group"]
    return out
