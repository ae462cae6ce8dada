"""A hostile client of the fake bus (``Peer``) and the services it attacks, for the outsider-attack tests."""

from __future__ import annotations

import json
from typing import Any

from broker.context import Context
from broker.transporters import FakeBus, FakeTransporter

DEEP = b'{"ver":"4","sender":"evil","x":' + b"[" * 50_000 + b"]" * 50_000 + b"}"


class Peer:
    """A raw client of the fake bus posing as node ``node_id``: ``send`` publishes any bytes or dict, ``got``
    collects what reaches its own topics, ``on_request`` (if set) answers REQs."""

    def __init__(self, bus: FakeBus, node_id: str = "evil") -> None:
        self.bus = bus
        self.node_id = node_id
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.on_request: Any = None
        self.transporter = FakeTransporter(bus=bus)
        self.transporter.init(self._received)

    async def start(self) -> Peer:
        await self.transporter.connect()
        for packet_type in ("REQ", "RES", "INFO", "PONG", "EVENT", "DISCOVER"):
            await self.transporter.subscribe(f"MOL.{packet_type}.{self.node_id}", packet_type)
        return self

    def _received(self, packet_type: str, data: bytes) -> None:
        payload = json.loads(data)
        self.got.append((packet_type, payload))
        if packet_type == "REQ" and self.on_request is not None:
            self.send(f"RES.{payload['sender']}", {"id": payload["id"], "meta": {}, **self.on_request(payload)})

    def send(self, topic: str, payload: dict[str, Any] | bytes, sender: str | None = None) -> None:
        if isinstance(payload, dict):
            payload = json.dumps({"ver": "4", "sender": sender or self.node_id, **payload}).encode()
        self.bus.publish(f"MOL.{topic}", payload)

    def announce(self, *services: dict[str, Any], sender: str | None = None) -> None:
        self.send("INFO", {"services": list(services), "instanceID": "evil-1", "seq": 1}, sender)

    def of_type(self, packet_type: str) -> list[dict[str, Any]]:
        return [payload for kind, payload in self.got if kind == packet_type]


def request(action: str, req_id: str = "r1", **fields: Any) -> dict[str, Any]:
    return {"id": req_id, "action": action, "params": {}, "meta": {}, "timeout": 0, "level": 1, **fields}


async def whoami(self: Any, ctx: Context) -> Any:
    return {"level": ctx.level, "timeout": ctx.timeout, "caller": ctx.caller, "meta": ctx.meta}


async def secret(self: Any, ctx: Context) -> Any:
    return "secret"


async def add(self: Any, ctx: Context) -> Any:
    return ctx.params["a"] + ctx.params["b"]


VICTIM = {
    "name": "victim",
    "actions": {
        "who": whoami,
        "secret": {"visibility": "protected", "handler": secret},
        "add": {"params": {"a": "number", "b": "number"}, "handler": add},
    },
}


SLOW = {"name": "slow", "actions": {"slow.op": {"name": "slow.op", "rawName": "op"}}}
