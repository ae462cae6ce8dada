"""Moleculer's transit packet types and topic names (reference ``moleculer-core.md`` §9.2-9.3).

A topic is ``<prefix>.<TYPE>`` for a broadcast or ``<prefix>.<TYPE>.<nodeID>`` for a targeted packet, where the
prefix is ``MOL`` or ``MOL-<namespace>`` (Moleculer's ``transporters/base.js``).
"""

from __future__ import annotations

__all__ = [
    "DISCONNECT",
    "DISCOVER",
    "EVENT",
    "HEARTBEAT",
    "INFO",
    "PACKET_TYPES",
    "PING",
    "PONG",
    "REQUEST",
    "RESPONSE",
    "topic_name",
    "topic_prefix",
]

DISCOVER = "DISCOVER"
INFO = "INFO"
HEARTBEAT = "HEARTBEAT"
REQUEST = "REQ"
RESPONSE = "RES"
EVENT = "EVENT"
DISCONNECT = "DISCONNECT"
PING = "PING"
PONG = "PONG"

PACKET_TYPES = (DISCOVER, INFO, HEARTBEAT, REQUEST, RESPONSE, EVENT, DISCONNECT, PING, PONG)


def topic_prefix(namespace: str) -> str:
    """``MOL`` or ``MOL-<namespace>`` (note the dash: ``MOL-dev.REQ.node-1``)."""
    return f"MOL-{namespace}" if namespace else "MOL"


def topic_name(prefix: str, packet_type: str, node_id: str | None = None) -> str:
    """The NATS subject / Redis channel of a packet: ``MOL.REQ.node-1`` or ``MOL.INFO``."""
    return f"{prefix}.{packet_type}.{node_id}" if node_id else f"{prefix}.{packet_type}"
