"""Transporters: how packets travel between nodes. ``resolve_transporter`` reads Moleculer's option forms."""

from __future__ import annotations

from typing import Any

from ..errors import BrokerOptionsError
from .base import Transporter
from .fake import FakeBus, FakeTransporter

__all__ = ["FakeBus", "FakeTransporter", "Transporter", "resolve_transporter"]


def _by_name(name: str, options: Any) -> Transporter:
    key = name.lower()
    if key == "nats":
        from .nats import NatsTransporter

        return NatsTransporter(options)
    if key == "redis":
        from .redis import RedisTransporter

        return RedisTransporter(options)
    if key == "fake":
        return FakeTransporter(options if isinstance(options, dict) else None)
    raise BrokerOptionsError(f"Invalid or unsupported transporter type: {name!r}", {"transporter": name})


def resolve_transporter(option: Any) -> Transporter:
    """A transporter from ``"nats://host:4222"``, ``"redis://host:6379"``, ``"NATS"``, ``"Redis"``, ``"Fake"``,
    ``{"type": "NATS", "options": {...}}`` or an instance. ``BrokerOptionsError`` for anything else."""
    if isinstance(option, Transporter):
        return option
    if isinstance(option, str):
        if option.startswith("nats://"):
            return _by_name("nats", {"url": option})
        if option.startswith(("redis://", "rediss://")):
            return _by_name("redis", {"url": option})
        return _by_name(option, None)
    if isinstance(option, dict) and isinstance(option.get("type"), str):
        return _by_name(option["type"], option.get("options"))
    raise BrokerOptionsError(f"Invalid transporter option: {option!r}", {"transporter": repr(option)})
