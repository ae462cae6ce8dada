"""The transporter interface: a message bus that carries serialised packets between nodes by topic.

A transporter knows nothing of packets: ``Transit`` names the topics (``broker.packets``) and serialises. Messages
reach ``Transit`` through the ``on_message(packet_type, data)`` callback given to ``init``; the packet type comes
from the subscription that fired (as in Moleculer's NATS transporter), never from the body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["MessageHandler", "Transporter"]

MessageHandler = Callable[[str, bytes], None]


class Transporter:
    """Base class. Subclasses implement ``connect``, ``disconnect``, ``subscribe`` and ``publish``.

    ``on_reconnect`` (set by ``init``) is awaited after the connection came back, so that ``Transit`` can
    announce itself again.
    """

    has_built_in_balancer = False

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})
        self.connected = False
        self.on_message: MessageHandler = _ignore
        self.on_reconnect: Callable[[], Awaitable[None]] | None = None

    def init(self, on_message: MessageHandler, on_reconnect: Callable[[], Awaitable[None]] | None = None) -> None:
        self.on_message = on_message
        self.on_reconnect = on_reconnect

    async def connect(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def disconnect(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def subscribe(self, topic: str, packet_type: str, queue: str | None = None) -> None:
        """Deliver every message of ``topic`` as ``packet_type`` (``queue``: a NATS queue group, balanced)."""
        raise NotImplementedError  # pragma: no cover - abstract

    async def publish(self, topic: str, data: bytes) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def flush(self) -> None:
        """Wait until the server has every subscription made so far (NATS: a PING/PONG round trip)."""
        return None


def _ignore(packet_type: str, data: bytes) -> None:  # pragma: no cover - before init
    return None
