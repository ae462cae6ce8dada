"""The NATS transporter, over the ``nats-py`` client (install the ``nats`` extra).

Options as Moleculer's: ``{"url": "nats://127.0.0.1:4222", ...}``; other keys go to ``nats.connect`` (for
example ``user``, ``password``, ``token``, ``max_reconnect_attempts``). The client reconnects and re-subscribes
by itself; after a reconnection ``Transit`` announces the node again (DISCOVER + INFO).
"""

from __future__ import annotations

from typing import Any

from .base import Transporter

__all__ = ["NatsTransporter"]


class NatsTransporter(Transporter):
    """Plain subjects for packets; queue groups for ``disable_balancer`` (``MOL.REQB.<action>``)."""

    has_built_in_balancer = True

    def __init__(self, options: dict[str, Any] | str | None = None) -> None:
        super().__init__({"url": options} if isinstance(options, str) else options)
        self.client: Any = None

    async def connect(self) -> None:
        try:
            import nats
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ImportError("The NATS transporter needs nats-py: pip install 'dbmixin[nats]'") from exc
        options = dict(self.options)
        url = options.pop("url", None) or options.pop("servers", None) or "nats://127.0.0.1:4222"
        options.setdefault("max_reconnect_attempts", -1)
        options.setdefault("reconnect_time_wait", 1)
        options.setdefault("connect_timeout", 5)
        self.client = await nats.connect(
            url,
            reconnected_cb=self._reconnected,
            disconnected_cb=self._disconnected,
            error_cb=self._error,
            **options,
        )
        self.connected = True

    async def _reconnected(self) -> None:
        self.connected = True
        if self.on_reconnect is not None:
            await self.on_reconnect()

    async def _disconnected(self) -> None:
        self.connected = False

    async def _error(self, err: Exception) -> None:
        return None  # the client logs and reconnects; a failed publish raises to its caller

    async def disconnect(self) -> None:
        client, self.client = self.client, None
        self.connected = False
        if client is not None and not client.is_closed:
            try:
                await client.drain()
            except Exception:
                await client.close()

    async def subscribe(self, topic: str, packet_type: str, queue: str | None = None) -> None:
        on_message = self.on_message

        async def handler(msg: Any) -> None:
            on_message(packet_type, msg.data)

        await self.client.subscribe(topic, queue=queue or "", cb=handler)

    async def publish(self, topic: str, data: bytes) -> None:
        if self.client is None:
            return
        await self.client.publish(topic, data)

    async def flush(self) -> None:
        if self.client is not None:
            await self.client.flush()
