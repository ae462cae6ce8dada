"""The Redis transporter, over the ``redis`` client's asyncio API (install the ``redis`` extra).

As Moleculer's (``transporters/redis.js``): one connection publishes (``PUBLISH topic data``), another subscribes
to the exact channel names; the packet type comes from the subscription. Redis has no queue groups, so
``disable_balancer`` does not apply (the broker balances). Options: ``{"url": "redis://127.0.0.1:6379"}``; other
keys go to ``redis.asyncio.Redis.from_url``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from .base import Transporter

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
except ImportError:  # pragma: no cover - without the extra, connect() explains what to install

    class RedisConnectionError(Exception):  # type: ignore[no-redef]
        pass

__all__ = ["RedisTransporter"]


class RedisTransporter(Transporter):
    """Pub/sub over two Redis connections; a reader task dispatches messages in order."""

    has_built_in_balancer = False

    def __init__(self, options: dict[str, Any] | str | None = None) -> None:
        super().__init__({"url": options} if isinstance(options, str) else options)
        self.client: Any = None
        self.pubsub: Any = None
        self._types: dict[str, str] = {}
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        try:
            from redis import asyncio as aioredis
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ImportError("The Redis transporter needs redis: pip install 'dbmixin[redis]'") from exc
        options = dict(self.options)
        url = options.pop("url", None) or "redis://127.0.0.1:6379"
        self.client = aioredis.Redis.from_url(url, **options)
        await self.client.ping()
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                await self.pubsub.aclose()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.aclose()
        self.pubsub = self.client = None
        self._types.clear()

    async def subscribe(self, topic: str, packet_type: str, queue: str | None = None) -> None:
        self._types[topic] = packet_type
        await self.pubsub.subscribe(topic)
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                message = await self.pubsub.get_message(timeout=None)
            except (ConnectionError, OSError, RedisConnectionError):
                await self._wait_for_server()
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            topic = channel.decode() if isinstance(channel, bytes) else str(channel)
            packet_type = self._types.get(topic)
            if packet_type is not None:
                data = message["data"]
                self.on_message(packet_type, data if isinstance(data, bytes) else str(data).encode())

    async def _wait_for_server(self) -> None:
        """The server went away: retry every second until it answers, re-subscribe, then let Transit re-announce."""
        self.connected = False
        while True:
            await asyncio.sleep(1)
            try:
                await self.client.ping()
                await self.pubsub.subscribe(*self._types)
            except (ConnectionError, OSError, RedisConnectionError):
                continue
            break
        self.connected = True
        if self.on_reconnect is not None:
            await self.on_reconnect()

    async def publish(self, topic: str, data: bytes) -> None:
        if self.client is not None:
            await self.client.publish(topic, data)
